"""Exercises of chapter 06, "Dropout and augmentation"."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import layers

from course_utils.exercises import (
    Exercise,
    Wrong,
    all_layers,
    as_model,
    effective_activation,
    fmt,
    output_shape,
    params,
)
from course_utils.exercises.build_it import (
    BuildIt,
    Case,
    Mistake,
    model_input,
    model_run,
    sizes_text,
)
from course_utils.exercises.counting import number_checker
from course_utils.models import cnns

FEATURES = 15 * 15 * 64  # the values the dropout layer sees per image
#: What the dropout model's head reads: the last pooling's maps.
MAPS = (15, 15, 64)
#: The head's parameters: the dense layer after the flatten and the logits.
HEAD_PARAMS = (FEATURES * 128 + 128) + (128 * 7 + 7)  # 1,844,231


def _check_head(answer: Any) -> None:
    """The layers after the last pooling of the dropout model: Dropout(0.2), Flatten, Dense(128, relu),
    Dense(7) logits. Checked by what they do, so Dropout after the Flatten (the same) passes too."""
    model = as_model(answer, MAPS, "the head (reading 15 × 15 × 64 maps)")
    found = all_layers(model)
    drops = [layer for layer in found if isinstance(layer, layers.Dropout)]
    dense = [layer for layer in found if isinstance(layer, layers.Dense)]
    if not drops:
        raise Wrong(
            "There is no Dropout layer: the head starts by dropping 20 % of "
            "the pooled values, layers.Dropout(0.2)."
        )
    rate = float(drops[0].rate)
    if len(drops) == 1 and math.isclose(rate, 0.8):
        raise Wrong(
            "Dropout(0.8) sets 80 % of the values to zero: Keras's rate is "
            "the share dropped, and the study drops 20 %."
        )
    if len(drops) > 1 or not math.isclose(rate, 0.2):
        raise Wrong(
            "The study's head has one Dropout layer with rate 0.2 (20 % "
            f"dropped); this one has {len(drops)} with rate {fmt(rate)}."
        )
    shape = output_shape(model, MAPS)
    if len(shape) > 1:
        raise Wrong(
            f"The output has shape {shape}: flatten the 15 × 15 × 64 maps "
            "(layers.Flatten()) before the dense layers."
        )
    if shape != (7,):
        raise Wrong(
            f"The head outputs {shape[0]} values; it ends in one logit per "
            "class: 7."
        )
    if len(dense) != 2 or dense[0].units != 128:
        raise Wrong(
            "Between the flatten and the 7 logits the study has one Dense "
            "layer of 128 units (ReLU)."
        )
    hidden, last = (effective_activation(found, d) for d in dense)
    if hidden != "relu":
        raise Wrong(
            "The 128-unit layer uses ReLU (activation='relu'); it has "
            f"{hidden}."
        )
    if last == "softmax":
        raise Wrong(
            "The study's models end in 7 logits without an activation: the "
            "loss applies the softmax. Leave out activation='softmax'."
        )
    if last != "linear":
        raise Wrong(
            f"The last layer gives logits: no activation (it has {last})."
        )
    if found.index(drops[0]) > found.index(dense[0]):
        raise Wrong(
            "Dropout comes after the 128-unit layer here; the study drops "
            "values of the pooled maps, before any dense layer."
        )
    if model.count_params() != HEAD_PARAMS:
        raise Wrong(
            f"This head has {params(model)} parameters, the study's "
            f"{fmt(HEAD_PARAMS)}: the Flatten passes all 14,400 values on "
            "(no pooling inside the head)."
        )


EXERCISES = {
    "ex-06-1": Exercise(
        "dropped",
        "a number (how many values dropout sets to zero, on average)",
        number_checker(
            "the average number of values set to zero",
            0.2 * FEATURES,
            {
                0.2: "0.2 is the share of values dropped; the question asks "
                "how many of the 14,400 that is.",
                20: "20 is the percentage dropped; the question asks how many "
                "of the 14,400 values that is.",
                0.8
                * FEATURES: "That is how many are kept: dropout *drops* "
                "20 %.",
                0.2
                * 128: "Dropout sits before the flatten, on the 15×15×64 "
                "maps, not on the 128 dense units.",
            },
            "{value} is not it: dropout drops each of the 15×15×64 values "
            "with probability 0.2.",
        ),
        "The dropout layer sees the output of the last pooling: 15 × 15 × 64 "
        "values per image.",
        "dropped = 0.2 * 15 * 15 * 64  # 2,880 of 14,400 on average",
        why="Each of the 15 × 15 × 64 = 14,400 values is dropped with "
        "probability 0.2: 2,880 on average.",
    ),
    "ex-06-2": Exercise(
        "head",
        "a keras.Sequential reading 15 × 15 × 64 maps",
        _check_head,
        "`keras.Sequential([keras.Input((15, 15, 64)), ...])` with the "
        "layers `cnns.dropout` puts after its last MaxPooling2D: a Dropout, "
        "a Flatten and two Dense layers.",
        "import keras\n"
        "from keras import layers\n"
        "\n"
        "head = keras.Sequential(\n"
        "    [\n"
        "        keras.Input((15, 15, 64)),\n"
        "        layers.Dropout(0.2),\n"
        "        layers.Flatten(),\n"
        '        layers.Dense(128, activation="relu"),\n'
        "        layers.Dense(7),  # logits: no activation\n"
        "    ]\n"
        ")\n"
        "head.count_params()  # 1,844,231 of the model's 1,867,815",
        why="Dropout(0.2) zeroes 20 % of the pooled values, Flatten passes "
        "all 14,400 to 128 ReLU units, and 7 linear units give the logits.",
    ),
}


def _head(*middle: layers.Layer) -> keras.Sequential:
    """A head around ``middle``, for the list of mistakes."""
    return keras.Sequential([keras.Input(MAPS), *middle])


#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-06-1": [
        (0.2, "share"),
        (20, "percentage dropped"),
        (11_520, "kept"),
        (25.6, "128 dense units"),
        (2800, "Close — give more digits"),
    ],
    "ex-06-2": [
        (
            [
                layers.Dropout(0.8),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dense(7),
            ],
            "share dropped",
        ),
        (
            [
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dense(7),
            ],
            "no Dropout",
        ),
        (
            _head(
                layers.Dropout(0.2),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dense(7, activation="softmax"),
            ),
            "without an activation",
        ),
        (
            _head(
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dropout(0.2),
                layers.Dense(7),
            ),
            "before any dense layer",
        ),
        (
            _head(
                layers.Dropout(0.2),
                layers.GlobalAveragePooling2D(),
                layers.Dense(128, activation="relu"),
                layers.Dense(7),
            ),
            "all 14,400 values",
        ),
        (
            _head(
                layers.Dropout(0.2),
                layers.Dense(128, activation="relu"),
                layers.Dense(7),
            ),
            "flatten the 15 × 15 × 64 maps",
        ),
        (
            _head(
                layers.Dropout(0.2),
                layers.Flatten(),
                layers.Dense(128),
                layers.Dense(7),
            ),
            "ReLU",
        ),
        (
            _head(layers.Dropout(0.2), layers.Flatten(), layers.Dense(7)),
            "one Dense layer of 128 units",
        ),
        (
            keras.Sequential([keras.Input((125, 125, 3))]),
            "reads (15, 15, 64)",
        ),
        (layers.Dropout(0.2), "flatten the 15 × 15 × 64"),
    ],
}


# --- build it: the dropout model from its description (ex-06-4) --------------------------------------------------


def _small_images(rng: np.random.Generator) -> list[Case]:
    """The smallest image three poolings leave a value of (8 × 8) first, then two random small ones; a random
    number of classes each; pixel values 0…255 as the data have them."""
    shapes = [(8, 8, 3)] + [
        (
            int(rng.integers(8, 21)),
            int(rng.integers(8, 21)),
            int(rng.integers(1, 4)),
        )
        for _ in range(2)
    ]
    cases = []
    for k, shape in enumerate(shapes):
        classes = int(rng.integers(2, 8))
        note = f"{sizes_text(shape)} images, {classes} classes"
        if k == 0:
            note += ", the smallest size three poolings leave 1 × 1"
        cases.append(
            Case(
                (shape, classes), note, model_input(rng, shape, high=255.0)
            )
        )
    return cases


def _dropout_variant(
    input_shape, num_classes, rate=0.2, augment=True, rescale=True
):
    """The chapter's dropout model with one part changed: the typical slips."""
    stack = [keras.Input(input_shape)]
    stack += [cnns.augmentation()] if augment else []
    stack += [layers.Rescaling(1 / 255)] if rescale else []
    stack += [*cnns.conv_blocks(), layers.Dropout(rate), layers.Flatten()]
    stack += [
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ]
    return keras.Sequential(stack)


