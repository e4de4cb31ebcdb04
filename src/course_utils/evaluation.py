"""Evaluating classifiers honestly: the study's metric next to the ones that survive class imbalance."""

from __future__ import annotations

import numpy as np


def study_rmse(y_true, y_pred) -> float:
    """The study's metric: RMSE between true and predicted *class indices* (order-dependent, see chapter 10)."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))
