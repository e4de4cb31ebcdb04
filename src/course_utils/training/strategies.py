"""``tf.distribute`` strategies and what training needs under them (chapter 18).

:func:`strategy` picks one (multi-worker when ``TF_CONFIG`` is set, mirrored over several devices, or the
default); :func:`logical_cpus` splits a CPU into logical devices so mirrored training can be tried without GPUs;
:func:`scaled_learning_rate` is the linear scaling rule. Keras 3's ``fit`` cannot train under a multi-worker
strategy, so :func:`fit_custom` trains with a loop over ``strategy.run`` instead.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

KINDS = ("auto", "mirrored", "multiworker", "default")


def logical_cpus(n: int) -> list:
    """Split the CPU into ``n`` logical devices, so mirrored training can be tried on a machine without GPUs."""
    import tensorflow as tf  # deferred: TensorFlow takes seconds to import

    if n < 1:
        raise ValueError(
            f"the number of logical CPU devices must be at least 1, got {n}"
        )
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * n
        )
    except RuntimeError as err:
        raise RuntimeError(
            f"cannot split the CPU into {n} logical devices: TensorFlow is already initialised in this process "
            f"({err}); call logical_cpus() before anything else, or use mirrored_check() (a fresh process)"
        ) from None
    return tf.config.list_logical_devices("CPU")


def strategy(kind: str = "auto"):
    """A ``tf.distribute`` strategy: ``auto`` picks multi-worker (TF_CONFIG
    set), mirrored (several devices) or default.

    ``mirrored`` mirrors over every GPU, or over the logical CPUs when there
    is no GPU; ``multiworker`` reads the cluster from the ``TF_CONFIG``
    environment variable; ``default`` is TensorFlow's one-device strategy.
    """
    import tensorflow as tf  # deferred: TensorFlow takes seconds to import

    if kind not in KINDS:
        raise ValueError(
            f"unknown strategy kind {kind!r}; use one of: "
            f"{', '.join(KINDS)}"
        )
    if kind == "multiworker" or (
        kind == "auto" and os.environ.get("TF_CONFIG")
    ):
        if not os.environ.get("TF_CONFIG"):
            raise RuntimeError(
                "strategy('multiworker') needs the TF_CONFIG environment "
                "variable (see tf_config())"
            )
        # before anything lists devices: collective ops must be configured
        # while TensorFlow starts up
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus or tf.config.list_logical_devices("CPU")
    if kind == "mirrored" or (kind == "auto" and len(devices) > 1):
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    return tf.distribute.get_strategy()


def tf_config(workers: list[str], index: int) -> str:
    """The ``TF_CONFIG`` value of one worker: every worker's ``host:port`` and which of them this process is."""
    if not 0 <= index < len(workers):
        raise ValueError(
            f"worker index {index} is outside the {len(workers)} workers {workers}"
        )
    return json.dumps(
        {
            "cluster": {"worker": list(workers)},
            "task": {"type": "worker", "index": index},
        }
    )


def scaled_learning_rate(base: float, replicas: int) -> float:
    """The linear scaling rule: a global batch ``replicas`` times larger takes a ``replicas`` times larger step."""
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, got {replicas}")
    return base * replicas


def is_multiworker(strat) -> bool:
    """Whether ``strat`` spans machines: Keras 3's ``fit`` cannot train under it (keras-team/keras#20585)."""
    import tensorflow as tf  # deferred: TensorFlow takes seconds to import

    return isinstance(strat, tf.distribute.MultiWorkerMirroredStrategy)


def predict_logits(net, dataset) -> np.ndarray:
    """The model's float32 outputs for every batch of ``dataset``, in order, computed on this worker alone."""
    import tensorflow as tf  # deferred: TensorFlow takes seconds to import

    infer = tf.function(
        lambda x: tf.cast(net(x, training=False), tf.float32)
    )
    return np.concatenate([infer(x).numpy() for x, _ in dataset])


def fit_custom(
    net,
    train_ds,
    val_ds,
    epochs: int,
    strat,
    class_weight: dict | None = None,
) -> tuple[dict[str, list[float]], list[float]]:
    """Train a compiled classifier with a loop that calls ``strategy.run``,
    which works where ``fit`` does not.

    Every replica takes its share of each global batch, averages its loss
    over the global batch and applies the gradients (the strategy sums them
    across replicas and machines). Returns the history (loss, accuracy and,
    with ``val_ds``, val_loss, val_accuracy, as ``fit`` names them) and the
    seconds of every epoch."""
    import tensorflow as tf  # deferred: TensorFlow takes seconds to import

    loss_fn, optimizer = net.loss, net.optimizer
    if not hasattr(loss_fn, "call"):
        raise TypeError(
            "the custom training loop needs a keras.losses.Loss object as "
            f"the loss, got {loss_fn!r}"
        )
    weights = None
    if class_weight:
        n_classes = int(net.outputs[0].shape[-1])
        weights = tf.constant(
            [float(class_weight.get(c, 1.0)) for c in range(n_classes)],
            tf.float32,
        )

    def replica_step(x, y):
        y = tf.cast(y, tf.int32)
        with tf.GradientTape() as tape:
            logits = tf.cast(net(x, training=True), tf.float32)
            per_example = loss_fn.call(y, logits)
            if weights is not None:
                per_example *= tf.gather(weights, y)
            loss = tf.nn.compute_average_loss(per_example)
            # mixed precision: scaled up, unscaled again by apply_gradients
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        hits = tf.cast(
            tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y),
            tf.float32,
        )
        return (
            tf.reduce_sum(per_example),
            tf.reduce_sum(hits),
            tf.cast(tf.size(y), tf.float32),
        )

    @tf.function
    def train_step(x, y):
        sums = strat.run(replica_step, args=(x, y))
        return [strat.reduce("SUM", value, axis=None) for value in sums]

    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    times = []
    batches = strat.experimental_distribute_dataset(train_ds)
    y_val = (
        None
        if val_ds is None
        else np.concatenate([np.asarray(y) for _, y in val_ds]).astype(int)
    )
    for _ in range(epochs):
        start = time.perf_counter()
        loss = hits = seen = 0.0
        for x, y in batches:
            step = [float(v) for v in train_step(x, y)]
            loss, hits, seen = (
                loss + step[0],
                hits + step[1],
                seen + step[2],
            )
        history["loss"].append(loss / seen)
        history["accuracy"].append(hits / seen)
        if val_ds is not None:
            logits = predict_logits(net, val_ds)
            history.setdefault("val_loss", []).append(
                float(np.mean(loss_fn.call(y_val, logits)))
            )
            history.setdefault("val_accuracy", []).append(
                float(np.mean(logits.argmax(-1) == y_val))
            )
        times.append(time.perf_counter() - start)
    return history, times


class StepCounter:
    """A Keras callback that counts training steps (how many batches an epoch was cut into)."""

    def __new__(cls):
        import keras  # deferred: Keras loads TensorFlow (seconds)

        class _Counter(keras.callbacks.Callback):
            count = 0

            def on_train_batch_end(self, batch, logs=None):
                self.count += 1

        return _Counter()
