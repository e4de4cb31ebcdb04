"""Exercises of chapter 10, "Evaluating honestly"."""

from __future__ import annotations

import math

from course_utils.exercises import FRACTION, Exercise, check_number, fmt

#: Eight validation images (class indices in the study's alphabetical order) and a model that always says Euphoric.
Y_TRUE = [5, 5, 5, 5, 4, 4, 0, 0]
Y_PRED = [5] * 8
#: Aggressive (0) and Euphoric (5) trade indices; every other class keeps its own.
SWAP = [5, 1, 2, 3, 4, 0, 6]
#: Training images per class of a grouped split (six classes) for the oversampling exercise.
COUNTS = [11, 3, 1, 30, 66, 19]
#: Copies that oversampling to the largest class adds: every class grows to the largest class's size.
COPIES = len(COUNTS) * max(COUNTS) - sum(COUNTS)


BEFORE = math.sqrt(52 / 8)  # the study's RMSE of the predictions as named


def _check_balanced(answer: object) -> None:
    """Balanced accuracy of always answering Euphoric: recall 1, 0, 0 over the three classes present."""
    check_number(
        answer,
        1 / 3,
        "the balanced accuracy",
        unit=FRACTION,
        mistakes={
            0.5: "0.5 is the plain accuracy (4 of 8 right). Balanced accuracy "
            "averages the recall of each class present in y_true.",
            1
            / 7: "That averages over all 7 classes; balanced accuracy only "
            "averages the classes that occur in y_true (here 3).",
            2
            / 9: "2/9 is the macro-F1 score, not the balanced accuracy (the "
            "mean recall per class).",
        },
        otherwise="{value} is not it: work out the recall of Euphoric, Calm "
        "and Aggressive, then average them.",
    )


def _check_swapped(answer: object) -> None:
    """The study's RMSE of the same predictions once Aggressive and Euphoric trade indices."""
    check_number(
        answer,
        math.sqrt(82 / 8),
        "an RMSE",
        mistakes=[
            (
                BEFORE,
                f"{fmt(BEFORE)} is the RMSE before the renaming: apply SWAP "
                "to both y_true and y_pred.",
            ),
            (
                82 / 8,
                "That is the mean squared error; the study's metric takes "
                "its square root.",
            ),
            (
                math.sqrt(102 / 8),
                "That renames only one side: y_true and y_pred must be "
                "renamed with the same permutation.",
            ),
            (
                math.sqrt(132 / 8),
                "That renames only one side: y_true and y_pred must be "
                "renamed with the same permutation.",
            ),
        ],
        otherwise="{value} is not it: use "
        "metrics.rmse_under_relabelling(Y_TRUE, Y_PRED, SWAP).",
    )


def _check_copies(answer: object) -> None:
    """Copies oversampling adds when every class of COUNTS grows to the largest class's size."""
    check_number(
        answer,
        COPIES,
        "a number of copies",
        whole=True,
        mistakes=[
            (
                len(COUNTS) * max(COUNTS),
                "That is the size of the training part "
                "after oversampling; subtract the images that were there before.",
            ),
            (
                sum(COUNTS),
                "That is the size of the training part before "
                "oversampling, not what it adds.",
            ),
            (
                max(COUNTS) - min(COUNTS),
                "That is the copies of the smallest "
                "class alone; every smaller class grows to the largest one.",
            ),
            (
                (len(COUNTS) - 1) * max(COUNTS),
                "That counts every image of the "
                "five smaller classes as a copy; their own images are not copies.",
            ),
        ],
        otherwise="{value} is not it: every class grows to the largest "
        "class's size; count what is added.",
    )


EXERCISES = {
    "ex-10-2": Exercise(
        "balanced_acc",
        "a number between 0 and 1",
        _check_balanced,
        "`sklearn.metrics.balanced_accuracy_score(y_true, y_pred)`, or the mean of each present class's recall.",
        "from sklearn.metrics import balanced_accuracy_score\n"
        "\n"
        "from course_utils.exercises.ch10_evaluating_honestly import (\n"
        "    Y_PRED,\n"
        "    Y_TRUE,\n"
        ")\n"
        "\n"
        "# (1 + 0 + 0) / 3\n"
        "balanced_acc = balanced_accuracy_score(Y_TRUE, Y_PRED)",
        why="The recall is 1 for Euphoric and 0 for Calm and Aggressive; "
        "their mean is one third, below the plain accuracy of one half.",
    ),
    "ex-10-3": Exercise(
        "rmse_swapped",
        "a number (an RMSE)",
        _check_swapped,
        "`course_utils.analysis.metrics.rmse_under_relabelling(y_true, y_pred, permutation)` renames both sides.",
        "from course_utils.analysis.metrics import rmse_under_relabelling\n"
        "from course_utils.exercises.ch10_evaluating_honestly import (\n"
        "    SWAP,\n"
        "    Y_PRED,\n"
        "    Y_TRUE,\n"
        ")\n"
        "\n"
        "rmse_swapped = rmse_under_relabelling(Y_TRUE, Y_PRED, SWAP)\n"
        "# sqrt(82 / 8) = 3.20, up from sqrt(52 / 8) = 2.55",
        why="The same answers score sqrt(82 / 8) ≈ 3.20 instead of 2.55: the "
        "RMSE moved although no answer changed.",
    ),
    "ex-10-5": Exercise(
        "copies_added",
        "a whole number",
        _check_copies,
        "Every class ends with as many images as the largest; "
        "`training.imbalance.oversample_indices` does it to a label list.",
        "import numpy as np\n"
        "\n"
        "from course_utils.exercises.ch10_evaluating_honestly import COUNTS\n"
        "from course_utils.training.imbalance import oversample_indices\n"
        "\n"
        "y_train = np.repeat(np.arange(len(COUNTS)), COUNTS)\n"
        "copies_added = len(oversample_indices(y_train)) - len(y_train)\n"
        "# 6 × 66 − 130 = 266",
        why="Six classes of 66 images make 396, of which 130 were there "
        "before: 266 are copies.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-10-2": [
        (0.5, "plain accuracy"),
        (1 / 7, "all 7 classes"),
        (2 / 9, "macro-F1"),
        (0.9, "not it"),
        ("a third", "a number"),
        (100 / 3, "as a percentage"),
        (0.3, "Close — give more digits"),
    ],
    "ex-10-3": [
        (math.sqrt(52 / 8), "before the renaming"),
        (82 / 8, "square root"),
        (math.sqrt(102 / 8), "only one side"),
        (math.sqrt(132 / 8), "only one side"),
        (1.0, "not it"),
        (3.1, "Close — give more digits"),
    ],
    "ex-10-5": [
        (396, "after oversampling"),
        (130, "before"),
        (65, "smallest"),
        (330, "not copies"),
        (200, "not it"),
        (266.5, "not a whole number"),
    ],
}
