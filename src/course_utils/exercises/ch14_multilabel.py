"""Exercises of chapter 14, "One artwork, several moods: multi-label"."""

from __future__ import annotations

import numpy as np

from course_utils.analysis import scores
from course_utils.exercises import FRACTION, Exercise, check_number
from course_utils.exercises.build_it import BuildIt, Case, Mistake
from course_utils.labels import CLASS_NAMES, MERGED
from course_utils.training import heads


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
    "ex-14-1": Exercise(
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
    "ex-14-2": Exercise(
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
    "ex-14-1": [
        (1, "combined classes"),
        (3, "number of labels"),
        (7, "every class"),
        (4.5, "not a whole number"),
        (5, "not it"),
    ],
    "ex-14-2": [
        (8 / 9, "per label"),
        (2, "share of the three"),
        (1 / 9, "Hamming loss"),
        (200 / 3, "as a percentage"),
        (0.7, "Close — give more digits"),
        (0.1, "not it"),
    ],
}


# --- build it: the 7-class model's labels read as label probabilities (ex-14-5) ---------------------------------


def _logit_batches(rng: np.random.Generator) -> list[Case]:
    """The seven classes first, then without the rare class (as the grouped split has them), then without any
    class that holds Aggressive, then logits near 800 (np.exp overflows there), then five random batches."""
    names = list(CLASS_NAMES)
    grouped = [n for n in names if n != "Aggressive + Euphoric + Calm"]
    calm_euphoric = ["Calm", "Euphoric", "Euphoric + Calm"]
    cases = [
        Case(
            (rng.normal(0, 2, (3, 7)).round(3), names), "the seven classes"
        ),
        Case(
            (rng.normal(0, 2, (2, 6)).round(3), grouped),
            "six classes, without the rare one",
        ),
        Case(
            (rng.normal(0, 2, (2, 3)).round(3), calm_euphoric),
            "no class holds Aggressive",
        ),
        Case(
            (rng.normal(800, 2, (2, 7)).round(3), names),
            "logits near 800: np.exp(800) overflows",
        ),
    ]
    for _ in range(5):
        n = int(rng.integers(1, 6))
        cases.append(Case((rng.normal(0, 3, (n, 7)).round(3), names)))
    return cases


def _softmax(logits, stable: bool = True) -> np.ndarray:
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True) if stable else z)
    return e / e.sum(axis=1, keepdims=True)


def _members(class_names, exact: bool = False) -> np.ndarray:
    """Which class holds which label (classes × labels); ``exact``: only the class named the label itself."""
    return np.array(
        [
            [
                (label == name) if exact else (label in name.split(" + "))
                for label in MERGED
            ]
            for name in class_names
        ],
        dtype=float,
    )


LABEL_PROBABILITIES = BuildIt(
    name="label_probabilities",
    what="a function label_probabilities(logits, class_names) that returns an array (images × 3 labels)",
    reference=heads.class_label_probabilities,
    package="heads.class_label_probabilities",
    cases=_logit_batches,
    mistakes=[
        Mistake(
            lambda logits, names: (
                _softmax(logits) @ _members(names, exact=True)
            ),
            "Only the class named exactly like the label counts here. A label's probability "
            "sums every class that holds it: Calm is in 'Calm', 'Aggressive + Calm', "
            "'Euphoric + Calm' and 'Aggressive + Euphoric + Calm'.",
        ),
        Mistake(
            lambda logits, names: heads.sigmoid(logits) @ _members(names),
            "The 7 classes compete: their probabilities come from one softmax over the "
            "logits (they sum to 1), not from a sigmoid of each logit.",
        ),
        Mistake(
            lambda logits, names: (
                _softmax(logits, stable=False) @ _members(names)
            ),
            "np.exp overflows for large logits (inf / inf is nan): subtract each row's "
            "largest logit before np.exp; the softmax does not change.",
        ),
    ],
)

EXERCISES["ex-14-5"] = Exercise(
    "label_probabilities",
    LABEL_PROBABILITIES.what,
    LABEL_PROBABILITIES,
    "Softmax over each row (subtract the row's maximum before np.exp); then "
    "for each label of MERGED add the probabilities of the classes whose "
    'names hold it (label in name.split(" + ")).',
    "import numpy as np\n"
    "\n"
    "from course_utils.labels import MERGED\n"
    "\n"
    "\n"
    "def label_probabilities(logits, class_names):\n"
    "    z = np.asarray(logits, dtype=float)\n"
    "    z = z - z.max(axis=1, keepdims=True)  # no overflow\n"
    "    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
    "    holds = np.array([[label in name.split(' + ')\n"
    "                        for label in MERGED]\n"
    "                       for name in class_names], dtype=float)\n"
    "    return p @ holds  # images × labels",
    why="A class such as 'Aggressive + Calm' carries each of its quadrants, "
    "so a label is as probable as all the classes that hold it together; "
    "the probabilities of the three labels can add up to more than 1.",
)

