"""Mirrored training on every GPU present: images per second, and the GPUs' matrix-product rate in float16 and
float32 for comparison. Without a GPU it splits the CPU into two logical devices and runs at a tiny size, which
only checks that the code path works (the two logical devices share the same cores: no speed-up is expected).

    .venv/bin/python benchmarks/gpu_mirrored.py                      every GPU, original CNN, 32 images per GPU
    .venv/bin/python benchmarks/gpu_mirrored.py --models original alexnet --batch 64 --steps 50

On a GPU, training uses mixed precision (as ``training.train`` does there); the fraction of the peak is given
against the float16 matrix-product rate (what mixed precision runs on) and against float32.
"""

from __future__ import annotations

import argparse
import sys

import common  # noqa: F401  (puts src/ on the path)
from common import header, load, markdown


def devices() -> tuple[str, int]:
    """Split the CPU into two logical devices when there is no GPU (before TensorFlow starts); the kind and count."""
    import tensorflow as tf

    from course_utils.training.strategies import logical_cpus

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return "GPU", len(gpus)
    logical_cpus(2)
    return "CPU", 2


def measure(name: str, strategy, batch_per_replica: int, steps: int, repeats: int, mixed: bool) -> float:
    """Images per second of one model trained with ``strategy`` on in-memory batches."""
    from course_utils.models import cnns
    from course_utils.training.runs import compile_model, use_mixed_precision
    from course_utils.training.throughput import fit_rate, in_memory, random_batch

    use_mixed_precision(mixed)
    try:
        global_batch = batch_per_replica * strategy.num_replicas_in_sync
        with strategy.scope():
            net = compile_model(cnns.build(name))
        x, y = random_batch(global_batch)
        return fit_rate(net, in_memory(x, y), steps, global_batch, repeats)
    finally:
        use_mixed_precision(False)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["original"])
    parser.add_argument("--batch", type=int, default=32, help="images per replica and step")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    kind, count = devices()
    if kind == "CPU":  # a functional check only
        args.steps, args.repeats, args.batch = min(args.steps, 3), 1, min(args.batch, 4)
    from course_utils.training.strategies import strategy
    from course_utils.training.throughput import matmul_peak, training_flops

    command = "python benchmarks/gpu_mirrored.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(header(command.strip()) + "\n")
    mirrored = strategy("mirrored")
    n = 8192 if kind == "GPU" else 512
    peaks = {dtype: matmul_peak(n=n, dtype=dtype, repeats=args.repeats) for dtype in ("float16", "float32")}
    print(
        f"{kind} ×{count}, {mirrored.num_replicas_in_sync} replicas; matrix product ({n} × {n}) on one device: "
        + ", ".join(f"{d} {p / 1e12:,.2f} TFLOP/s" for d, p in peaks.items())
        + "\n"
    )
    from course_utils.models import cnns

    rows = []
    for name in args.models:
        rate = measure(name, mirrored, args.batch, args.steps, args.repeats, mixed=kind == "GPU")
        flops = rate * training_flops(cnns.build(name))
        all_devices = mirrored.num_replicas_in_sync
        rows.append(
            {
                "model": name,
                "replicas": all_devices,
                "global batch": args.batch * all_devices,
                "images/s": rate,
                "TFLOP/s": flops / 1e12,
                "of float16 peak × replicas": f"{flops / (peaks['float16'] * all_devices):.1%}",
                "of float32 peak × replicas": f"{flops / (peaks['float32'] * all_devices):.1%}",
            }
        )
    print(markdown(rows, floats="{:,.2f}"))
    if kind == "CPU":
        print(
            "\nNo GPU: this ran on two logical CPU devices at a tiny size to check that the code works; "
            "the numbers say nothing about GPU speed."
        )
    print(f"\nLoad average at the end: {load()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
