"""A decision rule moved on validation, with no retraining.

A classifier answers the class with the largest logit. Logit adjustment
subtracts ``strength × log(prior)`` from every logit (``prior``: the
classes' shares in training), which raises the small classes against the
large one; ``strength = 0`` is the model's own rule. The strength is
chosen on the *validation* images only (the one that maximises their
macro-F1, the smallest on a tie) and then applied, unchanged, to the test
logits. Deterministic: no randomness anywhere.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from course_utils.analysis.uncertainty import point_scores

#: The strengths tried by default: 0 (no change) to 2 in steps of 0.1.
STRENGTHS = tuple(round(0.1 * i, 1) for i in range(21))


def class_prior(y_train, n_classes: int) -> np.ndarray:
    """Each class's share of the training labels, add-one smoothed (a
    class without training images gets a small share, not zero, so its
    log stays finite)."""
    y = np.asarray(y_train, dtype=int)
    counts = np.bincount(y, minlength=n_classes).astype(float)
    if counts.size != n_classes:
        raise ValueError(
            f"labels up to {counts.size - 1} for {n_classes} classes"
        )
    return (counts + 1) / (counts.sum() + n_classes)


def adjusted_logits(logits, prior, strength: float) -> np.ndarray:
    """``logits − strength · log(prior)``, one offset per class."""
    logits = np.asarray(logits, dtype=float)
    prior = np.asarray(prior, dtype=float)
    if logits.ndim != 2 or logits.shape[1] != prior.size:
        raise ValueError(
            f"logits of shape {logits.shape} for {prior.size} classes"
        )
    if np.any(prior <= 0):
        raise ValueError("every class needs a prior share above 0")
    return logits - strength * np.log(prior)


def adjusted_predictions(logits, prior, strength: float) -> np.ndarray:
    """The class each image gets under the adjusted rule."""
    return adjusted_logits(logits, prior, strength).argmax(axis=1)


def strength_table(
    val_logits,
    val_true,
    prior,
    strengths: Sequence[float] = STRENGTHS,
) -> pd.DataFrame:
    """Validation accuracy, balanced accuracy and macro-F1 for each
    strength (rows)."""
    if not len(strengths):
        raise ValueError("give at least one strength to try")
    rows = {
        float(s): point_scores(
            val_true, adjusted_predictions(val_logits, prior, s)
        )
        for s in strengths
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "strength"
    return table


def choose_strength(
    val_logits,
    val_true,
    prior,
    strengths: Sequence[float] = STRENGTHS,
    metric: str = "macro-F1",
) -> float:
    """The strength with the best validation ``metric``; on a tie the
    smallest (the rule closest to the model's own)."""
    table = strength_table(val_logits, val_true, prior, strengths)
    best = table[metric].max()
    return float(min(table.index[np.isclose(table[metric], best)]))
