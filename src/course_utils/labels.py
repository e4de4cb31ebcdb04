"""From emotion shares to Reisenzein quadrants and the study's 7 classes, as the study defined them, and to
valence–arousal targets.

The study mapping and the emotions' committed valence–arousal coordinates are data (``data/emotions.csv``), not
code. Those coordinates are the course's own placements, the offline fallback: where a data folder holds the NRC
VAD lexicon (``data/lexicon.py``), :func:`emotion_coordinates` reads the published ratings instead. Coordinates
serve the valence–arousal targets and the figures only; an emotion's quadrant is always the study's.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from course_utils.config.study import THRESHOLD
from course_utils.data.annotations import shares
from course_utils.data.lexicon import (
    CITATION,
    lexicon_path,
    lexicon_points,
    read_lexicon,
)
from course_utils.data.schema import EMOTIONS

QUADRANTS = ("Aggressive", "Euphoric", "Melancholy", "Calm")


#: Quadrants after Melancholy is merged into Calm, in the order class names list them.
MERGED = ("Aggressive", "Euphoric", "Calm")


#: The 7 class (folder) names, in class-index order (alphabetical, as a directory loader assigns them).
CLASS_NAMES = (
    "Aggressive",
    "Aggressive + Calm",
    "Aggressive + Euphoric",
    "Aggressive + Euphoric + Calm",
    "Calm",
    "Euphoric",
    "Euphoric + Calm",
)


#: Tolerance for "share ≥ threshold": shares are rounded to 3 decimals, so 0.4 must count at 0.4.
_EPS = 1e-9


#: The ``source`` of a committed coordinate: the course's own placement, not a measured value.
COURSE_PLACEMENT = "course placement"

#: The columns of ``data/emotions.csv`` that must be filled in every row.
_FILLED = ("quadrant", "source", "lexicon_word")


@lru_cache(maxsize=1)
def emotion_table() -> pd.DataFrame:
    """The 20 emotions with the study's quadrant, the committed valence–arousal coordinates and their ``source``,
    the NRC VAD lexicon's word for each (``lexicon_word``) and notes (one row each)."""
    path = resources.files("course_utils") / "data" / "emotions.csv"
    with path.open() as f:
        table = pd.read_csv(f, keep_default_na=False).set_index("emotion")
    table[["valence", "arousal"]] = table[["valence", "arousal"]].astype(
        float
    )
    validate_mapping(table["quadrant"].to_dict())
    lacking = [e for e in EMOTIONS if e not in table.index]
    if lacking or len(table) != len(EMOTIONS):
        raise ValueError(
            f"{path}: needs one row for each of the 20 emotions; lacking: {', '.join(lacking) or '-'}"
        )
    for column in _FILLED:
        empty = table.index[table[column].astype(str).str.strip() == ""]
        if len(empty):
            raise ValueError(
                f"{path}: column {column!r} is empty for {empty[0]!r}"
            )
    outside = table.index[
        (table[["valence", "arousal"]].abs() > 1).any(axis=1)
    ]
    if len(outside):
        raise ValueError(
            f"{path}: coordinates of {outside[0]!r} lie outside the plane's -1…1 square"
        )
    return table


@dataclass(frozen=True)
class Coordinates:
    """The valence–arousal coordinates a run uses, and where they come from.

    ``table``: one row per emotion with the study's ``quadrant``, ``valence``, ``arousal`` and the ``source`` of
    that row's coordinates; ``origin``: the lexicon's name, or the course's placements; ``note``: why these
    (e.g. why the lexicon is not used)."""

    table: pd.DataFrame
    origin: str
    note: str

    @property
    def from_lexicon(self) -> bool:
        """Whether these are the NRC VAD lexicon's published ratings."""
        return self.origin == CITATION

    def points(self) -> pd.DataFrame:
        """The valence and arousal columns, one row per emotion."""
        return self.table[["valence", "arousal"]]

    def stamp(self) -> str:
        """A short hash of the coordinates: targets made with other coordinates are out of date."""
        text = self.points().round(6).to_csv() + self.origin
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        """One line saying which coordinates a number rests on (print it wherever they are used)."""
        if self.from_lexicon:
            words = emotion_table()["lexicon_word"]
            other = [f"{e} as {w!r}" for e, w in words.items() if e != w]
            return (
                f"valence-arousal coordinates: {self.origin}, its 0…1 "
                f"scores mapped to -1…1 (2 × score - 1); "
                f"{', '.join(other)}; {self.note}"
            )
        return (
            f"valence-arousal coordinates: {self.origin} (the offline "
            f"fallback; not measured values): {self.note}"
        )


def committed_coordinates(note: str) -> Coordinates:
    """The course's own placements from ``data/emotions.csv``, with ``note`` saying why they are used."""
    table = emotion_table()[["quadrant", "valence", "arousal", "source"]]
    return Coordinates(table.copy(), "the course's own placements", note)


