"""Exercises of chapter 06, "Dropout and augmentation"."""

from __future__ import annotations

from course_utils.exercises import Exercise
from course_utils.exercises.counting import number_checker

FEATURES = 15 * 15 * 64  # the values the dropout layer sees per image

EXERCISES = {
    "ex-06-1": Exercise(
        "dropped",
        "a number (how many values dropout sets to zero, on average)",
        number_checker(
            "the average number of values set to zero",
            0.2 * FEATURES,
            {
                0.2: "0.2 is the share of values dropped; the question asks how many of the 14,400 that is.",
                0.8
                * FEATURES: "That is how many are kept: dropout *drops* 20 %.",
                0.2
                * 128: "Dropout sits before the flatten, on the 15×15×64 maps, not on the 128 dense units.",
            },
            "{value:g} is not it: dropout drops each of the 15×15×64 values with probability 0.2.",
            tolerance=0.01,
        ),
        "The dropout layer sees the output of the last pooling: 15 × 15 × 64 values per image.",
        "dropped = 0.2 * 15 * 15 * 64  # 2,880 of 14,400 on average",
    ),
    "ex-06-2": Exercise(
        "dropout_params",
        "a whole number (the dropout model's parameters)",
        number_checker(
            "the dropout model's parameter count",
            1_867_815,
            {
                0.8
                * 1_867_815: "Dropout removes no weights: it silences values during training only, "
                "and the layer itself has no parameters.",
            },
            "{value:g} is not it: count the weights the augmentation and dropout layers add (none) "
            "to the original CNN's 1,867,815.",
        ),
        "Which of the new layers (augmentation, dropout) has weights that training changes?",
        "from course_utils.models import cnns\n"
        "\n"
        "# augmentation and dropout add no weights: 1,867,815\n"
        'dropout_params = cnns.STUDY_PARAMS["original"]',
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-06-1": [
        (0.2, "share"),
        (11_520, "kept"),
        (25.6, "128 dense units"),
    ],
    "ex-06-2": [(1_494_252, "removes no weights"), (1_867_816, "not it")],
}
