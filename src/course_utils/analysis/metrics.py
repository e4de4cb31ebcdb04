"""Evaluating classifiers honestly: the study's metric next to the ones that survive class imbalance.

Scores of one set of predictions (:func:`scores`), the two baselines every model must beat, one table for many
runs (:func:`metrics_table`), the demonstration that the study's RMSE depends on how the classes are numbered
(:func:`rmse_under_relabelling`), repeated seeds, and confusion matrices as numbers. It returns data and never
draws: :mod:`course_utils.plots.metric_plots` draws.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from course_utils.config.study import SEED


def study_rmse(y_true, y_pred, sample_weight=None) -> float:
    """The study's metric: RMSE between true and predicted *class indices* (order-dependent, see chapter 10)."""
    y_true, y_pred = (
        np.asarray(y_true, dtype=float),
        np.asarray(y_pred, dtype=float),
    )
    return float(
        np.sqrt(np.average((y_true - y_pred) ** 2, weights=sample_weight))
    )


#: The metrics a comparison leads with; per-class recall, time and size follow them in :func:`metrics_table`.
HEADLINE = ["accuracy", "balanced accuracy", "macro-F1", "study RMSE"]


def scores(
    y_true, y_pred, class_names: Sequence[str], sample_weight=None
) -> dict[str, float]:
    """Accuracy next to the scores that survive imbalance, the study's RMSE and each class's recall (NaN: no images).

    ``sample_weight`` weighs each prediction (e.g. 1/n for each of an artwork's n annotators, so that every
    artwork counts once); None weighs them alike."""
    from sklearn.metrics import (  # deferred: scikit-learn is slow to import
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        recall_score,
    )

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size == 0:
        raise ValueError(
            "scores need at least one validation image; got none"
        )
    with warnings.catch_warnings():  # a model predicting a class absent from y_true, or one class in all: fine here
        warnings.filterwarnings(
            "ignore", message="y_pred contains classes not in y_true"
        )
        warnings.filterwarnings(
            "ignore", message="A single label was found"
        )
        balanced = balanced_accuracy_score(
            y_true, y_pred, sample_weight=sample_weight
        )
    recall = recall_score(
        y_true,
        y_pred,
        labels=range(len(class_names)),
        average=None,
        zero_division=np.nan,
        sample_weight=sample_weight,
    )
    out = {
        "accuracy": accuracy_score(
            y_true, y_pred, sample_weight=sample_weight
        ),
        "balanced accuracy": balanced,
        "macro-F1": f1_score(
            y_true,
            y_pred,
            average="macro",
            zero_division=0,
            sample_weight=sample_weight,
        ),
        "study RMSE": study_rmse(y_true, y_pred, sample_weight),
    }
    out.update(
        {
            f"recall: {name}": value
            for name, value in zip(class_names, recall)
        }
    )
    return {key: float(value) for key, value in out.items()}


def majority_class(y_train) -> int:
    """The most frequent class among the *training* labels (what a model learns when it learns nothing else)."""
    y_train = np.asarray(y_train, dtype=int)
    if y_train.size == 0:
        raise ValueError(
            "majority_class needs at least one training label; got an empty array"
        )
    return int(np.bincount(y_train).argmax())


def majority_predictions(y_train, n: int) -> np.ndarray:
    """The majority-class baseline: the most frequent training class, for each of ``n`` images."""
    return np.full(n, majority_class(y_train), dtype=int)


#: The share of images on which a model must answer other than the majority class before it counts as differing
#: from the majority-class baseline: below it a comparison with the baseline, or between two such models, is a
#: tie or nearly one (2 of the smoke profile's 40 validation images).
MAJORITY_MARGIN = 0.05


def majority_gap(y_pred, y_train) -> float:
    """The share of predictions that are not the training majority class: 0 for the majority-class baseline
    itself, so a model at 0 ties with it on every score."""
    y_pred = np.asarray(y_pred, dtype=int)
    if y_pred.size == 0:
        raise ValueError(
            "majority_gap needs at least one prediction; got none"
        )
    return float(np.mean(y_pred != majority_class(y_train)))