WRONG_ANSWERS["ex-14-5"] = [
    (np.zeros((1, 3)), "define it with `def`"),
    (lambda logits: logits, "cannot be called with 2 argument(s)"),
    (
        lambda logits, class_names: np.asarray(logits)[:, :3],
        "gives an array of shape",
    ),
]


# --- build it: a label's threshold, tuned on validation (ex-14-6) ------------------------------------------------


def _label_scores(rng: np.random.Generator) -> list[Case]:
    """Probabilities on the threshold grid first (>= and > differ there), then no positive label at all, then a
    tie between thresholds, then 6 random labels of 10 to 60 artworks with probabilities that lean right."""
    grid = scores.THRESHOLDS
    y = rng.random(20) < 0.4
    on_grid = np.where(
        y, rng.choice(grid[8:], 20), rng.choice(grid[:12], 20)
    )
    cases = [
        Case(
            (y.astype(int), on_grid, grid),
            "probabilities exactly on the grid's thresholds",
        ),
        Case(
            (np.zeros(12, dtype=int), rng.random(12).round(3), grid),
            "no positive label",
        ),
        Case(
            (np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.3, 0.2]), grid),
            "many thresholds tie",
        ),
    ]
    for _ in range(6):
        n = int(rng.integers(10, 61))
        y = (rng.random(n) < rng.uniform(0.1, 0.6)).astype(int)
        prob = np.clip(0.3 * y + rng.normal(0.35, 0.2, n), 0, 1).round(3)
        cases.append(Case((y, prob, grid)))
    return cases


def _f1(y_true, y_pred) -> float:
    y_true, y_pred = (
        np.asarray(y_true, dtype=bool),
        np.asarray(y_pred, dtype=bool),
    )
    hits = np.sum(y_true & y_pred)
    return 2 * hits / (y_true.sum() + y_pred.sum()) if hits else 0.0


def _threshold(
    y_true,
    prob,
    grid,
    score=_f1,
    above=np.greater_equal,
    last: bool = False,
) -> float:
    """The threshold of the grid that scores best, with one slip: another score, > for >=, ties to the last."""
    values = np.array([score(y_true, above(prob, t)) for t in grid])
    best = np.flatnonzero(np.isclose(values, values.max()))
    return float(grid[best[-1] if last else best[0]])


BEST_THRESHOLD = BuildIt(
    name="best_threshold",
    what="a function best_threshold(y_true, prob, grid) that returns one threshold of the grid",
    reference=scores.best_threshold,
    package="scores.best_threshold",
    cases=_label_scores,
    mistakes=[
        Mistake(
            lambda y, p, grid: _threshold(y, p, grid, above=np.greater),
            "A probability equal to the threshold counts as a yes (prob >= t), as the "
            "chapter applies the threshold; > makes the grid's own values answer no.",
        ),
        Mistake(
            lambda y, p, grid: _threshold(
                y, p, grid, score=lambda t, q: np.mean(t == q)
            ),
            "That picks the threshold with the best accuracy; the chapter tunes each label "
            "for F1, which a rare label's many negatives cannot inflate.",
        ),
        Mistake(
            lambda y, p, grid: _threshold(y, p, grid, last=True),
            "On a tie take the lowest threshold with the best F1 (np.argmax returns the first "
            "maximum), as the package does.",
        ),
    ],
)

EXERCISES["ex-14-6"] = Exercise(
    "best_threshold",
    BEST_THRESHOLD.what,
    BEST_THRESHOLD,
    "For each t in grid compute the F1 of y_true against prob >= t "
    "(sklearn.metrics.f1_score with zero_division=0, or 2 · hits / "
    "(positives + yeses)); return the t of the first maximum (np.argmax).",
    "import numpy as np\n"
    "from sklearn.metrics import f1_score\n"
    "\n"
    "\n"
    "def best_threshold(y_true, prob, grid):\n"
    "    f1 = [f1_score(y_true, prob >= t, zero_division=0)\n"
    "          for t in grid]\n"
    "    return float(grid[np.argmax(f1)])  # the lowest on a tie",
    why="Each threshold turns the probabilities into yes/no answers, and the "
    "one with the best F1 on validation is kept; the test images then see "
    "it once, so the choice cannot flatter the test score.",
)

WRONG_ANSWERS["ex-14-6"] = [
    (0.5, "define it with `def`"),
    (lambda y_true, prob: 0.5, "cannot be called with 3 argument(s)"),
    (lambda y_true, prob, grid: 0.5, "gives 0.5, but the package's"),
]
