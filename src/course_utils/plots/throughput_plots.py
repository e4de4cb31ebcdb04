"""Figures of training speed (chapter 18): where a training step's time goes, layer by layer.

The measurements come from :mod:`course_utils.training.throughput`; this module only draws them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_utils.plots.style import PALETTE


def plot_layer_times(
    table: pd.DataFrame,
    peak_flops: float,
    title: str = "Where a training step's time goes",
):
    """Bar chart: each layer's share of the measured time and its rate as a share of the matmul peak."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    share = (
        100 * table["seconds_per_batch"] / table["seconds_per_batch"].sum()
    )
    of_peak = 100 * table["train_gflops_per_s"] * 1e9 / peak_flops
    y = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(table) + 1.6))
    ax.barh(
        y - 0.2,
        share,
        height=0.4,
        color=PALETTE[0],
        label="share of the layers' time (%)",
    )
    ax.barh(
        y + 0.2,
        of_peak,
        height=0.4,
        color=PALETTE[1],
        label="rate as % of the matmul peak",
    )
    ax.set_yticks(
        y, [f"{n} ({k})" for n, k in zip(table["layer"], table["kind"])]
    )
    ax.invert_yaxis()
    ax.set_xlabel("percent")
    ax.set_ylabel("layer")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig
