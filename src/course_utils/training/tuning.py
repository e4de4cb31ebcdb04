"""Hyperparameter search with keras-tuner over the study's CNN family, scored by validation macro-F1 (chapter 11).

Accuracy rewards a model that always names the majority class, so trials are ranked by the macro-averaged F1 score
on the validation images, a streaming Keras metric (:class:`MacroF1`). :func:`run_search` fails loudly when a trial
failed (keras-tuner itself records the failure and carries on), and a search whose project folder already holds
finished trials continues from them instead of starting over.

The search is keras-tuner's Bayesian optimisation: its oracle draws the first
``num_initial_points`` trials at random and only then lets a Gaussian process
propose the next trial. keras-tuner's default is 3 random starts per
hyperparameter (24 for this space of 8), which turns a search of 24 trials or
fewer into a random search; :data:`INITIAL_POINTS` sets 10 instead, and
:class:`RecordingBayesianOracle` records which trials were random starts and
which were Bayesian steps.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Iterator

import keras
import keras_tuner as kt
import pandas as pd
from keras import layers, ops
from sklearn.exceptions import ConvergenceWarning

from course_utils.config.device import seed_everything
from course_utils.config.paths import shown_path
from course_utils.config.profiles import budget
from course_utils.config.study import INPUT_SHAPE, NUM_CLASSES, SEED
from course_utils.datasets.pipeline import Split, load_grouped_split
from course_utils.datasets.session import (
    Session,
    class_folders,
    open_session,
)
from course_utils.models import cnns
from course_utils.training import runs
from course_utils.training.processes import free_ports, run_together

#: What the search maximises: macro-F1 on the validation images (every class counts the same).
OBJECTIVE = kt.Objective("val_macro_f1", direction="max")

#: Random start trials before the Gaussian process proposes any: 10, as
#: scikit-optimize's ``gp_minimize`` starts. keras-tuner's own default,
#: 3 per hyperparameter (24 here), would leave the ``full`` profile's 30
#: trials only 6 Bayesian steps; with 10 it takes 20.
INITIAL_POINTS = 10

#: Part of the project folder's name: change it when the search space (or the
#: oracle's settings) changes, so an old search is not resumed. Version 2: 10
#: random starts instead of keras-tuner's default.
SPACE_VERSION = 2

#: How :class:`RecordingBayesianOracle` labels the trials it proposes.
RANDOM_START, BAYESIAN_STEP = "random start", "Bayesian step"


def distributed_role() -> str:
    """``chief``, a worker's ID (keras-tuner's distributed mode), or ``single`` for a search on its own."""
    if not os.environ.get("KERASTUNER_ORACLE_IP", "").strip():
        return "single"
    tuner_id = os.environ.get("KERASTUNER_TUNER_ID", "").strip()
    return (
        "chief" if "chief" in tuner_id else tuner_id or "single"
    )  # keras-tuner's own test for the chief


class SearchFailed(RuntimeError):
    """At least one trial of a search did not complete."""


class ConfusionMetric(keras.metrics.Metric):
    """A streaming confusion matrix (rows: true class, columns: predicted class) for class-balanced scores."""

    def __init__(self, num_classes: int, name: str = "confusion", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = int(num_classes)
        self.matrix = self.add_variable(
            shape=(self.num_classes, self.num_classes),
            initializer="zeros",
            name="matrix",
            aggregation="sum",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: integer labels and per-class scores (logits or probabilities)."""
        true = ops.one_hot(
            ops.cast(ops.reshape(y_true, (-1,)), "int32"),
            self.num_classes,
            dtype=self.dtype,
        )
        scores = ops.reshape(y_pred, (-1, self.num_classes))
        pred = ops.one_hot(
            ops.argmax(scores, axis=-1), self.num_classes, dtype=self.dtype
        )
        if sample_weight is not None:
            true = true * ops.reshape(
                ops.cast(sample_weight, self.dtype), (-1, 1)
            )
        self.matrix.assign_add(ops.matmul(ops.transpose(true), pred))

    def reset_state(self):
        """Start a new epoch from an empty matrix."""
        self.matrix.assign(
            ops.zeros(
                (self.num_classes, self.num_classes), dtype=self.dtype
            )
        )

    def result(self):
        """The matrix itself (subclasses turn it into one score)."""
        return self.matrix

    def get_config(self):
        """Enough to rebuild the metric."""
        return {**super().get_config(), "num_classes": self.num_classes}

    def _counts(self):
        """True positives, images per true class and predictions per class."""
        return (
            ops.diagonal(self.matrix),
            ops.sum(self.matrix, axis=1),
            ops.sum(self.matrix, axis=0),
        )


