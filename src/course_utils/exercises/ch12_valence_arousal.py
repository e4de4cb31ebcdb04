"""Exercises of chapter 12, "Predicting valence and arousal"."""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

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
    "ex-12-1": Exercise(
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
    "ex-12-2": Exercise(
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
    "ex-12-5": Exercise(
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
    "ex-12-1": [
        (0.3, "share-weighted *mean*"),
        (0.05, "plain mean"),
        (0.8, "happiness alone"),
        (0.28, "Close — give more digits"),
    ],
    "ex-12-2": [
        (1.0, "perfect prediction"),
        (-0.02, "training mean"),
        (-0.25, "cut to a whole number"),
        (0.5, "not it"),
    ],
    "ex-12-5": [
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
