"""Whose emotion? Annotator agreement, soft targets from shares, calibration, and metrics per group (chapter 17).

The study turns each artwork's annotator shares into one hard class at a 40 % threshold. This module keeps
more of the shares: how much annotators agree (entropy, threshold flips, scopes), a *soft* 7-class target that
says how stable the class is when the threshold moves (:func:`threshold_soft_targets`), how well a model's
confidence matches its accuracy (expected calibration error, the tables behind reliability diagrams), and how a
model does per group of artworks (style, category, depicted face or body). It returns data;
:mod:`course_utils.plots.subjectivity_plots` draws.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from course_utils.analysis.metrics import scores
from course_utils.config.study import THRESHOLD
from course_utils.data.annotations import shares, split_values
from course_utils.data.schema import EMOTIONS
from course_utils.datasets.pipeline import (
    Split,
    artist_map,
    class_files,
    class_indices,
    file_ids,
    load_images,
)
from course_utils.labels import CLASS_NAMES, MERGED, label_table, presence

#: Thresholds whose classes a soft target averages: the study's 0.4 and two steps of 0.05 either side.
SOFT_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5)


#: Thresholds for the class-flip table: the study's 0.4 and one step either side.
FLIP_THRESHOLDS = (0.35, 0.4, 0.45)


SHARE_EPS = 1e-9  # shares are rounded to 3 decimals; binning and thresholds must not split hairs


def share_values(labels: pd.DataFrame) -> pd.DataFrame:
    """The 20 emotion shares of a ``labels.csv`` table (its ``share <emotion>`` columns) under bare emotion names."""
    columns = [f"share {e}" for e in EMOTIONS]
    missing = [c for c in columns if c not in labels.columns]
    if missing:
        raise ValueError(
            f"labels table lacks column(s) {', '.join(missing)}; read it with prepare.read_labels"
        )
    return labels[columns].set_axis(list(EMOTIONS), axis=1).astype(float)


def emotion_entropy(values: pd.DataFrame) -> pd.Series:
    """Entropy (bits) of each artwork's shares normalised to sum to one: 0 = one emotion, log2(20) = all equal."""
    shares = values[list(EMOTIONS)].to_numpy(dtype=float)
    total = shares.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(total > 0, shares / total, np.nan)
        bits = 0.0 - np.nansum(np.where(p > 0, p * np.log2(p), 0.0), axis=1)
    bits[total[:, 0] <= 0] = np.nan
    return pd.Series(bits, index=values.index, name="entropy (bits)")


def near_threshold(
    values: pd.DataFrame, threshold: float = THRESHOLD, margin: float = 0.05
) -> pd.Series:
    """Whether some emotion's share lies in [threshold − margin, threshold + margin): moving it that far flips it."""
    shares = values[list(EMOTIONS)].to_numpy(dtype=float)
    inside = (shares >= threshold - margin - SHARE_EPS) & (
        shares < threshold + margin - SHARE_EPS
    )
    return pd.Series(
        inside.any(axis=1), index=values.index, name="near threshold"
    )


