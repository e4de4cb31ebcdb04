"""What a classifier gets wrong (chapter 12): its most confident mistakes beside the annotators' shares, and
its errors broken down by style, category, face/body and rating. Returns data, never draws.

A "mistake" is measured against labels made at the 40 % threshold. Beside each prediction stand the
annotators' shares behind each merged quadrant (Melancholy folded into Calm, as the classes do): the largest
share of one emotion of that quadrant, since one emotion at 40 % or more sets the flag. A mistake whose
predicted quadrants came close to the threshold (by default within 0.1) is one the annotators nearly made too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from course_utils.analysis.subjectivity import bias_groups, group_metrics
from course_utils.config.study import THRESHOLD
from course_utils.data.schema import EMOTIONS
from course_utils.labels import MERGED, study_mapping

#: How close (in shares) a predicted quadrant's top share must come to the threshold to count as "near".
NEAR = 0.1

#: The rating bands of the error breakdown (the archive's average art rating runs from −3 to 3).
RATING_BINS = (-np.inf, 0.0, 1.0, np.inf)
RATING_NAMES = ("below 0", "0 to 1", "1 and above")


def quadrant_shares(
    labels: pd.DataFrame, threshold: float = THRESHOLD
) -> pd.DataFrame:
    """Per artwork and merged quadrant, the largest share of one of its emotions (``share <emotion>`` columns).

    ``neutral`` counts only where no other emotion reaches the threshold, as it does in the labels.
    """
    shares = labels[[f"share {e}" for e in EMOTIONS]].astype(float)
    shares.columns = list(EMOTIONS)
    others = shares.drop(columns="neutral").ge(threshold - 1e-9).any(axis=1)
    shares["neutral"] = shares["neutral"].where(~others, 0.0)
    merged = {
        e: ("Calm" if q == "Melancholy" else q)
        for e, q in study_mapping().items()
    }
    return pd.DataFrame(
        {
            q: shares[[e for e, m in merged.items() if m == q]].max(axis=1)
            for q in MERGED
        },
        index=labels.index,
    )


def prediction_table(
    probs,
    y_true,
    ids: Sequence[str],
    class_names: Sequence[str],
    labels: pd.DataFrame,
    near: float = NEAR,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """One row per validation artwork: true and predicted class, the confidence (probability of the
    prediction), the probability of the true class, the annotators' top share per merged quadrant, and for the
    predicted class its weakest quadrant's share (``predicted support``) and whether that came within ``near``
    of the threshold."""
    probs = np.asarray(probs, dtype=float)
    y_true = np.asarray(y_true, dtype=int)
    if probs.shape != (len(y_true), len(class_names)):
        raise ValueError(
            f"probs of shape {probs.shape}; expected "
            f"({len(y_true)}, {len(class_names)})"
        )
    if len(ids) != len(y_true):
        raise ValueError(f"{len(ids)} IDs for {len(y_true)} labels")
    missing = [i for i in ids if i not in labels.index]
    if missing:
        raise ValueError(f"{len(missing)} IDs not in labels: {missing[:3]}")
    y_pred = probs.argmax(axis=1)
    names = np.asarray(class_names, dtype=object)
    shares = quadrant_shares(labels.loc[list(ids)], threshold)
    table = pd.DataFrame(
        {
            "true": names[y_true],
            "predicted": names[y_pred],
            "true index": y_true,
            "predicted index": y_pred,
            "correct": y_true == y_pred,
            "confidence": probs.max(axis=1),
            "p(true)": probs[np.arange(len(y_true)), y_true],
        },
        index=pd.Index(list(ids), name="ID"),
    )
    for q in MERGED:
        table[f"share {q}"] = shares[q].to_numpy()
    support = [
        min(shares.iloc[i][q] for q in str(name).split(" + "))
        for i, name in enumerate(table["predicted"])
    ]
    table["predicted support"] = support
    table["near threshold"] = (
        table["predicted support"] >= threshold - near - 1e-9
    )
    return table


def confident_mistakes(table: pd.DataFrame, per_class: int = 2):
    """The ``per_class`` most confident mistakes of each true class, most confident first (classes in the
    table's order of appearance; a class without a mistake is absent)."""
    wrong = table[~table["correct"]]
    ordered = wrong.sort_values(
        "confidence", ascending=False, kind="stable"
    )
    return ordered.groupby("true", sort=False).head(per_class)


def rating_band(ratings) -> pd.Series:
    """The rating band of each artwork's average art rating."""
    return pd.cut(
        pd.Series(ratings, dtype=float),
        bins=list(RATING_BINS),
        labels=list(RATING_NAMES),
        right=False,
    ).astype(str)


def error_groups(labels: pd.DataFrame) -> pd.DataFrame:
    """The groupings of the breakdown: style, first category, face or body (chapter 17's groups) and rating."""
    groups = bias_groups(labels)
    groups["Rating"] = rating_band(labels["Ave. art rating"]).to_numpy()
    return groups


def error_breakdown(
    table: pd.DataFrame, labels: pd.DataFrame, grouping: str
) -> pd.DataFrame:
    """Errors per group of one grouping (``Style``, ``Category``, ``Face or body`` or ``Rating``): count,
    errors, error rate with a 95 % interval, and the share of the errors the annotators nearly made."""
    groups = error_groups(labels.loc[table.index])
    if grouping not in groups.columns:
        raise ValueError(
            f"unknown grouping {grouping!r}; choose one of "
            f"{', '.join(groups.columns)}"
        )
    metrics = group_metrics(
        table["true index"],
        table["predicted index"],
        groups[grouping],
    )
    wrong = ~table["correct"].to_numpy()
    frame = pd.DataFrame(
        {
            "group": groups[grouping].to_numpy(),
            "wrong": wrong,
            "near": wrong & table["near threshold"].to_numpy(),
        }
    )
    sums = frame.groupby("group", sort=True)[["wrong", "near"]].sum()
    out = pd.DataFrame(index=metrics.index)
    out["n"] = metrics["n"]
    out["errors"] = sums["wrong"].astype(int)
    out["error rate"] = 1 - metrics["accuracy"]
    out["error low"] = 1 - metrics["accuracy high"]
    out["error high"] = 1 - metrics["accuracy low"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["near threshold"] = np.where(
            out["errors"] > 0, sums["near"] / out["errors"], np.nan
        )
    out.index.name = grouping
    return out


def all_breakdowns(
    table: pd.DataFrame, labels: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """:func:`error_breakdown` for every grouping."""
    return {
        g: error_breakdown(table, labels, g)
        for g in ("Style", "Category", "Face or body", "Rating")
    }
