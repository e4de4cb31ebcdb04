"""Exercises of chapter 13, "Predicting valence and arousal"."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers

from course_utils.data.schema import EMOTIONS
from course_utils.exercises import (
    Exercise,
    Wrong,
    all_layers,
    as_model,
    check_number,
    effective_activation,
    expect_number,
    fmt,
    output_shape,
    params,
    weighted_layers,
)
from course_utils.exercises.build_it import BuildIt, Case, Mistake
from course_utils.labels import (
    emotion_table,
    mean_va_targets,
    shares_frame,
    va_targets,
)

#: What the regression head reads: the 128 features of the original CNN's dense layer.
FEATURES = (128,)
HEAD_PARAMS = 128 * 2 + 2  # 258


def _check_valence(answer: object) -> None:
    """The valence of 60 % happiness (0.8) and 30 % sadness (−0.7) with the course's placements: the shares add up
    to 0.9, not more than 1, so the weighted sum is not divided: 0.27."""
    check_number(
        answer,
        0.27,
        "the valence of the mixed artwork",
        mistakes={
            0.3: "0.3 is the share-weighted *mean* (divided by 0.9): the "
            "course divides only when the shares add up to more than 1, "
            "so the tenth who chose neither emotion stays at the origin.",
            0.05: "0.05 is the plain mean of the two coordinates: weight "
            "each by its share of annotators.",
            0.8: "0.8 is happiness alone: the 30 % who chose sadness pull "
            "the point towards unpleasant.",
        },
        otherwise="{value} is not it: weight happiness (0.8) by 0.6 and "
        "sadness (−0.7) by 0.3 and add them; divide only when the shares "
        "add up to more than 1.",
    )


def _check_r2(answer: object) -> None:
    """R² of predicting the scored targets' own mean: exactly 0."""
    value = expect_number(answer, "an R² value")
    if value < -1e-6:
        raise Wrong(
            f"{fmt(value)} is below 0: that happens for a constant *other* "
            "than the scored targets' own mean, such as the training mean, "
            "or a mean cut to a whole number (np.full_like on an integer "
            "array keeps its type). Predict the exact mean of the array "
            "you score."
        )
    check_number(
        value,
        0.0,
        "an R² value",
        abs_tol=1e-6,
        mistakes={
            1.0: "R² = 1 is a perfect prediction; a constant explains none "
            "of the variation.",
        },
        otherwise="{value} is not it: R² compares the squared error with "
        "that of predicting the mean itself.",
    )


def _check_va_head(answer: Any) -> None:
    """A model from the 128 features to two linear outputs (valence and arousal)."""
    model = as_model(answer, FEATURES, "the head (reading 128 features)")
    shape = output_shape(model, FEATURES)
    if shape == (1,):
        raise Wrong(
            "One output: the point has two coordinates, valence and "
            "arousal, one unit each."
        )
    if shape != (2,):
        raise Wrong(
            f"The head outputs shape {shape}; it should give two numbers "
            "per artwork, valence and arousal."
        )
    last = effective_activation(
        all_layers(model), weighted_layers(model)[-1]
    )
    problems = {
        "softmax": "softmax makes the two outputs positive and sum to 1; a "
        "point's coordinates are free (valence can be negative).",
        "relu": "ReLU cuts off negative values, but valence and arousal go "
        "from −1 to 1.",
        "sigmoid": "sigmoid keeps the outputs between 0 and 1, but valence "
        "and arousal can be negative.",
    }
    if last != "linear":
        raise Wrong(
            problems.get(
                last,
                f"The outputs pass through {last}; the chapter's head is "
                "linear, with no activation, so any value can come out.",
            )
        )
    if model.count_params() != HEAD_PARAMS:
        raise Wrong(
            f"This head has {params(model)} parameters: the study's new part "
            "is a single dense layer from the 128 features to the 2 outputs "
            f"({fmt(HEAD_PARAMS)} parameters), with no hidden layer."
        )


