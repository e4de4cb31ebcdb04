"""Exercises of chapter 17, "Scaling up"."""

from __future__ import annotations

from course_utils.exercises import Exercise, Wrong, expect_number


def _check_global_batch(answer: object) -> None:
    """The global batch of ``train(batch_size=32)`` on four GPUs."""
    value = expect_number(answer, "the global batch size")
    if value == 32:
        raise Wrong(
            "32 is what each replica gets: `batch_size` in train() is per replica, and there are 4."
        )
    if value == 8:
        raise Wrong(
            "train() does not divide the batch among the GPUs; each replica gets `batch_size` images."
        )
    if value != 128:
        raise Wrong(
            f"{value:g} is not it: multiply the per-replica batch by the number of replicas."
        )


def _check_learning_rate(answer: object) -> None:
    """Adam's default rate scaled linearly for four replicas."""
    value = expect_number(answer, "a learning rate")
    if abs(value - 0.001) < 1e-12:
        raise Wrong(
            "0.001 is Adam's default for one device; the linear rule scales it with the global batch."
        )
    if abs(value - 0.00025) < 1e-12:
        raise Wrong(
            "The rate grows with the global batch (each step averages more images); it does not shrink."
        )
    if abs(value - 0.004) > 1e-9:
        raise Wrong(
            f"{value:g} is not it: multiply the one-device rate by the number of replicas."
        )


def _check_conv_flops(answer: object) -> None:
    """Forward FLOPs per image of the original CNN's first convolution."""
    value = expect_number(answer, "a number of floating-point operations")
    if value == 6_750_000:
        raise Wrong(
            "That counts multiply–adds; the course counts each multiply–add as 2 operations."
        )
    if value in (27_000_000, 40_500_000):
        raise Wrong(
            "That counts a training step (forward and backward); the question asks for the forward pass."
        )
    if value == 123 * 123 * 16 * 27 * 2:
        raise Wrong(
            "With `same` padding the output stays 125 × 125, not 123 × 123."
        )
    if value == 125 * 125 * 16 * 9 * 2:
        raise Wrong(
            "Each filter sees all 3 colour channels: a 3 × 3 × 3 window, 27 multiply–adds per output."
        )
    if value != 13_500_000:
        raise Wrong(
            f"{value:,.0f} is not it: output positions × filters × (3 × 3 × 3) × 2."
        )


EXERCISES = {
    "ex-17-1": Exercise(
        "global_batch",
        "a whole number",
        _check_global_batch,
        "`train(..., strategy=s, batch_size=32)` gives every replica 32 images per step.",
        "global_batch = 32 * 4  # 128 images per step, 32 on each GPU",
    ),
    "ex-17-2": Exercise(
        "learning_rate",
        "a number",
        _check_learning_rate,
        "`strategies.scaled_learning_rate(base, replicas)` applies the linear rule.",
        "from course_utils.training.strategies import scaled_learning_rate\n"
        "\n"
        "learning_rate = scaled_learning_rate(0.001, 4)  # 0.004",
    ),
    "ex-17-3": Exercise(
        "conv1_flops",
        "a whole number",
        _check_conv_flops,
        "Output positions (125 × 125) × filters (16) × weights per filter (3 × 3 × 3) × 2.",
        "conv1_flops = 125 * 125 * 16 * (3 * 3 * 3) * 2  # 13,500,000",
    ),
}

#: Common wrong answers and a piece of the feedback each gets (checked by the shared exercise test).
WRONG_ANSWERS = {
    "ex-17-1": [
        (32, "per replica"),
        (8, "does not divide"),
        (64, "multiply"),
    ],
    "ex-17-2": [
        (0.001, "Adam's default"),
        (0.00025, "does not shrink"),
        (0.002, "multiply"),
    ],
    "ex-17-3": [
        (6_750_000, "multiply–adds"),
        (27_000_000, "forward pass"),
        (40_500_000, "forward pass"),
        (123 * 123 * 16 * 27 * 2, "same"),
        (125 * 125 * 16 * 9 * 2, "3 colour channels"),
    ],
}