def classes_at(
    values: pd.DataFrame,
    thresholds: Sequence[float] = FLIP_THRESHOLDS,
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The 7-class label of every artwork at each threshold (one column per threshold; NA = no quadrant)."""
    return pd.DataFrame(
        {t: label_table(values, t, mapping)["class"] for t in thresholds},
        index=values.index,
    )


def class_flips(
    values: pd.DataFrame,
    thresholds: Sequence[float] = FLIP_THRESHOLDS,
    reference: float = THRESHOLD,
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Per threshold, how many artworks keep, change, gain or lose their class compared with ``reference``."""
    if reference not in thresholds:
        raise ValueError(
            f"reference threshold {reference} is not among the thresholds {list(thresholds)}"
        )
    classes = classes_at(values, thresholds, mapping)
    ref = classes[reference]
    rows = {}
    for t in thresholds:
        other = classes[t]
        both = ref.notna() & other.notna()
        rows[t] = {
            "labelled": int(other.notna().sum()),
            "same class": int((both & (ref == other)).sum()),
            "other class": int((both & (ref != other)).sum()),
            "newly labelled": int((ref.isna() & other.notna()).sum()),
            "no longer labelled": int((ref.notna() & other.isna()).sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "threshold"
    return table


def scope_agreement(
    table: pd.DataFrame,
    other: str = "image",
    reference: str = "art",
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """Per emotion, how two annotation scopes of the same artworks agree: share correlation and presence kappa.

    ``table`` is an All file as :func:`course_utils.data.annotations.read_table` returns it. Kappa (Cohen's, from
    scikit-learn) compares presence at ``threshold``; it is NaN where an emotion is never or always present in
    both scopes (agreement beyond chance is undefined there).
    """
    from sklearn.metrics import (
        cohen_kappa_score,  # deferred: scikit-learn is slow to import
    )

    a, b = shares(table, reference), shares(table, other)
    pa, pb = presence(a, threshold), presence(b, threshold)
    rows = {}
    for emotion in EMOTIONS:
        x, y = pa[emotion].to_numpy(), pb[emotion].to_numpy()
        constant = len(set(x) | set(y)) < 2
        rows[emotion] = {
            "correlation": float(np.corrcoef(a[emotion], b[emotion])[0, 1])
            if a[emotion].std() > 0 and b[emotion].std() > 0
            else float("nan"),
            "kappa": float("nan")
            if constant
            else float(cohen_kappa_score(x, y)),
            f"present ({reference})": int(x.sum()),
            f"present ({other})": int(y.sum()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "emotion"
    return frame


def threshold_soft_targets(
    values: pd.DataFrame,
    thresholds: Sequence[float] = SOFT_THRESHOLDS,
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A soft 7-class target per artwork: the share of ``thresholds`` at
    which it gets each class.

    Design: the hard label applies one threshold (0.4) to the annotator
    shares. Here the same rule runs at every threshold of the grid (default
    0.30, 0.35, 0.40, 0.45, 0.50), and the target puts equal weight on the
    class each labelled threshold gives. Thresholds at which the artwork has
    no quadrant are left out (the weights are renormalised), so every row
    sums to one; a row is NaN only when no threshold labels it. An artwork
    far from every threshold keeps its one-hot label; one whose shares sit
    near 0.4 gets its mass split.

    Example: anger 0.40 and happiness 0.333 (all else 0) give Aggressive +
    Euphoric at 0.30, Aggressive at 0.35 and 0.40, and nothing at 0.45 and
    0.50, so the target is Aggressive 2/3, Aggressive + Euphoric 1/3."""
    if not thresholds:
        raise ValueError(
            "thresholds is empty; pass at least one, e.g. (0.4,)"
        )
    classes = classes_at(values, thresholds, mapping)
    counts = pd.DataFrame(
        0.0, index=values.index, columns=list(CLASS_NAMES)
    )
    for t in thresholds:
        onehot = pd.get_dummies(classes[t]).reindex(
            columns=list(CLASS_NAMES), fill_value=False
        )
        counts += onehot.reindex(values.index, fill_value=False).astype(
            float
        )
    total = counts.sum(axis=1)
    return counts.div(total.where(total > 0), axis=0)


def soft_split(split: Split, targets: pd.DataFrame) -> Split:
    """The same split (same images, same IDs) with soft targets as ``y``: float32 arrays of shape (n, classes).

    Target columns of classes the split leaves out (the class of 11 artworks in an artist-grouped split) are
    dropped and each row renormalised over the split's classes; the test part, if any, keeps its hard labels.
    """
    missing = [c for c in split.class_names if c not in targets.columns]
    if missing:
        raise ValueError(
            f"target columns {list(targets.columns)} lack the split's classes {missing}"
        )
    targets = targets[list(split.class_names)]
    targets = targets.div(targets.sum(axis=1), axis=0)
    ids = list(split.train_ids) + list(split.val_ids)
    absent = [i for i in ids if i not in targets.index]
    if absent:
        raise ValueError(
            f"no soft target for artwork {absent[0]} (and {len(absent) - 1} more)"
        )
    empty = [i for i in ids if targets.loc[i].isna().any()]
    if empty:
        raise ValueError(
            f"artwork {empty[0]} has no class at any threshold, so no soft target"
        )
    as_array = lambda which: targets.loc[which].to_numpy(dtype=np.float32)  # noqa: E731
    return dataclasses.replace(
        split,
        y_train=as_array(split.train_ids),
        y_val=as_array(split.val_ids),
    )


def soft_loss():
    """Cross-entropy from logits to a target distribution (KL divergence
    plus a constant: the same gradients)."""
    import keras  # deferred: Keras loads TensorFlow (seconds)

    return keras.losses.CategoricalCrossentropy(from_logits=True)


def soft_metrics() -> list:
    """Accuracy against the soft target's most likely class (Keras's ``accuracy`` expects integer labels)."""
    import keras  # deferred: Keras loads TensorFlow (seconds)

    return [keras.metrics.CategoricalAccuracy(name="accuracy")]


def is_soft(targets: pd.DataFrame) -> pd.Series:
    """Whether a target spreads over more than one class (True) or is still one-hot."""
    return targets.max(axis=1) < 1 - SHARE_EPS


def softmax(logits) -> np.ndarray:
    """Class probabilities from logits (row-wise, numerically stable)."""
    z = np.asarray(logits, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def confidence_bins(
    probs, y_true, bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each image's confidence (the probability of its predicted class),
    whether it is right (0/1), and its equal-width bin ([low, high), the
    last one closed): what calibration is measured from."""
    probs, y_true = np.asarray(probs, dtype=float), np.asarray(y_true)
    if probs.ndim != 2 or len(probs) != len(y_true):
        raise ValueError(
            "probs must be (n, classes) with n = len(y_true) = "
            f"{len(y_true)}; got {probs.shape}"
        )
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(float)
    index = np.clip(
        np.floor(confidence * bins + SHARE_EPS).astype(int), 0, bins - 1
    )
    return confidence, correct, index


def reliability_table(probs, y_true, bins: int = 10) -> pd.DataFrame:
    """Reliability-diagram data: per equal-width confidence bin, its count,
    mean confidence and accuracy.

    Confidence is the probability of the predicted (most likely) class; a
    bin is [low, high), the last one closed. Accuracy and confidence are NaN
    in empty bins."""
    confidence, correct, index = confidence_bins(probs, y_true, bins)
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        rows.append(
            {
                "low": edges[b],
                "high": edges[b + 1],
                "n": n,
                "confidence": confidence[inside].mean() if n else np.nan,
                "accuracy": correct[inside].mean() if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


def expected_calibration_error(probs, y_true, bins: int = 10) -> float:
    """ECE: the count-weighted mean gap |accuracy − confidence| over
    equal-width confidence bins (0 = calibrated); the bins of
    :func:`reliability_table`, in numpy (a bootstrap calls it often)."""
    if not len(y_true):
        raise ValueError("an ECE needs at least one image; got none")
    confidence, correct, index = confidence_bins(probs, y_true, bins)
    # per bin, n_b · |acc_b − conf_b| = |Σ correct − Σ confidence|
    gaps = np.abs(
        np.bincount(index, correct, minlength=bins)
        - np.bincount(index, confidence, minlength=bins)
    )
    return float(gaps.sum() / len(y_true))


def ece_of(table: pd.DataFrame) -> float:
    """The ECE of a :func:`reliability_table` (its non-empty bins' gaps, weighted by count)."""
    used = table[table["n"] > 0]
    gaps = (used["accuracy"] - used["confidence"]).abs()
    return float((used["n"] * gaps).sum() / used["n"].sum())


def _scores(y_true, y_pred) -> dict[str, float]:
    """The course's honest scores (accuracy, macro-F1 …) from :func:`course_utils.analysis.metrics.scores`."""

    with warnings.catch_warnings():  # a group with a single class is fine here (its balanced accuracy is unused)
        warnings.filterwarnings(
            "ignore", message="A single label was found"
        )
        return scores(y_true, y_pred, CLASS_NAMES)


def calibration_summary(
    probabilities: Mapping[str, np.ndarray], y_true, bins: int = 10
) -> pd.DataFrame:
    """Accuracy, macro-F1, ECE, mean confidence and log loss of several models on the same labels."""
    from sklearn.metrics import (
        log_loss,  # deferred: scikit-learn is slow to import
    )

    rows = {}
    for name, probs in probabilities.items():
        probs = np.asarray(probs, dtype=float)
        pred = probs.argmax(axis=1)
        honest = _scores(y_true, pred)
        rows[name] = {
            "accuracy": honest["accuracy"],
            "macro-F1": honest["macro-F1"],
            "ECE": expected_calibration_error(probs, y_true, bins),
            "mean confidence": float(probs.max(axis=1).mean()),
            "log loss": float(
                log_loss(y_true, probs, labels=list(range(probs.shape[1])))
            ),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "model"
    return frame


def test_probabilities(run, split: Split) -> np.ndarray:
    """A run's test probabilities, after checking the run was made on this
    split's test images (a split with a test part: ``GroupedSplit``)."""
    if list(run.test_ids) != list(getattr(split, "test_ids", [])):
        raise ValueError(
            f"run {run.info.get('tag', run.name)!r} was scored on other "
            f"test images ({len(run.test_ids)} vs "
            f"{len(getattr(split, 'test_ids', []))}); retrain it on this "
            "split"
        )
    return softmax(run.test_logits)


def split_like(split, folder) -> Split:
    """Another label scope's class folders (``folder``, e.g.
    ``class_folders(session, scope="image")``) cut along ``split``'s
    artists: an artwork goes to the part that holds its artist in
    ``split`` (an artist-grouped split), so the two splits have the same
    artists in each part and their test parts share every artwork
    labelled in both scopes. Only ``split``'s classes are kept (the
    others counted in ``dropped``); an artwork whose artist ``split``
    does not hold is left out.
    """
    if not getattr(split, "by_artist", False):
        raise ValueError(
            "split_like needs an artist-grouped split with a test part "
            "(pipeline.load_grouped_split)"
        )
    folder = Path(folder)
    artists = artist_map(folder)
    part_of = {}
    for part in ("train", "val", "test"):
        for i in getattr(split, f"{part}_ids"):
            part_of[artists.get(str(i))] = part
    part_of.pop(None, None)
    files, _ = class_files(folder, split.class_names)
    parts = {"train": [], "val": [], "test": []}
    for f in files:
        part = part_of.get(artists.get(Path(f).stem))
        if part is not None:
            parts[part].append(f)
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    dropped = {
        name: len(class_files(folder, [name])[0])
        for name in found
        if name not in split.class_names
    }
    size = split.x_train.shape[1]
    arrays = {}
    for part, fs in parts.items():
        arrays |= {
            f"x_{part}": load_images(fs, size, folder),
            f"y_{part}": class_indices(fs, split.class_names),
            f"{part}_ids": file_ids(fs),
        }
    return dataclasses.replace(
        split,
        **arrays,
        origin=folder.name,
        dropped=dropped,
    )


def part_probabilities(run, split: Split, part: str = "val") -> np.ndarray:
    """A run's probabilities on one part of a split (``val`` or ``test``), after checking the run was made on
    that part's images."""
    if part not in ("val", "test"):
        raise ValueError(f"part must be 'val' or 'test', got {part!r}")
    ids, logits = (
        getattr(run, f"{part}_ids", None),
        getattr(run, f"{part}_logits", None),
    )
    wanted = getattr(split, f"{part}_ids", None)
    if ids is None or logits is None or wanted is None:
        raise ValueError(
            f"run {run.info.get('tag', run.name)!r} or its split has no {part!r} part"
        )
    if list(ids) != list(wanted):
        raise ValueError(
            f"run {run.info.get('tag', run.name)!r} was trained on another split "
            f"({len(ids)} {part} images vs {len(wanted)}); retrain it with a new tag"
        )
    return softmax(logits)


def validation_probabilities(run, split: Split) -> np.ndarray:
    """A run's validation probabilities, after checking the run was made on this split's validation images."""
    return part_probabilities(run, split, "val")


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """A 95 % interval for a proportion k/n (Wilson's score interval: sensible even for tiny n or k = 0)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    if not 0 <= k <= n:
        raise ValueError(f"k must lie in 0…n, got k={k}, n={n}")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = (
        z
        / (1 + z * z / n)
        * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    )
    return (max(0.0, centre - half), min(1.0, centre + half))


def group_metrics(y_true, y_pred, groups) -> pd.DataFrame:
    """Per group: count, accuracy with a 95 % interval, macro-F1 and the majority class's share (the baseline).

    A group's accuracy means little without its count and its class mix: a group where one class dominates
    is easy for a model that predicts that class.
    """
    frame = pd.DataFrame(
        {
            "true": np.asarray(y_true),
            "pred": np.asarray(y_pred),
            "group": np.asarray(groups),
        }
    )
    rows = {}
    for group, part in frame.groupby("group", sort=True):
        n, k = len(part), int((part["true"] == part["pred"]).sum())
        low, high = wilson_interval(k, n)
        rows[group] = {
            "n": n,
            "accuracy": k / n,
            "accuracy low": low,
            "accuracy high": high,
            "macro-F1": _scores(part["true"], part["pred"])["macro-F1"],
            "majority share": float(
                part["true"].value_counts(normalize=True).iloc[0]
            ),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "group"
    return table


def style_group(style: str) -> str:
    """The style an artwork is grouped under: its ``Style``, or the first of two listed ones.

    The archive joins two styles by a comma (``Contemporary Art,Modern Art``: 8 of its 4,105 artworks). Groups
    of their own would hold a handful of artworks each, too few to measure an accuracy, so such an artwork
    counts under its first listed style, as an artwork with two categories counts under its first one.
    """
    return split_values(style)[0]


def bias_groups(labels: pd.DataFrame) -> pd.DataFrame:
    """The groupings the chapter compares: style (:func:`style_group`), first listed category, and whether a
    face or body is depicted."""
    return pd.DataFrame(
        {
            "Style": labels["Style"].map(style_group, na_action="ignore"),
            "Category": labels["Category"]
            .astype(str)
            .str.split(",")
            .str[0]
            .str.strip(),
            "Face or body": labels["Face/body"].map(
                {
                    "face": "face or body",
                    "body": "face or body",
                    "none": "none",
                }
            ),
        },
        index=labels.index,
    )


def class_mix(classes: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Each group's labelled artworks and their class shares (rows sum to one): how the *labels* differ by group."""
    frame = pd.DataFrame({"class": classes, "group": groups}).dropna()
    mix = pd.crosstab(frame["group"], frame["class"], normalize="index")
    mix = mix.reindex(columns=[c for c in CLASS_NAMES if c in mix.columns])
    mix.insert(0, "artworks", frame.groupby("group").size())
    mix.index.name = "group"
    return mix


def ranking_exposure(scores, groups, k: int) -> pd.DataFrame:
    """Each group's share among the ``k`` highest-scored items next to its share of all items (a ranking's skew)."""
    scores, groups = (
        np.asarray(scores, dtype=float),
        pd.Series(np.asarray(groups)),
    )
    if not 0 < k <= len(scores):
        raise ValueError(f"k must lie in 1…{len(scores)}, got {k}")
    top = groups.iloc[np.argsort(-scores, kind="stable")[:k]]
    table = pd.DataFrame(
        {
            "share of all": groups.value_counts(normalize=True),
            f"share of top {k}": top.value_counts(normalize=True),
        }
    ).fillna(0.0)
    table.index.name = "group"
    return table.sort_values("share of all", ascending=False)


def merged_count(labels: pd.DataFrame) -> pd.Series:
    """How many of the three merged quadrants an artwork has at the prepared threshold (0 = unlabelled)."""
    return (
        labels[[f"merged {q}" for q in MERGED]]
        .astype(bool)
        .sum(axis=1)
        .rename("merged quadrants")
    )
