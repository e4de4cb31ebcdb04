"""Training in one place: compile as the study did, epochs by profile, history as a DataFrame, GPU-aware,
and every run's results saved under the data folder so later chapters can read them without retraining.
"""

from __future__ import annotations

import hashlib
import json
import re
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
    #: the held-out test part's labels, outputs and IDs (empty when the
    #: split has none); chosen on validation, scored here once
    test_true: np.ndarray = field(default_factory=lambda: np.zeros(0))
    test_logits: np.ndarray = field(default_factory=lambda: np.zeros(0))
    test_ids: list[str] = field(default_factory=list)

    @property
    def val_pred(self) -> np.ndarray:
        """Predicted class index per validation image."""
        return self.val_logits.argmax(axis=1)

    @property
    def test_pred(self) -> np.ndarray:
        """Predicted class index per test image."""
        if not len(self.test_ids):
            raise ValueError(
                f"run {self.info.get('tag', self.name)!r} has no test "
                "predictions: train it on a split with a test part "
                "(pipeline.load_grouped_split)"
            )
        return self.test_logits.argmax(axis=1)

    @property
    def key(self) -> str:
        """What shaped this run, hashed (:func:`run_key`)."""
        return str(self.info.get("key", ""))

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
            test_true=self.test_true,
            test_logits=self.test_logits,
            test_ids=np.array(self.test_ids, dtype=str),
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
            test_true=preds["test_true"],
            test_logits=preds["test_logits"],
            test_ids=[str(i) for i in preds["test_ids"]],
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


def run_folder(tag: str, session: Session, key: str) -> Path:
    """The folder of one run: its tag (model name plus any variant), seed
    and key, so runs of other splits or models never overwrite it."""
    return runs_dir(session) / f"{tag}-seed{session.seed}-{key[:10]}"


def _anonymous(config: str, names: Sequence[str]) -> str:
    """A model's config with its layer names replaced by their positions
    (Keras numbers names per session: ``conv2d_7``)."""
    for i, name in sorted(enumerate(names), key=lambda item: -len(item[1])):
        config = re.sub(rf'"{re.escape(name)}"', f'"#{i}"', config)
    return config


def model_fingerprint(net) -> str:
    """A hash of a built model's architecture, layer by layer (names
    aside): an edited model gets another fingerprint."""
    layers = [net, *net._flatten_layers(include_self=False)]
    try:
        config = json.dumps(net.get_config(), sort_keys=True, default=str)
    except NotImplementedError:  # a subclassed model without a config
        config = json.dumps(
            [
                (type(layer).__name__, [w.shape for w in layer.weights])
                for layer in layers
            ],
            default=str,
        )
    text = _anonymous(config, [layer.name for layer in layers])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: The settings of a callback that shape a run (its state, e.g. ``wait``,
#: changes as it trains and is left out).
CALLBACK_SETTINGS = (
    "baseline",
    "min_delta",
    "mode",
    "monitor",
    "patience",
    "restore_best_weights",
    "save_best_only",
    "save_weights_only",
    "start_from_epoch",
)


def _describe(value) -> object:
    """A JSON-able description of a training setting (a loss, metric,
    callback or strategy: its class and settings)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    kind = type(value).__name__
    if hasattr(value, "num_replicas_in_sync"):  # a tf.distribute strategy
        return [kind, value.num_replicas_in_sync]
    if isinstance(value, (keras.losses.Loss, keras.metrics.Metric)):
        return [kind, _describe(value.get_config())]
    return [
        kind,
        {
            k: _describe(getattr(value, k))
            for k in CALLBACK_SETTINGS
            if hasattr(value, k)
        },
    ]


#: ``train``'s settings that shape a run, with their defaults.
KEY_SETTINGS = {
    "epochs": None,
    "batch_size": 32,
    "tag": None,
    "callbacks": (),
    "strategy": None,
    "mixed_precision": None,
    "xla": False,
    "class_weight": None,
    "learning_rate": None,
    "loss": None,
    "metrics": None,
    "depends_on": None,
}


def key_settings(
    model: str | Callable[[], object], session: Session, **kwargs
) -> dict:
    """``train``'s keyword arguments that shape a run, defaults filled in
    (epochs by profile, mixed precision resolved for this machine)."""
    settings = {k: kwargs.get(k, v) for k, v in KEY_SETTINGS.items()}
    settings["epochs"] = settings["epochs"] or epochs_for(
        model_name(model), session.profile
    )
    if settings["mixed_precision"] is None:
        settings["mixed_precision"] = has_gpu()
    return settings


def model_name(model: str | Callable[[], object]) -> str:
    """A model's name: the study's name, or the builder function's."""
    if isinstance(model, str):
        return model
    return getattr(
        model,
        "__name__",
        getattr(getattr(model, "func", None), "__name__", "custom"),
    )


def builder(model: str | Callable[[], object], split: Split) -> Callable:
    """A function that builds the model: a study model by name for this
    split's images and classes, or the given builder."""
    if not isinstance(model, str):
        return model
    return lambda: cnns.build(
        model, split.x_train.shape[1:], len(split.class_names)
    )


def run_key(
    build: Callable[[], object],
    split: Split,
    session: Session,
    **settings,
) -> str:
    """Everything that shapes a run, hashed: the model's architecture,
    the split (data source, scope, threshold, IDs, targets), profile,
    seed and the training settings. A saved run is reused only on an
    equal key."""
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        model = model_fingerprint(build())
    finally:
        keras.mixed_precision.set_global_policy(policy)
    shaped = {
        "model": model,
        "split": split.fingerprint(),
        "source": session.source.root.name,
        "profile": session.profile,
        "seed": session.seed,
        "settings": _describe(settings),
    }
    text = json.dumps(shaped, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
    depends_on: str | None = None,
    key: str | None = None,
) -> Run:
    """Build, compile and fit a model (by name, or a builder function), then save its run.

    ``strategy`` (a ``tf.distribute`` strategy) builds the model in its scope and scales the batch to
    ``batch_size`` per replica. Mixed precision is used on a GPU unless ``mixed_precision=False``. A split
    with a test part (:class:`~course_utils.datasets.pipeline.GroupedSplit`) gets its test images
    predicted too. The run is saved under its :func:`run_key` (``depends_on``: the key of a run this one
    starts from, e.g. a frozen stage before fine-tuning).
    """

    name = model_name(model)
    build = builder(model, split)
    key = key or run_key(
        build,
        split,
        session,
        **key_settings(
            model,
            session,
            epochs=epochs,
            batch_size=batch_size,
            tag=tag,
            callbacks=callbacks,
            strategy=strategy,
            mixed_precision=mixed_precision,
            xla=xla,
            class_weight=class_weight,
            learning_rate=learning_rate,
            loss=loss,
            metrics=metrics,
            depends_on=depends_on,
        ),
    )
    epochs = epochs or epochs_for(name, session.profile)
    seed_everything(session.seed)
    mp = use_mixed_precision(mixed_precision)
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    test_ds = (
        split.test_dataset(batch_size * replicas)
        if hasattr(split, "test_dataset")
        else None
    )
    test_logits = np.zeros(0, dtype=np.float32)
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
            if test_ds is not None:
                test_logits = strategies.predict_logits(net, test_ds)
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
            predict = (
                strategies.predict_logits
                if extra  # on one device: a replica handed no image fails
                else lambda net, ds: np.asarray(
                    net.predict(ds, verbose=0), dtype=np.float32
                )
            )
            logits = predict(net, val_ds)
            if test_ds is not None:
                test_logits = predict(net, test_ds)
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
            "test_images": int(len(getattr(split, "test_ids", []))),
            "key": key,
            "depends_on": depends_on,
        },
        model=net,
        test_true=np.asarray(getattr(split, "y_test", np.zeros(0))),
        test_logits=test_logits,
        test_ids=list(getattr(split, "test_ids", [])),
    )
    if save:
        run.save(
            run_folder(tag or name, session, key), save_model=save_model
        )
    return run


