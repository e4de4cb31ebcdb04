"""From the class folders to training batches: the study's split, decoded once, held in memory, prefetched.

The study's code loaded its folders with ``keras.utils.image_dataset_from_directory`` (80/20 split, seed 123,
batch 32, as the course's specification records it; the report itself gives only the 80/20 split).
:func:`load_split` uses the same function to decide *which* files are training and validation, so the split is
the study's; it then decodes every image once into a NumPy array (cached on disk), so an epoch is bound by
compute and not by JPEG decoding. ``stratified=True`` gives a split that keeps each class's share instead.
Tiny data (most image links dead) still splits: only a folder too small to give both sets an image is an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from course_utils.config.study import IMAGE_SIZE, SEED, VALIDATION_SPLIT
from course_utils.data.files import atomic_path

AUTOTUNE = (
    -1
)  # tf.data.AUTOTUNE, without importing TensorFlow at module import


@dataclass
class Split:
    """Training and validation images (uint8 arrays), integer labels, artwork IDs and the class names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    train_ids: list[str]
    val_ids: list[str]
    class_names: list[str]
    seed: int = SEED

    def datasets(self, batch_size: int = 32, shuffle: bool = True):
        """``(train, val)`` tf.data pipelines: in memory, shuffled each
        epoch (seeded), batched, prefetched."""
        import tensorflow as tf  # deferred: seconds to import

        train = tf.data.Dataset.from_tensor_slices(
            (self.x_train, self.y_train)
        )
        if shuffle:
            train = train.shuffle(
                len(self.y_train),
                seed=self.seed,
                reshuffle_each_iteration=True,
            )
        train = train.batch(batch_size).prefetch(AUTOTUNE)
        val = (
            tf.data.Dataset.from_tensor_slices((self.x_val, self.y_val))
            .batch(batch_size)
            .prefetch(AUTOTUNE)
        )
        return train, val

    def sizes(self) -> str:
        """A short description for a chapter's output."""
        return f"{len(self.y_train)} training and {len(self.y_val)} validation images, {len(self.class_names)} classes"


IMAGE_SUFFIXES = (
    ".bmp",
    ".gif",
    ".jpeg",
    ".jpg",
    ".png",
)  # what Keras's directory loader reads


def count_images(folder: Path) -> int:
    """Images in the class folders (what the directory loader would find)."""
    return sum(
        1
        for p in Path(folder).glob("*/*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )


def check_splittable(folder: Path, validation_split: float) -> None:
    """Fail with a clear message when the class folders hold too few images for both a training and a validation
    image (Keras would say "No training images found", even when a few are there)."""
    needed = max(2, math.ceil(1 / validation_split))
    found = count_images(folder)
    if found < needed:
        raise ValueError(
            f"{folder}: {found} image(s) in the class folders, too few for a {validation_split:.0%} "
            f"validation split (it needs at least {needed}); where most image links are dead, "
            "fetch the images again later or use COURSE_DATA=sample"
        )


def study_file_split(
    folder: Path,
    seed: int = SEED,
    validation_split: float = VALIDATION_SPLIT,
    image_size: int = IMAGE_SIZE,
):
    """The study's file lists: exactly the files ``image_dataset_from_directory`` puts in each subset."""

    import keras  # deferred: Keras loads TensorFlow (seconds)

    check_splittable(folder, validation_split)
    with contextlib.redirect_stdout(
        io.StringIO()
    ):  # Keras prints "Using N files for …" even with verbose=False
        train, val = keras.utils.image_dataset_from_directory(
            folder,
            validation_split=validation_split,
            subset="both",
            seed=seed,
            image_size=(image_size, image_size),
            batch_size=None,
            verbose=False,
        )
    names = list(train.class_names)
    return list(train.file_paths), list(val.file_paths), names


def stratified_file_split(
    folder: Path,
    class_names: list[str],
    seed: int = SEED,
    validation_split: float = VALIDATION_SPLIT,
):
    """A split that keeps every class's share (a class with one image goes to training; when rounding leaves the
    validation set empty, it gets one image of the largest class)."""
    rng = np.random.default_rng(seed)
    files = {}
    for name in class_names:
        files[name] = sorted(str(p) for p in (folder / name).glob("*.jpg"))
        rng.shuffle(files[name])
    n_val = {
        name: int(round(validation_split * len(f))) if len(f) > 1 else 0
        for name, f in files.items()
    }
    largest = max(class_names, key=lambda name: len(files[name]))
    if not sum(n_val.values()) and len(files[largest]) > 1:
        n_val[largest] = 1
    train, val = [], []
    for name in class_names:
        val += files[name][: n_val[name]]
        train += files[name][n_val[name] :]
    return train, val


def cache_key(paths: list[str], image_size: int) -> str:
    """A key for the decoded array from the files, sizes and modification times: a rewritten image is decoded anew."""
    stamps = "\n".join(
        f"{p}:{os.stat(p).st_mtime_ns}:{os.stat(p).st_size}" for p in paths
    )
    return hashlib.sha256(f"{stamps}\n{image_size}".encode()).hexdigest()[
        :16
    ]


def load_images(
    paths: list[str], image_size: int, cache_dir: Path | None = None
) -> np.ndarray:
    """Decode images once into a uint8 array; with ``cache_dir`` the array is kept on disk for the next run."""
    key = cache_key(paths, image_size)
    cache = cache_dir / f".images-{key}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        return np.load(cache)
    out = np.empty((len(paths), image_size, image_size, 3), dtype=np.uint8)
    for i, path in enumerate(paths):
        with Image.open(path) as im:
            im = im.convert("RGB")
            if im.size != (image_size, image_size):
                im = im.resize(
                    (image_size, image_size), Image.Resampling.BILINEAR
                )
            out[i] = np.asarray(im)
    if cache is not None:
        with atomic_path(cache) as tmp:
            with open(
                tmp, "wb"
            ) as f:  # np.save would append .npy to a name without it
                np.save(f, out)
    return out


def load_split(
    folder: str | Path,
    seed: int = SEED,
    validation_split: float = VALIDATION_SPLIT,
    stratified: bool = False,
    image_size: int = IMAGE_SIZE,
) -> Split:
    """The class-folder dataset split like the study (or stratified), as in-memory arrays."""
    folder = Path(folder)
    train_files, val_files, names = study_file_split(
        folder, seed, validation_split, image_size
    )
    if stratified:
        train_files, val_files = stratified_file_split(
            folder, names, seed, validation_split
        )
    index = {name: i for i, name in enumerate(names)}

    def labels(files: list[str]) -> np.ndarray:
        return np.array(
            [index[Path(f).parent.name] for f in files], dtype=np.int32
        )

    return Split(
        x_train=load_images(train_files, image_size, folder),
        y_train=labels(train_files),
        x_val=load_images(val_files, image_size, folder),
        y_val=labels(val_files),
        train_ids=[Path(f).stem for f in train_files],
        val_ids=[Path(f).stem for f in val_files],
        class_names=names,
        seed=seed,
    )
