"""Exercises of chapter 17, "Whose emotion? Subjectivity and bias"."""

from __future__ import annotations

import numpy as np

from course_utils.analysis import subjectivity, uncertainty
from course_utils.exercises import (
    FRACTION,
    Exercise,
    Wrong,
    check_number,
    expect_number,
)
from course_utils.exercises.build_it import BuildIt, Case, Mistake


def _check_weight(answer: object) -> None:
    """Fear 0.45, love 0.30: Aggressive + Euphoric at 0.30 only, out of four labelled thresholds."""
    reach = (
        "{value}: check which thresholds love reaches (it counts only where "
        "0.30 ≥ threshold)."
    )
    check_number(
        answer,
        0.25,
        "the weight on Aggressive + Euphoric",
        unit=FRACTION,
        mistakes=[
            (
                0.2,
                "0.2 divides by all five thresholds, but at 0.50 the artwork "
                "has no class: that threshold drops out and the weights are "
                "renormalised over the labelled ones.",
            ),
            (
                0,
                "0 is the hard label's weight (at 0.40 only fear counts); "
                "the soft target also looks at 0.30.",
            ),
            (
                0.3,
                "0.3 is love's share, not a weight: count at how many "
                "thresholds the class is Aggressive + Euphoric.",
            ),
            (
                0.75,
                "0.75 is the weight on Aggressive (0.35, 0.40, 0.45); the "
                "question asks for Aggressive + Euphoric.",
            ),
            (0.4, reach.format(value="0.4")),
            (0.5, reach.format(value="0.5")),
        ],
        otherwise="{value} is not it: list the class at each of the five "
        "thresholds, drop those without one, and take the fraction that are "
        "Aggressive + Euphoric.",
    )


def _check_ece(answer: object) -> None:
    """ECE of two bins: 60 images at confidence 0.9 (accuracy 0.6) and 40 at 0.55 (accuracy 0.6)."""
    value = expect_number(answer, "the expected calibration error")
    if value < 0:
        raise Wrong(
            "The ECE averages absolute gaps, so it is never negative."
        )
    check_number(
        value,
        0.2,
        "the expected calibration error",
        unit=FRACTION,
        mistakes={
            0.175: "0.175 is the plain mean of the two gaps; the ECE weights "
            "each bin by its share of images (60/100 and 40/100).",
            0.35: "0.35 adds the two gaps; weight each by its bin's share of "
            "the images instead.",
            0.16: "0.16 pools all images into one bin (accuracy 0.6, mean "
            "confidence 0.76); with ten bins the confidences 0.9 and 0.55 "
            "fall in different bins.",
            0.6: "0.6 is the accuracy; the ECE measures the gap between "
            "accuracy and confidence.",
        },
        otherwise="{value} is not it: per bin, take |accuracy − confidence|, "
        "then weight by the bin's share of the 100 images.",
    )


