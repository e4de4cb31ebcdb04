"""Evaluating classifiers honestly: the study's metric next to the ones that survive class imbalance.

Scores of one set of predictions (:func:`scores`), the two baselines every model must beat, one table for many runs
(:func:`metrics_table`), the demonstration that the study's RMSE depends on how the classes are numbered
(:func:`rmse_under_relabelling`), repeated seeds, and the figures (confusion matrices, model comparisons).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd


def study_rmse(y_true, y_pred) -> float:
    """The study's metric: RMSE between true and predicted *class indices* (order-dependent, see chapter 10)."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


# --- honest metrics, baselines and tables (chapter 10) -------------------------------------------------------------

#: The metrics a comparison leads with; per-class recall, time and size follow them in :func:`metrics_table`.
HEADLINE = ["accuracy", "balanced accuracy", "macro-F1", "study RMSE"]


def scores(y_true, y_pred, class_names: Sequence[str]) -> dict[str, float]:
    """Accuracy next to the scores that survive imbalance, the study's RMSE and each class's recall (NaN: no images)."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, recall_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size == 0:
        raise ValueError("scores need at least one validation image; got none")
    with warnings.catch_warnings():  # a model predicting a class absent from y_true, or one class in all: fine here
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", message="A single label was found")
        balanced = balanced_accuracy_score(y_true, y_pred)
    recall = recall_score(y_true, y_pred, labels=range(len(class_names)), average=None, zero_division=np.nan)
    out = {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced accuracy": balanced,
        "macro-F1": f1_score(y_true, y_pred, average="macro", zero_division=0),
        "study RMSE": study_rmse(y_true, y_pred),
    }
    out.update({f"recall: {name}": value for name, value in zip(class_names, recall)})
    return {key: float(value) for key, value in out.items()}


def majority_class(y_train) -> int:
    """The most frequent class among the *training* labels (what a model learns when it learns nothing else)."""
    y_train = np.asarray(y_train, dtype=int)
    if y_train.size == 0:
        raise ValueError("majority_class needs at least one training label; got an empty array")
    return int(np.bincount(y_train).argmax())


def majority_predictions(y_train, n: int) -> np.ndarray:
    """The majority-class baseline: the most frequent training class, for each of ``n`` images."""
    return np.full(n, majority_class(y_train), dtype=int)


def stratified_predictions(y_train, n: int, n_classes: int, seed: int = 123) -> np.ndarray:
    """A random guesser that knows the training class shares: ``n`` draws from them (seeded)."""
    shares = np.bincount(np.asarray(y_train, dtype=int), minlength=n_classes) / len(y_train)
    return np.random.default_rng(seed).choice(n_classes, size=n, p=shares)


def baseline_scores(y_train, y_val, class_names: Sequence[str], seed: int = 123,
                    draws: int = 50) -> dict[str, dict[str, float]]:
    """Scores of the two baselines on the validation labels; the random one as the mean over ``draws`` seeds."""
    y_val = np.asarray(y_val)
    majority = class_names[majority_class(y_train)]
    random_runs = [scores(y_val, stratified_predictions(y_train, len(y_val), len(class_names), seed + i), class_names)
                   for i in range(draws)]
    return {
        f"baseline: always {majority}": scores(y_val, majority_predictions(y_train, len(y_val)), class_names),
        f"baseline: stratified random (mean of {draws})": pd.DataFrame(random_runs).mean().to_dict(),
    }


def _label_runs(runs) -> dict:
    """Runs as a dict of label → Run (a list is labelled by each run's tag)."""
    if isinstance(runs, Mapping):
        return dict(runs)
    return {run.info.get("tag", run.name): run for run in runs}


def metrics_table(runs, baselines: bool = True, y_train=None, seed: int = 123, draws: int = 50) -> pd.DataFrame:
    """One row per run (and per baseline): the headline metrics, per-class recall, training seconds and parameters.

    ``runs`` is a dict of label → :class:`~course_utils.training.Run` or a list of runs; the baselines learn the
    class shares from ``y_train`` (``split.y_train``) and need every run to share one validation set.
    """
    runs = _label_runs(runs)
    if not runs:
        raise ValueError("metrics_table needs at least one run; got none")
    first = next(iter(runs.values()))
    rows = {}
    if baselines:
        if y_train is None:
            raise ValueError("metrics_table(baselines=True) needs y_train, the training labels (split.y_train)")
        differ = [label for label, run in runs.items() if list(run.val_ids) != list(first.val_ids)]
        if differ:
            raise ValueError(f"runs {differ} use another validation set than {next(iter(runs))!r}; "
                             "make one table per split")
        for label, values in baseline_scores(y_train, first.val_true, first.class_names, seed, draws).items():
            rows[label] = {**values, "training seconds": 0.0, "parameters": 0, "baseline": True}
    for label, run in runs.items():
        rows[label] = {**scores(run.val_true, run.val_pred, run.class_names), "training seconds": run.seconds,
                       "parameters": run.params, "baseline": False}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def rmse_under_relabelling(y_true, y_pred, permutation: Sequence[int]) -> float:
    """The study's RMSE after renumbering the classes (class ``i`` becomes ``permutation[i]``): same predictions."""
    permutation = np.asarray(permutation, dtype=int)
    if sorted(permutation.tolist()) != list(range(len(permutation))):
        raise ValueError(f"permutation {permutation.tolist()} is not a reordering of 0 … {len(permutation) - 1}")
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if max(y_true.max(initial=0), y_pred.max(initial=0)) >= len(permutation):
        raise ValueError(f"a class index is beyond the permutation's {len(permutation)} entries")
    return study_rmse(permutation[y_true], permutation[y_pred])


def example_orderings(class_names: Sequence[str], y_train, seed: int = 123,
                      synonym: tuple[str, str] = ("Calm", "Serene")) -> dict[str, list[str]]:
    """Four equally arbitrary ways to number the same classes: the study's alphabetical one and three others.

    One of them keeps alphabetical order but calls a quadrant by a synonym (by default *Calm* → *Serene*).
    Reversing the order would not do: it keeps every distance between indices, so the RMSE cannot change.
    """
    counts = np.bincount(np.asarray(y_train, dtype=int), minlength=len(class_names))
    shuffled = np.random.default_rng(seed).permutation(len(class_names))
    old, new = synonym
    return {
        "alphabetical (the study)": list(class_names),
        f"alphabetical, {old} called {new}": sorted(class_names, key=lambda name: name.replace(old, new)),
        "largest class first": [class_names[i] for i in np.argsort(-counts, kind="stable")],
        f"shuffled (seed {seed})": [class_names[i] for i in shuffled],
    }


def relabelling_table(predictions: Mapping[str, tuple], class_names: Sequence[str],
                      orderings: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The study's RMSE of each model's unchanged predictions under each class numbering (rows: models)."""
    table = {}
    for order, names in orderings.items():
        if sorted(names) != sorted(class_names):
            raise ValueError(f"ordering {order!r} does not hold exactly the classes {list(class_names)}")
        permutation = [list(names).index(name) for name in class_names]
        table[order] = {label: rmse_under_relabelling(t, p, permutation) for label, (t, p) in predictions.items()}
    out = pd.DataFrame(table)
    out.index.name = "model"
    return out


def predictions_of(runs) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(true, predicted) validation classes of each run, by label."""
    return {label: (run.val_true, run.val_pred) for label, run in _label_runs(runs).items()}


def class_distribution(labels: Mapping[str, np.ndarray], class_names: Sequence[str]) -> pd.DataFrame:
    """Images per class (and share) in each set of labels, e.g. training and validation of two splits."""
    table = {}
    for name, y in labels.items():
        counts = np.bincount(np.asarray(y, dtype=int), minlength=len(class_names))
        table[f"{name} (images)"] = counts
        table[f"{name} (share)"] = (counts / max(counts.sum(), 1)).round(3)
    return pd.DataFrame(table, index=pd.Index(list(class_names), name="class"))


# --- many runs: the five models, repeated seeds --------------------------------------------------------------------

def study_runs(split, settings=None, names: Sequence[str] | None = None, **train_kwargs) -> dict:
    """The five models' runs: saved ones are read (e.g. from chapters 05–09), missing ones trained once and saved."""
    from course_utils import models, training
    from course_utils.settings import get_settings

    settings = settings or get_settings()
    runs = {}
    for name in names or models.NAMES:
        saved = training.load_run(name, settings)
        runs[name] = saved or training.train(name, split, settings, verbose=0, **train_kwargs)
        where = training.run_folder(name, settings).relative_to(settings.data_dir)
        print(f"{name:12s} {'read from' if saved else 'trained now, saved in'} <data folder>/{where} "
              f"({runs[name].epochs} epochs, {runs[name].seconds:.1f} s of training)")
    return runs


def runs_over_seeds(name: str, split, settings, seeds: Sequence[int], tag: str | None = None, **train_kwargs) -> list:
    """The same model trained with several seeds (initial weights, augmentation, dropout); saved runs are reused."""
    from course_utils import training

    return [training.train_or_load(name, split, replace(settings, seed=int(s)), tag=tag, verbose=0, **train_kwargs)
            for s in seeds]


def seed_summary(runs_by_model: Mapping[str, Sequence], metrics: Sequence[str] = tuple(HEADLINE)) -> pd.DataFrame:
    """Mean and standard deviation of each metric over a model's repeated runs: how much is luck of the seed."""
    rows = {}
    for label, runs in runs_by_model.items():
        values = pd.DataFrame([scores(r.val_true, r.val_pred, r.class_names) for r in runs])[list(metrics)]
        row = {(metric, "mean"): values[metric].mean() for metric in metrics}
        row.update({(metric, "std"): values[metric].std(ddof=1) if len(runs) > 1 else np.nan for metric in metrics})
        row[("runs", "n")] = len(runs)
        rows[label] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table = table[[*((m, s) for m in metrics for s in ("mean", "std")), ("runs", "n")]]
    table.index.name = "model"
    return table


# --- figures --------------------------------------------------------------------------------------------------------

def short_name(class_name: str) -> str:
    """A compact class label for crowded axes: ``Aggressive + Euphoric`` → ``Agg+Eup``."""
    return "+".join(part.strip()[:3] for part in class_name.split("+"))


def _truth_and_prediction(item, y_pred=None, class_names=None):
    """(y_true, y_pred, class_names, title) from a Run, or from arrays given directly."""
    if hasattr(item, "val_true"):
        return item.val_true, item.val_pred, class_names or item.class_names, item.info.get("tag", item.name)
    if y_pred is None or class_names is None:
        raise ValueError("plot_confusion needs a Run, or y_true together with y_pred and class_names")
    return np.asarray(item), np.asarray(y_pred), class_names, ""


def confusion(y_true, y_pred, n_classes: int, normalize: str | None = "true") -> np.ndarray:
    """The confusion matrix (rows: true class); ``normalize="true"`` gives shares per true class, NaN where none."""
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y_true, y_pred, labels=range(n_classes)).astype(float)
    if normalize is None:
        return counts
    if normalize != "true":
        raise ValueError(f"normalize={normalize!r} is not supported; use 'true' (shares per true class) or None")
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / counts.sum(axis=1, keepdims=True)


def plot_confusion(run_or_true, y_pred=None, class_names=None, normalize: str | None = "true", ax=None,
                   title: str | None = None, colorbar: bool = True):
    """A confusion-matrix heatmap (viridis): where each true class's images end up; rows say how many there are.

    Drawn with matplotlib's ``imshow`` rather than seaborn's heatmap, which redraws the whole figure for every
    panel (seconds per panel in a grid of six).
    """
    import matplotlib.pyplot as plt

    y_true, y_pred, class_names, default_title = _truth_and_prediction(run_or_true, y_pred, class_names)
    matrix = confusion(y_true, y_pred, len(class_names), normalize)
    support = np.bincount(np.asarray(y_true, dtype=int), minlength=len(class_names))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    top = 1.0 if normalize else max(float(np.nanmax(matrix)), 1.0)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="viridis", vmin=0, vmax=top)
    for (row, col), value in np.ndenumerate(matrix):
        if not np.isnan(value):
            ax.text(col, row, f"{value:.2f}" if normalize else f"{value:.0f}", ha="center", va="center",
                    fontsize=8, color="black" if value > 0.6 * top else "white")
    ticks = range(len(class_names))
    ax.set_xticks(ticks, [short_name(c) for c in class_names], rotation=45, ha="right")
    ax.set_yticks(ticks, [f"{short_name(c)} (n={n})" for c, n in zip(class_names, support)])
    ax.grid(False)
    ax.set(xlabel="predicted class", ylabel="true class (validation images, n = how many)",
           title=title or default_title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="share of the true class" if normalize else "images")
    return ax.figure


