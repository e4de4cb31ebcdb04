"""Training in one place: compile as the study did, epochs by profile, history as a DataFrame, GPU-aware,
and every run's results saved under the data folder so later chapters can read them without retraining.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from course_utils.config.device import has_gpu, seed_everything
from course_utils.config.profiles import budget
from course_utils.data.files import replace_folder, temporary_folder
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import Session
from course_utils.models import cnns
from course_utils.training import strategies

#: Epochs per profile: ``full`` is the study (10 for the original CNN, 15 for the others).


def epochs_for(name: str, profile: str) -> int:
    """How many epochs a model trains for in a profile."""
    return budget(profile).epochs_for(name)


@dataclass
class Run:
    """One training run: its history, timing, session and validation predictions."""

    name: str
    history: pd.DataFrame
    seconds: float
    epochs: int
    params: int
    class_names: list[str]
    val_true: np.ndarray
    val_logits: np.ndarray
    val_ids: list[str]
    info: dict = field(default_factory=dict)
    model: object | None = None

    @property
    def val_pred(self) -> np.ndarray:
        """Predicted class index per validation image."""
        return self.val_logits.argmax(axis=1)

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall time of an epoch."""
        return self.seconds / max(self.epochs, 1)

    def save(self, folder: Path, save_model: bool = False) -> Path:
        """Write history.csv, run.json, predictions.npz (and the model) into ``folder``, atomically.

        The files go to a temporary folder that is renamed into place, so a chapter running in parallel
        never reads half a run; an existing run is replaced.
        """
        tmp = temporary_folder(folder)
        self.history.to_csv(tmp / "history.csv", index=False)
        np.savez_compressed(
            tmp / "predictions.npz",
            val_true=self.val_true,
            val_logits=self.val_logits,
            val_ids=np.array(self.val_ids),
        )
        meta = {
            "name": self.name,
            "seconds": self.seconds,
            "epochs": self.epochs,
            "params": self.params,
            "class_names": self.class_names,
            "info": self.info,
        }
        (tmp / "run.json").write_text(
            json.dumps(meta, indent=1, default=str)
        )
        if save_model and self.model is not None:
            self.model.save(tmp / "model.keras")
        replace_folder(
            tmp, folder
        )  # another process that saved the same run meanwhile: theirs is kept
        return folder

    @classmethod
    def load(cls, folder: Path) -> "Run":
        """Read a run written by :meth:`save` (the model stays on disk; see ``folder / 'model.keras'``)."""
        meta = json.loads((folder / "run.json").read_text())
        preds = np.load(folder / "predictions.npz")
        return cls(
            history=pd.read_csv(folder / "history.csv"),
            val_true=preds["val_true"],
            val_logits=preds["val_logits"],
            val_ids=[str(i) for i in preds["val_ids"]],
            **meta,
        )


def runs_dir(session: Session) -> Path:
    """Where this data source and profile keep their runs."""

    return (
        session.data_dir
        / "runs"
        / session.source.root.name
        / session.profile
    )


def run_folder(tag: str, session: Session) -> Path:
    """The folder of one run, by tag (model name plus any variant) and seed."""
    return runs_dir(session) / f"{tag}-seed{session.seed}"


def use_mixed_precision(enabled: bool | None = None) -> bool:
    """Switch Keras to mixed float16 on a GPU (``None``: only when a GPU is present); returns whether on."""

    on = has_gpu() if enabled is None else enabled
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if on else "float32"
    )
    return on


def compile_model(
    model,
    learning_rate: float | None = None,
    loss=None,
    metrics=None,
    xla: bool = False,
):
    """Compile as the study: Adam (default rate), sparse categorical
    cross-entropy on logits, accuracy."""

    model.compile(
        optimizer=keras.optimizers.Adam()
        if learning_rate is None
        else keras.optimizers.Adam(learning_rate),
        loss=loss
        or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=metrics or ["accuracy"],
        jit_compile=xla,
    )
    return model


class EpochTimer:
    """A Keras callback that records the wall time of every epoch."""

    def __new__(cls):

        class _Timer(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.times: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self._start)

        return _Timer()