def emotion_coordinates(
    root: str | os.PathLike | None = None, why_not: str = ""
) -> Coordinates:
    """The coordinates for the data folder ``root``: the NRC VAD lexicon's valence and arousal of each emotion's
    ``lexicon_word`` where the folder holds the lexicon, else the committed course placements (``why_not``, or
    that the folder holds no lexicon, saying why). A lexicon that lacks a word or has a malformed line is an
    error naming it."""
    if root is None or not lexicon_path(root).is_file():
        where = (
            f"no {lexicon_path('').name} in the data folder"
            if root is not None
            else "no data folder given"
        )
        return committed_coordinates(why_not or where)
    path = lexicon_path(root)
    words = emotion_table()["lexicon_word"].to_dict()
    points = lexicon_points(read_lexicon(path), words, path.name)
    table = emotion_table()[["quadrant"]].join(points)
    table["source"] = [f"NRC VAD v1: {words[e]!r}" for e in table.index]
    return Coordinates(
        table, CITATION, f"read from {Path(path).parent.name}/{path.name}"
    )


def plane_disagreements(table: pd.DataFrame) -> list[str]:
    """The emotions whose coordinates lie in another quadrant of the plane than the study's grouping puts them
    (the plane counts 0 as pleasant and as aroused)."""
    plane = quadrant_of_point(
        table["valence"].to_numpy(), table["arousal"].to_numpy()
    )
    return list(table.index[plane != table["quadrant"].to_numpy()])


def study_mapping() -> dict[str, str]:
    """The study's emotion → quadrant grouping (Reisenzein's quadrants as the study used them), the course's default mapping."""
    return emotion_table()["quadrant"].to_dict()


def validate_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """Check a mapping names only the 20 emotions and the four quadrants; say which entry is wrong."""
    unknown = sorted(set(mapping) - set(EMOTIONS))
    if unknown:
        raise ValueError(
            f"unknown emotion(s) in mapping: {', '.join(unknown)}; the 20 are: {', '.join(EMOTIONS)}"
        )
    bad = {e: q for e, q in mapping.items() if q not in QUADRANTS}
    if bad:
        raise ValueError(
            f"quadrant(s) outside {', '.join(QUADRANTS)}: {bad}"
        )
    return dict(mapping)


def presence(
    values: pd.DataFrame, threshold: float | None = None
) -> pd.DataFrame:
    """Which emotions are present per artwork: share ≥ threshold (All file)
    or the AgN file's 1s (threshold None).

    ``neutral`` counts only when no other emotion is present, as in the
    dataset's AgN files."""
    missing = [e for e in EMOTIONS if e not in values.columns]
    if missing:
        raise ValueError(f"emotion column(s) missing: {', '.join(missing)}")
    values = values[list(EMOTIONS)]
    if threshold is None:
        not_binary = values.columns[~values.isin([0, 1]).all()]
        if len(not_binary):
            raise ValueError(
                f"column {not_binary[0]!r} holds values other than 0 and "
                "1: an All file "
                f"needs a threshold"
            )
        present = values.astype(float) >= 0.5
    else:
        if not 0 < threshold <= 1:
            raise ValueError(
                f"threshold must be in (0, 1], got {threshold}"
            )
        present = values.astype(float) >= threshold - _EPS
    others = present.drop(columns="neutral").any(axis=1)
    present["neutral"] = present["neutral"] & ~others
    return present


