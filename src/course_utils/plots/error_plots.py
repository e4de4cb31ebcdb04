"""Figures of what a classifier gets wrong (chapter 12): a gallery of confident mistakes with the annotators'
shares, and error rates per group with their intervals.

The numbers come from :mod:`course_utils.analysis.errors`; these functions only draw them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_utils.labels import MERGED
from course_utils.plots.ceiling_plots import Ceiling, draw_ceiling
from course_utils.plots.figures import array_grid
from course_utils.plots.style import PALETTE

#: Short names of the merged quadrants in captions.
SHORT = {"Aggressive": "Agg", "Euphoric": "Eup", "Calm": "Calm"}


def mistake_caption(row: pd.Series) -> str:
    """Three lines: true class, prediction with confidence, annotators' top share per merged quadrant."""
    shares = " ".join(f"{SHORT[q]} {row[f'share {q}']:.2f}" for q in MERGED)
    return (
        f"true: {row['true']}\n"
        f"pred: {row['predicted']} ({row['confidence']:.2f})\n"
        f"{shares}"
    )


def mistake_gallery(
    mistakes: pd.DataFrame, images, title: str, ncols: int = 4
):
    """The mistakes' images (RGB arrays, in the table's order), each captioned by :func:`mistake_caption`."""
    if len(mistakes) == 0:
        raise ValueError("no mistakes to show")
    captions = [mistake_caption(row) for _, row in mistakes.iterrows()]
    images = [np.asarray(im, dtype="uint8") for im in images]
    if len(images) != len(mistakes):
        raise ValueError(
            f"{len(mistakes)} mistakes but {len(images)} images"
        )
    fig = array_grid(images, captions, ncols=ncols, title=title, size=2.6)
    return fig


def error_rate_bars(
    breakdown: pd.DataFrame,
    title: str,
    overall: float | None = None,
    ceiling: Ceiling = None,
):
    """Horizontal bars of each group's error rate with its 95 % interval and count (and the overall rate as
    a dashed line; the error rate of one annotator against the others, 1 − the ceiling's accuracy, as a solid
    black one where given)."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    n = len(breakdown)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * max(n, 1)))
    rates = breakdown["error rate"].to_numpy(dtype=float)
    low = rates - breakdown["error low"].to_numpy(dtype=float)
    high = breakdown["error high"].to_numpy(dtype=float) - rates
    y = np.arange(n)
    ax.barh(y, rates, xerr=[low, high], color=PALETTE[0], capsize=3)
    labels = [
        f"{g} (n={c})"
        for g, c in zip(breakdown.index, breakdown["n"].astype(int))
    ]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    if overall is not None:
        ax.axvline(
            overall, color=PALETTE[1], linestyle="--", label="all artworks"
        )
    drawn = draw_ceiling(
        ax, ceiling, "accuracy", vertical=True, error_rate=True
    )
    if drawn is not None:  # long entries: under the plot, not over bars
        fig.legend(fontsize=9, loc="outside lower center")
    elif overall is not None:
        ax.legend(fontsize=9, loc="best")
    ax.set(
        title=title,
        xlabel="error rate (95 % interval)",
        ylabel=str(breakdown.index.name or "group"),
        xlim=(0, 1),
    )
    return fig
