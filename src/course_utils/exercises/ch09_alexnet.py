"""Exercises of chapter 09, "AlexNet (scaled down)"."""

from __future__ import annotations

from course_utils.exercises import Exercise
from course_utils.exercises.counting import number_checker

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