def whole_replica_batches(dataset, replicas: int):
    """Batches whose size splits evenly over the replicas: a last, uneven batch loses its last few images (at most
    ``replicas - 1``, other ones each epoch as the data are shuffled). Keras 3 fails on a batch a
    ``MirroredStrategy`` cannot split evenly (an ``AddN`` shape error), which tiny data sets run into.
    """

    def trim(x, y):
        keep = tf.shape(x)[0] // replicas * replicas
        return x[:keep], y[:keep]

    return dataset.map(trim).filter(lambda x, y: tf.shape(x)[0] > 0)


def copy_metrics(metrics):
    """The same metrics as new objects (a metric object belongs to the one model it was compiled with)."""

    if metrics is None:
        return None
    return [
        m.__class__.from_config(m.get_config())
        if isinstance(m, keras.metrics.Metric)
        else m
        for m in metrics
    ]


def validation_on_one_device(copy, val_ds):
    """A Keras callback that scores the validation images after each epoch on one device, with a copy of the model
    (Keras 3's distributed ``evaluate`` fails on a batch the replicas cannot split evenly); adds the ``val_``
    entries ``fit`` would have logged."""

    class OneDeviceValidation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            copy.set_weights(self.model.get_weights())
            scores = copy.evaluate(val_ds, verbose=0, return_dict=True)
            if logs is not None:
                logs.update(
                    {f"val_{k}": float(v) for k, v in scores.items()}
                )

    return OneDeviceValidation()


def train(
    model: str | Callable[[], object],
    split: Split,
    session: Session,
    epochs: int | None = None,
    batch_size: int = 32,
    tag: str | None = None,
    callbacks: Sequence = (),
    strategy=None,
    mixed_precision: bool | None = None,
    xla: bool = False,
    class_weight: dict | None = None,
    learning_rate: float | None = None,
    loss=None,
    metrics=None,
    save: bool = True,
    save_model: bool = False,
    verbose: int = 2,
) -> Run:
    """Build, compile and fit a model (by name, or a builder function), then save its run.

    ``strategy`` (a ``tf.distribute`` strategy) builds the model in its scope and scales the batch to
    ``batch_size`` per replica. Mixed precision is used on a GPU unless ``mixed_precision=False``.
    """

    name = (
        model
        if isinstance(model, str)
        else getattr(model, "__name__", "custom")
    )
    epochs = epochs or epochs_for(name, session.profile)
    seed_everything(session.seed)
    mp = use_mixed_precision(mixed_precision)
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    build = (
        (
            lambda: cnns.build(
                model, split.x_train.shape[1:], len(split.class_names)
            )
        )
        if isinstance(model, str)
        else model
    )
    try:
        if strategy is not None:
            with strategy.scope():
                net = compile_model(
                    build(), learning_rate, loss, metrics, xla
                )
        else:
            net = compile_model(build(), learning_rate, loss, metrics, xla)
        train_ds, val_ds = split.datasets(batch_size * replicas)
        validation, extra = val_ds, []
        if replicas > 1 and not strategies.is_multiworker(
            strategy
        ):  # batches the replicas can split evenly
            train_ds = whole_replica_batches(train_ds, replicas)
            if (
                len(split.y_val) % replicas
            ):  # the last validation batch cannot be split: score it on one device
                copy = compile_model(
                    build(), learning_rate, loss, copy_metrics(metrics), xla
                )
                validation, extra = (
                    None,
                    [validation_on_one_device(copy, val_ds)],
                )
        start = time.perf_counter()
        if strategy is not None and strategies.is_multiworker(
            strategy
        ):  # fit fails there: keras-team/keras#20585
            if callbacks or metrics:
                raise ValueError(
                    "training with a MultiWorkerMirroredStrategy uses a custom loop that reports loss "
                    "and accuracy only: pass no callbacks and no metrics"
                )
            fitted, times = strategies.fit_custom(
                net, train_ds, val_ds, epochs, strategy, class_weight
            )
            seconds = time.perf_counter() - start
            logits = strategies.predict_logits(net, val_ds)
        else:
            timer = EpochTimer()
            fitted = net.fit(
                train_ds,
                validation_data=validation,
                epochs=epochs,
                class_weight=class_weight,
                callbacks=[*extra, timer, *callbacks],
                shuffle=False,
                verbose=verbose,
            ).history
            times, seconds = timer.times, time.perf_counter() - start
            if extra:  # on one device: a replica handed no image fails
                logits = strategies.predict_logits(net, val_ds)
            else:
                logits = np.asarray(
                    net.predict(val_ds, verbose=0), dtype=np.float32
                )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    history = pd.DataFrame(fitted)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    history["seconds"] = times[: len(history)]
    run = Run(
        name=name,
        history=history,
        seconds=seconds,
        epochs=len(history),
        params=int(net.count_params()),
        class_names=list(split.class_names),
        val_true=np.asarray(split.y_val),
        val_logits=logits,
        val_ids=list(split.val_ids),
        info={
            "profile": session.profile,
            "seed": session.seed,
            "batch_size": batch_size,
            "replicas": replicas,
            "mixed_precision": mp,
            "xla": xla,
            "class_weight": bool(class_weight),
            "tag": tag or name,
            "train_images": int(len(split.y_train)),
            "val_images": int(len(split.y_val)),
        },
        model=net,
    )
    if save:
        run.save(run_folder(tag or name, session), save_model=save_model)
    return run


