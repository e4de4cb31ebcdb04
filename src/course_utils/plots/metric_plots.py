"""Figures of the classifiers' scores: confusion matrices, and models compared on one metric with the baselines.

The numbers come from :mod:`course_utils.analysis.metrics` (``confusion``, ``metrics_table``); these functions
only draw them, each baseline shown beside the models it is there to judge.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from course_utils.analysis.metrics import confusion, short_name
from course_utils.plots.ceiling_plots import Ceiling, draw_ceiling, who
from course_utils.plots.style import MAX_WIDTH_IN, MIN_FONT_PT, PALETTE


def _truth_and_prediction(item, y_pred=None, class_names=None):
    """(y_true, y_pred, class_names, title) from a Run, or from arrays given directly."""
    if hasattr(item, "val_true"):
        return (
            item.val_true,
            item.val_pred,
            class_names or item.class_names,
            item.info.get("tag", item.name),
        )
    if y_pred is None or class_names is None:
        raise ValueError(
            "plot_confusion needs a Run, or y_true together with y_pred and class_names"
        )
    return np.asarray(item), np.asarray(y_pred), class_names, ""


def plot_confusion(
    run_or_true,
    y_pred=None,
    class_names=None,
    normalize: str | None = "true",
    ax=None,
    title: str | None = None,
    colorbar: bool = True,
):
    """A confusion-matrix heatmap (viridis): where each true class's images end up; rows say how many there are.

    Drawn with matplotlib's ``imshow`` rather than seaborn's heatmap, which redraws the whole figure for every
    panel (seconds per panel in a grid of six).
    """
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    y_true, y_pred, class_names, default_title = _truth_and_prediction(
        run_or_true, y_pred, class_names
    )
    matrix = confusion(y_true, y_pred, len(class_names), normalize)
    support = np.bincount(
        np.asarray(y_true, dtype=int), minlength=len(class_names)
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    top = 1.0 if normalize else max(float(np.nanmax(matrix)), 1.0)
    image = ax.imshow(
        np.ma.masked_invalid(matrix), cmap="viridis", vmin=0, vmax=top
    )
    for (row, col), value in np.ndenumerate(matrix):
        if not np.isnan(value):
            ax.text(
                col,
                row,
                f"{value:.2f}" if normalize else f"{value:.0f}",
                ha="center",
                va="center",
                fontsize=10,
                color="black" if value > 0.6 * top else "white",
            )
    ticks = range(len(class_names))
    ax.set_xticks(
        ticks, [short_name(c) for c in class_names], rotation=45, ha="right"
    )
    ax.set_yticks(
        ticks,
        [f"{short_name(c)} (n={n})" for c, n in zip(class_names, support)],
    )
    ax.grid(False)
    ax.set(
        xlabel="predicted class",
        ylabel="true class (validation images, n = how many)",
        title=title or default_title,
    )
    if colorbar:
        ax.figure.colorbar(
            image,
            ax=ax,
            label="share of the true class" if normalize else "images",
        )
    return ax.figure


def plot_confusions(
    items: Mapping[str, object],
    class_names: Sequence[str] | None = None,
    normalize: str | None = "true",
    ncols: int = 2,
    title: str = "Confusion matrices",
):
    """Several confusion matrices (values: Runs or ``(y_true, y_pred)`` pairs), one panel each, at most two side by
    side: wider, the book's column would shrink their numbers past reading."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    ncols = max(1, min(ncols, 2, len(items)))
    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(MAX_WIDTH_IN if ncols > 1 else 5.6, 4.6 * nrows + 0.4),
        squeeze=False,
    )
    for ax in axes.flat[len(items) :]:
        ax.axis("off")
    for ax, (label, item) in zip(axes.flat, items.items()):
        if hasattr(item, "val_true"):
            plot_confusion(
                item,
                class_names=class_names,
                normalize=normalize,
                ax=ax,
                title=label,
                colorbar=False,
            )
        else:
            plot_confusion(
                item[0],
                item[1],
                class_names,
                normalize,
                ax=ax,
                title=label,
                colorbar=False,
            )
    if normalize:  # one shared scale, 0 … 1
        fig.colorbar(
            axes.flat[0].images[0],
            ax=axes,
            shrink=0.6,
            label="share of the true class",
        )
    fig.suptitle(title)
    return fig


