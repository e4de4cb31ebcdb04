"""Exercises of chapter 16, "Whose emotion? Subjectivity and bias"."""

from __future__ import annotations

from course_utils.exercises import Exercise, Wrong, expect_number


def _check_weight(answer: object) -> None:
    """Fear 0.45, love 0.30: Aggressive + Euphoric at 0.30 only, out of four labelled thresholds."""
    value = expect_number(answer, "the weight on Aggressive + Euphoric")
    if abs(value - 0.2) < 1e-6:
        raise Wrong(
            "0.2 divides by all five thresholds, but at 0.50 the artwork has no class: that threshold "
            "drops out and the weights are renormalised over the labelled ones."
        )
    if value == 0:
        raise Wrong(
            "0 is the hard label's weight (at 0.40 only fear counts); the soft target also looks at 0.30."
        )
    if abs(value - 0.3) < 1e-6:
        raise Wrong(
            "0.3 is love's share, not a weight: count at how many thresholds the class is "
            "Aggressive + Euphoric."
        )
    if abs(value - 0.75) < 1e-6:
        raise Wrong(
            "0.75 is the weight on Aggressive (0.35, 0.40, 0.45); the question asks for Aggressive + Euphoric."
        )
    if abs(value - 0.4) < 1e-6 or abs(value - 0.5) < 1e-6:
        raise Wrong(
            f"{value:g}: check which thresholds love reaches (it counts only where 0.30 ≥ threshold)."
        )
    if abs(value - 0.25) > 1e-6:
        raise Wrong(
            f"{value:g} is not it: list the class at each of the five thresholds, drop those without one, "
            "and take the fraction that are Aggressive + Euphoric."
        )


def _check_ece(answer: object) -> None:
    """ECE of two bins: 60 images at confidence 0.9 (accuracy 0.6) and 40 at 0.55 (accuracy 0.6)."""
    value = expect_number(answer, "the expected calibration error")
    if abs(value - 0.175) < 1e-3:
        raise Wrong(
            "0.175 is the plain mean of the two gaps; the ECE weights each bin by its share of images "
            "(60/100 and 40/100)."
        )
    if abs(value - 0.35) < 1e-3:
        raise Wrong(
            "0.35 adds the two gaps; weight each by its bin's share of the images instead."
        )
    if abs(value - 0.16) < 1e-3:
        raise Wrong(
            "0.16 pools all images into one bin (accuracy 0.6, mean confidence 0.76); with ten bins the "
            "confidences 0.9 and 0.55 fall in different bins."
        )
    if abs(value - 0.6) < 1e-3:
        raise Wrong(
            "0.6 is the accuracy; the ECE measures the gap between accuracy and confidence."
        )
    if value < 0:
        raise Wrong(
            "The ECE averages absolute gaps, so it is never negative."
        )
    if abs(value - 0.2) > 5e-3:
        raise Wrong(
            f"{value:g} is not it: per bin, take |accuracy − confidence|, then weight by the bin's share "
            "of the 100 images."
        )


EXERCISES = {
    "ex-16-2": Exercise(
        "weight_ae",
        "a number between 0 and 1",
        _check_weight,
        "Write down the class at 0.30, 0.35, 0.40, 0.45 and 0.50; thresholds without a class drop out.",
        "weight_ae = 1 / 4  # A + E at 0.30; A at 0.35–0.45; none at 0.50",
    ),
    "ex-16-3": Exercise(
        "ece_answer",
        "a number between 0 and 1",
        _check_ece,
        "Each group has accuracy 0.6; ECE = Σ (bin count / total) × |accuracy − confidence|.",
        "# 0.6 × 0.3 + 0.4 × 0.05 = 0.2\n"
        "ece_answer = 0.6 * abs(36 / 60 - 0.9) + 0.4 * abs(24 / 40 - 0.55)",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-16-2": [
        (0.2, "drops out"),
        (0, "hard label"),
        (0.3, "love's share"),
        (0.75, "weight on Aggressive"),
        (0.5, "which thresholds love reaches"),
    ],
    "ex-16-3": [
        (0.175, "plain mean"),
        (0.35, "adds the two gaps"),
        (0.16, "one bin"),
        (0.6, "is the accuracy"),
        (-0.2, "never negative"),
    ],
}
