"""Exercises of chapter 07, "LeNet-5"."""

from __future__ import annotations

import math

from course_utils.exercises import Exercise
from course_utils.exercises.counting import number_checker

DENSE1 = 31 * 31 * 16 * 128 + 128  # 1,968,256
SLOPE_AT_2 = 1 - math.tanh(2) ** 2  # 0.0707

EXERCISES = {
    "ex-07-1": Exercise(
        "dense1_params",
        "a whole number (the first dense layer's parameters)",
        number_checker(
            "the first dense layer's parameter count",
            DENSE1,
            {
                DENSE1
                - 128: "Add the biases: one for each of the 128 units.",
                31
                * 31
                * 16: "15,376 is the number of inputs (the flatten size); each connects to 128 units.",
                1_843_328: "That is the original CNN's dense layer (15×15×64 inputs); LeNet-5 flattens 31×31×16.",
                62 * 62 * 16 * 128
                + 128: "There are two average-pooling layers: 125 → 62 → 31.",
            },
            "{value} is not it: flatten size (31×31×16) × 128 units, plus 128 biases.",
            whole=True,
        ),
        "Follow the shapes: 125 → (pool) 62 → (pool) 31, with 16 maps; a dense layer has inputs × units + units.",
        "dense1_params = 31 * 31 * 16 * 128 + 128  # 1,968,256",
        why="Two poolings leave 31 × 31 × 16 = 15,376 inputs, each connected "
        "to 128 units, plus 128 biases.",
    ),
    "ex-07-2": Exercise(
        "tanh_slope",
        "a number (the slope of tanh at 2)",
        number_checker(
            "the slope of tanh at x = 2",
            SLOPE_AT_2,
            {
                math.tanh(
                    2
                ): "0.964 is tanh(2) itself; the slope is 1 − tanh(2)².",
                math.tanh(2)
                ** 2: "That is tanh(2)²; the slope is one minus it.",
                1.0: "A slope of 1 is ReLU's for every positive input; tanh flattens out.",
            },
            "{value} is not it: the derivative of tanh is 1 − tanh(x)².",
        ),
        "The derivative of tanh(x) is 1 − tanh(x)²; `math.tanh` or `numpy.tanh` computes tanh.",
        "import math\n"
        "\n"
        "tanh_slope = 1 - math.tanh(2) ** 2  # 0.0707: 1/14 of it at 0",
        why="tanh(2) ≈ 0.964, so the slope is 1 − 0.929 ≈ 0.071: a gradient "
        "passing there keeps a fourteenth of its size.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-07-1": [
        (DENSE1 - 128, "biases"),
        (15_376, "flatten size"),
        (1_843_328, "original CNN"),
        (62 * 62 * 16 * 128 + 128, "two average-pooling"),
        (1.97e6, "Close, but 1,970,000"),
        (1968256.5, "not a whole number"),
    ],
    "ex-07-2": [
        (0.964, "tanh(2) itself"),
        (0.9293, "one minus"),
        (1, "ReLU"),
        (0.075, "Close — give more digits"),
        (7.07, "not it"),
    ],
}
