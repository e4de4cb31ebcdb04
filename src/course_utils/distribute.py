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
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
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
    if is_multiworker(strat):
        loss = fit_custom(net, batch, None, 1, strat)[0]["loss"][-1]
    else:
        loss = net.fit(batch, epochs=1, shuffle=False, verbose=0).history["loss"][-1]
    return float(loss), [w0 - w1 for w0, w1 in zip(weights, net.get_weights())]


def is_multiworker(strat) -> bool:
    """Whether ``strat`` spans machines: Keras 3's ``fit`` cannot train under it (keras-team/keras#20585)."""
    import tensorflow as tf

    return isinstance(strat, tf.distribute.MultiWorkerMirroredStrategy)


def predict_logits(net, dataset) -> np.ndarray:
    """The model's float32 outputs for every batch of ``dataset``, in order, computed on this worker alone."""
    import tensorflow as tf

    infer = tf.function(lambda x: tf.cast(net(x, training=False), tf.float32))
    return np.concatenate([infer(x).numpy() for x, _ in dataset])


def fit_custom(net, train_ds, val_ds, epochs: int, strat, class_weight: dict | None = None
               ) -> tuple[dict[str, list[float]], list[float]]:
    """Train a compiled classifier with a loop that calls ``strategy.run``, which works where ``fit`` does not.

    Every replica takes its share of each global batch, averages its loss over the global batch and applies the
    gradients (the strategy sums them across replicas and machines). Returns the history (loss, accuracy and,
    with ``val_ds``, val_loss, val_accuracy, as ``fit`` names them) and the seconds of every epoch.
    """
    import tensorflow as tf

    loss_fn, optimizer = net.loss, net.optimizer
    if not hasattr(loss_fn, "call"):
        raise TypeError(f"the custom training loop needs a keras.losses.Loss object as the loss, got {loss_fn!r}")
    weights = None
    if class_weight:
        n_classes = int(net.outputs[0].shape[-1])
        weights = tf.constant([float(class_weight.get(c, 1.0)) for c in range(n_classes)], tf.float32)

    def replica_step(x, y):
        y = tf.cast(y, tf.int32)
        with tf.GradientTape() as tape:
            logits = tf.cast(net(x, training=True), tf.float32)
            per_example = loss_fn.call(y, logits)
            if weights is not None:
                per_example *= tf.gather(weights, y)
            loss = tf.nn.compute_average_loss(per_example)
            scaled = optimizer.scale_loss(loss)  # mixed precision: scaled up, unscaled again by apply_gradients
        grads = tape.gradient(scaled, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        return tf.reduce_sum(per_example), tf.reduce_sum(hits), tf.cast(tf.size(y), tf.float32)

    @tf.function
    def train_step(x, y):
        sums = strat.run(replica_step, args=(x, y))
        return [strat.reduce("SUM", value, axis=None) for value in sums]

    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    times = []
    batches = strat.experimental_distribute_dataset(train_ds)
    y_val = None if val_ds is None else np.concatenate([np.asarray(y) for _, y in val_ds]).astype(int)
    for _ in range(epochs):
        start = time.perf_counter()
        loss = hits = seen = 0.0
        for x, y in batches:
            step = [float(v) for v in train_step(x, y)]
            loss, hits, seen = loss + step[0], hits + step[1], seen + step[2]
        history["loss"].append(loss / seen)
        history["accuracy"].append(hits / seen)
        if val_ds is not None:
            logits = predict_logits(net, val_ds)
            history.setdefault("val_loss", []).append(float(np.mean(loss_fn.call(y_val, logits))))
            history.setdefault("val_accuracy", []).append(float(np.mean(logits.argmax(-1) == y_val)))
        times.append(time.perf_counter() - start)
    return history, times


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
    # one global batch the replicas can share evenly (with few images, e.g. dead links, it is smaller)
    n = min(batch_size * replicas, len(split.x_train) // replicas * replicas)
    x, y = split.x_train[:n], split.y_train[:n]
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
    out = run_together(cmd, {"the mirrored check": dict(os.environ)}, timeout)["the mirrored check"]
    return json.loads(out.strip().splitlines()[-1])


def toy_split(n_train: int = 48, n_val: int = 16, size: int = 32, seed: int = 0):
    """Random images whose class (of 3) is their brightness tercile: learnable, tiny, the same in every process."""
    from course_utils.pipeline import Split

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n_train + n_val, size, size, 3), dtype=np.uint8)
    y = np.digitize(x.mean(axis=(1, 2, 3)), np.quantile(x.mean(axis=(1, 2, 3)), [1 / 3, 2 / 3]))
    ids = [f"toy{i:03d}" for i in range(len(y))]
    return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:], ids[:n_train], ids[n_train:],
                 ["dark", "middle", "bright"], seed)