EXERCISES = {
    "ex-13-1": Exercise(
        "valence_mixed",
        "a number (the valence)",
        _check_valence,
        "Build the artwork with `labels.shares_frame` and pass it to "
        "`labels.va_targets`.",
        "from course_utils.labels import shares_frame, va_targets\n"
        "\n"
        'mixed = shares_frame({"mixed": {"happiness": 0.6, "sadness": 0.3}})\n'
        "# 0.6 × 0.8 + 0.3 × −0.7 = 0.27 (the shares add up to 0.9 ≤ 1)\n"
        'valence_mixed = va_targets(mixed).loc["mixed", "valence"]',
        why="The share-weighted sum 0.6 × 0.8 + 0.3 × −0.7 is 0.27: sadness "
        "pulls the point towards unpleasant, and the 10 % who chose "
        "neither emotion keep it a little nearer the origin (the shares "
        "add up to 0.9, so they are not divided by their total).",
    ),
    "ex-13-2": Exercise(
        "r2_constant",
        "a number (an R² value)",
        _check_r2,
        "Score `np.full(len(y), y.mean())` against a float array `y` with "
        "`sklearn.metrics.r2_score` (`np.full_like` on an integer array "
        "would cut the mean to a whole number).",
        "import numpy as np\n"
        "from sklearn.metrics import r2_score\n"
        "\n"
        "y = np.array([0.1, 0.4, -0.2, 0.5])\n"
        "r2_constant = r2_score(y, np.full(len(y), y.mean()))  # 0.0",
        why="R² measures the squared error relative to predicting the mean "
        "of the scored targets, so that very predictor scores 0.",
    ),
    "ex-13-5": Exercise(
        "va_head",
        "a keras.Sequential reading 128 features",
        _check_va_head,
        "`keras.Sequential([keras.Input((128,)), ...])` with one Dense "
        "layer; which activation lets an output be any number?",
        "import keras\n"
        "from keras import layers\n"
        "\n"
        "va_head = keras.Sequential(\n"
        "    [keras.Input((128,)), layers.Dense(2)]  # linear: no activation\n"
        ")\n"
        "va_head.count_params()  # 128 × 2 + 2 = 258",
        why="Two linear units, one per coordinate, can output any valence "
        "and arousal; the dense layer has 128 × 2 + 2 = 258 parameters.",
    ),
}


def _head(*middle: layers.Layer) -> keras.Sequential:
    """A head around ``middle``, for the list of mistakes."""
    return keras.Sequential([keras.Input(FEATURES), *middle])


#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-13-1": [
        (0.3, "share-weighted *mean*"),
        (0.05, "plain mean"),
        (0.8, "happiness alone"),
        (0.28, "Close — give more digits"),
    ],
    "ex-13-2": [
        (1.0, "perfect prediction"),
        (-0.02, "training mean"),
        (-0.25, "cut to a whole number"),
        (0.5, "not it"),
    ],
    "ex-13-5": [
        (_head(layers.Dense(1)), "two coordinates"),
        (_head(layers.Dense(2, activation="softmax")), "sum to 1"),
        (_head(layers.Dense(2, activation="relu")), "negative values"),
        (_head(layers.Dense(2, activation="sigmoid")), "between 0 and 1"),
        (_head(layers.Dense(2, activation="tanh")), "linear"),
        (_head(layers.Dense(7)), "two numbers"),
        (
            _head(layers.Dense(16, activation="relu"), layers.Dense(2)),
            "no hidden layer",
        ),
        (keras.Sequential([keras.Input((125, 125, 3))]), "reads (128,)"),
        (2, "Expected the head"),
    ],
}


# --- build it: an artwork's valence and arousal target (ex-13-6) -------------------------------------------------


def _coordinates():
    """The committed coordinates (one row per emotion: valence, arousal), as the exercise passes them."""
    return emotion_table()[["valence", "arousal"]].copy()