def differs_from_majority(
    y_pred, y_train, margin: float = MAJORITY_MARGIN
) -> bool:
    """Whether predictions differ from the majority-class baseline's on at least ``margin`` of the images."""
    if not 0 < margin <= 1:
        raise ValueError(f"margin must lie in (0, 1], got {margin}")
    return majority_gap(y_pred, y_train) >= margin


def majority_gaps(predictions: Mapping[str, object], y_train) -> pd.Series:
    """:func:`majority_gap` of each model's predictions, by name (the chapters' checks that a trained model
    differs from the baseline before any comparison)."""
    if not predictions:
        raise ValueError("majority_gaps needs at least one model; got none")
    return pd.Series(
        {
            name: majority_gap(pred, y_train)
            for name, pred in predictions.items()
        },
        name="share of predictions not the majority class",
    )


def stratified_predictions(
    y_train, n: int, n_classes: int, seed: int = SEED
) -> np.ndarray:
    """A random guesser that knows the training class shares: ``n`` draws from them (seeded)."""
    shares = np.bincount(
        np.asarray(y_train, dtype=int), minlength=n_classes
    ) / len(y_train)
    return np.random.default_rng(seed).choice(n_classes, size=n, p=shares)


def baseline_scores(
    y_train,
    y_val,
    class_names: Sequence[str],
    seed: int = SEED,
    draws: int = 50,
) -> dict[str, dict[str, float]]:
    """Scores of the two baselines on the validation labels; the random one
    as the mean over ``draws`` seeds."""
    y_val = np.asarray(y_val)
    majority = class_names[majority_class(y_train)]
    random_runs = [
        scores(
            y_val,
            stratified_predictions(
                y_train, len(y_val), len(class_names), seed + i
            ),
            class_names,
        )
        for i in range(draws)
    ]
    return {
        f"baseline: always {majority}": scores(
            y_val, majority_predictions(y_train, len(y_val)), class_names
        ),
        f"baseline: stratified random (mean of {draws})": pd.DataFrame(
            random_runs
        )
        .mean()
        .to_dict(),
    }


def _label_runs(runs) -> dict:
    """Runs as a dict of label → Run (a list is labelled by each run's tag)."""
    if isinstance(runs, Mapping):
        return dict(runs)
    return {run.info.get("tag", run.name): run for run in runs}


