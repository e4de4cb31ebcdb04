"""Figures of whose emotion it is (chapter 17): shares and their spread, scope agreement, calibration, groups.

Reliability diagrams, accuracy and confusion matrices per group of artworks, the histogram of emotion shares
with the thresholds marked, their entropy, how the scopes agree, and ratings per class. The numbers come from
:mod:`course_utils.analysis.subjectivity`; this module only draws them.
"""

from __future__ import annotations

import math
import textwrap
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from course_utils.analysis.subjectivity import (
    FLIP_THRESHOLDS,
    SHARE_EPS,
    ece_of,
)
from course_utils.config.study import THRESHOLD
from course_utils.data.schema import EMOTIONS
from course_utils.labels import CLASS_NAMES
from course_utils.plots.ceiling_plots import Ceiling, draw_ceiling
from course_utils.plots.metric_plots import plot_confusions
from course_utils.plots.style import MAX_WIDTH_IN, MIN_FONT_PT, PALETTE


def plot_reliability(
    tables: Mapping[str, pd.DataFrame], title: str = "Reliability diagrams"
):
    """One panel per model: accuracy per confidence bin (bars, count above) against the diagonal of calibration."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, axes = plt.subplots(
        1,
        len(tables),
        figsize=(min(MAX_WIDTH_IN, 5.2 * len(tables)), 4.6),
        sharey=True,
        squeeze=False,
    )
    for ax, colour, (name, table) in zip(axes[0], PALETTE, tables.items()):
        width = table["high"] - table["low"]
        ax.bar(
            table["low"],
            table["accuracy"].fillna(0),
            width=width,
            align="edge",
            color=colour,
            edgecolor="white",
            alpha=0.85,
            label="accuracy in bin",
        )
        ax.plot(
            [0, 1],
            [0, 1],
            "--",
            color="black",
            linewidth=1,
            label="perfect calibration",
        )
        for _, row in table[table["n"] > 0].iterrows():
            ax.text(
                (row["low"] + row["high"]) / 2,
                min(row["accuracy"] + 0.02, 0.97),
                f"{int(row['n'])}",
                ha="center",
                fontsize=MIN_FONT_PT,
            )
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            title=f"{name} (ECE {ece_of(table):.3f})",
            xlabel="confidence (probability of the predicted class)",
            ylabel="accuracy (share correct)",
        )
        ax.legend(loc="upper left", fontsize=9)
    fig.suptitle(title)
    return fig


def plot_group_accuracy(
    tables: Mapping[str, pd.DataFrame],
    title: str = "Accuracy per group",
    part: str = "test",
    ceiling: Ceiling = None,
):
    """One panel per grouping: accuracy with its 95 % interval, the majority-class share as a marker, n per bar
    (``part``: which images were scored, for the axis label), and the human ceiling's accuracy as a black line
    where given."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, axes = plt.subplots(
        1,
        len(tables),
        figsize=(min(MAX_WIDTH_IN, 5.5 * len(tables)), 4.6),
        sharey=True,
        squeeze=False,
    )
    for ax, (name, table) in zip(axes[0], tables.items()):
        x = np.arange(len(table))
        err = [
            table["accuracy"] - table["accuracy low"],
            table["accuracy high"] - table["accuracy"],
        ]
        ax.bar(
            x,
            table["accuracy"],
            color=PALETTE[0],
            alpha=0.85,
            label="accuracy (95 % interval)",
        )
        ax.errorbar(
            x,
            table["accuracy"],
            yerr=err,
            fmt="none",
            ecolor="black",
            capsize=4,
        )
        ax.scatter(
            x,
            table["majority share"],
            marker="D",
            color=PALETTE[1],
            zorder=3,
            label="majority-class share",
        )
        draw_ceiling(ax, ceiling, "accuracy")
        ax.set_xticks(
            x,
            [
                f"{textwrap.fill(str(g), 14)}\n(n={n})"
                for g, n in zip(table.index, table["n"])
            ],
            fontsize=9,
        )
        ax.set(
            ylim=(0, 1),
            title=name,
            xlabel=name,
            ylabel=f"share of {part} images",
        )
        ax.legend(loc="upper right", fontsize=9)
    fig.suptitle(title)
    return fig


def plot_group_confusions(
    y_true,
    y_pred,
    groups,
    class_names: Sequence[str] = CLASS_NAMES,
    title: str = "Confusion per group",
    ncols: int = 2,
):
    """Small multiples: a row-normalised confusion matrix (true × predicted) per group (evaluation's heatmaps)."""

    y_true, y_pred, groups = (
        np.asarray(y_true),
        np.asarray(y_pred),
        np.asarray(groups),
    )
    items = {
        f"{name} (n={int((groups == name).sum())})": (
            y_true[groups == name],
            y_pred[groups == name],
        )
        for name in sorted(set(groups))
    }
    return plot_confusions(
        items, list(class_names), ncols=min(ncols, len(items)), title=title
    )


