"""From emotion shares to Reisenzein quadrants and the study's 7 classes, as the study defined them.

The study mapping and the emotions' valence–arousal coordinates are data (``data/emotions.csv``), not code.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Mapping

import numpy as np
import pandas as pd

from course_utils.config.study import THRESHOLD
from course_utils.data.annotations import shares
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


@lru_cache(maxsize=1)
def emotion_table() -> pd.DataFrame:
    """The 20 emotions with the study's quadrant, our valence–arousal placement and notes (one row each)."""
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
    outside = table.index[
        (table[["valence", "arousal"]].abs() > 1).any(axis=1)
    ]
    if len(outside):
        raise ValueError(
            f"{path}: coordinates of {outside[0]!r} lie outside the plane's -1…1 square"
        )
    return table


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


def va_targets(shares: pd.DataFrame) -> pd.DataFrame:
    """Per-artwork valence and arousal: the share-weighted mean of the
    emotions' coordinates (NaN if no shares)."""
    coords = (
        emotion_table()
        .loc[list(EMOTIONS), ["valence", "arousal"]]
        .to_numpy()
    )
    weights = shares[list(EMOTIONS)].to_numpy(dtype=float)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        va = np.where(total > 0, weights @ coords / total, np.nan)
    return pd.DataFrame(
        va, index=shares.index, columns=["valence", "arousal"]
    )


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
