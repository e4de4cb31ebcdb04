"""Every artwork with a usable image, for the targets that need no threshold (chapter 13's valence–arousal).

The class folders hold only the artworks whose shares pass the 0.4 threshold somewhere. A valence–arousal
target exists for every artwork that has emotion shares at all, so :func:`prepare_artworks` writes *all* of
their images, resized by ``prepare``'s own functions, into one flat folder (``<ID>.jpg``, no subfolders, so no
directory loader can read it as classes) next to the class folders, with ``artworks.csv`` (artist, targets,
class where there is one, and whether the image could be used) and ``prepare.json``. Like ``prepare`` it is
incremental (an image already written at this size is kept) and atomic (a file is whole or absent).

:func:`load_artwork_split` splits them three ways with no artist in two parts (scikit-learn's
``StratifiedGroupKFold`` over artists, stratified by the quadrant the target lies in) and returns an
:class:`ArtworkSplit`: a :class:`~course_utils.datasets.pipeline.GroupedSplit` with float targets.
:func:`artwork_splits` is the one the chapters use: it extends the class folders' grouped split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.config.study import IMAGE_SIZE, SEED, THRESHOLD
from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.data.files import write_atomic
from course_utils.datasets.pipeline import (
    GROUPED_FRACTIONS,
    GroupedSplit,
    artist_folds,
    fold_plan,
    load_grouped_split,
    load_images,
)
from course_utils.datasets.prepare import (
    coordinates_record,
    images_folder,
    place_image,
    resized_as_before,
    write_settings,
)
from course_utils.datasets.session import Session, class_folders, prepared
from course_utils.labels import (
    emotion_coordinates,
    label_table,
    quadrant_of_point,
    va_targets,
)

#: The table of every artwork, beside the images.
TABLE_FILE = "artworks.csv"

#: The regression targets (columns of the table).
TARGETS = ("valence", "arousal")

#: What the table's ``status`` column says of an artwork; only ``image``
#: ones are used.
STATUSES = ("image", "no image", "unreadable", "no target")

#: The columns :func:`read_artworks` needs.
COLUMNS = ("Artist", *TARGETS, "class", "status")


@dataclass
class ArtworksReport:
    """What :func:`prepare_artworks` did: images written now, kept from
    before, and the artworks left out (no target, no image, unreadable)."""

    usable: int = 0
    written: int = 0
    kept: int = 0
    no_target: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the chapters."""
        return (
            f"{self.usable} artworks with an image ({self.written} "
            f"written, {self.kept} already there); left out: "
            f"{len(self.missing)} without an image, {len(self.invalid)} "
            f"unreadable, {len(self.no_target)} without emotion shares"
        )


def prepare_artworks(
    data_root: str | Path,
    out: str | Path,
    scope: str = "art",
    size: int = IMAGE_SIZE,
    policy: str = "squash",
) -> ArtworksReport:
    """Write every artwork's image (resized) into ``out`` and the table of
    all artworks beside them; bring an earlier run up to date."""
    data_root, out = Path(data_root), Path(out)
    all_file = data_root / schema.ARCHIVE_FOLDER / schema.ALL_FILE
    table = read_table(all_file, ("Artist",))
    images = images_folder(data_root)
    resized_alike = resized_as_before(out, size, policy, data_root)
    values = shares(table, scope)
    coordinates = emotion_coordinates(data_root)
    targets = va_targets(values, coordinates.table)
    classes = label_table(values, THRESHOLD)["class"]
    report = ArtworksReport()
    status = pd.Series("image", index=table.index, dtype=object)
    out.mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    for ident, row in targets.iterrows():
        if row.isna().any():
            report.no_target.append(str(ident))
            status[ident] = "no target"
            continue
        target = out / f"{ident}.jpg"
        if place_image(
            images,
            str(ident),
            target,
            (size, policy),
            resized_alike,
            report,
        ):
            wanted.add(target)
        else:
            unreadable = str(ident) in report.invalid
            status[ident] = "unreadable" if unreadable else "no image"
    for stale in out.glob("*.jpg"):  # an artwork gone, or gone bad
        if stale not in wanted:
            stale.unlink()
    report.usable = len(wanted)
    frame = pd.concat(
        [table[["Artist"]], targets, classes.rename("class")], axis=1
    )
    frame["status"] = status
    frame.index.name = "ID"
    write_atomic(out / TABLE_FILE, frame.to_csv())
    write_settings(
        out,
        data_root,
        {
            "scope": scope,
            "size": size,
            "policy": policy,
            "usable": report.usable,
            "no_target": report.no_target,
            "missing": report.missing,
            "invalid": report.invalid,
            **coordinates_record(coordinates),
        },
    )
    return report