class MacroF1(ConfusionMetric):
    """Macro-averaged F1 over the classes that occur (in labels or
    predictions), as scikit-learn's default."""

    def __init__(self, num_classes: int, name: str = "macro_f1", **kwargs):
        super().__init__(num_classes, name=name, **kwargs)

    def result(self):
        """Mean of 2·TP / (true + predicted) over the classes seen."""
        tp, true, pred = self._counts()
        seen = ops.cast(true + pred > 0, self.dtype)
        return ops.sum(
            ops.divide_no_nan(2 * tp, true + pred) * seen
        ) / ops.maximum(ops.sum(seen), 1.0)


class BalancedAccuracy(ConfusionMetric):
    """Recall averaged over the classes present in the labels, as scikit-learn's ``balanced_accuracy_score``."""

    def __init__(
        self, num_classes: int, name: str = "balanced_accuracy", **kwargs
    ):
        super().__init__(num_classes, name=name, **kwargs)

    def result(self):
        """Mean of TP / true over the classes with images."""
        tp, true, _ = self._counts()
        present = ops.cast(true > 0, self.dtype)
        return ops.sum(ops.divide_no_nan(tp, true) * present) / ops.maximum(
            ops.sum(present), 1.0
        )


class CNNHyperModel(kt.HyperModel):
    """The study's CNN family with its choices left open: depth, width,
    kernel, dropout, dense units, activation, learning rate and
    augmentation. ``fits`` counts the trials this object has trained."""

    def __init__(
        self,
        input_shape=INPUT_SHAPE,
        num_classes: int = NUM_CLASSES,
        name: str = "cnn",
    ):
        super().__init__(name=name)
        self.input_shape = tuple(input_shape)
        self.num_classes = int(num_classes)
        self.fits = 0

    def architecture(self, hp: kt.HyperParameters) -> keras.Model:
        """The uncompiled model for one set of hyperparameters.

        The best trial's model is retrained with it.
        """
        blocks = hp.Int("conv_blocks", 2, 4)
        filters = hp.Choice("filters", [8, 16, 32])
        kernel = hp.Choice("kernel_size", [3, 5])
        activation = hp.Choice("activation", ["relu", "tanh"])
        dropout = hp.Float("dropout", 0.0, 0.5, step=0.1)
        units = hp.Choice("dense_units", [32, 64, 128])
        stack = [keras.Input(self.input_shape)]
        if hp.Boolean("augmentation"):
            stack.append(cnns.augmentation())
        stack.append(layers.Rescaling(1 / 255))
        for block in range(
            blocks
        ):  # filters double per block, as in the original CNN (16, 32, 64)
            stack += [
                layers.Conv2D(
                    filters * 2**block,
                    kernel,
                    padding="same",
                    activation=activation,
                ),
                layers.MaxPooling2D(2),
            ]
        stack += [
            layers.Dropout(dropout),
            layers.Flatten(),
            layers.Dense(units, activation=activation),
            layers.Dense(self.num_classes, dtype="float32", name="logits"),
        ]
        return keras.Sequential(stack, name="tuned")

    def build(self, hp: kt.HyperParameters) -> keras.Model:
        """A compiled model for one trial.

        It reports accuracy, macro-F1 and balanced accuracy.
        """
        learning_rate = hp.Float(
            "learning_rate", 1e-4, 1e-2, sampling="log"
        )
        metrics = [
            "accuracy",
            MacroF1(self.num_classes),
            BalancedAccuracy(self.num_classes),
        ]
        return runs.compile_model(
            self.architecture(hp), learning_rate, metrics=metrics
        )

    def fit(
        self, hp: kt.HyperParameters, model: keras.Model, *args, **kwargs
    ):
        """Train one trial, and count it.

        The count shows that a resumed search does not redo finished trials.
        """
        self.fits += 1
        return super().fit(hp, model, *args, **kwargs)


