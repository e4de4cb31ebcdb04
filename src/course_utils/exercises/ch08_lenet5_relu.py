"""Exercises of chapter 08, "LeNet-5 with ReLU"."""

from __future__ import annotations

from course_utils.exercises import Exercise
from course_utils.exercises.counting import number_checker

# 64 → 32 → 16 after the two poolings: convolutions and the last two dense layers are as at 125 pixels
ONE_POOL = (
    (5 * 5 * 3 * 16 + 16)
    + (5 * 5 * 16 * 16 + 16)
    + (32 * 32 * 16 * 128 + 128)
    + (128 * 128 + 128)
    + (128 * 7 + 7)
)  # as if only one pooling halved the maps
PARAMS_64 = (
    (5 * 5 * 3 * 16 + 16)
    + (5 * 5 * 16 * 16 + 16)
    + (16 * 16 * 16 * 128 + 128)
    + (128 * 128 + 128)
    + (128 * 7 + 7)
)  # 549,463

EXERCISES = {
    "ex-08-1": Exercise(
        "params_64",
        "a whole number (the model's parameters at 64 × 64 pixels)",
        number_checker(
            "the parameter count at 64 × 64 pixels",
            PARAMS_64,
            {
                1_993_303: "That is the count at 125 × 125: the flatten size depends on the image size.",
                ONE_POOL: "Both average-poolings halve the maps: 64 → 32 → 16.",
            },
            "{value} is not it: only the dense layer after the flatten depends on the image size; "
            "build the model with `input_shape=(64, 64, 3)` and count.",
            whole=True,
        ),
        "`cnns.build('lenet5_relu', input_shape=(64, 64, 3))` builds it; `count_params()` counts.",
        "from course_utils.models import cnns\n"
        "\n"
        'small = cnns.build("lenet5_relu", input_shape=(64, 64, 3))\n'
        "params_64 = small.count_params()  # 549,463",
        why="Only the dense layer after the flatten depends on the image "
        "size: 64 → 32 → 16 leaves 16 × 16 × 16 inputs instead of 31 × 31 × 16.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-08-1": [
        (1_993_303, "125 × 125"),
        (ONE_POOL, "64 → 32 → 16"),
        (549_000, "Close, but 549,000"),
        ("549463", "leave out the quotes"),
    ],
}
