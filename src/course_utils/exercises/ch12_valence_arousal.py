"""Exercises of chapter 12, "Predicting valence and arousal"."""

from __future__ import annotations

import math

from course_utils.exercises import Exercise, Wrong, expect_number


def _check_valence(answer: object) -> None:
    """The share-weighted mean valence of 60 % happiness (0.8) and 30 % sadness (−0.7): 0.3."""
    value = expect_number(answer, "the valence of the mixed artwork")
    if math.isclose(value, 0.27, abs_tol=1e-3):
        raise Wrong(
            "0.27 is the weighted *sum*: divide by the total share (0.6 + 0.3 = 0.9) to get a mean."
        )
    if math.isclose(value, 0.05, abs_tol=1e-3):
        raise Wrong(
            "0.05 is the plain mean of the two coordinates: weight each by its share of annotators."
        )
    if math.isclose(value, 0.8, abs_tol=1e-3):
        raise Wrong(
            "0.8 is happiness alone: the 30 % who chose sadness pull the point towards unpleasant."
        )
    if not math.isclose(value, 0.3, abs_tol=1e-3):
        raise Wrong(
            f"{value:.3f} is not it: weight happiness (0.8) by 0.6 and sadness (−0.7) by 0.3, "
            "then divide by the total weight."
        )


def _check_r2(answer: object) -> None:
    """R² of predicting the scored targets' own mean: exactly 0."""
    value = expect_number(answer, "an R² value")
    if math.isclose(value, 1.0, abs_tol=1e-6):
        raise Wrong(
            "R² = 1 is a perfect prediction; a constant explains none of the variation."
        )
    if value < -1e-9:
        raise Wrong(
            f"{value:.3f} is below 0: that happens for a constant *other* than the scored targets' own "
            "mean (such as the training mean). Use the mean of the same array you score."
        )
    if not math.isclose(value, 0.0, abs_tol=1e-6):
        raise Wrong(
            f"{value:.3f} is not it: R² compares the squared error with that of predicting the mean itself."
        )


EXERCISES = {
    "ex-12-1": Exercise(
        "valence_mixed",
        "a number (the valence)",
        _check_valence,
        "Build the artwork with `labels.shares_frame` and pass it to `labels.va_targets`.",
        "from course_utils.labels import shares_frame, va_targets\n"
        "\n"
        'mixed = shares_frame({"mixed": {"happiness": 0.6, "sadness": 0.3}})\n'
        "# (0.6 × 0.8 + 0.3 × −0.7) / 0.9 = 0.3\n"
        'valence_mixed = va_targets(mixed).loc["mixed", "valence"]',
    ),
    "ex-12-2": Exercise(
        "r2_constant",
        "a number (an R² value)",
        _check_r2,
        "Score `np.full_like(y, y.mean())` against `y` with `sklearn.metrics.r2_score`.",
        "import numpy as np\n"
        "from sklearn.metrics import r2_score\n"
        "\n"
        "y = np.array([0.1, 0.4, -0.2, 0.5])\n"
        "r2_constant = r2_score(y, np.full_like(y, y.mean()))  # 0.0",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-12-1": [
        (0.27, "weighted *sum*"),
        (0.05, "plain mean"),
        (0.8, "happiness alone"),
    ],
    "ex-12-2": [(1.0, "perfect prediction"), (-0.02, "training mean")],
}