class RecordingBayesianOracle(kt.oracles.BayesianOptimizationOracle):
    """keras-tuner's Bayesian-optimisation oracle, unchanged, except that it
    records who proposed each trial: a random start or the Gaussian process.

    The record (``proposed_by``: trial ID to :data:`RANDOM_START` or
    :data:`BAYESIAN_STEP`) is saved with the oracle's state, so a resumed
    search still knows it; a retried trial keeps its first label.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposed_by: dict[str, str] = {}
        self._drew_at_random = False

    def initial_points(self) -> int:
        """Random starts before the Gaussian process proposes: the setting,
        or keras-tuner's default of 3 per hyperparameter (at least 3)."""
        return self.num_initial_points or max(
            3 * len(self.hyperparameters.space), 3
        )

    def populate_space(self, trial_id):
        """keras-tuner's proposal, labelled by the path it took."""
        self._drew_at_random = False
        with warnings.catch_warnings():
            # scikit-learn's Gaussian process warns when a length scale
            # reaches its bound, as it does after a few trials; the
            # proposal stands, and a chapter's output stays readable
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            response = super().populate_space(trial_id)
        if response["status"] == kt.engine.trial.TrialStatus.RUNNING:
            self.proposed_by[trial_id] = (
                RANDOM_START if self._drew_at_random else BAYESIAN_STEP
            )
        return response

    def _random_populate_space(self):
        # keras-tuner takes this path only for a random start
        self._drew_at_random = True
        return super()._random_populate_space()

    def get_state(self):
        """keras-tuner's state plus the record of proposals."""
        return {
            **super().get_state(),
            "proposed_by": dict(self.proposed_by),
        }

    def set_state(self, state):
        """Reload keras-tuner's state and the record of proposals."""
        super().set_state(state)
        self.proposed_by = dict(state.get("proposed_by", {}))


def default_initial_points(hypermodel: kt.HyperModel) -> int:
    """keras-tuner's default number of random starts for this search space:
    3 per hyperparameter, at least 3."""
    hp = kt.HyperParameters()
    hypermodel.build(hp)
    return max(3 * len(hp.space), 3)


def start_plan(trials: int, initial_points: int) -> dict[str, int]:
    """How a sequential search of ``trials`` splits into random starts and
    Bayesian steps when ``initial_points`` trials start at random."""
    random_starts = min(trials, initial_points)
    return {
        "random starts": random_starts,
        "Bayesian steps": trials - random_starts,
    }


def proposals(tuner: kt.Tuner) -> dict[str, int]:
    """How many of the search's trials were random starts and how many
    Bayesian steps, as its oracle recorded them."""
    recorded = tuner.oracle.proposed_by
    missing = sorted(set(tuner.oracle.trials) - set(recorded))
    if missing:
        raise ValueError(
            f"the oracle has no record of who proposed trial(s) {missing}: "
            "was the search made by another oracle?"
        )
    labels = [recorded[t] for t in tuner.oracle.trials]
    return {
        "random starts": labels.count(RANDOM_START),
        "Bayesian steps": labels.count(BAYESIAN_STEP),
    }


def space_table(hypermodel: kt.HyperModel) -> pd.DataFrame:
    """The search space as a table: each hyperparameter, its kind and the values it may take."""
    hp = kt.HyperParameters()
    hypermodel.build(hp)
    rows = []
    for param in hp.space:
        config = param.get_config()
        if "values" in config:
            values = ", ".join(str(v) for v in config["values"])
        elif "min_value" in config:
            step = f", step {config['step']}" if config.get("step") else ""
            values = f"{config['min_value']} … {config['max_value']}{step} ({config.get('sampling') or 'linear'})"
        else:
            values = "True, False"
        rows.append(
            {
                "hyperparameter": param.name,
                "kind": type(param).__name__,
                "values": values,
                "default": config["default"]
                if config.get("default") is not None
                else config.get("min_value"),
            }
        )
    return pd.DataFrame(rows).set_index("hyperparameter")


def project_dir(session: Session, split: Split | None = None) -> Path:
    """Where this data source, profile and seed (and split, when given: a
    search on other images is another search) keep their search: resuming
    needs the same folder."""
    name = f"cnn-v{SPACE_VERSION}-seed{session.seed}"
    if split is not None:
        name += f"-{split.fingerprint()[:10]}"
    return (
        session.data_dir
        / "tuner"
        / session.source.root.name
        / session.profile
        / name
    )