def load_run(tag: str, session: Session) -> Run | None:
    """A saved run of this data source, profile and seed, or None when it has not been trained yet."""
    folder = run_folder(tag, session)
    return Run.load(folder) if (folder / "run.json").is_file() else None


def train_or_load(
    name: str, split: Split, session: Session, **kwargs
) -> Run:
    """Reuse a saved run when there is one (same data, profile, seed, tag and validation images), else train it."""
    tag = kwargs.get("tag") or name
    saved = load_run(tag, session)
    if saved is not None and list(saved.val_ids) == list(split.val_ids):
        return saved
    return train(name, split, session, **kwargs)


def standard_callbacks(
    early_stopping: int | None = None,
    checkpoint_dir: str | Path | None = None,
    monitor: str = "val_loss",
) -> list:
    """Optional callbacks for ``train(callbacks=...)``: stop when ``monitor`` has not improved for
    ``early_stopping`` epochs (keeping the best weights), and save the best model to ``checkpoint_dir``."""

    callbacks = []
    if early_stopping is not None:
        if early_stopping < 1:
            raise ValueError(
                f"early_stopping={early_stopping}: give the patience in epochs (1 or more) or None"
            )
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=early_stopping,
                restore_best_weights=True,
            )
        )
    if checkpoint_dir is not None:
        folder = Path(checkpoint_dir)
        folder.mkdir(parents=True, exist_ok=True)
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                folder / "best.keras", monitor=monitor, save_best_only=True
            )
        )
    return callbacks


def study_runs(
    split,
    session: Session,
    names: Sequence[str] | None = None,
    **train_kwargs,
) -> dict:
    """The five models' runs: saved ones are read (e.g. from chapters 05–09), missing ones trained once and saved."""

    runs = {}
    for name in names or cnns.NAMES:
        saved = load_run(name, session)
        runs[name] = saved or train(
            name, split, session, verbose=0, **train_kwargs
        )
        where = run_folder(name, session).relative_to(session.data_dir)
        print(
            f"{name:12s} {'read from' if saved else 'trained now, saved in'} <data folder>/{where} "
            f"({runs[name].epochs} epochs, {runs[name].seconds:.1f} s of training)"
        )
    return runs


def runs_over_seeds(
    name: str,
    split,
    session,
    seeds: Sequence[int],
    tag: str | None = None,
    **train_kwargs,
) -> list:
    """The same model trained with several seeds (initial weights, augmentation, dropout); saved runs are reused."""

    return [
        train_or_load(
            name,
            split,
            session.with_seed(s),
            tag=tag,
            verbose=0,
            **train_kwargs,
        )
        for s in seeds
    ]