def _votes(rng: np.random.Generator) -> list[Case]:
    """Shares of hand-picked artworks first (no votes, a total of exactly 1, a total above 1, one small share),
    then 20 random artworks with 1 to 5 emotions chosen, some by more than all annotators together."""
    coords = _coordinates()
    edges = [
        ({}, "no emotion chosen by anyone"),
        (
            {"happiness": 0.5, "sadness": 0.5},
            "shares adding up to exactly 1",
        ),
        (
            {"happiness": 0.8, "love": 0.6, "fear": 0.2},
            "shares adding up to more than 1",
        ),
        ({"anger": 0.1}, "one emotion chosen by a tenth of the annotators"),
    ]
    cases = [Case((shares, coords), note) for shares, note in edges]
    for _ in range(20):
        chosen = rng.choice(
            EMOTIONS, size=int(rng.integers(1, 6)), replace=False
        )
        shares = {
            str(e): float(s)
            for e, s in zip(
                chosen, rng.choice(np.arange(1, 10) / 10, len(chosen))
            )
        }
        cases.append(Case((shares, coords)))
    return cases


def _through_frame(rule, shares: dict, coordinates) -> tuple[float, float]:
    """``rule`` (a function of a shares frame, like va_targets) applied to one artwork's shares."""
    row = rule(shares_frame({"artwork": shares}), coordinates).iloc[0]
    return float(row["valence"]), float(row["arousal"])


def _plain_sum(shares: dict, coordinates) -> tuple[float, float]:
    point = sum(
        (s * coordinates.loc[e].to_numpy() for e, s in shares.items()),
        np.zeros(2),
    )
    return (
        (float(point[0]), float(point[1]))
        if shares
        else (float("nan"), float("nan"))
    )


def _coordinate_mean(shares: dict, coordinates) -> tuple[float, float]:
    if not shares:
        return float("nan"), float("nan")
    point = (
        coordinates.loc[[e for e, s in shares.items() if s > 0]]
        .to_numpy()
        .mean(axis=0)
    )
    return float(point[0]), float(point[1])


VA_TARGET = BuildIt(
    name="va_target",
    what="a function va_target(shares, coordinates) that returns a (valence, arousal) pair",
    reference=lambda shares, coordinates: _through_frame(
        va_targets, shares, coordinates
    ),
    package="labels.va_targets",
    cases=_votes,
    mistakes=[
        Mistake(
            lambda shares, coordinates: _through_frame(
                mean_va_targets, shares, coordinates
            ),
            "That is the share-weighted mean (always divided by the total share), the rule "
            "the chapter replaced: divide only where the shares add up to more than 1, so "
            "the annotators who chose none of them keep the point near the origin.",
        ),
        Mistake(
            _plain_sum,
            "Where the shares add up to more than 1 (annotators chose several emotions), "
            "divide the sum by that total, or the point can leave the plane.",
        ),
        Mistake(
            _coordinate_mean,
            "That is the plain mean of the chosen emotions' coordinates: weight each "
            "coordinate by its share.",
        ),
    ],
)

EXERCISES["ex-13-6"] = Exercise(
    "va_target",
    VA_TARGET.what,
    VA_TARGET,
    "Sum share × coordinates over the chosen emotions "
    "(coordinates.loc[emotion, ['valence', 'arousal']]); divide by the "
    "total share only where it is above 1; with no shares at all the "
    "target is (nan, nan).",
    "import numpy as np\n"
    "\n"
    "\n"
    "def va_target(shares, coordinates):\n"
    "    total = sum(shares.values())\n"
    "    if total == 0:\n"
    "        return np.nan, np.nan  # nobody chose an emotion\n"
    "    point = np.zeros(2)\n"
    "    for emotion, share in shares.items():\n"
    "        point += share * coordinates.loc[emotion].to_numpy()\n"
    "    point /= max(total, 1.0)  # divide only a total above 1\n"
    "    return point[0], point[1]",
    why="The share-weighted sum moves the point from the origin (no "
    "feeling) towards the chosen emotions as far as the annotators agree; "
    "dividing a total above 1 keeps it inside the plane.",
)

WRONG_ANSWERS["ex-13-6"] = [
    ((0.27, 0.1), "define it with `def`"),
    (lambda shares: (0, 0), "cannot be called with 2 argument(s)"),
    (lambda shares, coordinates: 0.27, "gives 0.27, but the package's"),
    (lambda shares, coordinates: coordinates.loc["joy"], "raised KeyError"),
]