def quadrant_flags(
    present: pd.DataFrame, mapping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One boolean column per quadrant: does any present emotion fall in it?"""
    mapping = validate_mapping(
        mapping if mapping is not None else study_mapping()
    )
    flags = pd.DataFrame(
        False, index=present.index, columns=list(QUADRANTS)
    )
    for emotion, quadrant in mapping.items():
        flags[quadrant] |= present[emotion]
    return flags


def merge_melancholy(flags: pd.DataFrame) -> pd.DataFrame:
    """Fold Melancholy into Calm (the study's step to keep the number of
    classes small)."""
    merged = flags[["Aggressive", "Euphoric"]].copy()
    merged["Calm"] = flags["Calm"] | flags["Melancholy"]
    return merged[list(MERGED)]


def class_names_of(merged: pd.DataFrame) -> pd.Series:
    """The 7-class name of each artwork from its merged flags; missing (NA) where it has no quadrant."""
    parts = [merged[q].map({True: q, False: ""}) for q in MERGED]
    joined = pd.concat(parts, axis=1).apply(
        lambda row: " + ".join(p for p in row if p), axis=1
    )
    return joined.replace("", pd.NA).rename("class")


def label_table(
    values: pd.DataFrame,
    threshold: float | None = THRESHOLD,
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Quadrant flags, merged flags and the class of every artwork (unlabelled ones kept, class NA)."""
    flags = quadrant_flags(presence(values, threshold), mapping)
    merged = merge_melancholy(flags).add_prefix("merged ")
    table = pd.concat([flags, merged], axis=1)
    table["class"] = class_names_of(merge_melancholy(flags))
    table["class index"] = (
        table["class"]
        .map({c: i for i, c in enumerate(CLASS_NAMES)})
        .astype("Int64")
    )
    return table


def class_counts(classes: pd.Series) -> tuple[dict[str, int], int]:
    """Counts of the 7 classes in SPEC order and the number of unlabelled artworks."""
    counts = {c: int((classes == c).sum()) for c in CLASS_NAMES}
    return counts, int(classes.isna().sum())


def va_targets(
    shares: pd.DataFrame, coordinates: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per-artwork valence and arousal from the emotion shares: the
    share-weighted sum of the emotions' coordinates, divided by the total
    share only where that total exceeds 1 (NaN where there are no shares).

    The origin is the point of no feeling: votes for none of the 20
    emotions leave the point there, so an artwork chosen as happy by 10 %
    of its annotators lands a tenth of the way to happiness and one chosen
    by 90 % nine tenths of the way (a mean would put both at happiness).
    Where annotators chose several emotions each, the shares add up to more
    than 1 and the sum is divided by that total, so the point stays inside
    the plane: it is then the share-weighted mean. ``coordinates``: one row
    per emotion with ``valence`` and ``arousal`` (e.g. the table of
    :func:`emotion_coordinates`); by default the committed placements."""
    table = emotion_table() if coordinates is None else coordinates
    missing = [e for e in EMOTIONS if e not in table.index]
    if missing:
        raise ValueError(f"coordinates missing for: {', '.join(missing)}")
    coords = table.loc[list(EMOTIONS), ["valence", "arousal"]].to_numpy(
        dtype=float
    )
    weights = shares[list(EMOTIONS)].to_numpy(dtype=float)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        va = np.where(
            total > 0, weights @ coords / np.maximum(total, 1.0), np.nan
        )
    return pd.DataFrame(
        va, index=shares.index, columns=["valence", "arousal"]
    )


def mean_va_targets(
    shares: pd.DataFrame, coordinates: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The share-weighted *mean* of the coordinates (the shares renormalised to sum to 1): the rule
    :func:`va_targets` replaced, kept to show what it did to weakly agreed artworks."""
    total = shares[list(EMOTIONS)].sum(axis=1)
    scaled = shares[list(EMOTIONS)].div(total.where(total > 0), axis=0)
    return va_targets(scaled.fillna(0.0), coordinates)


def quadrant_of_point(
    valence: np.ndarray, arousal: np.ndarray
) -> np.ndarray:
    """The quadrant a valence–arousal point lies in (the plane's own reading, without the study's grouping)."""
    valence, arousal = np.asarray(valence), np.asarray(arousal)
    return np.where(
        arousal >= 0,
        np.where(valence >= 0, "Euphoric", "Aggressive"),
        np.where(valence >= 0, "Calm", "Melancholy"),
    )


def shares_frame(rows: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Hand-made artworks for examples and exercises: {name: {emotion: share}}, every other emotion 0."""
    frame = pd.DataFrame(0.0, index=list(rows), columns=list(EMOTIONS))
    for name, row in rows.items():
        unknown = sorted(set(row) - set(EMOTIONS))
        if unknown:
            raise ValueError(
                f"artwork {name!r}: unknown emotion(s) {', '.join(unknown)}"
            )
        for emotion, value in row.items():
            frame.loc[name, emotion] = float(value)
    return frame


def grouping_table(
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The mapping as a table, one row per quadrant listing its emotions (as the study's report prints it)."""
    mapping = validate_mapping(
        mapping if mapping is not None else study_mapping()
    )
    rows = {
        q: ", ".join(sorted(e for e, mq in mapping.items() if mq == q))
        for q in QUADRANTS
    }
    return pd.DataFrame({"emotions": rows}).rename_axis("quadrant")


def cooccurrence(flags: pd.DataFrame) -> pd.DataFrame:
    """Artworks flagged in both quadrants of each pair (the diagonal: flagged in that quadrant at all)."""
    ints = flags.astype(int)
    return ints.T @ ints


def label_sweep(
    table: pd.DataFrame,
    scopes=("art", "image"),
    thresholds=(0.3, 0.4, 0.5),
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Quadrant flags and class counts for each scope and threshold: how the labels depend on those choices."""

    rows = []
    for scope in scopes:
        values = shares(table, scope)
        for threshold in thresholds:
            labels = label_table(values, threshold, mapping)
            counts, unlabelled = class_counts(labels["class"])
            rows.append(
                {
                    "scope": scope,
                    "threshold": threshold,
                    **{
                        f"flagged {q}": int(labels[q].sum())
                        for q in QUADRANTS
                    },
                    **counts,
                    "unlabelled": unlabelled,
                }
            )
    return pd.DataFrame(rows).set_index(["scope", "threshold"])
