"""Figures of a hyperparameter search (chapter 11): every trial's score and the best so far, beside a baseline.

The trials come from :mod:`course_utils.training.tuning`; this module only draws them.
"""

from __future__ import annotations

import pandas as pd

from course_utils.plots.style import PALETTE


def plot_search(
    table: pd.DataFrame,
    baseline: float | None = None,
    baseline_label: str = "majority-class baseline",
):
    """Each trial's score in the order they ran (marked by who proposed it,
    when the table says: a random start or a Bayesian step), the best so far
    as a line, and a baseline for scale."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    score = table["score (val macro-F1)"].astype(float)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    x = range(1, len(table) + 1)
    proposed = (
        table["proposed by"]
        if "proposed by" in table.columns
        else pd.Series(None, table.index)
    )
    marks = {  # one marker per proposer: a random start or a Bayesian step
        "random start": ("o", PALETTE[0], "trial: random start"),
        "Bayesian step": ("D", PALETTE[3], "trial: Bayesian step"),
    }
    for who in [*marks, None]:
        if who is None:  # no record of who proposed the trial
            chosen = proposed.isna().to_numpy()
            marker, color, label = "o", PALETTE[0], "trial"
        else:
            chosen = (proposed == who).to_numpy()
            marker, color, label = marks[who]
        if chosen.any():
            ax.plot(
                [i for i, c in zip(x, chosen) if c],
                score[chosen],
                marker,
                linestyle="none",
                color=color,
                markersize=8,
                label=label,
            )
    ax.plot(
        x,
        score.cummax(),
        "-",
        color=PALETTE[2],
        drawstyle="steps-post",
        label="best so far",
    )
    if baseline is not None:
        ax.axhline(
            baseline,
            color=PALETTE[1],
            linestyle="--",
            label=f"{baseline_label}: {baseline:.2f}",
        )
    ax.set_xticks(list(x), list(table.index))
    ax.set_ylim(0, 1.15 * max(float(score.max()), baseline or 0.0, 1e-9))
    ax.set(
        xlabel="trial ID (in the order they ran)",
        ylabel="validation macro-F1 (best epoch)",
        title="Hyperparameter search: score per trial",
    )
    ax.legend(fontsize=9)
    return fig
