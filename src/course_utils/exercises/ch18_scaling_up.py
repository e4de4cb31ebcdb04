"""Exercises of chapter 18, "Scaling up"."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils.config.device import quiet_retracing_notice
from course_utils.exercises import Exercise, Wrong, check_number
from course_utils.exercises.build_it import (
    BuildIt,
    Case,
    Mistake,
    Named,
    seeded_weights,
    show,
)
from course_utils.exercises.counting import number_checker
from course_utils.training import strategies

#: Exercise 18.1: a training set of 2,000 images on four GPUs at batch_size=32 per replica.
IMAGES, REPLICAS, PER_REPLICA = 2000, 4, 32
STEPS = math.ceil(IMAGES / (REPLICAS * PER_REPLICA))  # 16
#: Exercise 18.2: tuned on one GPU at batch 32 with Adam at 0.001, moved to eight GPUs at 16 per replica.
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
    "ex-18-1": Exercise(
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
    "ex-18-2": Exercise(
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
    "ex-18-3": Exercise(
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
    "ex-18-1": [
        (63, "as on one GPU"),
        (15, "round up"),
        (15.625, "whole steps"),
        (500, "each GPU sees"),
        (250, "does not divide"),
        (20, "not it"),
    ],
    "ex-18-2": [
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
    "ex-18-3": [
        (6_750_000, "multiply–adds"),
        (27_000_000, "forward pass"),
        (40_500_000, "forward pass"),
        (123 * 123 * 16 * 27 * 2, "same"),
        (125 * 125 * 16 * 9 * 2, "3 colour channels"),
        (1.35e7 + 1, "Close, but 13,500,001"),
        (13_500_000.5, "not a whole number"),
    ],
}


# --- build it: one step of a custom training loop (ex-18-5) -----------------------------------------------------

#: The plain gradient step the check trains with: with Adam the first step is about the same size whatever
#: the gradient's scale, so a loss summed instead of averaged would pass unseen.
STEP_RATE = 0.1


@dataclass(frozen=True)
class _Batch:
    """A tiny classifier's batch: the input features, the labels, the classes and the seed of the weights."""

    x: np.ndarray
    y: np.ndarray
    classes: int
    seed: int

    def model(self) -> keras.Model:
        """A fresh classifier (a ReLU layer of 5 units, then logits) with the batch's seeded weights."""
        model = keras.Sequential(
            [
                keras.Input((self.x.shape[1],)),
                keras.layers.Dense(5, activation="relu"),
                keras.layers.Dense(self.classes),
            ]
        )
        return seeded_weights(model, self.seed)


@dataclass(frozen=True)
class _Step:
    """What one training step did: the loss it reported and the weights after it."""

    loss: float
    weights: tuple

    def __repr__(self) -> str:
        return f"loss {show(self.loss)} and weights after the step {show(list(self.weights))}"


def _batches(rng: np.random.Generator) -> list[Case]:
    """A batch of one, a batch of 8 and one of a random size (4 inputs, 3 to 5 classes)."""
    cases = []
    for n, note in (
        (1, "a batch of one"),
        (8, "a batch of 8"),
        (int(rng.integers(2, 17)), ""),
    ):
        classes = int(rng.integers(3, 6))
        batch = _Batch(
            rng.normal(0, 1, (n, 4)).astype("float32"),
            rng.integers(0, classes, n).astype("int32"),
            classes,
            int(rng.integers(2**31)),
        )
        args = (
            Named("model"),
            Named("optimizer"),
            Named("loss_fn"),
            Named("x"),
            Named("y"),
        )
        cases.append(Case(args, note or f"a batch of {n}", batch))
    return cases


