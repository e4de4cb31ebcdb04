"""Exercises of chapter 14, "Finding art by emotion"."""

from __future__ import annotations

import math

from course_utils.exercises import Exercise, Wrong, expect_number
from course_utils.labels import QUADRANTS


def _check_random(answer: object) -> None:
    """Expected precision@10 of random retrieval with 50 relevant of 200: 0.25."""
    value = expect_number(answer, "a precision between 0 and 1")
    if math.isclose(value, 2.5):
        raise Wrong(
            "2.5 is the expected *number* of relevant artworks among the ten; precision is their share."
        )
    if math.isclose(value, 0.05):
        raise Wrong(
            "0.05 = 10/200 is the share of the gallery retrieved, not the share of relevant answers."
        )
    if math.isclose(value, 0.2):
        raise Wrong(
            "0.2 = 10/50 mixes up k and the relevant count: each random pick is relevant with "
            "probability 50/200."
        )
    if not math.isclose(value, 0.25, abs_tol=1e-3):
        raise Wrong(
            f"{value:.3f} is not it: what is the chance that one random artwork is relevant?"
        )


def _check_shyness(answer: object) -> None:
    """The quadrant whose flag is relevant for the word "shyness": the study's grouping says Calm."""
    if not isinstance(answer, str):
        raise Wrong(
            f'Expected a quadrant name (text such as "Calm"), but got {type(answer).__name__}.'
        )
    name = answer.strip()
    if name.lower() == "melancholy":
        raise Wrong(
            "Melancholy is where the word's *point* lies; relevance follows the study's grouping of the "
            "word, which `retrieval.emotion_quadrant` gives."
        )
    if name.lower() == "shyness":
        raise Wrong(
            "That is the word itself; give the name of the quadrant whose flag is relevant."
        )
    if name not in QUADRANTS:
        raise Wrong(
            f"{answer!r} is not a quadrant; use one of: {', '.join(QUADRANTS)}."
        )
    if name != "Calm":
        raise Wrong(
            f"{name} is not it: look the word up with `retrieval.emotion_quadrant`."
        )


EXERCISES = {
    "ex-14-1": Exercise(
        "random_p10",
        "a precision between 0 and 1",
        _check_random,
        "Each random pick is relevant with the probability (relevant artworks) / (gallery size).",
        "import numpy as np\n"
        "\n"
        "from course_utils.analysis import retrieval\n"
        "\n"
        "random_p10 = 50 / 200  # 0.25, whatever k is\n"
        "relevant = np.array([True] * 50 + [False] * 150)\n"
        "retrieval.random_precision(relevant, k=10)  # about the same",
    ),
    "ex-14-2": Exercise(
        "shyness_relevant",
        "a quadrant name (text)",
        _check_shyness,
        '`retrieval.emotion_quadrant("shyness")` gives the quadrant whose flag counts as relevant.',
        "from course_utils.analysis import retrieval\n"
        "\n"
        'shyness_relevant = retrieval.emotion_quadrant("shyness")  # "Calm"\n'
        "# its point lies in the unpleasant, quiet (Melancholy) quadrant:\n"
        'retrieval.emotion_point("shyness")',
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-14-1": [
        (2.5, "expected *number*"),
        (0.05, "share of the gallery retrieved"),
        (0.2, "mixes up k"),
    ],
    "ex-14-2": [
        ("Melancholy", "word's *point*"),
        ("shyness", "the word itself"),
        ("Sad", "not a quadrant"),
    ],
}