def plot_confusions(items: Mapping[str, object], class_names: Sequence[str] | None = None,
                    normalize: str | None = "true", ncols: int = 3, title: str = "Confusion matrices"):
    """Several confusion matrices side by side (values: Runs or ``(y_true, y_pred)`` pairs), one panel each."""
    import matplotlib.pyplot as plt

    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.6 * ncols, 5.0 * nrows), squeeze=False)
    for ax in axes.flat[len(items):]:
        ax.axis("off")
    for ax, (label, item) in zip(axes.flat, items.items()):
        if hasattr(item, "val_true"):
            plot_confusion(item, class_names=class_names, normalize=normalize, ax=ax, title=label, colorbar=False)
        else:
            plot_confusion(item[0], item[1], class_names, normalize, ax=ax, title=label, colorbar=False)
    if normalize:  # one shared scale, 0 … 1
        fig.colorbar(axes.flat[0].images[0], ax=axes, shrink=0.6, label="share of the true class")
    fig.suptitle(title)
    return fig


def plot_comparison(table: pd.DataFrame, metric: str = "balanced accuracy", title: str | None = None):
    """One bar per model for a metric of :func:`metrics_table`, with each baseline as a horizontal line."""
    import matplotlib.pyplot as plt

    from course_utils.plots import PALETTE

    if metric not in table.columns:
        raise ValueError(f"metric {metric!r} is not a column of the table; use one of {list(table.columns)}")
    is_baseline = table["baseline"].astype(bool) if "baseline" in table.columns else pd.Series(False, table.index)
    bars = table[~is_baseline]
    fig, ax = plt.subplots(figsize=(max(7.5, 1.3 * len(bars) + 5), 4.6))
    ax.bar(range(len(bars)), bars[metric], color=PALETTE[0])
    for i, value in enumerate(bars[metric]):
        ax.annotate(f"{value:.2f}", (i, value), ha="center", va="bottom", fontsize=10)
    for (label, row), colour, style in zip(table[is_baseline].iterrows(), PALETTE[1:], ("--", ":", "-.")):
        ax.axhline(row[metric], color=colour, linestyle=style, linewidth=2,
                   label=f"{label.removeprefix('baseline: ')}: {row[metric]:.2f}")
    ax.set_xticks(range(len(bars)), bars.index, rotation=20, ha="right")
    ax.set(xlabel="model", ylabel=metric, title=title or f"{metric} on the validation images")
    ax.set_ylim(0, 1.12 * max(float(table[metric].max()), 1e-9))
    if is_baseline.any():
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="baselines (lines)")
    return fig
