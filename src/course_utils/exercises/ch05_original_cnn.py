"""Exercises of chapter 05, "The original CNN"."""

from __future__ import annotations

from course_utils.exercises import Exercise
from course_utils.exercises.counting import number_checker

CONV2 = 3 * 3 * 16 * 32 + 32  # 4,640
WIDER = (
    (3 * 3 * 3 * 32 + 32)
    + (3 * 3 * 32 * 32 + 32)
    + (3 * 3 * 32 * 64 + 64)
    + (15 * 15 * 64 * 128 + 128)
    + (128 * 7 + 7)
)  # 1,872,871: the first convolution with 32 filters

EXERCISES = {
    "ex-05-1": Exercise(
        "conv2_params",
        "a whole number (the second convolution's parameters)",
        number_checker(
            "the second convolution's parameter count",
            CONV2,
            {
                4608: "That counts the weights but not the biases: every one of the 32 filters also has a bias.",
                448: "448 belongs to the first convolution (3 colour channels in); the second one reads 16 feature maps.",
                9248: "That is 3×3×32×32 + 32: the second convolution reads the 16 maps of the first, not 32.",
                160: "3×3×16 + 16 is one filter's worth per output: multiply by the 32 filters (and add 32 biases).",
            },
            "{value:g} is not it: each of the 32 filters has a 3×3 window over all 16 input maps, plus one bias.",
        ),
        "A Conv2D layer has kernel height × kernel width × input channels × filters weights, "
        "plus one bias per filter.",
        "conv2_params = 3 * 3 * 16 * 32 + 32  # 4,640",
    ),
    "ex-05-2": Exercise(
        "params_32",
        "a whole number (the whole model's parameters)",
        number_checker(
            "the parameter count of the wider model",
            WIDER,
            {
                1_867_815: "That is the original count: with 32 filters the first layer has twice as many weights.",
                1_868_263: "You updated the first convolution, but the second one now reads 32 maps instead of 16.",
                1_872_839: "Add the biases: the first convolution now has 32 of them.",
            },
            "{value:g} is not it: recount the first two convolutions; the flatten and dense layers do not change "
            "(the third convolution still has 64 filters).",
        ),
        "Only the first two convolutions change: the first has 32 filters, the second reads 32 maps. "
        "Everything after the second convolution is as before.",
        "params_32 = (\n"
        "    (3 * 3 * 3 * 32 + 32)  # first convolution: 32 filters\n"
        "    + (3 * 3 * 32 * 32 + 32)  # second: reads 32 maps, not 16\n"
        "    + (3 * 3 * 32 * 64 + 64)  # third: unchanged\n"
        "    + (15 * 15 * 64 * 128 + 128)  # dense after flatten: same\n"
        "    + (128 * 7 + 7)\n"
        ")  # 1,872,871",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-05-1": [
        (4608, "biases"),
        (448, "first convolution"),
        (9248, "16 maps"),
        (160, "32 filters"),
    ],
    "ex-05-2": [
        (1_867_815, "original count"),
        (1_868_263, "reads 32 maps"),
        (1_872_839, "biases"),
    ],
}
