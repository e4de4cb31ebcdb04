"""Image pipeline throughput: the package's decode-once path against a plain PIL loop and the study's
per-epoch decoding, and whether the input pipeline slows a training epoch down. Prints markdown tables.

    .venv/bin/python benchmarks/pipeline.py                 sample of 1200 artworks (about 800 labelled images)
    .venv/bin/python benchmarks/pipeline.py --n 240 --repeats 1

"cold" decodes the JPEGs (the files were just written, so they are in the OS file cache: this measures
decoding and resizing, not the disk); "cached" reads the array the first load saved (``.images-*.npy``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

import common  # noqa: F401  (puts src/ on the path)
import numpy as np
from common import class_folder_sample, header, load, markdown
from PIL import Image

from course_utils.datasets.pipeline import load_split, study_file_split
from course_utils.training import throughput


def pil_loop(files: list[Path], size: int = 125) -> np.ndarray:
    """The plain way: open, convert and resize every image with PIL, one by one, into one array."""
    images = []
    for path in files:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if im.size != (size, size):
                im = im.resize((size, size), Image.Resampling.BILINEAR)
            images.append(np.asarray(im))
    return np.stack(images)


def timed(fn) -> float:
    """Wall seconds of one call."""
    return throughput.timed(fn)[0]


def iterate(dataset) -> int:
    """Pull every batch of a tf.data pipeline; the number of images seen."""
    return sum(int(x.shape[0]) for x, _ in dataset)


def study_dataset(folder: Path, batch_size: int = 32):
    """The study's loader: ``image_dataset_from_directory``, decoding and resizing the JPEGs every epoch."""
    import keras
    import tensorflow as tf

    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Using N files for training." even when quiet
        train = keras.utils.image_dataset_from_directory(
            folder,
            validation_split=0.2,
            subset="training",
            seed=123,
            image_size=(125, 125),
            batch_size=batch_size,
            verbose=False,
        )
    return train.prefetch(tf.data.AUTOTUNE)


def loading(folder: Path, repeats: int) -> list[dict]:
    """Images per second of each way to get the images into memory or through a pipeline."""
    files = sorted(folder.glob("*/*.jpg"))
    study_file_split(folder)  # the first call in a process also starts TensorFlow's data runtime: not counted
    for cache in folder.glob(".images-*.npy"):
        cache.unlink()
    rows = []
    cold = timed(lambda: load_split(folder))
    split = load_split(folder)
    n = len(split.y_train) + len(split.y_val)
    cached = min(timed(lambda: load_split(folder)) for _ in range(repeats))
    rows.append(
        {
            "path": "package: load_split, cold (decode JPEGs, save .npy)",
            "images": n,
            "seconds": cold,
            "images/s": n / cold,
        }
    )
    rows.append(
        {"path": "package: load_split, cached (.npy)", "images": n, "seconds": cached, "images/s": n / cached}
    )
    for label in ("first", "second"):
        seconds = timed(lambda: pil_loop(files))
        rows.append(
            {
                "path": f"plain PIL loop, {label} pass (decodes every time)",
                "images": len(files),
                "seconds": seconds,
                "images/s": len(files) / seconds,
            }
        )
    train, _ = split.datasets(32)
    n_train = iterate(train)
    seconds = min(timed(lambda: iterate(train)) for _ in range(repeats))
    rows.append(
        {
            "path": "package: Split.datasets(32), one training epoch",
            "images": n_train,
            "seconds": seconds,
            "images/s": n_train / seconds,
        }
    )
    study = study_dataset(folder)
    for label in ("first", "second"):
        seconds = timed(lambda: iterate(study))
        rows.append(
            {
                "path": f"study: image_dataset_from_directory, {label} epoch (decodes every epoch)",
                "images": n_train,
                "seconds": seconds,
                "images/s": n_train / seconds,
            }
        )
    return rows


def epoch_speed(folder: Path, repeats: int, model: str = "original") -> list[dict]:
    """Training images per second fed by each pipeline against one batch held in memory (no pipeline).

    The feeds are timed in turn, ``repeats`` rounds (each feed's best round counts), so that a slow moment of a
    busy machine does not fall on one feed only; every timed run is a full epoch's worth of full batches.
    """
    from course_utils.models import cnns
    from course_utils.training.runs import compile_model
    from course_utils.training.throughput import in_memory, interleaved_rates

    split = load_split(folder)
    train, _ = split.datasets(32)
    steps = len(split.y_train) // 32
    feeds = {
        "one in-memory batch, repeated (no pipeline)": in_memory(split.x_train[:32], split.y_train[:32]),
        "package: Split.datasets(32)": train.repeat(),
        "study: image_dataset_from_directory": study_dataset(folder).repeat(),
    }
    rates = interleaved_rates(
        {label: (compile_model(cnns.build(model)), dataset) for label, dataset in feeds.items()},
        steps,
        32,
        repeats,
    )
    base = rates[next(iter(feeds))]
    return [
        {
            "feed": label,
            "steps": steps,
            "images/s": rate.wall,
            "vs in-memory (wall)": f"{rate.wall / base.wall:.0%}",
            "images per CPU-s": rate.cpu,
            "vs in-memory (CPU time)": f"{rate.cpu / base.cpu:.0%}",
        }
        for label, rate in rates.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Build the sample, measure, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1200, help="artworks in the generated sample")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (the best is reported)")
    parser.add_argument("--dir", help="working folder (default: a temporary one)")
    args = parser.parse_args(argv)
    command = "python benchmarks/pipeline.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        root = Path(args.dir or tmp)
        folder = class_folder_sample(root, args.n, args.seed)
        print(header(command.strip()) + "\n")
        print(f"Sample of {args.n} artworks (seed {args.seed}), prepared into class folders of 125 × 125 JPEGs.\n")
        print("Loading and iterating (higher is better):\n")
        print(markdown(loading(folder, args.repeats), floats="{:,.2f}") + "\n")
        print("Training the original CNN (batch 32) fed by each pipeline:\n")
        print(markdown(epoch_speed(folder, args.repeats)) + "\n")
        print(f"Load average at the end: {load()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
