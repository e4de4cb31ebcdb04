"""Exercises of chapter 05, "The original CNN"."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers

from course_utils.exercises import Exercise, Wrong
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

CONV2 = 3 * 3 * 16 * 32 + 32  # 4,640
WIDER = (
    (3 * 3 * 3 * 32 + 32)
    + (3 * 3 * 32 * 32 + 32)
    + (3 * 3 * 32 * 64 + 64)
    + (15 * 15 * 64 * 128 + 128)
    + (128 * 7 + 7)
)  # 1,872,871: the first convolution with 32 filters
#: An RGB image at the study's size, as a Conv2D layer sees it (batch axis first).
IMAGE = (None, 125, 125, 3)


def _check_conv_same(answer: Any) -> None:
    """A Conv2D with 16 filters of 5 × 5 whose output stays 125 × 125."""
    if isinstance(answer, keras.Model):
        raise Wrong(
            "That is a model; give the layer itself, e.g. "
            "`layers.Conv2D(...)`, not a Sequential around it."
        )
    if not isinstance(answer, keras.layers.Conv2D):
        raise Wrong(
            "Expected a keras.layers.Conv2D, but got "
            f"{type(answer).__name__}."
        )
    if answer.filters != 16:
        raise Wrong(
            f"{answer.filters} filters give {answer.filters} feature maps; "
            "the exercise asks for 16."
        )
    if tuple(answer.kernel_size) != (5, 5):
        size = " × ".join(map(str, answer.kernel_size))
        raise Wrong(
            f"That window is {size}; the exercise asks for 5 × 5 "
            "(kernel_size=5)."
        )
    height, width = answer.compute_output_shape(IMAGE)[1:3]
    if (height, width) == (125, 125):
        return
    if answer.padding == "valid":
        raise Wrong(
            f"Without padding a 5 × 5 window fits at only {height} × {width} "
            "positions (125 − 5 + 1): pad the image with padding='same'."
        )
    raise Wrong(
        f"Its output is {height} × {width}: strides={answer.strides} skip "
        "positions; keep the default strides of 1."
    )


EXERCISES = {
    "ex-05-1": Exercise(
        "conv2_params",
        "a whole number (the second convolution's parameters)",
        number_checker(
            "the second convolution's parameter count",
            CONV2,
            {
                4608: "That counts the weights but not the biases: every one "
                "of the 32 filters also has a bias.",
                448: "448 belongs to the first convolution (3 colour channels "
                "in); the second one reads 16 feature maps.",
                9248: "That is 3×3×32×32 + 32: the second convolution reads "
                "the 16 maps of the first, not 32.",
                160: "3×3×16 + 16 is one filter's worth per output: multiply "
                "by the 32 filters (and add 32 biases).",
            },
            "{value} is not it: each of the 32 filters has a 3×3 window over "
            "all 16 input maps, plus one bias.",
            whole=True,
        ),
        "A Conv2D layer has kernel height × kernel width × input channels × "
        "filters weights, plus one bias per filter.",
        "conv2_params = 3 * 3 * 16 * 32 + 32  # 4,640",
        why="32 filters, each with a 3 × 3 window over 16 maps (144 weights) "
        "and one bias: 32 × 145 = 4,640.",
    ),
    "ex-05-2": Exercise(
        "params_32",
        "a whole number (the whole model's parameters)",
        number_checker(
            "the parameter count of the wider model",
            WIDER,
            {
                1_867_815: "That is the original count: with 32 filters the "
                "first layer has twice as many weights.",
                1_868_263: "You updated the first convolution, but the second "
                "one now reads 32 maps instead of 16.",
                1_872_839: "Add the biases: the first convolution now has 32 "
                "of them.",
            },
            "{value} is not it: recount the first two convolutions; the "
            "flatten and dense layers do not change (the third convolution "
            "still has 64 filters).",
            whole=True,
        ),
        "Only the first two convolutions change: the first has 32 filters, "
        "the second reads 32 maps. Everything after the second convolution "
        "is as before.",
        "params_32 = (\n"
        "    (3 * 3 * 3 * 32 + 32)  # first convolution: 32 filters\n"
        "    + (3 * 3 * 32 * 32 + 32)  # second: reads 32 maps, not 16\n"
        "    + (3 * 3 * 32 * 64 + 64)  # third: unchanged\n"
        "    + (15 * 15 * 64 * 128 + 128)  # dense after flatten: same\n"
        "    + (128 * 7 + 7)\n"
        ")  # 1,872,871",
        why="Only the first two convolutions grow (448 → 896 and 4,640 → "
        "9,248); the large dense layer after the flatten is unchanged.",
    ),
    "ex-05-5": Exercise(
        "conv_same",
        "a keras.layers.Conv2D layer",
        _check_conv_same,
        "`layers.Conv2D(filters, kernel_size, padding=...)`; a layer's "
        "`compute_output_shape((None, 125, 125, 3))` shows its output "
        "without any data.",
        "from keras import layers\n"
        "\n"
        'conv_same = layers.Conv2D(16, 5, padding="same")\n'
        "conv_same.compute_output_shape((None, 125, 125, 3))\n"
        "# without padding: (None, 121, 121, 16), as 125 − 5 + 1 = 121",
        why="padding='same' adds two rows and columns of zeros on each side, "
        "so the 5 × 5 window fits at all 125 × 125 positions.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-05-1": [
        (4608, "biases"),
        (448, "first convolution"),
        (9248, "16 maps"),
        (160, "32 filters"),
        (4640.5, "not a whole number"),
        ("4640", "leave out the quotes"),
    ],
    "ex-05-2": [
        (1_867_815, "original count"),
        (1_868_263, "reads 32 maps"),
        (1_872_839, "biases"),
        (1.87e6, "Close, but 1,870,000 is not exact"),
        (1_872_872, "Close, but 1,872,872"),
    ],
    "ex-05-5": [
        (keras.layers.Conv2D(16, 5), "121 × 121"),
        (keras.layers.Conv2D(16, 5, padding="same", strides=2), "63 × 63"),
        (keras.layers.Conv2D(32, 5, padding="same"), "asks for 16"),
        (keras.layers.Conv2D(16, 3, padding="same"), "3 × 3"),
        (keras.layers.Dense(16), "Expected a keras.layers.Conv2D"),
        (
            keras.Sequential([keras.layers.Conv2D(16, 5, padding="same")]),
            "the layer itself",
        ),
    ],
}


# --- build it: a conv–pool block (ex-05-6) ----------------------------------------------------------------------


def _block_inputs(rng: np.random.Generator) -> list[Case]:
    """An odd-sized input first (pooling drops its last row and column), then three random small inputs, each
    with a random number of filters."""
    shapes = [(7, 9, 3)] + [
        (
            int(rng.integers(4, 13)),
            int(rng.integers(4, 13)),
            int(rng.integers(1, 4)),
        )
        for _ in range(3)
    ]
    cases = []
    for k, shape in enumerate(shapes):
        filters = int(rng.integers(1, 9))
        note = f"a {sizes_text(shape)} input"
        if k == 0:
            note += ", odd height and width"
        cases.append(Case((filters,), note, model_input(rng, shape)))
    return cases


def _block(
    filters: int,
    padding="same",
    activation="relu",
    pool=layers.MaxPooling2D,
    conv_first=True,
) -> list:
    """A conv–pool block with one setting changed: the typical slips."""
    conv = layers.Conv2D(filters, 3, padding=padding, activation=activation)
    return [conv, pool(2)] if conv_first else [pool(2), conv]


CONV_BLOCK = BuildIt(
    name="conv_block",
    what="a function conv_block(filters) that returns the layers of one conv–pool block",
    reference=lambda filters: cnns.conv_blocks((filters,)),
    package="cnns.conv_blocks((filters,))",
    cases=_block_inputs,
    run=model_run("a conv–pool block"),
    mistakes=[
        Mistake(
            lambda filters: _block(filters, padding="valid"),
            "Without padding='same' the 3 × 3 window fits at only (height − 2) × (width − 2) "
            "positions; the study's convolutions keep the size, only the pooling halves it.",
        ),
        Mistake(
            lambda filters: _block(filters, activation=None),
            "The convolution has no activation: the study's blocks pass it through ReLU "
            "(activation='relu').",
        ),
        Mistake(
            lambda filters: _block(filters, pool=layers.AveragePooling2D),
            "That pools by the average; the study's blocks keep the largest value of each "
            "2 × 2 block (MaxPooling2D).",
        ),
        Mistake(
            lambda filters: _block(filters, conv_first=False),
            "The pooling comes first here: the block convolves the image, then pools the "
            "feature maps.",
        ),
    ],
)

EXERCISES["ex-05-6"] = Exercise(
    "conv_block",
    CONV_BLOCK.what,
    CONV_BLOCK,
    "Return a list of two layers: a Conv2D with `filters` filters of 3 × 3, "
    "padding='same' and activation='relu', then a MaxPooling2D of 2 × 2.",
    "from keras import layers\n"
    "\n"
    "\n"
    "def conv_block(filters):\n"
    "    return [\n"
    '        layers.Conv2D(filters, 3, padding="same",\n'
    '                      activation="relu"),  # keeps the size\n'
    "        layers.MaxPooling2D(2),  # halves it, rounding down\n"
    "    ]",
    why="A 3 × 3 convolution with 'same' padding keeps height and width and "
    "makes one ReLU feature map per filter; the 2 × 2 max-pooling then "
    "halves the maps, rounding down.",
)

WRONG_ANSWERS["ex-05-6"] = [
    (
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        "Keras Conv2D: put the code",
    ),
    (
        lambda: [layers.MaxPooling2D(2)],
        "cannot be called with 1 argument(s)",
    ),
    (
        lambda filters: [
            layers.Conv2D(filters, 3),
            layers.Conv2D(filters, 3),
        ],
        "gives a model with",
    ),
    (
        lambda filters: "conv",
        "a conv–pool block (a keras.Sequential), but got str",
    ),
]
