"""Exercises of chapter 01, "Setting up"."""

from __future__ import annotations

from course_utils.exercises import Exercise, Wrong, expect_number
from course_utils.labels import CLASS_NAMES


def _check_classes(answer: object) -> None:
    """The number of classes the study ends with."""
    value = expect_number(answer, "the number of classes")
    if value == 4:
        raise Wrong(
            "4 is the number of Reisenzein quadrants; the study merges and combines them into classes."
        )
    if value == 3:
        raise Wrong(
            "3 quadrants remain after Melancholy joins Calm, but artworks in several quadrants get "
            "combined classes."
        )
    if value != len(CLASS_NAMES):
        raise Wrong(
            f"{value:g} is not it: count the class folders the study creates."
        )


def _check_seed(answer: object) -> None:
    """The course's default seed."""
    value = expect_number(answer, "the default seed")
    if value != 123:
        raise Wrong(
            f"{value:g} is not the default; print `settings.seed` with COURSE_SEED unset."
        )


EXERCISES = {
    "ex-01-1": Exercise(
        "n_classes",
        "a whole number",
        _check_classes,
        "Look at `course_utils.labels.CLASS_NAMES`.",
        "from course_utils.labels import CLASS_NAMES\n"
        "\n"
        "n_classes = len(CLASS_NAMES)  # 7",
    ),
    "ex-01-2": Exercise(
        "default_seed",
        "a whole number",
        _check_seed,
        "The default lives in `course_utils.config.study.SEED`.",
        "from course_utils.config.study import SEED\n"
        "\n"
        "default_seed = SEED  # 123",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-01-1": [(4, "quadrants"), (3, "Melancholy")],
}