EXERCISES = {
    "ex-17-2": Exercise(
        "weight_ae",
        "a number between 0 and 1",
        _check_weight,
        "Write down the class at 0.30, 0.35, 0.40, 0.45 and 0.50; thresholds without a class drop out.",
        "weight_ae = 1 / 4  # A + E at 0.30; A at 0.35–0.45; none at 0.50",
        why="Four thresholds give a class (0.50 gives none), and only at "
        "0.30 is it Aggressive + Euphoric: 1 of 4.",
    ),
    "ex-17-3": Exercise(
        "ece_answer",
        "a number between 0 and 1",
        _check_ece,
        "Each group has accuracy 0.6; ECE = Σ (bin count / total) × |accuracy − confidence|.",
        "# 0.6 × 0.3 + 0.4 × 0.05 = 0.2\n"
        "ece_answer = 0.6 * abs(36 / 60 - 0.9) + 0.4 * abs(24 / 40 - 0.55)",
        why="Each bin's gap |0.6 − confidence| weighted by its share of the "
        "images: 0.6 × 0.3 + 0.4 × 0.05 = 0.2.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-17-2": [
        (0.2, "drops out"),
        (0, "hard label"),
        (0.3, "love's share"),
        (0.75, "weight on Aggressive"),
        (0.5, "which thresholds love reaches"),
        (25, "as a percentage"),
        (0.24, "Close — give more digits"),
        (0.9, "not it"),
    ],
    "ex-17-3": [
        (0.175, "plain mean"),
        (0.35, "adds the two gaps"),
        (0.16, "one bin"),
        (0.6, "is the accuracy"),
        (-0.2, "never negative"),
        (20, "as a percentage"),
        (0.21, "Close — give more digits"),
        (0.9, "not it"),
    ],
}


# --- build it: the soft-label loss (ex-17-5) --------------------------------------------------------------------


def _soft_batches(rng: np.random.Generator) -> list[Case]:
    """Soft targets (rows that sum to 1) and logits: one-hot targets, a target split over two classes, logits
    800 apart (np.exp(800) overflows), a batch of one, then five random batches of 2 to 9."""

    def targets(n: int, k: int) -> np.ndarray:
        t = rng.dirichlet(np.full(k, 0.5), size=n)
        return (t / t.sum(axis=1, keepdims=True)).round(4)

    onehot = np.eye(5)[rng.integers(0, 5, 4)]
    split = np.array([[0.5, 0.5, 0, 0], [0, 2 / 3, 1 / 3, 0]])
    far = np.array([[800.0, 0, 0], [0, 800.0, 0]])
    cases = [
        Case(
            (onehot, rng.normal(0, 2, (4, 5)).round(3)),
            "one-hot targets (hard labels)",
        ),
        Case(
            (split, rng.normal(0, 2, (2, 4)).round(3)),
            "targets split over two classes",
        ),
        Case(
            (np.array([[0.5, 0.0, 0.5], [0.0, 0.5, 0.5]]), far),
            "logits 800 apart: np.exp(800) overflows",
        ),
        Case(
            (targets(1, 7), rng.normal(0, 2, (1, 7)).round(3)),
            "a batch of one artwork",
        ),
    ]
    for _ in range(5):
        n = int(rng.integers(2, 10))
        cases.append(
            Case((targets(n, 7), rng.normal(0, 3, (n, 7)).round(3)))
        )
    return cases


def _log_softmax(logits, stable: bool = True) -> np.ndarray:
    z = np.asarray(logits, dtype=float)
    if not stable:
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return np.log(p)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _soft_package(targets, logits) -> float:
    """The package's loss (subjectivity.soft_loss, a Keras loss) as a float."""
    return float(
        subjectivity.soft_loss()(
            np.asarray(targets, "float32"), np.asarray(logits, "float32")
        )
    )


SOFT_LOSS = BuildIt(
    name="soft_cross_entropy",
    what="a function soft_cross_entropy(targets, logits) that returns the mean loss (a number)",
    reference=_soft_package,
    package="subjectivity.soft_loss()",
    cases=_soft_batches,
    mistakes=[
        Mistake(
            lambda t, z: float(
                -np.mean(
                    _log_softmax(z)[np.arange(len(t)), np.argmax(t, axis=1)]
                )
            ),
            "That scores only each target's most likely class (a hard label): the soft loss "
            "weighs the log-probability of every class by its share of the target.",
        ),
        Mistake(
            lambda t, z: float(-np.sum(np.asarray(t) * _log_softmax(z))),
            "That is the sum over the batch; Keras's losses (and the package's) report the "
            "mean over the artworks of the batch.",
        ),
        Mistake(
            lambda t, z: float(
                -np.mean(
                    np.sum(
                        np.asarray(t) * _log_softmax(z, stable=False),
                        axis=1,
                    )
                )
            ),
            "Far-apart logits break a softmax computed first: np.exp(800) overflows (and a "
            "probability of exactly 0 has log -inf). "
            "Compute the log-softmax directly: z - max(z) - log(sum(exp(z - max(z)))).",
        ),
        Mistake(
            lambda t, z: float(
                -np.mean(
                    np.sum(
                        np.asarray(t) * np.log(np.abs(z) + 1e-12), axis=1
                    )
                )
            ),
            "The loss reads logits: turn them into log-probabilities with a log-softmax "
            "before weighing them by the targets.",
        ),
    ],
)

EXERCISES["ex-17-5"] = Exercise(
    "soft_cross_entropy",
    SOFT_LOSS.what,
    SOFT_LOSS,
    "Per artwork the loss is -sum(target × log-softmax(logits)); compute the "
    "log-softmax stably, z - max(z) - log(sum(exp(z - max(z)))), each row "
    "on its own, and average the rows.",
    "import numpy as np\n"
    "\n"
    "\n"
    "def soft_cross_entropy(targets, logits):\n"
    "    z = np.asarray(logits, dtype=float)\n"
    "    z = z - z.max(axis=1, keepdims=True)  # no overflow\n"
    "    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
    "    per_artwork = -(np.asarray(targets) * log_p).sum(axis=1)\n"
    "    return float(per_artwork.mean())",
    why="Each class's log-probability counts with its share of the target, "
    "so a model is asked to be as unsure as the annotators were; with "
    "one-hot targets it is the usual cross-entropy.",
)

WRONG_ANSWERS["ex-17-5"] = [
    (0.7, "define it with `def`"),
    (lambda targets: 0.7, "cannot be called with 2 argument(s)"),
    (lambda targets, logits: 0.7, "gives 0.7, but the package's"),
]


# --- build it: an interval that resamples artists (ex-17-6) -----------------------------------------------------

#: Resamples of the artists, and the interval's confidence.
RESAMPLES, CONFIDENCE = 1000, 0.95


def _grouped_hits(
    rng: np.random.Generator, artists: int, most: int, spread: float
) -> tuple:
    """Hits (1 right, 0 wrong) of works by ``artists`` artists with 1 to ``most`` works each; each artist has
    an accuracy of their own (``spread``: how far artists differ), and big artists are the harder ones."""
    counts = rng.integers(1, most + 1, size=artists)
    ease = np.clip(
        rng.normal(0.8 - 0.5 * counts / most, spread), 0.02, 0.98
    )
    hits = np.concatenate(
        [rng.random(c) < p for c, p in zip(counts, ease)]
    ).astype(int)
    names = np.repeat([f"Artist {i:02d}" for i in range(artists)], counts)
    order = rng.permutation(len(names))
    return hits[order], names[order]


def _hit_lists(rng: np.random.Generator) -> list[Case]:
    """Each artist's works all right or all wrong (an artist is one piece of evidence), every artist with one
    work (the artists' and the works' interval coincide), then four random collections of 20 to 40 artists."""
    clustered = _grouped_hits(rng, 25, 12, 0.0)
    all_or_none = (
        np.repeat(rng.random(25) < 0.5, 8).astype(int),
        np.repeat([f"A{i}" for i in range(25)], 8),
    )
    single = (
        rng.integers(0, 2, 60),
        np.array([f"Artist {i:02d}" for i in range(60)]),
    )
    cases = [
        Case(
            (*all_or_none, int(rng.integers(1000))),
            "each artist's 8 works all right or all wrong",
        ),
        Case(
            (*clustered, int(rng.integers(1000))),
            "big artists are the hard ones",
        ),
        Case(
            (*single, int(rng.integers(1000))), "every artist has one work"
        ),
    ]
    for _ in range(4):
        hits, names = _grouped_hits(rng, int(rng.integers(20, 41)), 10, 0.2)
        cases.append(Case((hits, names, int(rng.integers(1000)))))
    return cases


def _per_artist(hits, artists) -> tuple[np.ndarray, np.ndarray]:
    """Each artist's hits and works."""
    names, codes = np.unique(np.asarray(artists), return_inverse=True)
    hits = np.asarray(hits, dtype=float)
    return np.bincount(
        codes, weights=hits, minlength=len(names)
    ), np.bincount(codes, minlength=len(names))


def _package_interval(hits, artists, seed) -> tuple[float, float]:
    """The package's bootstrap over artists: uncertainty.bootstrap_statistic on per-artist hits and works, the
    accuracy being all hits over all works."""
    right, works = _per_artist(hits, artists)
    result = uncertainty.bootstrap_statistic(
        lambda r, w: r.sum() / w.sum(),
        right,
        works,
        resamples=RESAMPLES,
        confidence=CONFIDENCE,
        seed=seed,
    )
    return result["low"], result["high"]


def _near_interval(got, expected) -> bool:
    """Two intervals agree when each end is within a fifth of the package's width (plus 0.01): two bootstraps
    with other random draws differ by far less; one that resamples works instead of artists does not."""
    try:
        low, high = (float(v) for v in got)
    except (TypeError, ValueError):
        return False
    slack = 0.2 * (expected[1] - expected[0]) + 0.01
    return (
        abs(low - expected[0]) <= slack and abs(high - expected[1]) <= slack
    )


def _works_interval(hits, artists, seed) -> tuple[float, float]:
    result = uncertainty.bootstrap_statistic(
        np.mean, np.asarray(hits, dtype=float), seed=seed
    )
    return result["low"], result["high"]


def _artist_mean_interval(hits, artists, seed) -> tuple[float, float]:
    right, works = _per_artist(hits, artists)
    result = uncertainty.bootstrap_statistic(
        np.mean, right / works, seed=seed
    )
    return result["low"], result["high"]


ARTIST_INTERVAL = BuildIt(
    name="artist_interval",
    what="a function artist_interval(hits, artists, seed) that returns a (low, high) pair",
    reference=_package_interval,
    package="uncertainty.bootstrap_statistic over artists",
    cases=_hit_lists,
    compare=_near_interval,
    mistakes=[
        Mistake(
            _works_interval,
            "That interval resamples works, as if each were independent evidence; works by "
            "one artist rise and fall together, so resample whole artists (all their works "
            "at once), which gives a wider, honest interval.",
        ),
        Mistake(
            _artist_mean_interval,
            "That averages the artists' accuracies, so an artist with one work counts as "
            "much as one with twelve; the accuracy is all hits over all works of the "
            "resampled artists.",
        ),
    ],
)

EXERCISES["ex-17-6"] = Exercise(
    "artist_interval",
    ARTIST_INTERVAL.what,
    ARTIST_INTERVAL,
    "Draw 1,000 times len(names) artists with replacement "
    "(np.random.default_rng(seed).integers); each draw's accuracy is the "
    "drawn artists' hits over their works; return the 2.5th and 97.5th "
    "percentiles (np.percentile).",
    "import numpy as np\n"
    "\n"
    "\n"
    "def artist_interval(hits, artists, seed):\n"
    "    names, who = np.unique(artists, return_inverse=True)\n"
    "    right = np.bincount(who, weights=hits)  # hits per artist\n"
    "    works = np.bincount(who)  # works per artist\n"
    "    rng = np.random.default_rng(seed)\n"
    "    draws = rng.integers(0, len(names), size=(1000, len(names)))\n"
    "    accuracy = right[draws].sum(axis=1) / works[draws].sum(axis=1)\n"
    "    low, high = np.percentile(accuracy, [2.5, 97.5])\n"
    "    return low, high",
    why="Works by one artist are not independent evidence, so the artists "
    "are resampled whole; where an artist's works agree, the interval is "
    "much wider than one that resamples single works.",
)

WRONG_ANSWERS["ex-17-6"] = [
    ((0.4, 0.6), "define it with `def`"),
    (
        lambda hits, artists: (0.4, 0.6),
        "cannot be called with 3 argument(s)",
    ),
    (
        lambda hits, artists, seed: (0.0, 1.0),
        "gives (0, 1), but the package's",
    ),
]
