"""Exercises of chapter 13, "One artwork, several moods: multi-label"."""

from __future__ import annotations

from course_utils.exercises import FRACTION, Exercise, check_number


def _check_calm_classes(answer: object) -> None:
    """The number of the 7 classes whose label set contains Calm: 4."""
    check_number(
        answer,
        4,
        "a number of classes",
        whole=True,
        mistakes={
            1: "1 counts only the class named exactly “Calm”; combined "
            "classes such as “Euphoric + Calm” hold the Calm label too.",
            3: "3 is the number of labels; count the classes whose name "
            "contains “Calm”.",
            7: "7 is every class; some (such as “Euphoric”) do not contain "
            "Calm.",
        },
        otherwise="{value} is not it: look at the Calm column of "
        "`class_label_sets`.",
    )


def _check_exact(answer: object) -> None:
    """Exact-match ratio of the hand example: 2 of 3 artworks."""
    check_number(
        answer,
        2 / 3,
        "the exact-match ratio",
        unit=FRACTION,
        mistakes={
            8 / 9: "8/9 is the share of right single answers (per label); "
            "exact match needs all three answers of an artwork right.",
            2: "2 is the number of exactly matched artworks; give the share "
            "of the three.",
            1 / 9: "1/9 is the Hamming loss (the share of wrong single "
            "answers), not exact match.",
        },
        otherwise="{value} is not it: count the artworks whose whole "
        "predicted set equals the true set.",
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
        why="Calm, Aggressive + Calm, Euphoric + Calm and Aggressive + "
        "Euphoric + Calm all hold the Calm label.",
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
        why="The second and third artworks match in all three labels, the "
        "first misses Calm: 2 of 3.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-13-1": [
        (1, "combined classes"),
        (3, "number of labels"),
        (7, "every class"),
        (4.5, "not a whole number"),
        (5, "not it"),
    ],
    "ex-13-2": [
        (8 / 9, "per label"),
        (2, "share of the three"),
        (1 / 9, "Hamming loss"),
        (200 / 3, "as a percentage"),
        (0.7, "Close — give more digits"),
        (0.1, "not it"),
    ],
}
