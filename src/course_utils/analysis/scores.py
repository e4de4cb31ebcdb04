"""Scores for the chapters beyond the study, each next to the baseline it must beat (scikit-learn underneath).

Regression against predicting the training mean (with bootstrap intervals); multi-label per label (ROC-AUC, F1 at a threshold) and as
whole label sets (exact match); how often one predicted quadrant is among an artwork's own. Classifier tables
(accuracy, balanced accuracy, macro-F1) come from :mod:`course_utils.analysis.metrics`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from course_utils.analysis.uncertainty import (
    bootstrap_statistic,
    compare,
    mcnemar,
    paired_statistic,
)
from course_utils.config.study import SEED

#: Candidate decision thresholds when tuning a label's F1.
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def regression_scores(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    train_mean: np.ndarray,
    targets: Sequence[str] = ("valence", "arousal"),
) -> pd.DataFrame:
    """MAE and R² per target for the model and for "always predict the training mean" (R² is NaN for one image)."""
    from sklearn.metrics import (  # deferred: scikit-learn is slow to import
        mean_absolute_error,
        r2_score,
    )

    y_true, y_pred = (
        np.asarray(y_true, dtype=float),
        np.asarray(y_pred, dtype=float),
    )
    if y_true.shape != y_pred.shape or y_true.shape[1] != len(targets):
        raise ValueError(
            f"shapes differ: true {y_true.shape}, predicted {y_pred.shape}, targets {list(targets)}"
        )
    baseline = np.broadcast_to(
        np.asarray(train_mean, dtype=float), y_true.shape
    )
    rows = {}
    for name, pred in (("model", y_pred), ("training mean", baseline)):
        row = {}
        for j, target in enumerate(targets):
            row[f"MAE {target}"] = mean_absolute_error(
                y_true[:, j], pred[:, j]
            )
            row[f"R² {target}"] = (
                r2_score(y_true[:, j], pred[:, j])
                if len(y_true) > 1
                else float("nan")
            )
        rows[name] = row
    return pd.DataFrame(rows).T.rename_axis("predictor")


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error of one target."""
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error of one target."""
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(np.abs(diff)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """R² of one target: 1 − squared error / that of the scored targets'
    own mean (NaN when the targets do not vary)."""
    y_true = np.asarray(y_true, dtype=float)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if total == 0:
        return float("nan")
    return float(1 - np.sum((y_true - y_pred) ** 2) / total)


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson's r of one target (NaN when either side is constant)."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.std() == 0 or y_pred.std() == 0:
        return float("nan")
    return float(np.corrcoef(y_true, y_pred)[0, 1])


#: The regression scores with intervals (name → function of one target).
REGRESSION_METRICS = {
    "RMSE": rmse,
    "MAE": mae,
    "R²": r2,
    "Pearson r": pearson,
}


def regression_intervals(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    train_mean: np.ndarray,
    targets: Sequence[str] = ("valence", "arousal"),
    seed: int | None = None,
    groups=None,
) -> pd.DataFrame:
    """Each target's RMSE, MAE, R² and Pearson r with a 95 % bootstrap
    interval over the scored artworks (over their artists with
    ``groups``, ``datasets.pipeline.artists_of``), for the model and for
    "always predict the training mean" (whose r is undefined: NaN).

    One row per (predictor, target, metric): ``value``, ``low``, ``high``
    and ``artworks``.
    """

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape or y_true.shape[1] != len(targets):
        raise ValueError(
            f"shapes differ: true {y_true.shape}, predicted "
            f"{y_pred.shape}, targets {list(targets)}"
        )
    baseline = np.broadcast_to(
        np.asarray(train_mean, dtype=float), y_true.shape
    )
    extra = {} if seed is None else {"seed": seed}
    rows = []
    for name, pred in (("model", y_pred), ("training mean", baseline)):
        for j, target in enumerate(targets):
            for metric, f in REGRESSION_METRICS.items():
                if name == "training mean" and metric == "Pearson r":
                    cell = dict.fromkeys(("value", "low", "high"), np.nan)
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        cell = bootstrap_statistic(
                            f,
                            y_true[:, j],
                            pred[:, j],
                            groups=groups,
                            **extra,
                        )
                rows.append(
                    {
                        "predictor": name,
                        "target": target,
                        "metric": metric,
                        **cell,
                        "artworks": len(y_true),
                    }
                )
    frame = pd.DataFrame(rows)
    levels = {
        "predictor": ["model", "training mean"],
        "target": list(targets),
        "metric": list(REGRESSION_METRICS),
    }
    for level, order in levels.items():  # sorted in this order: fast .loc
        frame[level] = pd.Categorical(frame[level], order, ordered=True)
    return frame.set_index(list(levels)).sort_index()


def baseline_gap(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    train_mean: np.ndarray,
    targets: Sequence[str] = ("valence", "arousal"),
    seed: int | None = None,
    groups=None,
) -> pd.DataFrame:
    """Per target, the model's RMSE minus the training mean's on the same
    artworks, with a paired 95 % bootstrap interval (both resampled
    together, by artist with ``groups``): below 0 throughout, the model
    is closer."""

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    base = np.broadcast_to(
        np.asarray(train_mean, dtype=float), y_true.shape
    )
    extra = {} if seed is None else {"seed": seed}
    rows = {
        target: bootstrap_statistic(
            lambda t, p, b: rmse(t, p) - rmse(t, b),
            y_true[:, j],
            y_pred[:, j],
            base[:, j],
            groups=groups,
            **extra,
        )
        for j, target in enumerate(targets)
    }
    return pd.DataFrame(rows).T.rename_axis("target")


def interval_text(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A :func:`regression_intervals` table for reading: one column per
    metric, cells like ``0.212 [0.18, 0.25]`` (NaN: "undefined")."""

    def cell(row) -> str:
        if np.isnan(row["value"]):
            return "undefined"
        return (
            f"{row['value']:.{digits}f} [{row['low']:.{digits - 1}f}, "
            f"{row['high']:.{digits - 1}f}]"
        )

    text = table.apply(cell, axis=1).rename("text")
    return text.unstack("metric")[list(REGRESSION_METRICS)]


