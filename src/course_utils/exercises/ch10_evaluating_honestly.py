"""Exercises of chapter 10, "Evaluating honestly"."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from course_utils.analysis import metrics
from course_utils.exercises import FRACTION, Exercise, check_number, fmt
from course_utils.exercises.build_it import (
    BuildIt,
    Case,
    Mistake,
    label_pairs,
)
from course_utils.labels import CLASS_NAMES

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


# --- build it: balanced accuracy (ex-10-6) ----------------------------------------------------------------------


def _per_class(y_true, y_pred, over: str) -> np.ndarray:
    """Recall (or precision) per class, over the classes in the labels, the predictions or both."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = {
        "labels": np.unique(y_true),
        "both": np.union1d(y_true, y_pred),
    }[over]
    hits = np.array(
        [np.sum((y_true == c) & (y_pred == c)) for c in classes]
    )
    support = np.array([np.sum(y_true == c) for c in classes])
    return np.where(support > 0, hits / np.maximum(support, 1), 0.0)


def _precision(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = np.unique(y_pred)
    return float(
        np.mean([np.mean(y_true[y_pred == c] == c) for c in classes])
    )


BALANCED_ACCURACY = BuildIt(
    name="balanced_accuracy",
    what="a function balanced_accuracy(y_true, y_pred) that returns a number",
    reference=lambda y_true, y_pred: metrics.scores(
        y_true, y_pred, CLASS_NAMES
    )["balanced accuracy"],
    package='metrics.scores(...)["balanced accuracy"]',
    cases=label_pairs,
    mistakes=[
        Mistake(
            lambda y_true, y_pred: float(
                np.mean(np.asarray(y_true) == np.asarray(y_pred))
            ),
            "That is the accuracy: every image counts once, so the large classes dominate. "
            "Balanced accuracy first computes each class's recall, then averages them.",
        ),
        Mistake(
            lambda y_true, y_pred: float(
                np.mean(_per_class(y_true, y_pred, "both"))
            ),
            "A class that is predicted but has no images has no recall: average the recalls "
            "of the classes in the labels (y_true) only, not of every class seen.",
        ),
        Mistake(
            _precision,
            "That averages each predicted class's precision (hits / predictions of the "
            "class); balanced accuracy averages recall (hits / images of the class).",
        ),
    ],
)

EXERCISES["ex-10-6"] = Exercise(
    "balanced_accuracy",
    BALANCED_ACCURACY.what,
    BALANCED_ACCURACY,
    "For each class c in np.unique(y_true), its recall is the share of its "
    "images predicted as c: np.mean(y_pred[y_true == c] == c). Average "
    "those recalls.",
    "import numpy as np\n"
    "\n"
    "\n"
    "def balanced_accuracy(y_true, y_pred):\n"
    "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
    "    recalls = [np.mean(y_pred[y_true == c] == c)\n"
    "               for c in np.unique(y_true)]  # classes with images\n"
    "    return float(np.mean(recalls))",
    why="Each class with images contributes its recall once, whatever its "
    "size, so always answering the majority class scores 1 / (number of "
    "classes), not the majority's share.",
)

WRONG_ANSWERS["ex-10-6"] = [
    (1 / 3, "define it with `def`"),
    (lambda y_true: 0.5, "cannot be called with 2 argument(s)"),
    (lambda y_true, y_pred: (y_true == y_pred).mean() / 0, "gives inf"),
    (lambda y_true, y_pred: 0.5, "gives 0.5, but the package's"),
]


# --- build it: an artist-grouped split (ex-10-7) ----------------------------------------------------------------

#: The share of works the split puts in validation.
VAL_SHARE = 0.2


@dataclass(frozen=True)
class SplitReading:
    """What a split of works into training and validation does: ``kind`` is "grouped" when no artist is on both
    sides and the validation share is near :data:`VAL_SHARE`, else the first problem ("not a mask", "artist on
    both sides", "too many", "too few"); equal readings are equal kinds."""

    kind: str
    detail: str = field(compare=False)

    def __repr__(self) -> str:
        return self.detail


def _artists(
    rng: np.random.Generator, groups: int, most: int
) -> np.ndarray:
    """The artist of each work: ``groups`` artists with 1 to ``most`` works each, in a random order."""
    counts = rng.integers(1, most + 1, size=groups)
    names = np.repeat([f"Artist {i:02d}" for i in range(groups)], counts)
    return names[rng.permutation(len(names))]


def artist_lists(rng: np.random.Generator) -> list[Case]:
    """Works by artist: every artist with one work, works sorted by artist, then six random collections of 15
    to 40 artists with up to 8 works each; the split's seed drawn too."""
    sorted_works = np.sort(_artists(rng, 20, 6))
    cases = [
        Case((_artists(rng, 30, 1), 0), "every artist has one work"),
        Case((sorted_works, 1), "the works sorted by artist"),
    ]
    for _ in range(6):
        artists = _artists(rng, int(rng.integers(15, 41)), 8)
        cases.append(Case((artists, int(rng.integers(1000)))))
    return cases


def read_split(mask, artists: np.ndarray) -> SplitReading:
    """How a validation mask splits the works: the problem it has, if any, in words."""
    array = np.asarray(mask)
    if array.shape != artists.shape or array.dtype.kind != "b":
        return SplitReading(
            "not a mask",
            f"{type(mask).__name__} of shape {array.shape} and type {array.dtype}, not {len(artists)} "
            "True/False values",
        )
    val = set(artists[array].tolist())
    both = sorted(val & set(artists[~array].tolist()))
    share = float(array.mean())
    largest = float(
        np.unique(artists, return_counts=True)[1].max() / len(artists)
    )
    slack = max(0.05, largest)
    text = f"a split with {share:.0%} of the {len(artists)} works in validation"
    if both:
        return SplitReading(
            "artist on both sides",
            f"{text}, and {len(both)} artists on both sides, e.g. {both[0]!r}",
        )
    if share > VAL_SHARE + slack or share == 1:
        return SplitReading("too many", f"{text}, more than about a fifth")
    if share < VAL_SHARE - slack or share == 0:
        return SplitReading("too few", f"{text}, less than about a fifth")
    return SplitReading("grouped", f"{text} and no artist on both sides")


def _run_split(function, case: Case) -> SplitReading:
    artists = case.args[0]
    return read_split(function(artists.copy(), case.args[1]), artists)


def _whole_artists(artists, seed) -> np.ndarray:
    """A grouped split as the solution makes one: the artists in a random order (``seed``), taken whole until
    their works reach a fifth of all works."""
    artists = np.asarray(artists)
    names, counts = np.unique(artists, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(names))
    reached = np.cumsum(counts[order]) >= VAL_SHARE * len(artists)
    last = int(np.argmax(reached))  # the artist that reaches a fifth
    return np.isin(artists, names[order[: last + 1]])


def _works_at_random(artists, seed) -> np.ndarray:
    return np.random.default_rng(seed).random(len(artists)) < VAL_SHARE


ARTIST_SPLIT = BuildIt(
    name="artist_split",
    what="a function artist_split(artists, seed) that returns a True/False array (True: validation)",
    reference=_whole_artists,
    package="grouped split",
    source="a grouped split (whole artists in a random order until a fifth of the works)",
    cases=artist_lists,
    run=_run_split,
    mistakes=[
        Mistake(
            _works_at_random,
            "An artist's works end up on both sides, so validation shows the model painters "
            "it learned from. Choose artists, then put all their works on one side.",
        ),
        Mistake(
            lambda artists, seed: ~_whole_artists(artists, seed),
            "About four fifths of the works are in validation: True marks the validation "
            "works, about a fifth of them.",
        ),
        Mistake(
            lambda artists, seed: np.zeros(len(artists), dtype=bool),
            "Validation holds (almost) none of the works: take artists until about a fifth "
            "of the works are in it.",
        ),
        Mistake(
            lambda artists, seed: np.flatnonzero(
                _whole_artists(artists, seed)
            ),
            "Return one True/False value per work (a mask), not the indices of the "
            "validation works: in_val = np.isin(artists, chosen_artists).",
        ),
    ],
)

EXERCISES["ex-10-7"] = Exercise(
    "artist_split",
    ARTIST_SPLIT.what,
    ARTIST_SPLIT,
    "Shuffle the distinct artists (np.unique, then "
    "np.random.default_rng(seed).permutation), add them to validation one "
    "by one until their works reach a fifth of all works, and return "
    "np.isin(artists, chosen).",
    "import numpy as np\n"
    "\n"
    "\n"
    "def artist_split(artists, seed):\n"
    "    artists = np.asarray(artists)\n"
    "    rng = np.random.default_rng(seed)\n"
    "    chosen, works = [], 0\n"
    "    for artist in rng.permutation(np.unique(artists)):\n"
    "        if works >= 0.2 * len(artists):  # a fifth of the works\n"
    "            break\n"
    "        chosen.append(artist)\n"
    "        works += np.sum(artists == artist)\n"
    "    return np.isin(artists, chosen)",
    why="Whole artists go to one side, so validation scores the model on "
    "painters it never trained on; the share is about a fifth, as close as "
    "whole artists allow.",
)

WRONG_ANSWERS["ex-10-7"] = [
    ([True, False], "define it with `def`"),
    (lambda artists: None, "cannot be called with 2 argument(s)"),
    (
        lambda artists, seed: [True] * len(artists),
        "True marks the validation",
    ),
]
