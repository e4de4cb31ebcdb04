"""Training throughput of the five models on this machine, as images per second and as a share of the machine's
measured matrix-product rate; the effect of XLA and of TensorFlow's thread settings; and a per-layer breakdown of
the original CNN. Prints markdown tables.

    .venv/bin/python benchmarks/throughput.py                    everything (a few minutes on 2 cores)
    .venv/bin/python benchmarks/throughput.py --models original --steps 10 --repeats 1 --no-threads

FLOPs per image are counted from the layer shapes (``course_utils.training.throughput``: a multiply–add is 2 FLOPs, only
convolutions and dense layers count, a training step is 3 × the forward pass). Every rate is the best of
``--repeats`` timed runs of ``--steps`` steps on one in-memory batch of 32, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import common  # noqa: F401  (puts src/ on the path)
from common import ROOT, header, load, markdown

THREADS = [  # (inter-op, intra-op, oneDNN); 0 lets TensorFlow choose
    (0, 0, "1"),
    (1, 1, "1"),
    (1, 2, "1"),
    (2, 1, "1"),
    (2, 2, "1"),
    (0, 0, "0"),
]


def peak_rows(sizes: list[int], repeats: int):
    """The float32 matrix-product rate (the best size, wall and CPU time) and one table row per size."""
    from course_utils.training.throughput import Rate, matmul_rate

    rates = {n: matmul_rate(n=n, reps=max(1, 8192 // n), repeats=repeats) for n in sizes}
    rows = [
        {
            "measure": f"float32 matmul {n} × {n}, ×{max(1, 8192 // n)} per timing",
            "GFLOP/s": r.wall / 1e9,
            "GFLOP per CPU-s": r.cpu / 1e9,
        }
        for n, r in rates.items()
    ]
    return Rate(max(r.wall for r in rates.values()), max(r.cpu for r in rates.values())), rows


def model_rows(names: list[str], steps: int, repeats: int, peak, xla: bool) -> list[dict]:
    """Images per second of each model (and with XLA, timed in turn), FLOPs per image and the share of the peak."""
    from course_utils.models import cnns
    from course_utils.training.runs import compile_model
    from course_utils.training.throughput import (
        in_memory,
        interleaved_rates,
        random_batch,
        training_flops,
    )

    data = in_memory(*random_batch(32))
    rows = []
    for name in names:
        flops = training_flops(cnns.build(name))
        runs = {"plain": (compile_model(cnns.build(name)), data)}
        if xla and xla_supported(name):
            runs["xla"] = (compile_model(cnns.build(name), xla=True), data)
        rates = interleaved_rates(runs, steps, 32, repeats)
        rate = rates["plain"]
        row = {
            "model": name,
            "train MFLOP/image": flops / 1e6,
            "images/s": rate.wall,
            "images per CPU-s": rate.cpu,
            "of peak (wall)": f"{rate.wall * flops / peak.wall:.0%}",
            "of peak (CPU time)": f"{rate.cpu * flops / peak.cpu:.0%}",
        }
        if xla:
            row["XLA speed-up (wall / CPU time)"] = (
                f"{rates['xla'].wall / rate.wall:.2f} × / {rates['xla'].cpu / rate.cpu:.2f} ×"
                if "xla" in rates
                else "not supported by Keras (augmentation layers)"
            )
        rows.append(row)
    return rows


def xla_supported(name: str) -> bool:
    """Whether Keras keeps ``jit_compile=True`` for a model (it falls back, with a warning, when a layer can't)."""
    import warnings

    from course_utils.models import cnns
    from course_utils.training.runs import compile_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(compile_model(cnns.build(name), xla=True).jit_compile)


def thread_rows(steps: int, repeats: int, rounds: int = 2) -> list[dict]:
    """The original CNN's rate under each thread setting, each in a fresh process (set before TensorFlow starts).

    The settings take turns for ``rounds`` rounds and each keeps its best, as the machine's load drifts.
    """
    best = {setting: (0.0, 0.0) for setting in THREADS}
    for _ in range(rounds):
        for setting in THREADS:
            inter, intra, onednn = setting
            env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, TF_CPP_MIN_LOG_LEVEL="2")
            cmd = [
                sys.executable,
                str(ROOT / "benchmarks" / "throughput.py"),
                "--one-rate",
                "--inter",
                str(inter),
                "--intra",
                str(intra),
                "--steps",
                str(steps),
                "--repeats",
                str(repeats),
            ]
            res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
            rate = json.loads(res.stdout.strip().splitlines()[-1])
            best[setting] = (max(best[setting][0], rate["wall"]), max(best[setting][1], rate["cpu"]))
    base = best[THREADS[0]]
    return [
        {
            "inter-op threads": inter or "auto",
            "intra-op threads": intra or "auto",
            "oneDNN": "on" if onednn == "1" else "off",
            "images/s": wall,
            "vs default (wall)": f"{wall / base[0]:.2f} ×",
            "images per CPU-s": cpu,
            "vs default (CPU time)": f"{cpu / base[1]:.2f} ×",
        }
        for (inter, intra, onednn), (wall, cpu) in best.items()
    ]


