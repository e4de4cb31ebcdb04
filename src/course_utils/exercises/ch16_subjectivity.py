"""Exercises of chapter 16, "Whose emotion? Subjectivity and bias"."""

from __future__ import annotations

from course_utils.exercises import (
    FRACTION,
    Exercise,
    Wrong,
    check_number,
    expect_number,
)


def _check_weight(answer: object) -> None:
    """Fear 0.45, love 0.30: Aggressive + Euphoric at 0.30 only, out of four labelled thresholds."""
    reach = (
        "{value}: check which thresholds love reaches (it counts only where "
        "0.30 ≥ threshold)."
    )
    check_number(
        answer,
        0.25,
        "the weight on Aggressive + Euphoric",
        unit=FRACTION,
        mistakes=[
            (
                0.2,
                "0.2 divides by all five thresholds, but at 0.50 the artwork "
                "has no class: that threshold drops out and the weights are "
                "renormalised over the labelled ones.",
            ),
            (
                0,
                "0 is the hard label's weight (at 0.40 only fear counts); "
                "the soft target also looks at 0.30.",
            ),
            (
                0.3,
                "0.3 is love's share, not a weight: count at how many "
                "thresholds the class is Aggressive + Euphoric.",
            ),
            (
                0.75,
                "0.75 is the weight on Aggressive (0.35, 0.40, 0.45); the "
                "question asks for Aggressive + Euphoric.",
            ),
            (0.4, reach.format(value="0.4")),
            (0.5, reach.format(value="0.5")),
        ],
        otherwise="{value} is not it: list the class at each of the five "
        "thresholds, drop those without one, and take the fraction that are "
        "Aggressive + Euphoric.",
    )


def _check_ece(answer: object) -> None:
    """ECE of two bins: 60 images at confidence 0.9 (accuracy 0.6) and 40 at 0.55 (accuracy 0.6)."""
    value = expect_number(answer, "the expected calibration error")
    if value < 0:
        raise Wrong(
            "The ECE averages absolute gaps, so it is never negative."
        )
    check_number(
        value,
        0.2,
        "the expected calibration error",
        unit=FRACTION,
        mistakes={
            0.175: "0.175 is the plain mean of the two gaps; the ECE weights "
            "each bin by its share of images (60/100 and 40/100).",
            0.35: "0.35 adds the two gaps; weight each by its bin's share of "
            "the images instead.",
            0.16: "0.16 pools all images into one bin (accuracy 0.6, mean "
            "confidence 0.76); with ten bins the confidences 0.9 and 0.55 "
            "fall in different bins.",
            0.6: "0.6 is the accuracy; the ECE measures the gap between "
            "accuracy and confidence.",
        },
        otherwise="{value} is not it: per bin, take |accuracy − confidence|, "
        "then weight by the bin's share of the 100 images.",
    )


EXERCISES = {
    "ex-16-2": Exercise(
        "weight_ae",
        "a number between 0 and 1",
        _check_weight,
        "Write down the class at 0.30, 0.35, 0.40, 0.45 and 0.50; thresholds without a class drop out.",
        "weight_ae = 1 / 4  # A + E at 0.30; A at 0.35–0.45; none at 0.50",
        why="Four thresholds give a class (0.50 gives none), and only at "
        "0.30 is it Aggressive + Euphoric: 1 of 4.",
    ),
    "ex-16-3": Exercise(
        "ece_answer",
        "a number between 0 and 1",
        _check_ece,
        "Each group has accuracy 0.6; ECE = Σ (bin count / total) × |accuracy − confidence|.",
        "# 0.6 × 0.3 + 0.4 × 0.05 = 0.2\n"
        "ece_answer = 0.6 * abs(36 / 60 - 0.9) + 0.4 * abs(24 / 40 - 0.55)",
        why="Each bin's gap |0.6 − confidence| weighted by its share of the "
        "images: 0.6 × 0.3 + 0.4 × 0.05 = 0.2.",
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
        (25, "as a percentage"),
        (0.24, "Close — give more digits"),
        (0.9, "not it"),
    ],
    "ex-16-3": [
        (0.175, "plain mean"),
        (0.35, "adds the two gaps"),
        (0.16, "one bin"),
        (0.6, "is the accuracy"),
        (-0.2, "never negative"),
        (20, "as a percentage"),
        (0.21, "Close — give more digits"),
        (0.9, "not it"),
    ],
}
