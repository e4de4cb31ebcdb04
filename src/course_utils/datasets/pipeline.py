"""From the class folders to training batches: the study's split, decoded once, held in memory, prefetched.

The study's code loaded its folders with ``keras.utils.image_dataset_from_directory`` (80/20 split, seed 123,
batch 32, as the course's specification records it; the report itself gives only the 80/20 split).
:func:`load_split` uses the same function to decide *which* files are training and validation, so the split is
the study's; it then decodes every image once into a NumPy array (cached on disk), so an epoch is bound by
compute and not by JPEG decoding. ``stratified=True`` gives a split that keeps each class's share instead.
Tiny data (most image links dead) still splits: only a folder too small to give both sets an image is an error.
:func:`load_grouped_split` adds a held-out test part: training / validation / test grouped by artist (no artist's
works on two sides), classes kept as balanced as grouping allows (:func:`grouped_file_split`, scikit-learn).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from course_utils.config.study import IMAGE_SIZE, SEED, VALIDATION_SPLIT
from course_utils.data.files import atomic_path
from course_utils.datasets.prepare import read_labels

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


def class_indices(files: list[str], names: list[str]) -> np.ndarray:
    """Each file's class index, read from the class folder it lies in."""
    index = {name: i for i, name in enumerate(names)}
    return np.array(
        [index[Path(f).parent.name] for f in files], dtype=np.int32
    )


def file_ids(files: list[str]) -> list[str]:
    """The artwork IDs of image files (their names without extension)."""
    return [Path(f).stem for f in files]


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
    return Split(
        x_train=load_images(train_files, image_size, folder),
        y_train=class_indices(train_files, names),
        x_val=load_images(val_files, image_size, folder),
        y_val=class_indices(val_files, names),
        train_ids=file_ids(train_files),
        val_ids=file_ids(val_files),
        class_names=names,
        seed=seed,
    )


#: Train, validation and test shares of the artist-grouped split.
GROUPED_FRACTIONS = (0.7, 0.15, 0.15)

#: The parts of the grouped split: a class needs an artist in each.
PARTS = ("training", "validation", "test")

#: Cuts of the artists into folds that the grouped split tries (each a
#: ``StratifiedGroupKFold`` shuffle); it keeps the most balanced one.
ATTEMPTS = 10


@dataclass(kw_only=True)
class GroupedSplit(Split):
    """A :class:`Split` with a held-out test part; no artist's works
    are in two parts. The training and validation fields mean what
    they mean in :class:`Split`."""

    x_test: np.ndarray
    y_test: np.ndarray
    test_ids: list[str]

    def test_dataset(self, batch_size: int = 32):
        """The test part as a tf.data pipeline, in order, batched."""
        import tensorflow as tf  # deferred: seconds to import

        return (
            tf.data.Dataset.from_tensor_slices((self.x_test, self.y_test))
            .batch(batch_size)
            .prefetch(AUTOTUNE)
        )

    def sizes(self) -> str:
        return (
            f"{len(self.y_train)} training, {len(self.y_val)} validation "
            f"and {len(self.y_test)} test images (grouped by artist), "
            f"{len(self.class_names)} classes"
        )


def class_files(
    folder: Path, class_names: list[str]
) -> tuple[list[str], np.ndarray]:
    """Every image in the class folders, in class then name order, and
    its class index."""
    files, labels = [], []
    for k, name in enumerate(class_names):
        for p in sorted((Path(folder) / name).glob("*")):
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
                files.append(str(p))
                labels.append(k)
    return files, np.array(labels, dtype=np.int32)


def _share_gap(y: np.ndarray, parts: list[np.ndarray], k: int) -> float:
    """The largest gap between a class's share in a part and overall."""
    whole = np.bincount(y, minlength=k) / len(y)
    return max(
        float(np.abs(np.bincount(y[p], minlength=k) / len(p) - whole).max())
        for p in parts
    )


def _artist_folds(
    y: np.ndarray, groups: np.ndarray, n_splits: int, seed: int
) -> list[np.ndarray]:
    """scikit-learn's stratified, artist-grouped folds (their indices)."""
    from sklearn.model_selection import (  # deferred: a second to import
        StratifiedGroupKFold,
    )

    n_groups = len(set(groups.tolist()))
    if n_groups < n_splits:
        raise ValueError(
            f"{n_groups} artist(s), too few for {n_splits} artist-grouped "
            "folds"
        )
    cv = StratifiedGroupKFold(
        n_splits=n_splits, shuffle=True, random_state=seed
    )
    with warnings.catch_warnings():
        # "The least populated class in y has only N members": expected
        # for small classes; grouped_file_split checks that every part
        # holds every class.
        warnings.filterwarnings(
            "ignore",
            message="The least populated class",
            category=UserWarning,
        )
        return [held for _, held in cv.split(y, y, groups)]