def one_rate(inter: int, intra: int, steps: int, repeats: int) -> None:
    """Child process of :func:`thread_rows`: set the threads, print the original CNN's rates as JSON."""
    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(inter)
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    from course_utils.models import cnns
    from course_utils.training.runs import compile_model
    from course_utils.training.throughput import (
        in_memory,
        interleaved_rates,
        random_batch,
    )

    run = (compile_model(cnns.build("original")), in_memory(*random_batch(32)))
    rate = interleaved_rates({"run": run}, steps, 32, repeats)["run"]
    print(json.dumps({"wall": rate.wall, "cpu": rate.cpu}))


def layer_rows(steps: int, repeats: int, peak) -> tuple[list[dict], str]:
    """Per-layer forward + backward CPU time of the original CNN (batch 32), against one whole training step."""
    from course_utils.models import cnns
    from course_utils.training.runs import compile_model
    from course_utils.training.throughput import (
        in_memory,
        interleaved_rates,
        layer_times,
        random_batch,
    )

    table = layer_times(cnns.build("original"), repeats=repeats)
    run = (compile_model(cnns.build("original")), in_memory(*random_batch(32)))
    step = 32 / interleaved_rates({"run": run}, steps, 32, repeats)["run"].cpu
    total = table["cpu_seconds_per_batch"].sum()
    rows = [
        {
            "layer": f"{r.layer} ({r.kind})",
            "input": "×".join(map(str, r.input)),
            "CPU ms per batch": 1e3 * r.cpu_seconds_per_batch,
            "share of step": f"{r.cpu_seconds_per_batch / step:.0%}",
            "GFLOP per CPU-s": r.train_gflops_per_cpu_s,
            "of peak (CPU time)": f"{1e9 * r.train_gflops_per_cpu_s / peak.cpu:.0%}",
        }
        for r in table.itertuples()
    ]
    rows.append(
        {
            "layer": "all layers alone",
            "input": "",
            "CPU ms per batch": 1e3 * total,
            "share of step": f"{total / step:.0%}",
            "GFLOP per CPU-s": "",
            "of peak (CPU time)": "",
        }
    )
    rows.append(
        {
            "layer": "whole training step (fit)",
            "input": "",
            "CPU ms per batch": 1e3 * step,
            "share of step": "100%",
            "GFLOP per CPU-s": "",
            "of peak (CPU time)": "",
        }
    )
    return rows, (
        f"{1e3 * (step - total):.0f} CPU ms per step outside the layers "
        "(loss, Adam update, metrics, framework overhead)"
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and print the tables."""
    from course_utils.models.cnns import NAMES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(NAMES), choices=NAMES)
    parser.add_argument("--steps", type=int, default=10, help="timed training steps of 32 images")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (the best is reported)")
    parser.add_argument("--matmul", type=int, nargs="+", default=[2048, 4096], help="matrix sizes for the peak")
    parser.add_argument("--no-xla", action="store_true", help="skip the XLA columns")
    parser.add_argument("--no-threads", action="store_true", help="skip the thread-settings table")
    parser.add_argument("--no-layers", action="store_true", help="skip the per-layer table")
    parser.add_argument("--one-rate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inter", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--intra", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_rate:
        one_rate(args.inter, args.intra, args.steps, args.repeats)
        return 0
    command = "python benchmarks/throughput.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(header(command.strip()) + "\n")
    peak, rows = peak_rows(args.matmul, args.repeats)
    print("The machine's limit (the best size counts as the peak):\n\n" + markdown(rows) + "\n")
    print("Training, batch 32, one in-memory batch (no input pipeline):\n")
    print(markdown(model_rows(args.models, args.steps, args.repeats, peak, not args.no_xla)) + "\n")
    if not args.no_layers:
        rows, rest = layer_rows(args.steps, args.repeats, peak)
        print("Original CNN, each layer alone (forward + backward, batch 32) against a whole step:\n")
        print(markdown(rows, floats="{:,.1f}") + f"\n\n{rest}.\n")
    if not args.no_threads:
        print("Original CNN under TensorFlow's thread settings (each in a fresh process):\n")
        print(markdown(thread_rows(args.steps, args.repeats)) + "\n")
    print(f"Load average at the end: {load()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