DROPOUT_CNN = BuildIt(
    name="dropout_cnn",
    what="a function dropout_cnn(input_shape, num_classes) that returns the chapter's model",
    reference=cnns.dropout,
    package="cnns.dropout",
    cases=_small_images,
    run=model_run("the dropout model (a keras.Sequential)"),
    mistakes=[
        Mistake(
            lambda shape, classes: _dropout_variant(
                shape, classes, rate=0.5
            ),
            "The dropout rate is 0.2 (20 % of the pooled values dropped in training); "
            "this model drops a different share.",
        ),
        Mistake(
            lambda shape, classes: _dropout_variant(
                shape, classes, augment=False
            ),
            "The augmentation is missing: the model starts with the chapter's random flips, "
            "rotations and zooms (cnns.augmentation(), active in training only).",
        ),
        Mistake(
            lambda shape, classes: _dropout_variant(
                shape, classes, rescale=False
            ),
            "The pixels are not rescaled: after the augmentation, layers.Rescaling(1 / 255) "
            "turns 0…255 into 0…1, as in every study model.",
        ),
    ],
)

EXERCISES["ex-06-4"] = Exercise(
    "dropout_cnn",
    DROPOUT_CNN.what,
    DROPOUT_CNN,
    "Return a keras.Sequential: keras.Input(input_shape), "
    "cnns.augmentation(), layers.Rescaling(1 / 255), the three blocks of "
    "cnns.conv_blocks(), layers.Dropout(0.2), layers.Flatten(), a 128-unit "
    "ReLU dense layer and a dense layer of num_classes logits.",
    "import keras\n"
    "from keras import layers\n"
    "\n"
    "from course_utils.models import cnns\n"
    "\n"
    "\n"
    "def dropout_cnn(input_shape, num_classes):\n"
    "    return keras.Sequential([\n"
    "        keras.Input(input_shape),\n"
    "        cnns.augmentation(),  # flips, rotations, zooms\n"
    "        layers.Rescaling(1 / 255),\n"
    "        *cnns.conv_blocks(),  # 16, 32, 64 filters\n"
    "        layers.Dropout(0.2),\n"
    "        layers.Flatten(),\n"
    '        layers.Dense(128, activation="relu"),\n'
    "        layers.Dense(num_classes),\n"
    "    ])",
    why="Augmentation and dropout act only in training, so in prediction the "
    "model computes what the original CNN computes; the three conv–pool "
    "blocks, the 128-unit layer and the logits hold all its weights.",
)

WRONG_ANSWERS["ex-06-4"] = [
    (cnns.dropout((125, 125, 3), 7), "Keras Sequential: put the code"),
    (
        lambda input_shape: cnns.dropout(input_shape),
        "cannot be called with 2 argument(s)",
    ),
    (
        lambda input_shape, num_classes: cnns.original(
            input_shape, num_classes
        ),
        "training-only layers",
    ),
]