def paired_hits(
    hits_a: np.ndarray,
    hits_b: np.ndarray,
    seed: int | None = None,
    groups=None,
) -> pd.DataFrame:
    """Two predictors' hit/miss outcomes on the same artworks compared:
    the paired bootstrap and McNemar's test of the hit rate (over artists
    with ``groups``), in the form of
    :func:`course_utils.analysis.uncertainty.compare` (so that
    ``uncertainty.reading`` can word it)."""

    a = np.asarray(hits_a, dtype=int)
    b = np.asarray(hits_b, dtype=int)
    truth = np.ones_like(a)  # a hit is "right": the outcome 1
    extra = {} if seed is None else {"seed": seed}
    paired = compare(
        truth, a, b, metrics=["accuracy"], groups=groups, **extra
    )
    paired.index = ["hit rate", "hit rate (McNemar)"]
    return paired


def best_threshold(
    y_true: np.ndarray, prob: np.ndarray, grid: np.ndarray = THRESHOLDS
) -> float:
    """The threshold on one label's probability that gives the highest F1 (the lowest such one on ties)."""
    from sklearn.metrics import (
        f1_score,  # deferred: scikit-learn is slow to import
    )

    scores = [f1_score(y_true, prob >= t, zero_division=0) for t in grid]
    return float(grid[int(np.argmax(scores))])


def tune_thresholds(
    y_true: np.ndarray, probs: np.ndarray, grid: np.ndarray = THRESHOLDS
) -> np.ndarray:
    """One F1-maximising threshold per label, chosen on the data given (use data the scores will not see)."""
    y_true, probs = np.asarray(y_true), np.asarray(probs)
    return np.array(
        [
            best_threshold(y_true[:, j], probs[:, j], grid)
            for j in range(y_true.shape[1])
        ]
    )


def roc_auc_or_nan(y_true: np.ndarray, prob: np.ndarray) -> float:
    """ROC-AUC of one label, NaN when the data hold only one of its two values (AUC is then undefined)."""
    from sklearn.metrics import (
        roc_auc_score,  # deferred: scikit-learn is slow to import
    )

    return (
        float(roc_auc_score(y_true, prob))
        if len(np.unique(y_true)) == 2
        else float("nan")
    )