def load_run(tag: str, session: Session, key: str) -> Run | None:
    """The saved run of this tag and key (:func:`run_key`), or None when
    it has not been trained yet."""
    folder = run_folder(tag, session, key)
    if not (folder / "run.json").is_file():
        return None
    run = Run.load(folder)
    return run if run.key == key else None


def matches(run: Run | None, split: Split) -> bool:
    """Whether a saved run was scored on this split's validation and test
    images (a second check besides the key)."""
    return (
        run is not None
        and list(run.val_ids) == list(split.val_ids)
        and list(run.test_ids) == list(getattr(split, "test_ids", []))
    )


def train_or_load(
    model: str | Callable[[], object],
    split: Split,
    session: Session,
    **kwargs,
) -> Run:
    """Reuse the saved run when everything that shaped it matches (its
    :func:`run_key` and images), else train and save it."""
    key = kwargs.pop("key", None) or run_key(
        builder(model, split),
        split,
        session,
        **key_settings(model, session, **kwargs),
    )
    tag = kwargs.get("tag") or model_name(model)
    saved = load_run(tag, session, key)
    if matches(saved, split):
        return saved
    return train(model, split, session, key=key, **kwargs)


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
    """The five models' runs on this split: a saved run is read when
    everything that shaped it matches (e.g. from chapters 05–09), else
    the model is trained once and saved."""

    runs = {}
    for name in names or cnns.NAMES:
        key = run_key(
            builder(name, split),
            split,
            session,
            **key_settings(name, session, **train_kwargs),
        )
        saved = load_run(name, session, key)
        saved = saved if matches(saved, split) else None
        runs[name] = saved or train(
            name, split, session, verbose=0, key=key, **train_kwargs
        )
        where = run_folder(name, session, key).relative_to(session.data_dir)
        print(
            f"{name:12s} {'read from' if saved else 'trained now, saved in'} <data folder>/{where} "
            f"({runs[name].epochs} epochs, {runs[name].seconds:.1f} s of training)"
        )
    return runs


def runs_over_seeds(
    name: str,
    split: Split | Callable[[int], Split],
    session,
    seeds: Sequence[int],
    tag: str | None = None,
    **train_kwargs,
) -> list:
    """The same model trained with several seeds (initial weights, augmentation, dropout); saved runs are reused.

    ``split`` may be a function of the seed that returns a split: then the split varies with the seed too.
    """

    return [
        train_or_load(
            name,
            split(s) if callable(split) else split,
            session.with_seed(s),
            tag=tag,
            verbose=0,
            **train_kwargs,
        )
        for s in seeds
    ]