def _one_step(function, case: Case) -> _Step:
    """``function(model, optimizer, loss_fn, x, y)`` on a fresh model, with plain gradient descent and the
    study's loss; what it reported and the weights it left."""
    batch: _Batch = case.data
    model = batch.model()
    optimizer = keras.optimizers.SGD(STEP_RATE)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss = function(
        model, optimizer, loss_fn, batch.x.copy(), batch.y.copy()
    )
    return _Step(
        float(np.asarray(loss)),
        tuple(np.asarray(w) for w in model.trainable_weights),
    )


def _package_step(model, optimizer, loss_fn, x, y):
    """One step of the package's custom loop (strategies.fit_custom, on the default strategy)."""
    quiet_retracing_notice()  # a new model per input: one trace each, expected
    model.compile(optimizer=optimizer, loss=loss_fn)
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(len(y))
    history, _ = strategies.fit_custom(
        model, batches, None, 1, tf.distribute.get_strategy()
    )
    return history["loss"][0]


def _slipped_step(
    model, optimizer, loss_fn, x, y, reduce="mean", sign=1.0, apply=True
):
    """A step with one slip: the loss summed, a step up the gradient, no step at all."""
    with tf.GradientTape() as tape:
        per_example = loss_fn.call(tf.constant(y), model(x, training=True))
        loss = (
            tf.reduce_sum(per_example)
            if reduce == "sum"
            else tf.reduce_mean(per_example)
        )
    grads = tape.gradient(loss, model.trainable_variables)
    if apply:
        optimizer.apply_gradients(
            [
                (sign * g, v)
                for g, v in zip(grads, model.trainable_variables)
            ]
        )
    return float(tf.reduce_mean(per_example))


TRAIN_STEP = BuildIt(
    name="train_step",
    what="a function train_step(model, optimizer, loss_fn, x, y) that takes one training step and returns the loss",
    reference=_package_step,
    package="custom loop (strategies.fit_custom, one step)",
    cases=_batches,
    run=_one_step,
    mistakes=[
        Mistake(
            lambda *args: _slipped_step(*args, apply=False),
            "The weights did not change: pass the gradients to the optimizer, "
            "optimizer.apply_gradients(zip(grads, model.trainable_variables)).",
        ),
        Mistake(
            lambda *args: _slipped_step(*args, reduce="sum"),
            "The step is as many times too large as the batch has images: the loss is the "
            "mean over the batch (loss_fn(y, logits) averages), not the sum.",
        ),
        Mistake(
            lambda *args: _slipped_step(*args, sign=-1.0),
            "The weights moved up the gradient, raising the loss: apply the gradients "
            "themselves; the optimizer subtracts them.",
        ),
    ],
)

EXERCISES["ex-18-5"] = Exercise(
    "train_step",
    TRAIN_STEP.what,
    TRAIN_STEP,
    "Under `with tf.GradientTape() as tape:` compute logits = model(x, "
    "training=True) and loss = loss_fn(y, logits); then grads = "
    "tape.gradient(loss, model.trainable_variables), "
    "optimizer.apply_gradients(zip(grads, model.trainable_variables)), and "
    "return the loss.",
    "import tensorflow as tf\n"
    "\n"
    "\n"
    "def train_step(model, optimizer, loss_fn, x, y):\n"
    "    with tf.GradientTape() as tape:\n"
    "        logits = model(x, training=True)\n"
    "        loss = loss_fn(y, logits)  # the mean over the batch\n"
    "    weights = model.trainable_variables\n"
    "    grads = tape.gradient(loss, weights)\n"
    "    optimizer.apply_gradients(zip(grads, weights))\n"
    "    return loss",
    why="The tape records the forward pass, the gradient of the batch's mean "
    "loss says how each weight should move, and the optimizer moves it: "
    "what fit does for every batch, and what the package's loop does on "
    "each replica.",
)

WRONG_ANSWERS["ex-18-5"] = [
    (0.5, "define it with `def`"),
    (lambda model, x, y: 0.5, "cannot be called with 5 argument(s)"),
    (lambda model, optimizer, loss_fn, x, y: "loss", "raised ValueError"),
]
