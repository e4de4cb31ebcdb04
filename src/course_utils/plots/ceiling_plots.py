"""The human ceiling drawn on other figures as one labelled line, and its own two figures (scores, agreement).

Every comparison figure from chapter 10 on takes an optional ``ceiling``: a
:class:`~course_utils.analysis.ceiling.HumanCeiling` (its legend entry then says whether it was estimated from the
shares), a mapping metric → value, or a number. :func:`draw_ceiling` draws it in one style everywhere
(:data:`course_utils.plots.style.CEILING_LINE`); the numbers come from :mod:`course_utils.analysis.ceiling`.
"""

from __future__ import annotations

from typing import Mapping, Union

import numpy as np

from course_utils.analysis.ceiling import HUMAN, HumanCeiling, who
from course_utils.plots.style import CEILING_LINE, MIN_FONT_PT, PALETTE

#: What a figure accepts as the ceiling.
Ceiling = Union[HumanCeiling, Mapping[str, float], float, None]


def ceiling_at(ceiling: Ceiling, metric: str) -> tuple[float, bool] | None:
    """The ceiling's value for ``metric`` and whether it is an estimate (None: no ceiling to draw)."""
    if ceiling is None:
        return None
    if isinstance(ceiling, HumanCeiling):
        return ceiling.value(metric), ceiling.estimated
    if isinstance(ceiling, Mapping):
        if metric not in ceiling:
            raise KeyError(
                f"the ceiling has no value for {metric!r}; it has {', '.join(map(str, ceiling))}"
            )
        return float(ceiling[metric]), False
    return float(ceiling), False


def ceiling_label(value: float, estimated: bool, what: str = "") -> str:
    """A ceiling line's legend entry: what is shown (e.g. ``error rate``) of whom, whether estimated, the value."""
    return (
        f"{what + ' of the ' if what else ''}{who(estimated)}: {value:.2f}"
    )


def draw_ceiling(
    ax,
    ceiling: Ceiling,
    metric: str,
    vertical: bool = False,
    span: tuple[float, float] | None = None,
    error_rate: bool = False,
    label: bool | str = True,
) -> float | None:
    """Draw the ceiling of ``metric`` on ``ax``: across the plot (vertical for horizontal bars), or over ``span``
    (data coordinates) with its value written at the end, as an error rate (1 − accuracy) where asked.

    ``label``: True for the legend entry with the value, a text of one's own, or False for none. Returns the
    value drawn (None: no ceiling)."""
    found = ceiling_at(ceiling, metric)
    if found is None:
        return None
    value, estimated = found
    if error_rate:
        value = 1 - value
    if label is True:
        label = ceiling_label(
            value, estimated, "error rate" if error_rate else ""
        )
    text = label or None
    if span is None:
        (ax.axvline if vertical else ax.axhline)(
            value, label=text, **CEILING_LINE
        )
        return value
    (ax.vlines if vertical else ax.hlines)(
        value, *span, label=text, **CEILING_LINE
    )
    ax.annotate(
        f"{value:.2f}",
        (value, span[1]) if vertical else (span[1], value),
        ha="left" if not vertical else "center",
        va="center" if not vertical else "bottom",
        fontsize=MIN_FONT_PT,
        color=CEILING_LINE["color"],
    )
    return value


def plot_ceiling(
    ceiling: HumanCeiling,
    metrics=("accuracy", "balanced accuracy", "macro-F1"),
    title: str | None = None,
):
    """The ceiling's scores beside the baselines', one group of bars per metric."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    table = ceiling.scores[list(metrics)]
    width = 0.8 / len(table)
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    colours = ["#000000", *PALETTE[1:]]
    for i, (name, row) in enumerate(table.iterrows()):
        x = np.arange(len(metrics)) + (i - (len(table) - 1) / 2) * width
        label = who(ceiling.estimated) if name == HUMAN else name
        bars = ax.bar(
            x,
            row.to_numpy(dtype=float),
            width * 0.95,
            color=colours[i],
            label=label,
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=9)
    ax.set_xticks(range(len(metrics)), list(metrics))
    ax.set(
        xlabel="metric (each artwork weighs one)",
        ylabel="score against the others' label",
        ylim=(0, 1.1 * max(float(table.to_numpy().max()), 1e-9)),
        title=title
        or f"How well one annotator predicts the others ({ceiling.source})",
    )
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_agreement(ceiling: HumanCeiling, title: str | None = None):
    """Krippendorff's alpha per emotion (horizontal bars, highest first); emotions nobody chose are left out."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    alpha = ceiling.agreement["alpha"].dropna().sort_values()
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.3 * max(len(alpha), 1)))
    ax.barh(range(len(alpha)), alpha.to_numpy(), color=PALETTE[0])
    ax.set_yticks(range(len(alpha)), list(alpha.index))
    ax.axvline(0, color="#000000", linewidth=0.8)
    ax.set(
        xlabel="Krippendorff's alpha (1 = full agreement, 0 = chance)",
        ylabel="emotion",
        title=title or f"Agreement on each emotion ({ceiling.source})",
    )
    return fig
