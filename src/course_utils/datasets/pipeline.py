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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from course_utils.config.study import (
    IMAGE_SIZE,
    RARE_CLASS,
    SEED,
    VALIDATION_SPLIT,
)
from course_utils.data.files import atomic_path
from course_utils.datasets.prepare import read_labels
from course_utils.labels import CLASS_NAMES

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
    #: the prepared folder it came from (its name holds the data source,
    #: label scope, threshold and image size)
    origin: str = ""

    def fingerprint(self) -> str:
        """A hash of what a model learns from here (origin, classes, IDs,
        targets and pixels of every part): a saved run is reused only on
        the same one, not on other pictures under the same IDs."""
        digest = hashlib.sha256()
        digest.update(repr((self.origin, self.class_names)).encode())
        for part in ("train", "val", "test"):
            ids = getattr(self, f"{part}_ids", None)
            if ids is None:
                continue
            digest.update(f"{part}:{'|'.join(map(str, ids))}".encode())
            for array in (
                getattr(self, f"y_{part}"),
                getattr(self, f"x_{part}"),
            ):
                digest.update(np.ascontiguousarray(array).data)  # no copy
        return digest.hexdigest()[:16]

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


def parts(
    files: dict[str, list[str]],
    names: list[str],
    folder: Path,
    image_size: int,
) -> dict:
    """A split's fields for each named part (``train``, ``val``,
    ``test``): its images, class indices and artwork IDs."""
    fields = {}
    for part, paths in files.items():
        fields[f"x_{part}"] = load_images(paths, image_size, folder)
        fields[f"y_{part}"] = class_indices(paths, names)
        fields[f"{part}_ids"] = file_ids(paths)
    return fields


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
        **parts(
            {"train": train_files, "val": val_files},
            names,
            folder,
            image_size,
        ),
        class_names=names,
        seed=seed,
        origin=folder.name,
    )


#: Train, validation and test shares of the artist-grouped split.
GROUPED_FRACTIONS = (0.7, 0.15, 0.15)

#: The parts of the grouped split: a class needs an artist in each.
PARTS = ("training", "validation", "test")

#: Cuts of the artists into folds that the grouped split tries (each a
#: ``StratifiedGroupKFold`` shuffle); it keeps the most balanced one.
ATTEMPTS = 30


@dataclass(kw_only=True)
class GroupedSplit(Split):
    """A :class:`Split` with a held-out test part; no artist's works
    are in two parts. The training and validation fields mean what
    they mean in :class:`Split`."""

    x_test: np.ndarray
    y_test: np.ndarray
    test_ids: list[str]
    #: classes left out of the split, with their number of images
    dropped: dict[str, int] = field(default_factory=dict)
    #: whether no artist crosses a part (False: a random file split)
    by_artist: bool = True

    def test_dataset(self, batch_size: int = 32):
        """The test part as a tf.data pipeline, in order, batched."""
        import tensorflow as tf  # deferred: seconds to import

        return (
            tf.data.Dataset.from_tensor_slices((self.x_test, self.y_test))
            .batch(batch_size)
            .prefetch(AUTOTUNE)
        )

    def left_out(self) -> str:
        """Which classes the split left out, with their images."""
        if not self.dropped:
            return "no class left out"
        return "left out: " + ", ".join(
            f"{name!r} ({n} image{'s' if n != 1 else ''})"
            for name, n in self.dropped.items()
        )

    def sizes(self) -> str:
        return (
            f"{len(self.y_train)} training, {len(self.y_val)} validation "
            f"and {len(self.y_test)} test images "
            f"({'grouped by artist' if self.by_artist else 'random'}), "
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


def fold_plan(
    fractions: tuple[float, float, float],
) -> tuple[int, int, int]:
    """How many artist folds to cut, and how many go to validation and to
    test: folds of about the smaller of the two shares."""
    _, val_f, test_f = fractions
    if min(fractions) <= 0 or not math.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"fractions {fractions}: three positive shares summing to 1"
        )
    n_folds = max(3, round(1 / min(val_f, test_f)))
    k_val = max(1, round(val_f * n_folds))
    k_test = max(1, round(test_f * n_folds))
    if k_val + k_test >= n_folds:
        raise ValueError(f"fractions {fractions}: no folds left to train")
    return n_folds, k_val, k_test


