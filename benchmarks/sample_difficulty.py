"""How hard the offline sample is at each signal strength: the original CNN against the majority class. Prints a
markdown table.

    .venv/bin/python benchmarks/sample_difficulty.py                         smoke and quick sizes, a few strengths
    .venv/bin/python benchmarks/sample_difficulty.py --sizes quick --signals 0.6 0.8 1.0 --seeds 123 124 125

For each profile size (its ``sample_size`` and the original CNN's epochs, from config/profiles.py) and each signal
strength (``datasets.sample.painted_points``), it generates the sample, prepares its class folders and trains the
original CNN through ``training.runs.train``, as the chapters do, on two splits: chapter 05's (the study's 80/20
split of the files, the validation part scored) and chapter 10's (grouped by artist, the test part scored). Each
row gives accuracy, balanced accuracy and macro-F1, the majority class's share of the scored images, the accuracy's
gain over that share, and the share of predictions that are not the majority class (0: the model is the majority
baseline). The profile's own strength is marked; benchmarks/README.md records the table and why each was chosen.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import common  # noqa: F401  (puts src/ on the path)
import numpy as np
from common import header, load, markdown

from course_utils.analysis import metrics
from course_utils.config.profiles import budget
from course_utils.config.settings import Settings, default_data_dir
from course_utils.datasets.pipeline import load_grouped_split, load_split
from course_utils.datasets.prepare import prepare
from course_utils.datasets.sample import write_sample
from course_utils.datasets.session import open_session
from course_utils.training import runs

SIGNALS = (0.6, 0.8, 1.0, 2.0)
SPLITS = ("chapter 05 (validation)", "chapter 10 (test)")


def class_folders(root: Path, n: int, signal: float, seed: int) -> Path:
    """The sample of ``n`` artworks at ``signal``, prepared into class folders (both kept for the next run)."""
    data = root / f"sample-n{n}-signal{signal:g}-seed{seed}"
    write_sample(data, n=n, seed=seed, overwrite=False, signal=signal)
    out = root / f"prepared-n{n}-signal{signal:g}-seed{seed}"
    prepare(data, out)  # incremental: a folder already up to date is kept
    return out


def scored(split_name: str, folder: Path, seed: int):
    """The split of chapter 05 or 10 and which of its parts is scored."""
    if split_name == SPLITS[0]:
        split = load_split(folder, seed=seed)
        return split, lambda run: (split.y_val, run.val_pred)
    split = load_grouped_split(folder, seed=seed)
    return split, lambda run: (split.y_test, run.test_pred)


def row(size: str, signal: float, split_name: str, folder: Path, seed: int, data_dir: Path) -> dict:
    """Train the original CNN once on one split and score it against the majority class."""
    split, part = scored(split_name, folder, seed)
    session = open_session(Settings(data="sample", profile=size, data_dir=data_dir, seed=seed))
    run = runs.train("original", split, session, save=False, verbose=0)
    y_true, y_pred = part(run)
    values = metrics.scores(y_true, y_pred, split.class_names)
    share = float(np.mean(y_true == metrics.majority_class(split.y_train)))
    return {
        "size": size,
        "signal": f"{signal:g}" + (" (profile)" if signal == budget(size).sample_signal else ""),
        "split": split_name,
        "seed": seed,
        "images": len(y_true),
        "accuracy": values["accuracy"],
        "balanced accuracy": values["balanced accuracy"],
        "macro-F1": values["macro-F1"],
        "majority share": share,
        "gain": values["accuracy"] - share,
        "not majority": metrics.majority_gap(y_pred, split.y_train),
    }


def means(rows: list[dict]) -> list[dict]:
    """Each (size, signal, split) averaged over its seeds."""
    keys = sorted({(r["size"], r["signal"], r["split"]) for r in rows}, key=str)
    numbers = ["accuracy", "balanced accuracy", "macro-F1", "majority share", "gain", "not majority"]
    out = []
    for key in keys:
        group = [r for r in rows if (r["size"], r["signal"], r["split"]) == key]
        out.append(
            dict(zip(("size", "signal", "split"), key))
            | {"seeds": len(group)}
            | {m: float(np.mean([r[m] for r in group])) for m in numbers}
            | {"gain (lowest seed)": float(min(r["gain"] for r in group))}
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Train at every size, strength, split and seed asked for and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=["smoke", "quick"], default=["smoke", "quick"])
    parser.add_argument("--signals", nargs="+", type=float, default=list(SIGNALS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[123])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir() / "benchmarks",
        help="where the generated samples are kept between runs",
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/sample_difficulty.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(header(command.strip()) + "\n")
    rows = []
    for size in args.sizes:
        spent = budget(size)
        signals = sorted(set(args.signals) | {spent.sample_signal})
        for signal in signals:
            for seed in args.seeds:
                start = time.perf_counter()
                folder = class_folders(args.data_dir, spent.sample_size, signal, seed)
                for split_name in SPLITS:
                    rows.append(row(size, signal, split_name, folder, seed, args.data_dir))
                print(f"  {size} signal {signal:g} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    print("\nEvery run:\n")
    print(markdown(rows, floats="{:.3f}"))
    print("\nMean over seeds:\n")
    print(markdown(means(rows), floats="{:.3f}"))
    print(f"\nLoad average at the end: {load()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
