"""Exercises of chapter 09, "AlexNet (scaled down)"."""

from __future__ import annotations

import functools

import numpy as np
from keras import layers

from course_utils.exercises import Exercise
from course_utils.exercises.build_it import BuildIt, Case, Mistake
from course_utils.exercises.counting import number_checker
from course_utils.models import cnns

CONV1 = 11 * 11 * 3 * 16 + 16  # 5,824
FLATTEN_POOL2 = 15 * 15 * 16  # 125 → 62 → 31 → 15 with 2×2 pooling

EXERCISES = {
    "ex-09-1": Exercise(
        "conv1_params",
        "a whole number (the first convolution's parameters)",
        number_checker(
            "the first convolution's parameter count",
            CONV1,
            {
                CONV1
                - 16: "Add the biases: one for each of the 16 filters.",
                11 * 11 * 16
                + 16: "A filter sees all three colour channels: 11 × 11 × 3 weights each.",
                3 * 3 * 3 * 16
                + 16: "448 is a 3 × 3 convolution; AlexNet's first kernel is 11 × 11.",
            },
            "{value} is not it: 11 × 11 window × 3 channels × 16 filters, plus 16 biases.",
            whole=True,
        ),
        "kernel height × kernel width × input channels × filters, plus one bias per filter.",
        "conv1_params = 11 * 11 * 3 * 16 + 16  # 5,824",
        why="16 filters, each with an 11 × 11 window over 3 colour channels "
        "(363 weights) and a bias: 16 × 364 = 5,824.",
    ),
    "ex-09-2": Exercise(
        "flatten_size",
        "a whole number (values after the flatten)",
        number_checker(
            "the flatten size with 2 × 2 pooling",
            FLATTEN_POOL2,
            {
                256: "256 is the size with the study's 3 × 3 pooling (125 → 41 → 13 → 4).",
                15
                * 15
                * 64: "The original CNN's last convolution has 64 filters; AlexNet's has 16.",
                16
                * 16
                * 16: "Pooling rounds down: 125 → 62 → 31 → 15, not 16.",
            },
            "{value} is not it: halve 125 three times, rounding down, and multiply by the 16 maps.",
            whole=True,
        ),
        "Each 2 × 2 pooling halves width and height, rounding down; the last convolution has 16 filters.",
        "flatten_size = (125 // 2 // 2 // 2) ** 2 * 16  # 15 × 15 × 16",
        why="2 × 2 pooling rounds down: 125 → 62 → 31 → 15, and the last "
        "convolution's 16 maps give 15 × 15 × 16 = 3,600 values.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-09-1": [
        (CONV1 - 16, "biases"),
        (1952, "three colour channels"),
        (448, "11 × 11"),
        (6000, "Close, but 6,000"),
    ],
    "ex-09-2": [
        (256, "3 × 3 pooling"),
        (14_400, "64 filters"),
        (4096, "rounds down"),
        (3600.5, "not a whole number"),
    ],
}


# --- build it: AlexNet's flatten size for any image size (ex-09-4) ----------------------------------------------


@functools.lru_cache(maxsize=64)
def _alexnet_flatten(side: int) -> int:
    """The number of values AlexNet's Flatten layer passes on for ``side`` × ``side`` RGB images, read from
    the package's model built for that size."""
    model = cnns.alexnet((side, side, 3))
    flatten = next(
        layer for layer in model.layers if isinstance(layer, layers.Flatten)
    )
    return int(flatten.output.shape[-1])


def _sides(rng: np.random.Generator) -> list[Case]:
    """The smallest side that leaves one value (27 = 3³), the study's 125, a side three poolings divide
    exactly and one just below it, then eight random sides from 28 to 300."""
    edges = [
        Case(
            (27,), "27 = 3 × 3 × 3, the smallest side that leaves one value"
        ),
        Case((125,), "the study's 125 × 125 images"),
        Case((81,), "a side three poolings by 3 divide exactly"),
        Case((80,), "one pixel short of 81: each pooling rounds down"),
    ]
    return edges + [
        Case((int(side),)) for side in rng.integers(28, 301, size=8)
    ]


def _flatten_variant(
    side: int,
    pool: int = 3,
    ceil: bool = False,
    channels: int = 16,
    square: bool = True,
) -> int:
    """The flatten size with one slip: another pooling size, rounding up, no channels, one side only."""
    for _ in range(3):
        side = -(-side // pool) if ceil else side // pool
    return side * (side if square else 1) * channels


ALEXNET_FLATTEN = BuildIt(
    name="alexnet_flatten",
    what="a function alexnet_flatten(side) that returns a whole number",
    reference=_alexnet_flatten,
    package="AlexNet's Flatten layer (cnns.alexnet((side, side, 3)))",
    cases=_sides,
    mistakes=[
        Mistake(
            lambda side: _flatten_variant(side, ceil=True),
            "That rounds up. MaxPooling2D(3) uses padding='valid': rows and columns that "
            "do not fill a 3 × 3 window are dropped, so each pooling rounds down (//).",
        ),
        Mistake(
            lambda side: _flatten_variant(side, pool=2),
            "That pools by 2; the scaled-down AlexNet pools with 3 × 3 windows "
            "(MaxPooling2D(3)), three times.",
        ),
        Mistake(
            lambda side: _flatten_variant(side, channels=1),
            "That counts the positions of one feature map; the last convolution has 16 "
            "filters, so multiply by 16.",
        ),
        Mistake(
            lambda side: _flatten_variant(side, square=False),
            "That is one side of the last maps times 16: the maps are square, so the side "
            "counts twice (side × side × 16).",
        ),
    ],
)

EXERCISES["ex-09-4"] = Exercise(
    "alexnet_flatten",
    ALEXNET_FLATTEN.what,
    ALEXNET_FLATTEN,
    "The convolutions use padding='same' and keep the size; each of the "
    "three MaxPooling2D(3) layers divides the side by 3, rounding down "
    "(//). The last convolution has 16 filters.",
    "def alexnet_flatten(side):\n"
    "    for _ in range(3):  # three poolings by 3, each rounding down\n"
    "        side = side // 3\n"
    "    return side * side * 16  # 16 maps of side × side",
    why="'same' convolutions keep the size and each 3 × 3 pooling keeps the "
    "whole windows only: 125 → 41 → 13 → 4, and 4 × 4 × 16 = 256.",
)

WRONG_ANSWERS["ex-09-4"] = [
    (256, "define it with `def`"),
    (lambda: 256, "cannot be called with 1 argument(s)"),
    (lambda side: 256, "gives 256, but the package's"),
]