def artist_folds(
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


def artist_map(folder: str | Path) -> dict[str, str]:
    """Each artwork ID's artist, from the folder's ``labels.csv`` (works
    without a named artist are left out): what the grouped split groups
    by, and the clusters of the cluster bootstrap."""
    table = read_labels(folder)
    return {
        str(i): a for i, a in table["Artist"].items() if isinstance(a, str)
    }


def artists_of(folder: str | Path, ids: Sequence[str]) -> np.ndarray:
    """The artist of each artwork ID, in order (e.g. a split's or a run's
    ``test_ids``): the clusters the test scores are resampled by
    (:mod:`course_utils.analysis.uncertainty`)."""
    artists = artist_map(folder)
    missing = [str(i) for i in ids if str(i) not in artists]
    if missing:
        raise ValueError(
            f"{Path(folder) / 'labels.csv'}: no artist for {len(missing)} "
            f"of {len(ids)} artwork ID(s), e.g. {missing[:3]}"
        )
    return np.array([artists[str(i)] for i in ids], dtype=object)


class NoGroupedSplit(ValueError):
    """No cut of the artists into folds gives every part every class."""


def artist_counts(
    folder: Path, class_names: list[str], artists: dict[str, str]
) -> dict[str, tuple[int, int]]:
    """Per class: its images and the distinct artists who made them."""
    files, y = class_files(folder, class_names)
    by = [artists.get(Path(f).stem) for f in files]
    return {
        name: (
            int((y == k).sum()),
            len({a for a, c in zip(by, y) if c == k and a is not None}),
        )
        for k, name in enumerate(class_names)
    }


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
    n_folds, k_val, k_test = fold_plan(fractions)
    present = set(y.tolist())
    best, best_gap = None, math.inf
    for attempt in range(ATTEMPTS):
        # a new cut of the artists into folds, fixed by seed and attempt
        state = np.random.SeedSequence([seed, attempt]).generate_state(1)
        folds = artist_folds(y, groups, n_folds, int(state[0]))
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
        raise NoGroupedSplit(
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


def random_file_split(
    files: list[str],
    class_names: list[str],
    sizes: tuple[int, int, int],
    seed: int = SEED,
) -> tuple[list[str], list[str], list[str]]:
    """Training, validation and test files of the given sizes, drawn at
    random within each class (artists ignored): the split a grouped one
    is compared with."""
    from sklearn.model_selection import (  # deferred: a second to import
        train_test_split,
    )

    if sum(sizes) != len(files):
        raise ValueError(f"sizes {sizes} do not add up to {len(files)}")
    y = class_indices(files, class_names)
    rest, test = train_test_split(
        files, test_size=sizes[2], stratify=y, random_state=seed
    )
    train, val = train_test_split(
        rest,
        test_size=sizes[1],
        stratify=class_indices(rest, class_names),
        random_state=seed,
    )
    return sorted(train), sorted(val), sorted(test)


def load_grouped_split(
    folder: str | Path,
    seed: int = SEED,
    fractions: tuple[float, float, float] = GROUPED_FRACTIONS,
    image_size: int = IMAGE_SIZE,
    drop: Sequence[str] = (RARE_CLASS,),
    by_artist: bool = True,
) -> GroupedSplit:
    """The class folders split three ways by artist (the artists come
    from the folder's ``labels.csv``), as in-memory arrays.

    ``drop`` names classes to leave out (by default the study's class of
    11 artworks, :data:`~course_utils.config.study.RARE_CLASS`). With few
    images (most links dead) a class by fewer than three artists is left
    out too, and then, while no cut gives every part every class, the
    smallest one; ``dropped`` counts the images of every class left out.
    ``by_artist=False`` draws parts of the same sizes at random within
    each class instead, for comparison.
    """

    folder = Path(folder)
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    unknown = sorted(set(drop) - set(found) - set(CLASS_NAMES))
    if unknown:
        raise ValueError(
            f"drop={unknown}: no such class in {folder.name}; "
            f"the classes are {found}"
        )
    names = [n for n in found if n not in drop]
    dropped = {
        n: len(class_files(folder, [n])[0]) if n in found else 0
        for n in drop
    }
    artists = artist_map(folder)
    # few images (dead links): a class by fewer than three artists cannot
    # be in all three parts, so it is left out and counted, not an error
    for name, (n, by) in artist_counts(folder, names, artists).items():
        if n and by < len(PARTS):
            names.remove(name)
            dropped[name] = n
    while True:
        try:
            train_f, val_f, test_f = grouped_file_split(
                folder, names, artists, seed, fractions
            )
            break
        except NoGroupedSplit:
            counts = artist_counts(folder, names, artists)
            sized = [n for n in names if counts[n][0]]
            if len(sized) < 2:
                raise
            smallest = min(sized, key=lambda n: counts[n][0])
            names.remove(smallest)  # the rarest class goes first
            dropped[smallest] = counts[smallest][0]
    if not by_artist:
        train_f, val_f, test_f = random_file_split(
            train_f + val_f + test_f,
            names,
            (len(train_f), len(val_f), len(test_f)),
            seed,
        )
    return GroupedSplit(
        **parts(
            {"train": train_f, "val": val_f, "test": test_f},
            names,
            folder,
            image_size,
        ),
        class_names=names,
        seed=seed,
        origin=folder.name,
        dropped=dropped,
        by_artist=by_artist,
    )