def plot_share_histogram(
    values: pd.DataFrame,
    thresholds: Sequence[float] = FLIP_THRESHOLDS,
    title: str = "How many annotators chose each emotion",
):
    """Histogram of every non-zero (artwork, emotion) share, with the thresholds marked."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    shares = values[list(EMOTIONS)].to_numpy(dtype=float).ravel()
    fig, ax = plt.subplots()
    ax.hist(
        shares[shares > 0],
        bins=np.arange(0, 1.0001, 0.025),
        color=PALETTE[0],
        alpha=0.85,
    )
    for colour, t in zip((PALETTE[3], PALETTE[7], PALETTE[3]), thresholds):
        ax.axvline(
            t,
            color=colour,
            linestyle="-" if abs(t - THRESHOLD) < SHARE_EPS else ":",
            label=f"threshold {t:g}",
        )
    ax.set(
        title=title,
        xlabel="share of annotators who chose the emotion (non-zero only)",
        ylabel="number of (artwork, emotion) pairs",
    )
    ax.legend()
    return fig


def plot_entropy(
    entropy: pd.Series,
    n_quadrants: pd.Series,
    title: str = "Spread of the emotion shares",
):
    """Histogram of per-artwork entropy, one colour per number of merged quadrants present at the threshold."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, ax = plt.subplots()
    bins = np.linspace(0, math.log2(len(EMOTIONS)), 25)
    for colour, k in zip(PALETTE, sorted(n_quadrants.dropna().unique())):
        ax.hist(
            entropy[n_quadrants == k].dropna(),
            bins=bins,
            alpha=0.6,
            color=colour,
            label=f"{int(k)} quadrant{'s' if k != 1 else ''} (n={int((n_quadrants == k).sum())})",
        )
    ax.axvline(
        math.log2(len(EMOTIONS)),
        color="black",
        linestyle="--",
        label="maximum: all 20 equal",
    )
    ax.set(
        title=title,
        xlabel="entropy of the normalised shares (bits)",
        ylabel="number of artworks",
    )
    ax.legend(fontsize=9)
    return fig


def plot_scope_agreement(
    tables: Mapping[str, pd.DataFrame], title: str = "Do the scopes agree?"
):
    """Per emotion, Cohen's kappa of presence between the reference scope and each other scope (one bar each)."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN, 4.6))
    x = np.arange(len(EMOTIONS))
    width = 0.8 / max(len(tables), 1)
    for i, (colour, (name, table)) in enumerate(
        zip(PALETTE, tables.items())
    ):
        ax.bar(
            x + i * width - 0.4 + width / 2,
            table.loc[list(EMOTIONS), "kappa"].fillna(0),
            width=width,
            color=colour,
            label=name,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, list(EMOTIONS), rotation=60, ha="right", fontsize=9)
    ax.set(
        title=title,
        xlabel="emotion",
        ylabel="Cohen's kappa of presence\n(0 = chance, 1 = identical)",
        ylim=(-0.2, 1),
    )
    ax.legend()
    return fig


def plot_rating_by_class(
    ratings: pd.Series,
    classes: Mapping[str, pd.Series],
    title: str = "Average art rating by class",
):
    """Box plots of the artworks' average rating per class, side by side for each labelling (true, predicted …)."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    present = set().union(*(set(c.dropna()) for c in classes.values()))
    order = [c for c in CLASS_NAMES if c in present]
    width = 0.8 / len(classes)
    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN, 4.8))
    for i, (colour, (name, labelled)) in enumerate(
        zip(PALETTE, classes.items())
    ):
        groups = [
            ratings.loc[labelled.index[labelled == c]].dropna().to_numpy()
            for c in order
        ]
        shown = [k for k, g in enumerate(groups) if len(g)]
        boxes = ax.boxplot(
            [groups[k] for k in shown],
            positions=[k - 0.4 + (i + 0.5) * width for k in shown],
            widths=width * 0.9,
            patch_artist=True,
            medianprops={"color": "black"},
        )
        for box in boxes["boxes"]:
            box.set(facecolor=colour, alpha=0.85)
    counts = pd.DataFrame(
        {
            name: [int((c == k).sum()) for k in order]
            for name, c in classes.items()
        },
        index=order,
    )
    ax.set_xticks(
        range(len(order)),
        [
            f"{c}\n" + ", ".join(str(n) for n in counts.loc[c])
            for c in order
        ],
        fontsize=9,
    )
    ax.legend(
        handles=[
            Patch(color=colour, label=name)
            for colour, name in zip(PALETTE, classes)
        ]
    )
    ax.set(
        title=title,
        xlabel=f"class (artworks per labelling: {', '.join(classes)})",
        ylabel="average art rating (−3 … 3)",
        xlim=(-0.6, len(order) - 0.4),
    )
    return fig