def artwork_folder(
    session: Session, scope: str = "art", size: int = IMAGE_SIZE
) -> Path:
    """The folder of every artwork's image for this run's data (built
    once, then reused), next to the class folders."""
    return prepared(
        session,
        f"{scope}-all-s{size}",
        lambda root, out: prepare_artworks(
            root, out, scope=scope, size=size
        ),
    )


def read_artworks(folder: str | Path) -> pd.DataFrame:
    """The table of every artwork (index: ID), checked: it names the file
    and what is wrong with it."""
    path = Path(folder) / TABLE_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: not found; build it with "
            "course_utils.datasets.artworks.prepare_artworks"
        )
    table = pd.read_csv(path, index_col="ID", dtype={"ID": str})
    absent = [c for c in COLUMNS if c not in table.columns]
    if absent:
        raise ValueError(
            f"{path}: no column(s) {absent}; it has {list(table.columns)}"
        )
    unknown = sorted(set(table["status"].astype(str)) - set(STATUSES))
    if unknown:
        raise ValueError(
            f"{path}: column 'status' holds {unknown}; "
            f"expected one of {list(STATUSES)}"
        )
    used = table[table["status"] == "image"]
    no_artist = used.index[~used["Artist"].map(_named)].tolist()
    if no_artist:
        raise ValueError(
            f"{path}: column 'Artist' is empty for {len(no_artist)} "
            f"artwork(s) with an image, e.g. {no_artist[:3]}; the split "
            "cannot group them"
        )
    bad = used.index[~np.isfinite(used[list(TARGETS)]).all(axis=1)]
    if len(bad):
        raise ValueError(
            f"{path}: columns {list(TARGETS)} are not finite numbers for "
            f"{len(bad)} artwork(s), e.g. {bad[:3].tolist()}"
        )
    return table