def make_tuner(
    hypermodel: kt.HyperModel,
    folder: Path,
    max_trials: int,
    seed: int = SEED,
    overwrite: bool = False,
    initial_points: int | None = INITIAL_POINTS,
) -> kt.Tuner:
    """A Bayesian-optimisation tuner on ``folder``: with ``overwrite=False`` it reloads the trials already there.

    It is what ``kt.BayesianOptimization(hypermodel, ...)`` builds, with
    :class:`RecordingBayesianOracle` as its oracle. ``initial_points``: random
    starts before the Gaussian process proposes (None: keras-tuner's default,
    3 per hyperparameter); a reloaded search keeps the number it started with.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    said = io.StringIO()
    with contextlib.redirect_stdout(
        said
    ):  # keras-tuner prints the absolute path of the folder it reloads
        oracle = RecordingBayesianOracle(
            objective=OBJECTIVE,
            max_trials=max_trials,
            num_initial_points=initial_points,
            seed=seed,
            max_retries_per_trial=0,
        )
        tuner = kt.Tuner(
            oracle=oracle,
            hypermodel=hypermodel,
            directory=str(folder.parent),
            project_name=folder.name,
            overwrite=overwrite,
        )
    print(said.getvalue().replace(str(folder), shown_path(folder)), end="")
    return tuner


@contextlib.contextmanager
def project_lock(folder: Path) -> Iterator[None]:
    """Hold a lock on a search folder, so two processes (a test and a book build) never write one search at once.

    The operating system drops the lock when its process dies, so an interrupted search leaves none behind.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a+") as handle:
        try:
            import fcntl  # deferred: POSIX only
        except ImportError:  # Windows: lock one byte with msvcrt instead
            import msvcrt  # deferred: Windows only

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def trials_in_order(tuner: kt.Tuner) -> list:
    """The search's trials in the order they started (their IDs need not sort that way after a resume)."""
    trials = tuner.oracle.trials
    order = [
        i for i in getattr(tuner.oracle, "start_order", []) if i in trials
    ]
    return [trials[i] for i in order + sorted(set(trials) - set(order))]


def failed_trials(tuner: kt.Tuner) -> list[str]:
    """Each trial that did not complete, with its status and the last line of its error."""
    failed = []
    for trial in trials_in_order(tuner):
        trial_id = trial.trial_id
        if trial.status != kt.engine.trial.TrialStatus.COMPLETED:
            last = (trial.message or "no message").strip().splitlines()[-1]
            failed.append(f"trial {trial_id} ({trial.status}): {last}")
    return failed


def check_trials(tuner: kt.Tuner) -> None:
    """Raise :class:`SearchFailed` listing every trial that did not complete
    (keras-tuner only logs them)."""
    failed = failed_trials(tuner)
    if failed:
        raise SearchFailed(
            f"{len(failed)} of {len(tuner.oracle.trials)} trials did not "
            "complete in "
            f"{tuner.project_dir}:\n  " + "\n  ".join(failed)
        )


def run_search(
    hypermodel: CNNHyperModel,
    split: Split,
    folder: Path,
    max_trials: int,
    epochs: int,
    seed: int = SEED,
    batch_size: int = 32,
    overwrite: bool = False,
    verbose: int = 0,
    initial_points: int | None = INITIAL_POINTS,
) -> kt.Tuner:
    """Search (or continue a search) under a lock, then fail loudly if any
    trial failed; returns the tuner."""
    # a distributed search's chief and workers share the folder on purpose
    # (the chief's oracle hands out the trials):
    # a lock would make a worker on the chief's machine wait for the chief,
    # which waits for the workers
    role = distributed_role()
    with (
        project_lock(folder)
        if role == "single"
        else contextlib.nullcontext()
    ):
        tuner = make_tuner(
            hypermodel, folder, max_trials, seed, overwrite, initial_points
        )
        done = (
            len(tuner.oracle.trials) if role in ("single", "chief") else 0
        )  # a worker's oracle is remote
        fits = hypermodel.fits
        seed_everything(seed)
        train_ds, val_ds = split.datasets(batch_size)
        tuner.search(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            shuffle=False,
            verbose=verbose,
        )
    if role not in ("single", "chief"):
        print(
            f"worker {role}: trained {hypermodel.fits - fits} trial(s); "
            "the chief checks them all"
        )
        return tuner
    print(
        f"search folder: {shown_path(tuner.project_dir)}\n{done} trial(s) "
        "found there, "
        f"{hypermodel.fits - fits} trained now, {len(tuner.oracle.trials)} "
        f"in all (max_trials={max_trials})"
    )
    check_trials(tuner)
    return tuner


def _value_at_best_step(trial, metric: str) -> float | None:
    """A metric's value at the epoch the objective was best (None when the trial did not record it)."""
    if not trial.metrics.exists(metric):
        return None
    history = trial.metrics.get_history(metric)
    at_best = [obs.value for obs in history if obs.step == trial.best_step]
    values = (
        at_best[0] if at_best else history[-1].value
    )  # one value per execution of the trial
    return float(sum(values) / len(values))


def trials_table(tuner: kt.Tuner) -> pd.DataFrame:
    """One row per trial: status, score (best validation macro-F1), other validation scores and hyperparameters."""
    rows = []
    for trial in trials_in_order(tuner):
        # the score is the objective at the trial's best epoch; the other scores are taken at that epoch too
        row = {
            "trial": trial.trial_id,
            "status": trial.status,
            "score (val macro-F1)": trial.score,
            "proposed by": getattr(tuner.oracle, "proposed_by", {}).get(
                trial.trial_id
            ),
        }
        for metric in ("val_balanced_accuracy", "val_accuracy"):
            row[metric.replace("_", " ")] = _value_at_best_step(
                trial, metric
            )
        row["best epoch"] = (
            None if trial.best_step is None else trial.best_step + 1
        )
        row.update(trial.hyperparameters.values)
        rows.append(row)
    return pd.DataFrame(rows).set_index("trial")


