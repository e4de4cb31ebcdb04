"""Exercises of chapter 14, "Finding art by emotion"."""

from __future__ import annotations

import inspect
import math

from course_utils.analysis.retrieval import random_precision
from course_utils.exercises import (
    FRACTION,
    Exercise,
    check_number,
    check_text,
)
from course_utils.labels import QUADRANTS

#: The gallery of exercise 14.1: 200 artworks, 50 relevant; precision at 10.
GALLERY, RELEVANT, K = 200, 50, 10
SHARE = RELEVANT / GALLERY
#: ``retrieval.random_precision`` averages ``trials`` random rankings, so what it returns varies with its seed
#: by about this much (the standard error of a mean of hypergeometric shares); an answer within four of them
#: (about 0.017) is the simulation's, not a mistake.
TRIALS = inspect.signature(random_precision).parameters["trials"].default
SAMPLING_ERROR = math.sqrt(
    SHARE * (1 - SHARE) / K * (GALLERY - K) / (GALLERY - 1) / TRIALS
)


def _check_random(answer: object) -> None:
    """Expected precision@10 of random retrieval with 50 relevant of 200: 0.25, or what the simulation in
    ``retrieval.random_precision`` returns for any seed (within its sampling error)."""
    check_number(
        answer,
        SHARE,
        "the precision",
        unit=FRACTION,
        abs_tol=4 * SAMPLING_ERROR,
        mistakes={
            2.5: "2.5 is the expected *number* of relevant artworks among "
            "the ten; precision is their share.",
            0.05: "0.05 = 10/200 is the share of the gallery retrieved, not "
            "the share of relevant answers.",
            0.2: "0.2 = 10/50 mixes up k and the relevant count: each random "
            "pick is relevant with probability 50/200.",
        },
        otherwise="{value} is not it: what is the chance that one random "
        "artwork is relevant?",
    )


def _check_shyness(answer: object) -> None:
    """The quadrant whose flag is relevant for the word "shyness": the study's grouping says Calm."""
    check_text(
        answer,
        "Calm",
        "quadrant name",
        choices=QUADRANTS,
        mistakes={
            "Melancholy": "Melancholy is where the word's *point* lies; "
            "relevance follows the study's grouping of the word, which "
            "`retrieval.emotion_quadrant` gives.",
            "shyness": "That is the word itself; give the name of the "
            "quadrant whose flag is relevant.",
        },
        otherwise="{value} is not it: look the word up with "
        "`retrieval.emotion_quadrant`.",
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
        why="Each random pick is relevant with probability 50/200, so the "
        "expected share among the ten is 0.25 whatever k is.",
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
        why="The study groups shyness with Calm, so Calm's flag decides "
        "relevance, even though the word's point lies in Melancholy.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-14-1": [
        (2.5, "expected *number*"),
        (0.05, "share of the gallery retrieved"),
        (0.2, "mixes up k"),
        (25, "as a percentage"),
        (0.23, "Close — give more digits"),
        (0.5, "not it"),
    ],
    "ex-14-2": [
        ("Melancholy", "word's *point*"),
        ("shyness", "the word itself"),
        ("Sad", "not one of the quadrant names"),
        ("  melancholy ", "word's *point*"),
        ("Aggressive", "not it"),
        (3, "Expected quadrant name"),
    ],
}