def metrics_table(
    runs,
    baselines: bool = True,
    y_train=None,
    seed: int = SEED,
    draws: int = 50,
) -> pd.DataFrame:
    """One row per run (and per baseline): the headline metrics, per-class recall, training seconds and parameters.

    ``runs`` is a dict of label → :class:`~course_utils.training.runs.Run` or a list of runs; the baselines learn the
    class shares from ``y_train`` (``split.y_train``) and need every run to share one validation set.
    """
    runs = _label_runs(runs)
    if not runs:
        raise ValueError("metrics_table needs at least one run; got none")
    first = next(iter(runs.values()))
    rows = {}
    if baselines:
        if y_train is None:
            raise ValueError(
                "metrics_table(baselines=True) needs y_train, the training labels (split.y_train)"
            )
        differ = [
            label
            for label, run in runs.items()
            if list(run.val_ids) != list(first.val_ids)
        ]
        if differ:
            raise ValueError(
                f"runs {differ} use another validation set than {next(iter(runs))!r}; "
                "make one table per split"
            )
        for label, values in baseline_scores(
            y_train, first.val_true, first.class_names, seed, draws
        ).items():
            rows[label] = {
                **values,
                "training seconds": 0.0,
                "parameters": 0,
                "baseline": True,
            }
    for label, run in runs.items():
        rows[label] = {
            **scores(run.val_true, run.val_pred, run.class_names),
            "training seconds": run.seconds,
            "parameters": run.params,
            "baseline": False,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def rmse_under_relabelling(
    y_true, y_pred, permutation: Sequence[int]
) -> float:
    """The study's RMSE after renumbering the classes (class ``i`` becomes
    ``permutation[i]``): same predictions."""
    permutation = np.asarray(permutation, dtype=int)
    if sorted(permutation.tolist()) != list(range(len(permutation))):
        raise ValueError(
            f"permutation {permutation.tolist()} is not a reordering of 0 "
            f"… {len(permutation) - 1}"
        )
    y_true, y_pred = (
        np.asarray(y_true, dtype=int),
        np.asarray(y_pred, dtype=int),
    )
    if max(y_true.max(initial=0), y_pred.max(initial=0)) >= len(
        permutation
    ):
        raise ValueError(
            f"a class index is beyond the permutation's {len(permutation)} "
            "entries"
        )
    return study_rmse(permutation[y_true], permutation[y_pred])


def example_orderings(
    class_names: Sequence[str],
    y_train,
    seed: int = SEED,
    synonym: tuple[str, str] = ("Calm", "Serene"),
) -> dict[str, list[str]]:
    """Four equally arbitrary ways to number the same classes: the study's alphabetical one and three others.

    One of them keeps alphabetical order but calls a quadrant by a synonym (by default *Calm* → *Serene*).
    Reversing the order would not do: it keeps every distance between indices, so the RMSE cannot change.
    """
    counts = np.bincount(
        np.asarray(y_train, dtype=int), minlength=len(class_names)
    )
    shuffled = np.random.default_rng(seed).permutation(len(class_names))
    old, new = synonym
    return {
        "alphabetical (the study)": list(class_names),
        f"alphabetical, {old} called {new}": sorted(
            class_names, key=lambda name: name.replace(old, new)
        ),
        "largest class first": [
            class_names[i] for i in np.argsort(-counts, kind="stable")
        ],
        f"shuffled (seed {seed})": [class_names[i] for i in shuffled],
    }


def relabelling_table(
    predictions: Mapping[str, tuple],
    class_names: Sequence[str],
    orderings: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """The study's RMSE of each model's unchanged predictions under each class numbering (rows: models)."""
    table = {}
    for order, names in orderings.items():
        if sorted(names) != sorted(class_names):
            raise ValueError(
                f"ordering {order!r} does not hold exactly the classes {list(class_names)}"
            )
        permutation = [list(names).index(name) for name in class_names]
        table[order] = {
            label: rmse_under_relabelling(t, p, permutation)
            for label, (t, p) in predictions.items()
        }
    out = pd.DataFrame(table)
    out.index.name = "model"
    return out


def predictions_of(runs) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(true, predicted) validation classes of each run, by label."""
    return {
        label: (run.val_true, run.val_pred)
        for label, run in _label_runs(runs).items()
    }


def class_distribution(
    labels: Mapping[str, np.ndarray], class_names: Sequence[str]
) -> pd.DataFrame:
    """Images per class (and share) in each set of labels, e.g. training and validation of two splits."""
    table = {}
    for name, y in labels.items():
        counts = np.bincount(
            np.asarray(y, dtype=int), minlength=len(class_names)
        )
        table[f"{name} (images)"] = counts
        table[f"{name} (share)"] = (counts / max(counts.sum(), 1)).round(3)
    return pd.DataFrame(
        table, index=pd.Index(list(class_names), name="class")
    )


def seed_summary(
    runs_by_model: Mapping[str, Sequence],
    metrics: Sequence[str] = tuple(HEADLINE),
) -> pd.DataFrame:
    """Mean and standard deviation of each metric over a model's repeated runs: how much is luck of the seed."""
    rows = {}
    for label, runs in runs_by_model.items():
        values = pd.DataFrame(
            [scores(r.val_true, r.val_pred, r.class_names) for r in runs]
        )[list(metrics)]
        row = {
            (metric, "mean"): values[metric].mean() for metric in metrics
        }
        row.update(
            {
                (metric, "std"): values[metric].std(ddof=1)
                if len(runs) > 1
                else np.nan
                for metric in metrics
            }
        )
        row[("runs", "n")] = len(runs)
        rows[label] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table = table[
        [*((m, s) for m in metrics for s in ("mean", "std")), ("runs", "n")]
    ]
    table.index.name = "model"
    return table


def short_name(class_name: str) -> str:
    """A compact class label for crowded axes: ``Aggressive + Euphoric`` → ``Agg+Eup``."""
    return "+".join(part.strip()[:3] for part in class_name.split("+"))


def confusion(
    y_true, y_pred, n_classes: int, normalize: str | None = "true"
) -> np.ndarray:
    """The confusion matrix (rows: true class); ``normalize="true"`` gives shares per true class, NaN where none."""
    from sklearn.metrics import (
        confusion_matrix,  # deferred: scikit-learn is slow to import
    )

    counts = confusion_matrix(
        y_true, y_pred, labels=range(n_classes)
    ).astype(float)
    if normalize is None:
        return counts
    if normalize != "true":
        raise ValueError(
            f"normalize={normalize!r} is not supported; use 'true' (shares per true class) or None"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / counts.sum(axis=1, keepdims=True)


#: The three scores compared on test parts (the study RMSE is left out).
TEST_METRICS = ("accuracy", "balanced accuracy", "macro-F1")


def scores_by_seed(
    runs_by_split: Mapping[str, Sequence],
    seeds: Sequence[int],
    metrics: Sequence[str] = TEST_METRICS,
) -> pd.DataFrame:
    """Each run scored on its *own* test part (``run.test_true``,
    ``run.test_pred``): one row per split and seed.

    ``runs_by_split`` maps a split's label (e.g. ``"random"``,
    ``"grouped by artist"``) to its runs, one per seed in ``seeds``.
    """
    rows = []
    for label, runs in runs_by_split.items():
        if len(runs) != len(seeds):
            raise ValueError(
                f"{label!r}: {len(runs)} runs for {len(seeds)} seeds"
            )
        for seed, run in zip(seeds, runs):
            values = scores(run.test_true, run.test_pred, run.class_names)
            rows.append(
                {"split": label, "seed": int(seed)}
                | {m: values[m] for m in metrics}
                | {"test images": len(run.test_true)}
            )
    return pd.DataFrame(rows).set_index(["split", "seed"])


def split_gap(
    per_seed: pd.DataFrame,
    a: str,
    b: str,
    metrics: Sequence[str] = TEST_METRICS,
) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each metric for splits
    ``a`` and ``b`` of :func:`scores_by_seed`, and of the gap
    ``a − b`` taken seed by seed (NaN deviations with one seed)."""
    left, right = per_seed.loc[a], per_seed.loc[b]
    if list(left.index) != list(right.index):
        raise ValueError(
            f"{a!r} and {b!r} were run on different seeds: "
            f"{list(left.index)} and {list(right.index)}"
        )
    gap = left[list(metrics)] - right[list(metrics)]
    sd = {"ddof": 1} if len(gap) > 1 else None

    def spread(frame: pd.DataFrame, m: str) -> float:
        return float(frame[m].std(**sd)) if sd else float("nan")

    table = pd.DataFrame(
        {
            f"{a} mean": [left[m].mean() for m in metrics],
            f"{a} sd": [spread(left, m) for m in metrics],
            f"{b} mean": [right[m].mean() for m in metrics],
            f"{b} sd": [spread(right, m) for m in metrics],
            "gap mean": [gap[m].mean() for m in metrics],
            "gap sd": [spread(gap, m) for m in metrics],
            "seeds": len(gap),
        },
        index=pd.Index(list(metrics), name="metric"),
    )
    return table
