"""How fast training runs and how far that is from the machine's limit: the arithmetic a model needs per image,
the matrix-multiply rate the device reaches, the training rate in images per second, and where the time goes.

Convention: a multiply–add is 2 floating-point operations; only convolutions and dense layers are counted
(pooling, activations and rescaling are a few operations per value, not per weight); training a layer costs
3 × its forward pass (the backward pass computes the gradient for its input and the one for its weights, each as
costly as the forward pass), except the first layer with weights, which needs no input gradient: 2 ×.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import tensorflow as tf

from course_utils.config.study import INPUT_SHAPE, NUM_CLASSES
from course_utils.models import cnns
from course_utils.training.runs import compile_model


def layer_flops(model) -> pd.DataFrame:
    """Forward and training FLOPs per image of every layer (convolutions and
    dense layers; 0 for the others)."""
    rows = []
    shape = tuple(model.inputs[0].shape)
    # a layer needs its input's gradient only when a trainable layer comes
    # before it
    upstream_weights = False
    for layer in model.layers:
        kind = type(layer).__name__
        if hasattr(layer, "layers") and layer.trainable_weights:
            raise ValueError(
                f"layer {layer.name!r} ({kind}) nests layers with weights; "
                "layer_flops counts flat models"
            )
        out = tuple(layer.compute_output_shape(shape))
        macs = 0
        if kind == "Conv2D":
            kh, kw = layer.kernel_size
            macs = out[1] * out[2] * out[3] * kh * kw * shape[-1]
        elif kind == "Dense":
            macs = shape[-1] * out[-1]
        rows.append(
            {
                "layer": layer.name,
                "kind": kind,
                "input": shape[1:],
                "output": out[1:],
                "forward_flops": 2 * macs,
                "train_flops": (3 if upstream_weights else 2) * 2 * macs,
                "needs_input_gradient": upstream_weights,
            }
        )
        shape = out
        upstream_weights = upstream_weights or bool(layer.trainable_weights)
    return pd.DataFrame(rows)


def training_flops(model) -> float:
    """FLOPs of one training step per image (forward and backward, see the module's convention)."""
    return float(layer_flops(model)["train_flops"].sum())


@dataclass(frozen=True)
class Rate:
    """A rate measured two ways: per second of wall time, and per CPU-second this process used (all its threads).

    On a machine shared with other work, the wall rate drops with the load while the CPU rate barely moves, so
    ratios of CPU rates (training against the matrix product) stay meaningful; on an idle machine the wall rate is
    about the number of busy cores × the CPU rate.
    """

    wall: float
    cpu: float


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (all of this process's threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def best_rate(
    fn: Callable[[], object], work: float, repeats: int = 3
) -> Rate:
    """``work`` per second of the fastest of ``repeats`` calls (the least disturbed by other processes)."""
    times = [timed(fn) for _ in range(repeats)]
    return Rate(
        work / min(w for w, _ in times),
        work / max(min(c for _, c in times), 1e-9),
    )


def matmul_rate(
    n: int = 4096,
    dtype: str = "float32",
    reps: int = 10,
    repeats: int = 3,
    device: str | None = None,
) -> Rate:
    """FLOP/s of a large square matrix product (n × n, repeated): a practical upper limit for training."""

    with tf.device(
        device
        or ("/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0")
    ):
        a = tf.random.uniform((n, n), dtype=dtype)
        b = tf.random.uniform((n, n), dtype=dtype)

        @tf.function
        def run():
            c = a
            for _ in range(reps):
                c = tf.matmul(c, b) * (
                    2 / n
                )  # keeps the values near 0.5, so float16 stays finite
            return tf.reduce_sum(c)

        run().numpy()  # trace and warm up
        return best_rate(lambda: run().numpy(), reps * 2 * n**3, repeats)


def matmul_peak(
    n: int = 4096,
    dtype: str = "float32",
    reps: int = 10,
    repeats: int = 3,
    device: str | None = None,
) -> float:
    """FLOP/s (wall time) of a large square matrix product: see :func:`matmul_rate`."""
    return matmul_rate(n, dtype, reps, repeats, device).wall


def random_batch(
    batch_size: int,
    image_shape=INPUT_SHAPE,
    num_classes: int = NUM_CLASSES,
    seed: int = 0,
):
    """A batch of random uint8 images and labels, shaped like the course's data."""
    rng = np.random.default_rng(seed)
    x = rng.integers(
        0, 256, size=(batch_size, *image_shape), dtype=np.uint8
    )
    y = rng.integers(0, num_classes, size=batch_size).astype(np.int32)
    return x, y


def fit_steps(net, dataset, steps: int) -> None:
    """Train ``net`` for ``steps`` steps of ``dataset`` (one epoch of that length, nothing printed)."""
    net.fit(
        dataset, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0
    )


def fit_rate(
    net, dataset, steps: int, batch_size: int, repeats: int = 3
) -> float:
    """Images per second of ``net.fit`` over ``steps`` steps of ``dataset`` (best repeat, after a warm-up run)."""
    return interleaved_rates(
        {"run": (net, dataset)}, steps, batch_size, repeats
    )["run"].wall


def interleaved_rates(
    runs: dict, steps: int, batch_size: int, repeats: int = 3
) -> dict[str, Rate]:
    """Images per second of several ``name: (net, dataset)`` runs, timed in turn for ``repeats`` rounds.

    Each run's best round counts; taking turns spreads a busy machine's slow moments over all runs alike.
    """
    for net, dataset in runs.values():
        fit_steps(net, dataset, min(steps, 3))  # trace and warm up
    times: dict[str, list] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (net, dataset) in runs.items():
            times[name].append(
                timed(lambda: fit_steps(net, dataset, steps))
            )
    images = steps * batch_size
    return {
        name: Rate(
            images / min(w for w, _ in t), images / min(c for _, c in t)
        )
        for name, t in times.items()
    }


def in_memory(x: np.ndarray, y: np.ndarray):
    """One batch held in memory and repeated forever: training speed with no input pipeline at all."""

    return tf.data.Dataset.from_tensors((x, y)).repeat()


def training_rate(
    name: str,
    batch_size: int = 32,
    steps: int = 20,
    repeats: int = 3,
    xla: bool = False,
) -> float:
    """Images per second one of the five models trains at, on one in-memory
    batch (no input pipeline)."""

    net = compile_model(cnns.build(name), xla=xla)
    x, y = random_batch(batch_size)
    return fit_rate(net, in_memory(x, y), steps, batch_size, repeats)


def layer_seconds(
    layer,
    shape: tuple,
    batch_size: int,
    needs_input_gradient: bool,
    reps: int,
    repeats: int,
) -> tuple[float, float]:
    """Wall and CPU seconds of one layer's forward and backward pass on a random batch, as in a training step."""

    x = tf.random.uniform((batch_size, *shape))

    @tf.function
    def step(x):
        total = tf.constant(0.0)
        for _ in range(reps):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = tf.cast(layer(x, training=True), tf.float32)
            wrt = ([x] if needs_input_gradient else []) + list(
                layer.trainable_weights
            )
            total += (
                sum(tf.reduce_sum(g) for g in tape.gradient(out, wrt))
                if wrt
                else tf.reduce_sum(out)
            )
        return total

    step(x).numpy()  # trace and warm up
    rate = best_rate(lambda: step(x).numpy(), reps, repeats)
    return 1 / rate.wall, 1 / rate.cpu


def layer_times(
    model, batch_size: int = 32, repeats: int = 5, reps: int = 5
) -> pd.DataFrame:
    """Forward + backward seconds of every layer alone at its input shape, with achieved FLOP/s.

    Layers are run one by one on random inputs; the sum is less than a training step, whose remainder is the
    loss, the optimizer update and the framework's own work between operations.
    """

    table = layer_flops(model)
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel(
        "ERROR"
    )  # one small function per layer is the point here, not a retracing mistake
    try:
        seconds = [
            layer_seconds(layer, shape, batch_size, needs, reps, repeats)
            for layer, shape, needs in zip(
                model.layers, table["input"], table["needs_input_gradient"]
            )
        ]
    finally:
        logger.setLevel(level)
    table["seconds_per_batch"] = [wall for wall, _ in seconds]
    table["cpu_seconds_per_batch"] = [cpu for _, cpu in seconds]
    table["train_gflops_per_s"] = (
        table["train_flops"] * batch_size / table["seconds_per_batch"] / 1e9
    )
    table["train_gflops_per_cpu_s"] = (
        table["train_flops"]
        * batch_size
        / table["cpu_seconds_per_batch"]
        / 1e9
    )
    return table
