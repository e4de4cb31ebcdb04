"""Training on several devices with TensorFlow's own engine (``tf.distribute``): pick a strategy, split a CPU
into logical devices to try it without GPUs, and check that a mirrored run computes what one device computes.

Data parallelism: every replica holds a copy of the model, takes its share of each global batch, and the
replicas average their gradients before every update, so all copies stay equal.
:func:`course_utils.training.runs.train` (``strategy=…``) builds the model in the strategy's scope and feeds
``batch_size`` images *per replica*.

Logical devices must be configured before TensorFlow initialises, so :func:`mirrored_check` runs in a fresh
Python process (``python -m course_utils.training.distributed``) and hands its results back as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils.config.device import seed_everything
from course_utils.datasets.pipeline import Split, load_split
from course_utils.datasets.session import class_folders, open_session
from course_utils.models import cnns
from course_utils.training.processes import free_ports, run_together
from course_utils.training.runs import train
from course_utils.training.strategies import (
    StepCounter,
    fit_custom,
    is_multiworker,
    logical_cpus,
    strategy,
    tf_config,
)


def one_step(
    model: str,
    x: np.ndarray,
    y: np.ndarray,
    num_classes: int,
    weights: list,
    strat,
) -> tuple[float, list]:
    """Loss and gradient of one training step on ``(x, y)`` from given weights (plain SGD, rate 1: Δw = −g)."""

    with strat.scope():
        net = cnns.build(model, x.shape[1:], num_classes)
        net.compile(
            optimizer=keras.optimizers.SGD(1.0),
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True
            ),
        )
    net.set_weights(weights)
    # fit (not train_on_batch, which hands every replica the whole batch) splits the batch across replicas
    batch = tf.data.Dataset.from_tensors((x, y))
    if is_multiworker(strat):
        loss = fit_custom(net, batch, None, 1, strat)[0]["loss"][-1]
    else:
        loss = net.fit(batch, epochs=1, shuffle=False, verbose=0).history[
            "loss"
        ][-1]
    return float(loss), [
        w0 - w1 for w0, w1 in zip(weights, net.get_weights())
    ]


def first_step_batch(n_train: int, per_replica: int, replicas: int) -> int:
    """Images in the step :func:`run_check` compares: one global batch, or, with few training images (dead
    links), as many as the replicas can share evenly."""
    return min(per_replica * replicas, n_train // replicas * replicas)


def relative_difference(a: list, b: list) -> float:
    """Largest difference between two lists of arrays, relative to the largest magnitude in ``a``."""
    scale = max(float(np.abs(x).max()) for x in a) or 1.0
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b)) / scale


def run_check(
    devices: int = 2,
    model: str = "original",
    epochs: int = 2,
    batch_size: int = 8,
) -> dict[str, Any]:
    """In this (fresh) process: mirror over ``devices`` logical CPUs, compare one step with one device, then train."""

    tf.config.set_visible_devices(
        [], "GPU"
    )  # a check of the CPU replicas, also on a machine with a GPU
    logical_cpus(devices)

    session = open_session()
    split = load_split(class_folders(session))
    mirrored = strategy("mirrored")
    replicas = mirrored.num_replicas_in_sync
    n = first_step_batch(len(split.x_train), batch_size, replicas)
    x, y = split.x_train[:n], split.y_train[:n]
    n_classes = len(split.class_names)
    seed_everything(session.seed)
    start = cnns.build(model, x.shape[1:], n_classes).get_weights()
    single_loss, single_grads = one_step(
        model, x, y, n_classes, start, tf.distribute.get_strategy()
    )
    mirror_loss, mirror_grads = one_step(
        model, x, y, n_classes, start, mirrored
    )
    steps = StepCounter()
    run = train(
        model,
        split,
        session,
        epochs=epochs,
        batch_size=batch_size,
        strategy=mirrored,
        save=False,
        mixed_precision=False,
        verbose=0,
        callbacks=[steps],
    )
    return {
        "data": session.source.name,
        "devices": list(mirrored.extended.worker_devices),
        "replicas": replicas,
        "per_replica_batch": batch_size,
        "global_batch": batch_size * replicas,
        "first_step_loss_single": single_loss,
        "first_step_loss_mirrored": mirror_loss,
        "gradient_relative_difference": relative_difference(
            single_grads, mirror_grads
        ),
        "run_replicas": run.info["replicas"],
        "train_images": len(split.y_train),
        "steps_per_epoch": steps.count / epochs,
        "val_images": len(split.y_val),
        "val_predictions": len(run.val_logits),
        "val_accuracy_keras": float(run.history["val_accuracy"].iloc[-1]),
        "val_accuracy_from_predictions": float(
            (run.val_pred == split.y_val).mean()
        ),
        "train_loss": [float(v) for v in run.history["loss"]],
        "val_loss": [float(v) for v in run.history["val_loss"]],
        "seconds_per_epoch": [float(v) for v in run.history["seconds"]],
    }


def mirrored_check(
    devices: int = 2,
    model: str = "original",
    epochs: int = 2,
    batch_size: int = 8,
    timeout: float = 300,
) -> dict[str, Any]:
    """Run :func:`run_check` in a fresh Python process (logical devices need an uninitialised TensorFlow)."""
    cmd = [
        sys.executable,
        "-m",
        "course_utils.training.distributed",
        "--devices",
        str(devices),
        "--model",
        model,
        "--epochs",
        str(epochs),
        "--batch-size",
        str(batch_size),
    ]
    out = run_together(
        cmd, {"the mirrored check": dict(os.environ)}, timeout
    )["the mirrored check"]
    return json.loads(out.strip().splitlines()[-1])


def toy_split(
    n_train: int = 48, n_val: int = 16, size: int = 32, seed: int = 0
):
    """Random images whose class (of 3) is their brightness tercile: learnable, tiny, the same in every process."""

    rng = np.random.default_rng(seed)
    x = rng.integers(
        0, 256, (n_train + n_val, size, size, 3), dtype=np.uint8
    )
    y = np.digitize(
        x.mean(axis=(1, 2, 3)),
        np.quantile(x.mean(axis=(1, 2, 3)), [1 / 3, 2 / 3]),
    )
    ids = [f"toy{i:03d}" for i in range(len(y))]
    return Split(
        x[:n_train],
        y[:n_train],
        x[n_train:],
        y[n_train:],
        ids[:n_train],
        ids[n_train:],
        ["dark", "middle", "bright"],
        seed,
    )


def run_worker_check(
    model: str = "original", epochs: int = 2, batch_size: int = 8
) -> dict[str, Any]:
    """In one worker of a cluster (``TF_CONFIG`` set): compare one step with one device, then ``train`` on toy data."""

    strat = strategy(
        "multiworker"
    )  # first of all: collective ops are set up while TensorFlow starts

    split = toy_split()
    replicas = strat.num_replicas_in_sync
    x, y = (
        split.x_train[: batch_size * replicas],
        split.y_train[: batch_size * replicas],
    )
    seed_everything(0)
    start = cnns.build(model, x.shape[1:], 3).get_weights()
    single_loss, single_grads = one_step(
        model, x, y, 3, start, tf.distribute.get_strategy()
    )
    worker_loss, worker_grads = one_step(model, x, y, 3, start, strat)
    run = train(
        model,
        split,
        open_session(),
        epochs=epochs,
        batch_size=batch_size,
        strategy=strat,
        save=False,
        mixed_precision=False,
        verbose=0,
    )
    return {
        "worker": json.loads(os.environ["TF_CONFIG"])["task"]["index"],
        "replicas": replicas,
        "global_batch": batch_size * replicas,
        "first_step_loss_single": single_loss,
        "first_step_loss_workers": worker_loss,
        "gradient_relative_difference": relative_difference(
            single_grads, worker_grads
        ),
        "train_loss": [float(v) for v in run.history["loss"]],
        "val_accuracy": [float(v) for v in run.history["val_accuracy"]],
        "val_accuracy_from_predictions": float(
            (run.val_pred == split.y_val).mean()
        ),
        "val_predictions": len(run.val_logits),
        "weights_checksum": float(
            sum(np.abs(w).sum() for w in run.model.get_weights())
        ),
    }


def multiworker_check(
    workers: int = 2,
    model: str = "original",
    epochs: int = 2,
    batch_size: int = 8,
    timeout: float = 300,
) -> list[dict[str, Any]]:
    """Start ``workers`` processes on this machine as a ``MultiWorkerMirroredStrategy`` cluster; their reports."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
    cmd = [
        sys.executable,
        "-m",
        "course_utils.training.distributed",
        "--worker",
        "--model",
        model,
        "--epochs",
        str(epochs),
        "--batch-size",
        str(batch_size),
    ]
    envs = {
        f"worker {i}": dict(
            os.environ,
            TF_CONFIG=tf_config(addresses, i),
            CUDA_VISIBLE_DEVICES="",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        for i in range(workers)
    }
    return [
        json.loads(out.strip().splitlines()[-1])
        for out in run_together(cmd, envs, timeout).values()
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.training.distributed``: print :func:`run_check`'s (or a worker's) results as one JSON line."""

    parser = argparse.ArgumentParser(
        description="Mirror training over logical CPU devices and compare with one."
    )
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument(
        "--worker",
        action="store_true",
        help="run as one worker of the cluster in TF_CONFIG",
    )
    parser.add_argument("--model", default="original")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(argv)
    if args.worker:
        print(
            json.dumps(
                run_worker_check(args.model, args.epochs, args.batch_size)
            )
        )
    else:
        print(
            json.dumps(
                run_check(
                    args.devices, args.model, args.epochs, args.batch_size
                )
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