def run_worker_check(model: str = "original", epochs: int = 2, batch_size: int = 8) -> dict[str, Any]:
    """In one worker of a cluster (``TF_CONFIG`` set): compare one step with one device, then ``train`` on toy data."""
    import tensorflow as tf

    strat = strategy("multiworker")  # first of all: collective ops are set up while TensorFlow starts
    from course_utils import models
    from course_utils.settings import get_settings, seed_everything
    from course_utils.training import train

    split = toy_split()
    replicas = strat.num_replicas_in_sync
    x, y = split.x_train[: batch_size * replicas], split.y_train[: batch_size * replicas]
    seed_everything(0)
    start = models.build(model, x.shape[1:], 3).get_weights()
    single_loss, single_grads = one_step(model, x, y, 3, start, tf.distribute.get_strategy())
    worker_loss, worker_grads = one_step(model, x, y, 3, start, strat)
    run = train(model, split, get_settings(), epochs=epochs, batch_size=batch_size, strategy=strat, save=False,
                mixed_precision=False, verbose=0)
    return {
        "worker": json.loads(os.environ["TF_CONFIG"])["task"]["index"],
        "replicas": replicas,
        "global_batch": batch_size * replicas,
        "first_step_loss_single": single_loss,
        "first_step_loss_workers": worker_loss,
        "gradient_relative_difference": relative_difference(single_grads, worker_grads),
        "train_loss": [float(v) for v in run.history["loss"]],
        "val_accuracy": [float(v) for v in run.history["val_accuracy"]],
        "val_accuracy_from_predictions": float((run.val_pred == split.y_val).mean()),
        "val_predictions": len(run.val_logits),
        "weights_checksum": float(sum(np.abs(w).sum() for w in run.model.get_weights())),
    }


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports on 127.0.0.1 that were free a moment ago (for a local cluster)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_together(cmd: list[str], envs: dict[str, dict[str, str]], timeout: float = 300) -> dict[str, str]:
    """Run ``cmd`` once per named environment, all at once (a cluster); each one's standard output.

    A cluster's members wait for ever on one that died, so the first failure stops them all and is raised with
    the end of its error output.
    """
    with tempfile.TemporaryDirectory(prefix="cluster-") as folder:
        logs = {name: (Path(folder) / f"{name}.out", Path(folder) / f"{name}.err") for name in envs}
        procs = {}
        for name, env in envs.items():
            with open(logs[name][0], "w") as out, open(logs[name][1], "w") as err:
                procs[name] = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        try:
            while any(p.poll() is None for p in procs.values()) and time.monotonic() < deadline:
                if any(p.poll() not in (None, 0) for p in procs.values()):
                    break
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                proc.kill()
                proc.wait()
        texts = {name: (out.read_text(), err.read_text()) for name, (out, err) in logs.items()}
    # the process that failed on its own is named first; those stopped by the kill (negative codes) after
    for name, proc in sorted(procs.items(), key=lambda item: item[1].returncode < 0):
        if proc.returncode != 0:
            why = (f"exit {proc.returncode}" if proc.returncode > 0
                   else f"stopped: over {timeout:.0f} s, or another process failed")
            raise RuntimeError(f"{name} of {' '.join(cmd)} failed ({why}):\n{texts[name][1][-3000:]}")
    return {name: out for name, (out, _) in texts.items()}


def multiworker_check(workers: int = 2, model: str = "original", epochs: int = 2, batch_size: int = 8,
                      timeout: float = 300) -> list[dict[str, Any]]:
    """Start ``workers`` processes on this machine as a ``MultiWorkerMirroredStrategy`` cluster; their reports."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
    cmd = [sys.executable, "-m", "course_utils.distribute", "--worker", "--model", model, "--epochs", str(epochs),
           "--batch-size", str(batch_size)]
    envs = {f"worker {i}": dict(os.environ, TF_CONFIG=tf_config(addresses, i), CUDA_VISIBLE_DEVICES="",
                                TF_CPP_MIN_LOG_LEVEL="2") for i in range(workers)}
    return [json.loads(out.strip().splitlines()[-1]) for out in run_together(cmd, envs, timeout).values()]


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.distribute``: print :func:`run_check`'s (or a worker's) results as one JSON line."""
    import argparse

    parser = argparse.ArgumentParser(description="Mirror training over logical CPU devices and compare with one.")
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help="run as one worker of the cluster in TF_CONFIG")
    parser.add_argument("--model", default="original")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker_check(args.model, args.epochs, args.batch_size)))
    else:
        print(json.dumps(run_check(args.devices, args.model, args.epochs, args.batch_size)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
