"""Exercises of chapter 17, "Scaling up"."""

from __future__ import annotations

import math
import numbers
from typing import Any

import keras

from course_utils.exercises import Exercise, Wrong, check_number
from course_utils.exercises.counting import number_checker

#: Exercise 17.1: a training set of 2,000 images on four GPUs at batch_size=32 per replica.
IMAGES, REPLICAS, PER_REPLICA = 2000, 4, 32
STEPS = math.ceil(IMAGES / (REPLICAS * PER_REPLICA))  # 16
#: Exercise 17.2: tuned on one GPU at batch 32 with Adam at 0.001, moved to eight GPUs at 16 per replica.
BASE_RATE, BASE_BATCH, GPUS, SMALL_BATCH = 0.001, 32, 8, 16
RATE = BASE_RATE * GPUS * SMALL_BATCH / BASE_BATCH  # 0.004
#: The square-root rule, the common heuristic for Adam (the exercise asks for the linear one).
SQRT_RATE = BASE_RATE * math.sqrt(GPUS * SMALL_BATCH / BASE_BATCH)  # 0.002


def _check_optimizer(answer: Any) -> None:
    """An Adam optimizer whose rate follows the linear rule (derived for SGD; for Adam a guess to test) for a
    global batch of 8 × 16 = 128 (4 × 32)."""
    if isinstance(answer, numbers.Real) and not isinstance(answer, bool):
        raise Wrong(
            "That is a number; build the optimizer itself: "
            "keras.optimizers.Adam(learning_rate=...)."
        )
    if not isinstance(answer, keras.optimizers.Optimizer):
        raise Wrong(
            "Expected a Keras optimizer such as keras.optimizers.Adam(...), "
            f"but got {type(answer).__name__}."
        )
    if not isinstance(answer, keras.optimizers.Adam):
        raise Wrong(
            f"That is {type(answer).__name__}; the run was tuned with Adam, "
            "and the rule scales its rate, not the algorithm."
        )
    try:
        rate = float(answer.learning_rate)
    except (TypeError, ValueError):
        raise Wrong(
            "Its learning rate is a schedule; give Adam one fixed rate "
            "(learning_rate=...)."
        ) from None
    check_number(
        rate,
        RATE,
        "the learning rate",
        mistakes={
            BASE_RATE
            * GPUS: "That scales by the 8 replicas, but each gets "
            "16 images, not 32: the global batch is 8 × 16 = 128, four times "
            "the 32 the rate was tuned for.",
            BASE_RATE: "0.001 is the one-GPU rate, but one step now averages "
            "8 × 16 = 128 images, four times as many.",
            BASE_RATE * SMALL_BATCH / BASE_BATCH: "That scales by the "
            "per-replica batch only; the step averages the global batch of "
            "all 8 replicas.",
            BASE_RATE
            / 4: "The rate grows with the global batch (each step "
            "averages more images); it does not shrink.",
            SQRT_RATE: "0.002 is square-root scaling (√4 × 0.001), the "
            "common heuristic for Adam and worth testing; the exercise asks "
            "for the linear rule, which scales by the whole factor of 4.",
        },
        otherwise="A rate of {value} is not it: multiply 0.001 by the global "
        "batch (replicas × per-replica batch) over the batch of 32 it was "
        "tuned for.",
    )


def _check_conv_flops(answer: object) -> None:
    """Forward FLOPs per image of the original CNN's first convolution."""
    check_number(
        answer,
        13_500_000,
        "a number of floating-point operations",
        whole=True,
        mistakes=[
            (
                6_750_000,
                "That counts multiply–adds; the course counts each "
                "multiply–add as 2 operations.",
            ),
            (
                27_000_000,
                "That counts a training step (forward and backward); the "
                "question asks for the forward pass.",
            ),
            (
                40_500_000,
                "That counts a training step (forward and backward); the "
                "question asks for the forward pass.",
            ),
            (
                123 * 123 * 16 * 27 * 2,
                "With `same` padding the output stays 125 × 125, not "
                "123 × 123.",
            ),
            (
                125 * 125 * 16 * 9 * 2,
                "Each filter sees all 3 colour channels: a 3 × 3 × 3 window, "
                "27 multiply–adds per output.",
            ),
        ],
        otherwise="{value} is not it: output positions × filters × "
        "(3 × 3 × 3) × 2.",
    )


