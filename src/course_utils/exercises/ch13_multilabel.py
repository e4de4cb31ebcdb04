"""Exercises of chapter 13, "One artwork, several moods: multi-label"."""

from __future__ import annotations

import math

from course_utils.exercises import Exercise, Wrong, expect_number


def _check_calm_classes(answer: object) -> None:
    """The number of the 7 classes whose label set contains Calm: 4."""
    value = expect_number(answer, "a number of classes")
    if value == 1:
        raise Wrong(
            "1 counts only the class named exactly “Calm”; combined classes such as “Euphoric + Calm” "
            "hold the Calm label too."
        )
    if value == 3:
        raise Wrong(
            "3 is the number of labels; count the classes whose name contains “Calm”."
        )
    if value == 7:
        raise Wrong(
            "7 is every class; some (such as “Euphoric”) do not contain Calm."
        )
    if value != 4:
        raise Wrong(
            f"{value:g} is not it: look at the Calm column of `class_label_sets`."
        )


def _check_exact(answer: object) -> None:
    """Exact-match ratio of the hand example: 2 of 3 artworks."""
    value = expect_number(answer, "a ratio between 0 and 1")
    if math.isclose(value, 8 / 9, abs_tol=1e-3):
        raise Wrong(
            "8/9 is the share of right single answers (per label); exact match needs all three answers "
            "of an artwork right."
        )
    if math.isclose(value, 2.0):
        raise Wrong(
            "2 is the number of exactly matched artworks; give the share of the three."
        )
    if math.isclose(value, 1 / 9, abs_tol=1e-3):
        raise Wrong(
            "1/9 is the Hamming loss (the share of wrong single answers), not exact match."
        )
    if not math.isclose(value, 2 / 3, abs_tol=1e-3):
        raise Wrong(
            f"{value:.3f} is not it: count the artworks whose whole predicted set equals the true set."
        )


EXERCISES = {
    "ex-13-1": Exercise(
        "n_calm_classes",
        "a whole number",
        _check_calm_classes,
        "`heads.class_label_sets(range(7), CLASS_NAMES)` gives one row per class; sum the Calm column.",
        "from course_utils.labels import CLASS_NAMES, MERGED\n"
        "from course_utils.training.heads import class_label_sets\n"
        "\n"
        "sets = class_label_sets(range(len(CLASS_NAMES)), CLASS_NAMES)\n"
        'n_calm_classes = int(sets[:, MERGED.index("Calm")].sum())  # 4',
    ),
    "ex-13-2": Exercise(
        "exact",
        "a ratio between 0 and 1",
        _check_exact,
        '`scores.label_set_scores(true, predicted)` returns a dictionary with an "exact match" entry.',
        "from course_utils.analysis import scores\n"
        "\n"
        "true = [[1, 0, 1], [0, 1, 0], [1, 1, 0]]\n"
        "predicted = [[1, 0, 0], [0, 1, 0], [1, 1, 0]]\n"
        "# 2 of the 3 rows match exactly\n"
        'exact = scores.label_set_scores(true, predicted)["exact match"]',
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-13-1": [
        (1, "combined classes"),
        (3, "number of labels"),
        (7, "every class"),
    ],
    "ex-13-2": [
        (8 / 9, "per label"),
        (2, "share of the three"),
        (1 / 9, "Hamming loss"),
    ],
}