def multilabel_scores(
    y_true: np.ndarray,
    probs: np.ndarray,
    labels: Sequence[str],
    thresholds: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per label: positives, ROC-AUC, F1 at 0.5 and (given thresholds) at the tuned threshold."""
    from sklearn.metrics import (
        f1_score,  # deferred: scikit-learn is slow to import
    )

    y_true, probs = (
        np.asarray(y_true).astype(int),
        np.asarray(probs, dtype=float),
    )
    rows = {}
    for j, label in enumerate(labels):
        row = {
            "positives": int(y_true[:, j].sum()),
            "share": float(y_true[:, j].mean()),
            "ROC-AUC": roc_auc_or_nan(y_true[:, j], probs[:, j]),
            "F1 at 0.5": f1_score(
                y_true[:, j], probs[:, j] >= 0.5, zero_division=0
            ),
        }
        if thresholds is not None:
            row["threshold"] = float(thresholds[j])
            row["F1 at threshold"] = f1_score(
                y_true[:, j], probs[:, j] >= thresholds[j], zero_division=0
            )
        rows[label] = row
    return pd.DataFrame(rows).T.rename_axis("label")


def label_set_scores(
    y_true: np.ndarray, y_pred: np.ndarray
) -> dict[str, float]:
    """Whole-set scores of 0/1 label matrices: exact match, Hamming loss and macro-F1 over labels."""
    from sklearn.metrics import (  # deferred: scikit-learn is slow to import
        accuracy_score,
        f1_score,
        hamming_loss,
    )

    y_true, y_pred = (
        np.asarray(y_true).astype(int),
        np.asarray(y_pred).astype(int),
    )
    return {
        "exact match": float(accuracy_score(y_true, y_pred)),
        "Hamming loss": float(hamming_loss(y_true, y_pred)),
        "macro-F1": float(
            f1_score(y_true, y_pred, average="macro", zero_division=0)
        ),
    }


def per_label_f1(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str]
) -> pd.Series:
    """F1 of each label from 0/1 label matrices."""
    from sklearn.metrics import (
        f1_score,  # deferred: scikit-learn is slow to import
    )

    values = f1_score(
        np.asarray(y_true).astype(int),
        np.asarray(y_pred).astype(int),
        average=None,
        zero_division=0,
    )
    return pd.Series(values, index=list(labels), name="F1")


def hit_rates(quadrants: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Per predictor (a column of one quadrant per artwork): how often it is one of the artwork's own quadrants."""
    unknown = sorted(
        set(np.unique(quadrants.to_numpy())) - set(flags.columns)
    )
    if unknown:
        raise ValueError(
            f"predicted quadrant(s) {unknown} are not columns of the flags {list(flags.columns)}"
        )
    rows = {}
    for name in quadrants.columns:
        hits = [bool(flags.at[i, q]) for i, q in quadrants[name].items()]
        shares = quadrants[name].value_counts(normalize=True)
        rows[name] = {
            "among its quadrants": float(np.mean(hits)),
            **{
                f"says {q}": float(shares.get(q, 0.0))
                for q in flags.columns
            },
        }
    return pd.DataFrame(rows).T.rename_axis("predictor")


def majority_label_sets(y_train: np.ndarray, n: int) -> np.ndarray:
    """The multi-label baseline: each label set to what most training artworks have (1 where its share ≥ 0.5)."""
    majority = (
        np.asarray(y_train, dtype=float).mean(axis=0) >= 0.5
    ).astype(int)
    return np.tile(majority, (n, 1))


def label_comparison(
    y_true: np.ndarray, predictions: dict, labels: Sequence[str]
) -> pd.DataFrame:
    """One row per predictor of 0/1 label sets: F1 of each label, then macro-F1, exact match and Hamming loss."""
    rows = {}
    for name, pred in predictions.items():
        rows[name] = {
            **per_label_f1(y_true, pred, labels)
            .add_prefix("F1 ")
            .to_dict(),
            **label_set_scores(y_true, pred),
        }
    return pd.DataFrame(rows).T.rename_axis("predictor")


# Multi-label scores on the test images, with intervals and a paired test
# (chapter 14). Vectorised with numpy: the bootstrap calls them a thousand
# times.


def label_macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-F1 over the labels of 0/1 label matrices (a label with no
    true and no predicted "yes" counts 0, as scikit-learn's
    ``zero_division=0``)."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    tp = (t & p).sum(axis=0)
    denominator = t.sum(axis=0) + p.sum(axis=0)
    f1 = np.divide(
        2 * tp,
        denominator,
        out=np.zeros(t.shape[1]),
        where=denominator > 0,
    )
    return float(f1.mean())


def exact_match(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The share of items whose whole label set is right."""
    t, p = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    return float((t == p).all(axis=1).mean())


#: The label-set scores that get intervals: name → statistic.
LABEL_SET_STATISTICS = {
    "macro-F1": label_macro_f1,
    "exact match": exact_match,
}


def label_set_codes(y: np.ndarray) -> np.ndarray:
    """Each 0/1 label row as one integer (its bits): exact match of two
    label matrices is then the accuracy of their codes."""
    y = np.asarray(y).astype(int)
    return y @ (2 ** np.arange(y.shape[1])[::-1])


def label_intervals(
    y_true: np.ndarray,
    predictions: dict,
    *,
    groups=None,
    resamples: int = 1_000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> pd.DataFrame:
    """One row per predictor of 0/1 label sets: macro-F1 over the labels
    and exact match, each with its bootstrap interval over the items (over
    their artists with ``groups``; ``seed``: the study's by default;
    columns ``m``, ``m low``, ``m high``), then ``images``."""
    seed = SEED if seed is None else seed
    rows = {}
    for name, pred in predictions.items():
        row = {}
        for metric, statistic in LABEL_SET_STATISTICS.items():
            ci = bootstrap_statistic(
                statistic,
                np.asarray(y_true),
                np.asarray(pred),
                groups=groups,
                resamples=resamples,
                confidence=confidence,
                seed=seed,
            )
            row |= {
                metric: ci["value"],
                f"{metric} low": ci["low"],
                f"{metric} high": ci["high"],
            }
        rows[name] = row | {"images": len(y_true)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(
        "predictor"
    )


def compare_label_sets(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    groups=None,
    resamples: int = 1_000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> pd.DataFrame:
    """Predictor A against B on the same items, for 0/1 label sets: the
    paired bootstrap of macro-F1 and exact match (items, or their artists
    with ``groups``, resampled once for both:
    ``uncertainty.paired_statistic``), and McNemar's test on exact
    match. The same columns as ``uncertainty.compare`` (difference A − B,
    low, high, p_value, test), so ``uncertainty.reading`` reads it
    (``seed``: the study's by default)."""
    seed = SEED if seed is None else seed
    t, a, b = (np.asarray(x).astype(int) for x in (y_true, pred_a, pred_b))
    if not t.shape == a.shape == b.shape or t.ndim != 2 or not len(t):
        raise ValueError(
            f"label matrices of shapes {t.shape}, {a.shape}, {b.shape}: "
            "need equal, non-empty (items, labels) shapes"
        )
    clustered = groups is not None
    rows = {}
    for metric, statistic in LABEL_SET_STATISTICS.items():
        paired = paired_statistic(
            lambda t, a, b, f=statistic: f(t, a) - f(t, b),
            t,
            a,
            b,
            groups=groups,
            resamples=resamples,
            confidence=confidence,
            seed=seed,
        )
        rows[metric] = {
            "difference": paired["value"],
            "low": paired["low"],
            "high": paired["high"],
            "p_value": paired["p_value"],
            "test": "paired cluster bootstrap"
            if clustered
            else "paired bootstrap",
        }
    codes = [label_set_codes(x) for x in (t, a, b)]
    exact = mcnemar(*codes, groups=groups, confidence=confidence)
    rows["exact match (McNemar)"] = {
        "difference": exact["difference"],
        "low": exact["low"],
        "high": exact["high"],
        "p_value": exact["p_value"],
        "test": "McNemar clustered" if clustered else "McNemar exact",
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(
        "metric"
    )