EXERCISES = {
    "ex-17-1": Exercise(
        "steps",
        "a whole number (steps)",
        number_checker(
            "the number of steps",
            STEPS,
            {
                math.ceil(IMAGES / PER_REPLICA): "That takes 32 images per "
                "step, as on one GPU; `batch_size` is per replica, so a step "
                "of four replicas reads 128.",
                IMAGES // (REPLICAS * PER_REPLICA): "That drops the last, "
                "smaller batch of 80 images; an epoch reads every image, so "
                "round up.",
                IMAGES / (REPLICAS * PER_REPLICA): "An epoch takes whole "
                "steps: 15 full ones and one more for the last 80 images "
                "(round up).",
                IMAGES // REPLICAS: "That is how many images each GPU sees "
                "in an epoch; a step reads 32 on each.",
                math.ceil(
                    IMAGES / (PER_REPLICA / REPLICAS)
                ): "train() does "
                "not divide the batch among the GPUs; each replica gets "
                "`batch_size` images.",
            },
            "{value} is not it: divide the images by the global batch "
            "(per-replica batch × replicas) and round up.",
            whole=True,
        ),
        "The global batch is `batch_size × replicas`; `math.ceil` rounds "
        "up.",
        "import math\n"
        "\n"
        "global_batch = 32 * 4  # batch_size is per replica\n"
        "steps = math.ceil(2000 / global_batch)  # 15 full, 1 of 80: 16",
        why="A step reads 32 × 4 = 128 images, and 2,000 / 128 = 15.6: 15 "
        "full steps and one of the last 80 images.",
    ),
    "ex-17-2": Exercise(
        "optimizer",
        "a keras.optimizers.Adam",
        _check_optimizer,
        "The linear rule scales the rate with the global batch: 8 replicas × "
        "16 images against the 32 it was tuned for. "
        "`strategies.scaled_learning_rate(base, factor)` multiplies.",
        "import keras\n"
        "\n"
        "from course_utils.training.strategies import scaled_learning_rate\n"
        "\n"
        "factor = 8 * 16 / 32  # global batch 128, four times 32\n"
        "rate = scaled_learning_rate(0.001, factor)  # 0.004\n"
        "optimizer = keras.optimizers.Adam(learning_rate=rate)",
        why="Eight replicas of 16 make a global batch of 128, four times the "
        "32 the rate was tuned for: 4 × 0.001 = 0.004 by the linear rule, "
        "which was derived for SGD; for Adam it is a guess to test against "
        "square-root scaling (0.002).",
    ),
    "ex-17-3": Exercise(
        "conv1_flops",
        "a whole number",
        _check_conv_flops,
        "Output positions (125 × 125) × filters (16) × weights per filter "
        "(3 × 3 × 3) × 2.",
        "conv1_flops = 125 * 125 * 16 * (3 * 3 * 3) * 2  # 13,500,000",
        why="15,625 output positions × 16 filters × 27 multiply–adds × 2 "
        "FLOPs = 13,500,000.",
    ),
}

#: Common wrong answers and a piece of the feedback each gets (checked by the shared exercise test).
WRONG_ANSWERS = {
    "ex-17-1": [
        (63, "as on one GPU"),
        (15, "round up"),
        (15.625, "whole steps"),
        (500, "each GPU sees"),
        (250, "does not divide"),
        (20, "not it"),
    ],
    "ex-17-2": [
        (keras.optimizers.Adam(0.008), "8 × 16 = 128"),
        (keras.optimizers.Adam(0.001), "one-GPU rate"),
        (keras.optimizers.Adam(0.0005), "per-replica batch only"),
        (keras.optimizers.Adam(0.00025), "does not shrink"),
        (keras.optimizers.Adam(0.002), "square-root scaling"),
        (keras.optimizers.Adam(0.0041), "Close — give more digits"),
        (keras.optimizers.SGD(0.004), "tuned with Adam"),
        (0.004, "build the optimizer itself"),
        ("adam", "Expected a Keras optimizer"),
    ],
    "ex-17-3": [
        (6_750_000, "multiply–adds"),
        (27_000_000, "forward pass"),
        (40_500_000, "forward pass"),
        (123 * 123 * 16 * 27 * 2, "same"),
        (125 * 125 * 16 * 9 * 2, "3 colour channels"),
        (1.35e7 + 1, "Close, but 13,500,001"),
        (13_500_000.5, "not a whole number"),
    ],
}
