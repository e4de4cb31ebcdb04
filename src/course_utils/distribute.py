"""Training on several devices with TensorFlow's own engine (``tf.distribute``): pick a strategy, split a CPU
into logical devices to try it without GPUs, and check that a mirrored run computes what one device computes.

Data parallelism: every replica holds a copy of the model, takes its share of each global batch, and the
replicas average their gradients before every update, so all copies stay equal. ``training.train(strategy=…)``
builds the model in the strategy's scope and feeds ``batch_size`` images *per replica*.

Logical devices must be configured before TensorFlow initialises, so :func:`mirrored_check` runs in a fresh
Python process (``python -m course_utils.distribute``) and hands its results back as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import numpy as np

KINDS = ("auto", "mirrored", "multiworker", "default")


def logical_cpus(n: int) -> list:
    """Split the CPU into ``n`` logical devices, so mirrored training can be tried on a machine without GPUs."""
    import tensorflow as tf

    if n < 1:
        raise ValueError(f"the number of logical CPU devices must be at least 1, got {n}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError as err:
        raise RuntimeError(
            f"cannot split the CPU into {n} logical devices: TensorFlow is already initialised in this process "
            f"({err}); call logical_cpus() before anything else, or use mirrored_check() (a fresh process)"
        ) from None
    return tf.config.list_logical_devices("CPU")


def strategy(kind: str = "auto"):
    """A ``tf.distribute`` strategy: ``auto`` picks multi-worker (TF_CONFIG set), mirrored (several devices) or default.

    ``mirrored`` mirrors over every GPU, or over the logical CPUs when there is no GPU; ``multiworker`` reads the
    cluster from the ``TF_CONFIG`` environment variable; ``default`` is TensorFlow's one-device strategy.
    """
    import tensorflow as tf

    if kind not in KINDS:
        raise ValueError(f"unknown strategy kind {kind!r}; use one of: {', '.join(KINDS)}")
    if kind == "multiworker" or (kind == "auto" and os.environ.get("TF_CONFIG")):
        if not os.environ.get("TF_CONFIG"):
            raise RuntimeError("strategy('multiworker') needs the TF_CONFIG environment variable (see tf_config())")
        # before anything lists devices: collective ops must be configured while TensorFlow starts up
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus or tf.config.list_logical_devices("CPU")
    if kind == "mirrored" or (kind == "auto" and len(devices) > 1):
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    return tf.distribute.get_strategy()


def tf_config(workers: list[str], index: int) -> str:
    """The ``TF_CONFIG`` value of one worker: every worker's ``host:port`` and which of them this process is."""
    if not 0 <= index < len(workers):
        raise ValueError(f"worker index {index} is outside the {len(workers)} workers {workers}")
    return json.dumps({"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}})


def scaled_learning_rate(base: float, replicas: int) -> float:
    """The linear scaling rule: a global batch ``replicas`` times larger takes a ``replicas`` times larger step."""
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, got {replicas}")
    return base * replicas


def one_step(model: str, x: np.ndarray, y: np.ndarray, num_classes: int, weights: list, strat) -> tuple[float, list]:
    """Loss and gradient of one training step on ``(x, y)`` from given weights (plain SGD, rate 1: Δw = −g)."""
    import keras
    import tensorflow as tf

    from course_utils import models

    with strat.scope():
        net = models.build(model, x.shape[1:], num_classes)
        net.compile(optimizer=keras.optimizers.SGD(1.0),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    net.set_weights(weights)
    # fit (not train_on_batch, which hands every replica the whole batch) splits the batch across replicas
    batch = tf.data.Dataset.from_tensors((x, y))
    loss = net.fit(batch, epochs=1, shuffle=False, verbose=0).history["loss"][-1]
    return float(loss), [w0 - w1 for w0, w1 in zip(weights, net.get_weights())]


class StepCounter:
    """A Keras callback that counts training steps (how many batches an epoch was cut into)."""

    def __new__(cls):
        import keras

        class _Counter(keras.callbacks.Callback):
            count = 0

            def on_train_batch_end(self, batch, logs=None):
                self.count += 1

        return _Counter()


def relative_difference(a: list, b: list) -> float:
    """Largest difference between two lists of arrays, relative to the largest magnitude in ``a``."""
    scale = max(float(np.abs(x).max()) for x in a) or 1.0
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b)) / scale


def run_check(devices: int = 2, model: str = "original", epochs: int = 2, batch_size: int = 8) -> dict[str, Any]:
    """In this (fresh) process: mirror over ``devices`` logical CPUs, compare one step with one device, then train."""
    import tensorflow as tf

    tf.config.set_visible_devices([], "GPU")  # a check of the CPU replicas, also on a machine with a GPU
    logical_cpus(devices)
    from course_utils import models
    from course_utils.data import class_folders, resolve_source
    from course_utils.pipeline import load_split
    from course_utils.settings import get_settings, seed_everything
    from course_utils.training import train

    settings = get_settings()
    split = load_split(class_folders(settings))
    mirrored = strategy("mirrored")
    replicas = mirrored.num_replicas_in_sync
    x, y = split.x_train[: batch_size * replicas], split.y_train[: batch_size * replicas]
    n_classes = len(split.class_names)
    seed_everything(settings.seed)
    start = models.build(model, x.shape[1:], n_classes).get_weights()
    single_loss, single_grads = one_step(model, x, y, n_classes, start, tf.distribute.get_strategy())
    mirror_loss, mirror_grads = one_step(model, x, y, n_classes, start, mirrored)
    steps = StepCounter()
    run = train(model, split, settings, epochs=epochs, batch_size=batch_size, strategy=mirrored, save=False,
                mixed_precision=False, verbose=0, callbacks=[steps])
    return {
        "data": resolve_source(settings).name,
        "devices": list(mirrored.extended.worker_devices),
        "replicas": replicas,
        "per_replica_batch": batch_size,
        "global_batch": batch_size * replicas,
        "first_step_loss_single": single_loss,
        "first_step_loss_mirrored": mirror_loss,
        "gradient_relative_difference": relative_difference(single_grads, mirror_grads),
        "run_replicas": run.info["replicas"],
        "train_images": len(split.y_train),
        "steps_per_epoch": steps.count / epochs,
        "val_images": len(split.y_val),
        "val_predictions": len(run.val_logits),
        "val_accuracy_keras": float(run.history["val_accuracy"].iloc[-1]),
        "val_accuracy_from_predictions": float((run.val_pred == split.y_val).mean()),
        "train_loss": [float(v) for v in run.history["loss"]],
        "val_loss": [float(v) for v in run.history["val_loss"]],
        "seconds_per_epoch": [float(v) for v in run.history["seconds"]],
    }


def mirrored_check(devices: int = 2, model: str = "original", epochs: int = 2, batch_size: int = 8,
                   timeout: float = 300) -> dict[str, Any]:
    """Run :func:`run_check` in a fresh Python process (logical devices need an uninitialised TensorFlow)."""
    cmd = [sys.executable, "-m", "course_utils.distribute", "--devices", str(devices), "--model", model,
           "--epochs", str(epochs), "--batch-size", str(batch_size)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.distribute``: print :func:`run_check`'s results as one JSON line."""
    import argparse

    parser = argparse.ArgumentParser(description="Mirror training over logical CPU devices and compare with one.")
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--model", default="original")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(argv)
    print(json.dumps(run_check(args.devices, args.model, args.epochs, args.batch_size)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
