"""Scores for the chapters beyond the study, each next to the baseline it must beat (scikit-learn underneath).

Regression against predicting the training mean; multi-label per label (ROC-AUC, F1 at a threshold) and as
whole label sets (exact match); how often one predicted quadrant is among an artwork's own. Classifier tables
(accuracy, balanced accuracy, macro-F1) come from :mod:`course_utils.analysis.metrics`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

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
