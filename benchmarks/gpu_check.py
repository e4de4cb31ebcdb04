"""Seconds per epoch of the study's five models, float32 against mixed precision, on a sample of the real size.
Prints a markdown table.

    .venv/bin/python benchmarks/gpu_check.py                  `full` size: 4,105 artworks (about 3,300 labelled
                                                              images, the study's split), 1 warm-up + 3 timed epochs
    .venv/bin/python benchmarks/gpu_check.py --size quick     1,200 artworks, 1 warm-up + 1 timed epoch (a CPU)
    .venv/bin/python benchmarks/gpu_check.py --models original --precision both --timed 2

Training goes through ``course_utils.training.runs.train`` exactly as the chapters run it (batch 32, the study's split,
in-memory pipeline); mixed precision is switched by its ``mixed_precision`` argument (``use_mixed_precision``).
The first epoch builds and traces the graph, so it is timed apart from the others. The study's notebook reports about
41 s per epoch for the original CNN on a Colab GPU; "full training here" estimates a whole ``full``-profile
training (10 or 15 epochs) on this sample from the timed epochs.
On a CPU, mixed precision is skipped unless ``--precision mixed`` or ``both`` asks for it: CPUs have no float16
matrix units, so TensorFlow emulates it and it only measures a slowdown.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import common  # noqa: F401  (puts src/ on the path)
from common import class_folder_sample, header, load, markdown

from course_utils.config.device import has_gpu
from course_utils.config.profiles import budget
from course_utils.config.settings import Settings, default_data_dir
from course_utils.datasets.pipeline import load_split
from course_utils.datasets.session import open_session
from course_utils.models import cnns
from course_utils.training import runs

WARM_UP = 1
TIMED = {"full": 3, "quick": 1, "smoke": 1}
STUDY_SECONDS_PER_EPOCH = {"original": 41.0}  # the study's notebook, Colab GPU


def precisions(choice: str, gpu: bool) -> list[tuple[str, bool | None]]:
    """The precisions to measure: (label, mixed_precision flag), or a None flag for a skipped one."""
    wanted = {
        "float32": ["float32"],
        "mixed": ["mixed"],
        "both": ["float32", "mixed"],
        "auto": ["float32", "mixed"],
    }[choice]
    out = []
    for label in wanted:
        skip = label == "mixed" and choice == "auto" and not gpu
        out.append((label, None if skip else label == "mixed"))
    return out


def epoch_seconds(name: str, split, settings: Settings, mixed: bool, timed: int, xla: bool) -> dict:
    """One training of ``WARM_UP + timed`` epochs: the first epoch's seconds and the mean of the timed ones."""
    run = runs.train(
        name, split, settings, epochs=WARM_UP + timed, mixed_precision=mixed, xla=xla, save=False, verbose=0
    )
    seconds = run.history["seconds"]
    per_epoch = float(seconds.iloc[WARM_UP:].mean())
    return {
        "first epoch (s)": float(seconds.iloc[0]),
        "s / epoch": per_epoch,
        "images / s": len(split.y_train) / per_epoch,
        "val accuracy": float(run.history["val_accuracy"].iloc[-1]),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure every model at every precision asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size",
        choices=["full", "quick", "smoke"],
        default="full",
        help="sample size of that profile (full: 4,105 artworks like WikiArt Emotions)",
    )
    parser.add_argument("--models", nargs="+", choices=cnns.NAMES, default=list(cnns.NAMES))
    parser.add_argument(
        "--precision",
        choices=["auto", "float32", "mixed", "both"],
        default="auto",
        help="auto: both on a GPU, float32 only on a CPU",
    )
    parser.add_argument("--timed", type=int, help="timed epochs after the warm-up (default: 3 full, 1 otherwise)")
    parser.add_argument("--xla", action="store_true", help="compile with XLA (jit_compile=True)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir() / "benchmarks",
        help="where the generated sample is kept between runs",
    )
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args(argv)
    timed = args.timed or TIMED[args.size]
    if timed < 1:
        parser.error(f"--timed {timed}: at least one epoch must be timed")

    command = "python benchmarks/gpu_check.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(header(command.strip()) + "\n")
    n = budget(args.size).sample_size
    start = time.perf_counter()
    folder = class_folder_sample(args.data_dir / f"gpu_check-n{n}-seed{args.seed}", n, args.seed)
    split = load_split(folder, seed=args.seed)
    print(
        f"Sample of {n} artworks ({split.sizes()}), ready in {time.perf_counter() - start:.0f} s; "
        f"batch 32; {WARM_UP} warm-up epoch, then {timed} timed.\n"
    )
    settings = open_session(Settings(data="sample", profile="full", data_dir=args.data_dir, seed=args.seed))
    gpu = has_gpu()
    rows = []
    for name in args.models:
        for label, mixed in precisions(args.precision, gpu):
            row = {"model": name, "precision": label}
            if mixed is None:
                row["first epoch (s)"] = "skipped: no GPU (float16 is emulated on a CPU)"
            else:
                row.update(epoch_seconds(name, split, settings, mixed, timed, args.xla))
                row["full epochs"] = runs.epochs_for(name, "full")
                row["full training here (min)"] = row["s / epoch"] * row["full epochs"] / 60
            row["study (s / epoch)"] = STUDY_SECONDS_PER_EPOCH.get(name, "")
            rows.append(row)
            print(f"  {name} {label}: done", flush=True)
    print()
    print(markdown(rows, floats="{:,.2f}"))
    print(
        f"\nDevice: {'GPU' if gpu else 'CPU (no GPU visible to TensorFlow)'}; XLA {'on' if args.xla else 'off'}. "
        f"Load average at the end: {load()}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