def best_builder(
    tuner: kt.Tuner, hypermodel: CNNHyperModel
) -> tuple[Callable[[], keras.Model], object]:
    """A builder of the best trial's architecture for :func:`course_utils.training.runs.train`, and that trial."""
    trial = tuner.oracle.get_best_trials(1)[0]

    def tuned() -> keras.Model:
        return hypermodel.architecture(trial.hyperparameters)

    return tuned, trial


def retrain_best(
    tuner: kt.Tuner,
    hypermodel: CNNHyperModel,
    split: Split,
    session: Session,
    epochs: int | None = None,
) -> runs.Run:
    """Train the best trial's model like the study's models (profile's epochs), saved under its trial's tag."""
    builder, trial = best_builder(tuner, hypermodel)
    return runs.train_or_load(
        builder,
        split,
        session,
        epochs=epochs,
        tag=f"tuned-trial{trial.trial_id}",
        learning_rate=trial.hyperparameters.get("learning_rate"),
        verbose=0,
    )


def distributed_check(
    workers: int = 1,
    trials: int = 2,
    epochs: int = 1,
    folder: Path | None = None,
    timeout: float = 600,
) -> dict:
    """Run a small search (``trials`` × ``epochs``) as a keras-tuner chief and ``workers`` workers on this machine.

    The same command serves every role (``python -m course_utils.training.tuning``); only the ``KERASTUNER_*`` variables
    differ. Returns each process's output, the trials each worker trained, and the finished search's table.
    """

    session = open_session()
    class_folders(
        session
    )  # prepared here once, so the processes do not all prepare it at the same time
    folder = (
        Path(folder or tempfile.mkdtemp(prefix="distributed-search-"))
        / "search"
    )
    base = dict(
        os.environ,
        KERASTUNER_ORACLE_IP="127.0.0.1",
        KERASTUNER_ORACLE_PORT=str(free_ports(1)[0]),
        TF_CPP_MIN_LOG_LEVEL="2",
        CUDA_VISIBLE_DEVICES="",
    )  # a CPU check: no process grabs a whole GPU
    cmd = [
        sys.executable,
        "-m",
        "course_utils.training.tuning",
        "--folder",
        str(folder),
        "--trials",
        str(trials),
        "--epochs",
        str(epochs),
    ]
    roles = ["chief", *[f"tuner{i}" for i in range(workers)]]
    outputs = run_together(
        cmd,
        {role: dict(base, KERASTUNER_TUNER_ID=role) for role in roles},
        timeout,
    )
    trained = {
        role: int(m.group(1))
        for role in roles[1:]
        for m in [re.search(r"trained (\d+) trial", outputs[role])]
        if m
    }
    tuner = make_tuner(CNNHyperModel(), folder, trials, session.seed)
    check_trials(tuner)
    return {
        "folder": folder,
        "outputs": outputs,
        "trained": trained,
        "trials": trials_table(tuner),
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m course_utils.training.tuning``: chapter 11's search for the current session (also as chief or worker)."""

    parser = argparse.ArgumentParser(
        description="Chapter 11's search; a chief or worker with KERASTUNER_* set."
    )
    parser.add_argument(
        "--folder",
        type=Path,
        help="the search's folder (default: the chapter's, in the data folder)",
    )
    parser.add_argument(
        "--trials",
        type=int,
        help="the number of trials (default: the profile's budget)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help="epochs per trial (default: the profile's budget)",
    )
    args = parser.parse_args(argv)
    session = open_session()
    split = load_grouped_split(class_folders(session), seed=session.seed)
    plan = {
        "trials": args.trials or budget(session.profile).trials,
        "epochs": args.epochs or budget(session.profile).trial_epochs,
    }
    hypermodel = CNNHyperModel(
        split.x_train.shape[1:], len(split.class_names)
    )
    print(
        f"role: {distributed_role()}, profile: {session.profile}, budget: {budget}"
    )
    tuner = run_search(
        hypermodel,
        split,
        args.folder or project_dir(session, split),
        plan["trials"],
        plan["epochs"],
        session.seed,
        verbose=1,
    )
    if distributed_role() in ("single", "chief"):
        print(trials_table(tuner).to_string())


if __name__ == "__main__":
    main()
