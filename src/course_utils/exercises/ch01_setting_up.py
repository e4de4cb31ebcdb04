"""Exercises of chapter 01, "Setting up"."""

from __future__ import annotations

from course_utils.config.profiles import budget
from course_utils.config.study import MODEL_NAMES
from course_utils.exercises import Exercise
from course_utils.exercises.counting import number_checker
from course_utils.labels import MERGED

#: The study's classes, worked out rather than counted from ``CLASS_NAMES`` (which the solution counts): every
#: non-empty set of the three quadrants left after Melancholy joins Calm, 2³ − 1 = 7.
N_CLASSES = 2 ** len(MERGED) - 1
QUICK = budget("quick")
#: Epochs the ``quick`` profile trains the five study models, once each (chapters 05–09), read from the budget's
#: table rather than through ``epochs_for`` (which the solution calls): the original CNN's own entry and the
#: default for the other four, 6 + 4 × 8 = 38 (tests/test_exercises.py checks that the table has no other entry).
QUICK_EPOCHS = (
    QUICK.epochs["original"]
    + (len(MODEL_NAMES) - 1) * QUICK.epochs["default"]
)

EXERCISES = {
    "ex-01-1": Exercise(
        "n_classes",
        "a whole number",
        number_checker(
            "the number of classes",
            N_CLASSES,
            {
                4: "4 is the number of Reisenzein quadrants; the study merges "
                "and combines them into classes.",
                3: "3 quadrants remain after Melancholy joins Calm, but "
                "artworks in several quadrants get combined classes.",
            },
            "{value} is not it: count the class folders the study creates.",
            whole=True,
        ),
        "Look at `course_utils.labels.CLASS_NAMES`.",
        "from course_utils.labels import CLASS_NAMES\n"
        "\n"
        "n_classes = len(CLASS_NAMES)  # 7",
        why="Three quadrants (Melancholy merged into Calm) give 2³ − 1 = 7 "
        "non-empty sets, one class each.",
    ),
    "ex-01-2": Exercise(
        "quick_epochs",
        "a whole number (epochs)",
        number_checker(
            "the number of epochs",
            QUICK_EPOCHS,
            {
                8 * len(MODEL_NAMES): "8 is the default, but the original "
                "CNN has its own entry in the budget: use `epochs_for`.",
                6 * len(MODEL_NAMES): "6 is the original CNN's entry; the "
                "other four models train for the default.",
                len(MODEL_NAMES): "That is the number of models; add up "
                "the epochs each one trains.",
                sum(
                    budget("full").epochs_for(n) for n in MODEL_NAMES
                ): "That "
                "is the `full` profile's total; the question asks about "
                "`quick`.",
                sum(
                    budget("smoke").epochs_for(n) for n in MODEL_NAMES
                ): "That "
                "is the `smoke` profile's total (the tests' profile); the "
                "question asks about `quick`.",
            },
            "{value} is not it: add `budget('quick').epochs_for(name)` over "
            "the five names in `MODEL_NAMES`.",
            whole=True,
        ),
        "`budget('quick')` from `course_utils.config.profiles` has an "
        "`epochs_for(name)` method; `course_utils.config.study.MODEL_NAMES` "
        "names the five models.",
        "from course_utils.config.profiles import budget\n"
        "from course_utils.config.study import MODEL_NAMES\n"
        "\n"
        'quick = budget("quick")\n'
        "quick_epochs = sum(quick.epochs_for(m) for m in MODEL_NAMES)\n"
        "# 6 for the original CNN + 4 × 8 for the others = 38",
        why="The original CNN trains 6 epochs under `quick` and the other four "
        "models the default 8 each: 6 + 4 × 8 = 38.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-01-1": [
        (4, "quadrants"),
        (3, "Melancholy"),
        (7.5, "not a whole number"),
        (8, "not it"),
    ],
    "ex-01-2": [
        (40, "own entry"),
        (30, "original CNN's entry"),
        (5, "number of models"),
        (70, "`full`"),
        (
            sum(budget("smoke").epochs_for(n) for n in MODEL_NAMES),
            "`smoke`",
        ),
        (37, "not it"),
        ("38", "leave out the quotes"),
    ],
}