def plot_comparison(
    table: pd.DataFrame,
    metric: str = "balanced accuracy",
    title: str | None = None,
    ceiling: Ceiling = None,
):
    """One bar per model for a metric of :func:`metrics_table`, with each baseline as a horizontal line, and the
    human ceiling (:func:`course_utils.analysis.ceiling.human_ceiling`) as a solid black one where given."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    if metric not in table.columns:
        raise ValueError(
            f"metric {metric!r} is not a column of the table; use one of {list(table.columns)}"
        )
    is_baseline = (
        table["baseline"].astype(bool)
        if "baseline" in table.columns
        else pd.Series(False, table.index)
    )
    bars = table[~is_baseline]
    fig, ax = plt.subplots(
        figsize=(min(MAX_WIDTH_IN, max(7.5, 1.3 * len(bars) + 5)), 4.6)
    )
    ax.bar(range(len(bars)), bars[metric], color=PALETTE[0])
    for i, value in enumerate(bars[metric]):
        ax.annotate(
            f"{value:.2f}",
            (i, value),
            ha="center",
            va="bottom",
            fontsize=10,
        )
    for (label, row), colour, style in zip(
        table[is_baseline].iterrows(), PALETTE[1:], ("--", ":", "-.")
    ):
        ax.axhline(
            row[metric],
            color=colour,
            linestyle=style,
            linewidth=2,
            label=f"{label.removeprefix('baseline: ')}: {row[metric]:.2f}",
        )
    top = draw_ceiling(ax, ceiling, metric)
    ax.set_xticks(range(len(bars)), bars.index, rotation=20, ha="right")
    ax.set(
        xlabel="model",
        ylabel=metric,
        title=title or f"{metric} on the validation images",
    )
    highest = max(float(table[metric].max()), top or 0.0, 1e-9)
    ax.set_ylim(0, 1.12 * highest)
    if is_baseline.any() or top is not None:
        ax.legend(
            fontsize=MIN_FONT_PT,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            title="baselines and human ceiling (lines)"
            if top is not None
            else "baselines (lines)",
        )
    return fig


def plot_split_gap(
    per_seed: pd.DataFrame,
    metrics: Sequence[str] = ("accuracy", "balanced accuracy", "macro-F1"),
    title: str | None = None,
    ceiling: Ceiling = None,
):
    """Test scores of the same model on two (or more) kinds of split:
    one bar per split and metric (the mean over seeds), each seed's score
    as a dot on its bar, and the human ceiling of each metric as a black
    segment over its group where given. ``per_seed``: rows (split, seed),
    as :func:`~course_utils.analysis.metrics.scores_by_seed` gives."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    missing = [m for m in metrics if m not in per_seed.columns]
    if missing:
        raise ValueError(
            f"metrics {missing} are not columns of the table; use some of "
            f"{list(per_seed.columns)}"
        )
    splits = list(dict.fromkeys(per_seed.index.get_level_values(0)))
    width = 0.8 / len(splits)
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    for i, (label, colour) in enumerate(zip(splits, PALETTE)):
        part = per_seed.loc[label]
        x = np.arange(len(metrics)) + (i - (len(splits) - 1) / 2) * width
        means = [float(part[m].mean()) for m in metrics]
        ax.bar(
            x,
            means,
            width=width * 0.95,
            color=colour,
            alpha=0.8,
            label=f"{label} ({len(part)} seed(s))",
        )
        for xi, m in zip(x, metrics):
            ax.plot(
                [xi] * len(part),
                part[m],
                "o",
                color="black",
                markersize=4,
            )
        for xi, value in zip(x, means):
            ax.annotate(
                f"{value:.2f}", (xi, value), ha="center", va="bottom"
            )
    tops = [
        draw_ceiling(
            ax,
            ceiling,
            m,
            span=(j - 0.45, j + 0.45),
            label=j == 0 and who(getattr(ceiling, "estimated", False)),
        )
        for j, m in enumerate(metrics)
    ]
    ax.set_xticks(range(len(metrics)), list(metrics))
    ax.set(
        xlabel="metric (on each split's own test images)",
        ylabel="score (bar: mean over seeds; dots: each seed)",
        title=title or "The same model on two kinds of split",
    )
    top = max(
        [float(per_seed[list(metrics)].to_numpy().max())]
        + [t for t in tops if t is not None]
    )
    ax.set_ylim(0, 1.15 * max(top, 1e-9))
    ax.legend(  # under the plot: beside it, it widened the figure past the column
        fontsize=MIN_FONT_PT,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=3,
    )
    return fig