def _named(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


@dataclass(kw_only=True)
class ArtworkSplit(GroupedSplit):
    """A :class:`GroupedSplit` of every artwork with an image: the targets
    are (valence, arousal) floats and ``class_names`` names the two
    targets. ``left_out`` counts the artworks without a usable image or
    target; ``classed`` counts those in each part that have a class."""

    left_out: dict[str, int] = field(default_factory=dict)
    classed: dict[str, int] = field(default_factory=dict)

    def sizes(self) -> str:
        return (
            f"{len(self.y_train)} training, {len(self.y_val)} validation "
            f"and {len(self.y_test)} test artworks (grouped by artist), "
            f"targets {', '.join(self.class_names)}"
        )


def artist_parts(
    groups: np.ndarray,
    strata: np.ndarray,
    seed: int = SEED,
    fractions: tuple[float, float, float] = GROUPED_FRACTIONS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training, validation and test indices: the artists cut into
    stratified folds (:func:`~course_utils.datasets.pipeline.artist_folds`,
    shuffled by ``seed``); the first folds are the test part, the next the
    validation part, the rest training. No artist is in two parts."""
    n_folds, k_val, k_test = fold_plan(fractions)
    if np.unique(strata, return_counts=True)[1].max() < n_folds:
        # few artworks (dead links): no quadrant fills every fold, so the
        # folds group by artist without stratifying
        strata = np.zeros(len(groups), dtype=int)
    folds = artist_folds(strata, groups, n_folds, seed)
    test = np.concatenate(folds[:k_test])
    val = np.concatenate(folds[k_test : k_test + k_val])
    train = np.concatenate(folds[k_test + k_val :])
    return np.sort(train), np.sort(val), np.sort(test)


def _extend(
    within: GroupedSplit,
    artist_of: pd.Series,
    groups: np.ndarray,
    strata: np.ndarray,
    seed: int,
    fractions: tuple[float, float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of :func:`load_artwork_split` when ``within`` fixes the
    part of each of its artists."""
    fixed: dict[str, int] = {}
    for n, ids in enumerate(
        (within.train_ids, within.val_ids, within.test_ids)
    ):
        for ident in ids:
            artist = str(artist_of.get(ident))
            if fixed.setdefault(artist, n) != n:
                raise ValueError(
                    f"artist {artist!r} is in two parts of the split to "
                    "extend: it is not grouped by artist"
                )
    part = np.array([fixed.get(g, -1) for g in groups])
    rest = np.flatnonzero(part < 0)
    n_rest = len(set(groups[rest].tolist()))
    if n_rest >= max(3, round(1 / min(fractions[1:]))):
        for n, index in enumerate(
            artist_parts(groups[rest], strata[rest], seed, fractions)
        ):
            part[rest[index]] = n
    else:  # too few artists of their own to cut into folds
        part[rest] = 0
    return tuple(np.flatnonzero(part == n) for n in range(3))


def load_artwork_split(
    folder: str | Path,
    seed: int = SEED,
    fractions: tuple[float, float, float] = GROUPED_FRACTIONS,
    image_size: int = IMAGE_SIZE,
    within: GroupedSplit | None = None,
) -> ArtworkSplit:
    """Every artwork with a usable image in ``folder``
    (:func:`artwork_folder`), split three ways by artist, with its
    (valence, arousal) target, as in-memory arrays.

    ``within``: the class folders' grouped split
    (:func:`~course_utils.datasets.pipeline.load_grouped_split`) to
    extend: each of its artists keeps its part, so its test artworks are
    test artworks here too and a classifier trained on it can be scored
    on the same images; only the other artists are split here (all to
    training when they are too few to cut into folds)."""
    folder = Path(folder)
    table = read_artworks(folder)
    used = table[table["status"] == "image"]
    absent = [i for i in used.index if not (folder / f"{i}.jpg").is_file()]
    if absent:
        raise FileNotFoundError(
            f"{folder}: {len(absent)} image(s) listed in {TABLE_FILE} are "
            f"missing, e.g. {absent[:3]}; build the folder again"
        )
    ids = [str(i) for i in used.index]
    y = used[list(TARGETS)].to_numpy(dtype=np.float32)
    strata = quadrant_of_point(y[:, 0], y[:, 1])
    groups = used["Artist"].astype(str).to_numpy()
    parts = (
        artist_parts(groups, strata, seed, fractions)
        if within is None
        else _extend(
            within, table["Artist"], groups, strata, seed, fractions
        )
    )
    paths = [str(folder / f"{i}.jpg") for i in ids]
    has_class = used["class"].notna().to_numpy()

    def take(index):
        return (
            load_images([paths[i] for i in index], image_size, folder),
            y[index],
            [ids[i] for i in index],
        )

    (x_tr, y_tr, id_tr), (x_va, y_va, id_va), (x_te, y_te, id_te) = (
        take(p) for p in parts
    )
    left_out = table["status"].value_counts()
    return ArtworkSplit(
        x_train=x_tr,
        y_train=y_tr,
        x_val=x_va,
        y_val=y_va,
        train_ids=id_tr,
        val_ids=id_va,
        class_names=list(TARGETS),
        seed=seed,
        origin=folder.name,
        x_test=x_te,
        y_test=y_te,
        test_ids=id_te,
        by_artist=True,
        left_out={
            s: int(left_out.get(s, 0)) for s in STATUSES if s != "image"
        },
        classed={
            part: int(has_class[index].sum())
            for part, index in zip(
                ("training", "validation", "test"), parts
            )
        },
    )


def artwork_splits(session: Session) -> tuple[GroupedSplit, ArtworkSplit]:
    """The class folders' grouped split and the artwork split that extends
    it, for this session's data and seed: chapters 13 and 15 both call
    this, so they meet the same split and share chapter 13's saved run."""
    grouped = load_grouped_split(class_folders(session), seed=session.seed)
    artworks = load_artwork_split(
        artwork_folder(session), seed=session.seed, within=grouped
    )
    return grouped, artworks