def grouped_file_split(
    folder: str | Path,
    class_names: list[str],
    artists: dict[str, str],
    seed: int = SEED,
    fractions: tuple[float, float, float] = GROUPED_FRACTIONS,
) -> tuple[list[str], list[str], list[str]]:
    """Training, validation and test files in which no artist's works
    cross a boundary and each class keeps its share as far as grouping
    allows. scikit-learn's ``StratifiedGroupKFold`` cuts the artists
    into folds of about the smaller of the validation and test shares,
    :data:`ATTEMPTS` times (each shuffle fixed by ``seed`` and the
    attempt); of all ways to give whole folds to the three parts, the
    one in which every part holds every class and the class shares
    stray least from the whole is taken.

    ``artists`` maps an artwork ID (the file's stem) to its artist. Every
    class with images needs works by at least three artists (one per
    part); otherwise this is an error naming the class. Empty classes
    stay named and empty. The parts' sizes are whole folds, so they are
    near ``fractions``, not exactly it.
    """
    folder = Path(folder)
    train_f, val_f, test_f = fractions
    if min(fractions) <= 0 or not math.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"fractions {fractions}: three positive shares summing to 1"
        )
    files, y = class_files(folder, class_names)
    stems = [Path(f).stem for f in files]
    unknown = [s for s in stems if not isinstance(artists.get(s), str)]
    if unknown:
        raise ValueError(
            f"{len(unknown)} image(s) without an artist in labels.csv, "
            f"e.g. {unknown[:3]}; the split cannot group them"
        )
    groups = np.array([artists[s] for s in stems])
    for k, name in enumerate(class_names):
        n = int((y == k).sum())
        by = len(set(groups[y == k].tolist()))
        if n and by < len(PARTS):
            raise ValueError(
                f"class {name!r}: {n} image(s) by {by} artist(s); an "
                f"artist-grouped {'/'.join(PARTS)} split needs works by "
                f"at least {len(PARTS)} artists in every class (merge or "
                "drop the class)"
            )
    n_folds = max(3, round(1 / min(val_f, test_f)))
    k_val = max(1, round(val_f * n_folds))
    k_test = max(1, round(test_f * n_folds))
    if k_val + k_test >= n_folds:
        raise ValueError(f"fractions {fractions}: no folds left to train")
    present = set(y.tolist())
    best, best_gap = None, math.inf
    for attempt in range(ATTEMPTS):
        # a new cut of the artists into folds, fixed by seed and attempt
        state = np.random.SeedSequence([seed, attempt]).generate_state(1)
        folds = _artist_folds(y, groups, n_folds, int(state[0]))
        for test_k in itertools.combinations(range(n_folds), k_test):
            others = [i for i in range(n_folds) if i not in test_k]
            for val_k in itertools.combinations(others, k_val):
                train_k = [i for i in others if i not in val_k]
                parts = [
                    np.concatenate([folds[i] for i in ks])
                    for ks in (train_k, val_k, test_k)
                ]
                if any(set(y[p].tolist()) != present for p in parts):
                    continue
                gap = _share_gap(y, parts, len(class_names))
                if gap < best_gap:
                    best, best_gap = parts, gap
    if best is None:
        raise ValueError(
            f"seed {seed}: none of {ATTEMPTS} cuts into {n_folds} "
            "artist-grouped folds gives every part every class; a "
            "class has too few artists for this split (merge or drop it)"
        )
    train, val, test = best
    return (
        [files[i] for i in sorted(train)],
        [files[i] for i in sorted(val)],
        [files[i] for i in sorted(test)],
    )


def load_grouped_split(
    folder: str | Path,
    seed: int = SEED,
    fractions: tuple[float, float, float] = GROUPED_FRACTIONS,
    image_size: int = IMAGE_SIZE,
) -> GroupedSplit:
    """The class folders split three ways by artist (the artists come
    from the folder's ``labels.csv``), as in-memory arrays."""

    folder = Path(folder)
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())
    table = read_labels(folder)
    artists = {
        str(i): a for i, a in table["Artist"].items() if isinstance(a, str)
    }
    train_f, val_f, test_f = grouped_file_split(
        folder, names, artists, seed, fractions
    )
    return GroupedSplit(
        x_train=load_images(train_f, image_size, folder),
        y_train=class_indices(train_f, names),
        x_val=load_images(val_f, image_size, folder),
        y_val=class_indices(val_f, names),
        train_ids=file_ids(train_f),
        val_ids=file_ids(val_f),
        class_names=names,
        seed=seed,
        x_test=load_images(test_f, image_size, folder),
        y_test=class_indices(test_f, names),
        test_ids=file_ids(test_f),
    )
