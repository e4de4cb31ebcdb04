"""Exercises of chapter 04, "Merging into seven classes"."""

from __future__ import annotations

from typing import Any

from course_utils.exercises import Exercise, Wrong, expect_number
from course_utils.labels import CLASS_NAMES


def _check_class(answer: Any) -> None:
    """The class of the artwork that is sad, happy and a little angry."""
    if not isinstance(answer, str):
        raise Wrong(
            f"Expected a class name (text such as 'Calm'), but got {type(answer).__name__}."
        )
    if "Melancholy" in answer:
        raise Wrong(
            "Melancholy is no class of its own: the study merges it into Calm before naming classes."
        )
    if answer.strip() == "Calm + Euphoric":
        raise Wrong(
            "Right quadrants, wrong order: class names list them as Aggressive, Euphoric, Calm "
            "(see CLASS_NAMES)."
        )
    if "Aggressive" in answer:
        raise Wrong(
            "anger has 0.3, below the 0.4 threshold, so Aggressive is not among the quadrants."
        )
    if answer == "Euphoric":
        raise Wrong(
            "sadness (0.5) is present too; its quadrant, Melancholy, becomes Calm."
        )
    if answer not in CLASS_NAMES:
        raise Wrong(
            f"{answer!r} is not one of the 7 class names: {', '.join(CLASS_NAMES)}."
        )
    if answer != "Euphoric + Calm":
        raise Wrong(
            f"{answer!r} is a class, but not this artwork's: list the quadrants of its present emotions."
        )


def _check_index(answer: Any) -> None:
    """The class index a directory loader gives Euphoric."""
    value = expect_number(answer, "a class index")
    if value == 6:
        raise Wrong("Class indices count from 0, not from 1.")
    if value == 0:
        raise Wrong(
            "Index 0 goes to the first name in alphabetical order, which is Aggressive."
        )
    if value != CLASS_NAMES.index("Euphoric"):
        raise Wrong(
            f"{value:g} is not it: the loader sorts the folder names alphabetically and counts from 0."
        )


EXERCISES = {
    "ex-04-1": Exercise(
        "artwork_class",
        "a class name (text)",
        _check_class,
        "`label_table(artwork, 0.4)` has a `class` column.",
        "from course_utils.labels import label_table, shares_frame\n"
        "\n"
        'votes = {"sadness": 0.5, "happiness": 0.4, "anger": 0.3}\n'
        'artwork = shares_frame({"a": votes})\n'
        "# sadness (merged into Calm) and happiness count: 'Euphoric + Calm'\n"
        'artwork_class = label_table(artwork, 0.4)["class"].iloc[0]',
    ),
    "ex-04-2": Exercise(
        "euphoric_index",
        "a whole number",
        _check_index,
        "`CLASS_NAMES` is in the loader's order; a tuple has an `index` method.",
        "from course_utils.labels import CLASS_NAMES\n"
        "\n"
        'euphoric_index = CLASS_NAMES.index("Euphoric")  # 5',
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-04-1": [
        ("Euphoric + Melancholy", "merges it into Calm"),
        ("Calm + Euphoric", "wrong order"),
        ("Aggressive + Euphoric + Calm", "below the 0.4"),
        ("Euphoric", "sadness"),
        (7, "Expected a class name"),
    ],
    "ex-04-2": [
        (6, "from 0"),
        (0, "Aggressive"),
        ("5", "leave out the quotes"),
    ],
}
