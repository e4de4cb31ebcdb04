"""Exercises of chapter 15, "Finding art by emotion"."""

from __future__ import annotations

import inspect
import math

import numpy as np

from course_utils.analysis import retrieval
from course_utils.analysis.retrieval import random_precision
from course_utils.exercises import (
    FRACTION,
    Exercise,
    check_number,
    check_text,
)
from course_utils.exercises.build_it import BuildIt, Case, Mistake
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
    "ex-15-1": Exercise(
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
    "ex-15-2": Exercise(
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
    "ex-15-1": [
        (2.5, "expected *number*"),
        (0.05, "share of the gallery retrieved"),
        (0.2, "mixes up k"),
        (25, "as a percentage"),
        (0.23, "Close — give more digits"),
        (0.5, "not it"),
    ],
    "ex-15-2": [
        ("Melancholy", "word's *point*"),
        ("shyness", "the word itself"),
        ("Sad", "not one of the quadrant names"),
        ("  melancholy ", "word's *point*"),
        ("Aggressive", "not it"),
        (3, "Expected quadrant name"),
    ],
}


# --- build it: a search by example, by cosine similarity (ex-15-4) -----------------------------------------------


def _galleries(rng: np.random.Generator) -> list[Case]:
    """Feature vectors (one row per artwork) and the index of the query: a gallery of two, features of very
    different lengths, an artwork whose features are all 0 (a ReLU layer can give that), the query last, then
    six random galleries of 5 to 30 artworks with 3 to 8 features."""
    lengths = rng.uniform(0.5, 1.5, size=(12, 4)) * np.array(
        [[1.0], [10.0], [0.1]]
    ).repeat(4, axis=0)
    zero = rng.uniform(-1, 1, size=(8, 5)).round(3)  # some similarities < 0
    zero[3] = 0.0
    cases = [
        Case((rng.uniform(0, 1, (2, 3)).round(3), 0), "a gallery of two"),
        Case((lengths.round(3), 1), "features of very different lengths"),
        Case((zero, 0), "artwork 3's features are all 0"),
        Case(
            (rng.uniform(0, 1, (9, 4)).round(3), 8),
            "the query is the last artwork",
        ),
    ]
    for _ in range(6):
        n, d = int(rng.integers(5, 31)), int(rng.integers(3, 9))
        cases.append(
            Case((rng.uniform(0, 1, (n, d)).round(3), int(rng.integers(n))))
        )
    return cases


def _order(
    scores: np.ndarray, index: int, keep: bool = False
) -> np.ndarray:
    """Indices by ``scores``, highest first (stable), without ``index`` unless ``keep``."""
    order = np.argsort(-scores, kind="stable")
    return order if keep else order[order != index]


def _cosine(features, index) -> np.ndarray:
    f = np.asarray(features, dtype=float)
    unit = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    return unit @ unit[index]


def _unsafe_cosine(features, index) -> np.ndarray:
    f = np.asarray(features, dtype=float)
    unit = f / np.linalg.norm(f, axis=1, keepdims=True)
    return unit @ unit[index]


RANK_BY_EXAMPLE = BuildIt(
    name="rank_by_example",
    what="a function rank_by_example(features, index) that returns the other artworks' indices, most similar first",
    reference=retrieval.rank_by_example,
    package="retrieval.rank_by_example",
    cases=_galleries,
    mistakes=[
        Mistake(
            lambda f, i: _order(
                -np.linalg.norm(np.asarray(f) - np.asarray(f)[i], axis=1), i
            ),
            "That ranks by Euclidean distance, which mixes how strongly a painting activates "
            "the features with which ones it activates; cosine similarity compares the "
            "direction only (divide each row by its length first).",
        ),
        Mistake(
            lambda f, i: _order(_cosine(f, i), i, keep=True),
            "The query itself is in the ranking (it is always the most similar to itself): "
            "leave artwork `index` out.",
        ),
        Mistake(
            lambda f, i: _order(-_cosine(f, i), i),
            "The order is reversed: the most similar artwork (the highest cosine "
            "similarity) comes first.",
        ),
        Mistake(
            lambda f, i: _order(
                np.nan_to_num(_unsafe_cosine(f, i), nan=-np.inf), i
            ),
            "An artwork whose features are all 0 has length 0: dividing by it gives nan. "
            "Divide by np.maximum(length, 1e-12), so its similarity is 0, as the package's.",
        ),
    ],
)


EXERCISES["ex-15-4"] = Exercise(
    "rank_by_example",
    RANK_BY_EXAMPLE.what,
    RANK_BY_EXAMPLE,
    "Divide each row by its length (np.linalg.norm(..., axis=1, "
    "keepdims=True), at least 1e-12), take the dot product of every row with "
    "the query's row, sort from high to low (np.argsort of the negative, "
    "kind='stable') and drop `index`.",
    "import numpy as np\n"
    "\n"
    "\n"
    "def rank_by_example(features, index):\n"
    "    f = np.asarray(features, dtype=float)\n"
    "    length = np.linalg.norm(f, axis=1, keepdims=True)\n"
    "    unit = f / np.maximum(length, 1e-12)  # an all-0 row stays 0\n"
    "    similarity = unit @ unit[index]\n"
    '    order = np.argsort(-similarity, kind="stable")\n'
    "    return order[order != index]  # the query is not its own answer",
    why="Cosine similarity compares which features a painting activates, not "
    "how strongly, and the query is left out, so the first index is the "
    "nearest other artwork.",
)

WRONG_ANSWERS["ex-15-4"] = [
    (np.arange(3), "define it with `def`"),
    (lambda features: np.arange(3), "cannot be called with 2 argument(s)"),
    (
        lambda features, index: np.arange(len(features)),
        "gives an array of shape",
    ),
]
