"""Pictures of the ideas (chapters 05–09): a convolution, pooling, the step from feature maps to a dense layer,
and each architecture layer by layer.

Every number they show comes from :mod:`course_utils.models.architecture` (``convolution_example``,
``pooling_example``, ``flatten_dense``, ``layer_plan``), computed by Keras on the models of
:mod:`course_utils.models.cnns`, so a picture cannot drift from the code it explains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, Rectangle

from course_utils.plots.style import PALETTE

#: The colour of each kind of layer (models.architecture.KINDS) in the architecture diagram.
KIND_COLOURS = {
    "input": "#999999",
    "augmentation": PALETTE[4],
    "preprocessing": "#BBBBBB",
    "convolution": PALETTE[0],
    "pooling": PALETTE[5],
    "dropout": PALETTE[6],
    "flatten": PALETTE[1],
    "dense": PALETTE[3],
    "other": "#777777",
}
#: A light fill per window of a pooling or convolution picture.
WINDOW_COLOURS = ("#CCE3F3", "#FBE3BD", "#C6EBDD", "#F6D0B8")
#: The font size, in points, of the numbers in the grids (read at about 15 px in the book's column).
CELL_FONT = 12


def _grid(ax, values, title: str, fills=None, outline=None) -> None:
    """Draw a grid of numbers: one square per value, ``fills`` (same shape, colours or None) behind them and
    a thick outline around the cells ``(row0, col0, rows, cols)``."""
    values = np.asarray(values)
    rows, cols = values.shape
    for (r, c), value in np.ndenumerate(values):
        fill = fills[r][c] if fills is not None else "white"
        ax.add_patch(
            Rectangle(
                (c, rows - 1 - r),
                1,
                1,
                facecolor=fill or "white",
                edgecolor="#555555",
            )
        )
        text = f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
        ax.text(
            c + 0.5,
            rows - 0.5 - r,
            text,
            ha="center",
            va="center",
            fontsize=CELL_FONT,
        )
    if outline is not None:
        r0, c0, h, w = outline
        ax.add_patch(
            Rectangle(
                (c0, rows - r0 - h),
                w,
                h,
                fill=False,
                edgecolor="black",
                linewidth=3,
            )
        )
    ax.set_xlim(-0.1, cols + 0.1)
    ax.set_ylim(-0.1, rows + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=12)


def convolution_sum(kernel, window) -> str:
    """The sum a convolution computes for one window, written out: ``1×0 − 1×5 + 1×2`` (zero weights left out)."""
    text = ""
    for w, v in zip(np.ravel(kernel), np.ravel(window)):
        if not w:
            continue
        sign = "−" if w < 0 else "+"
        term = f"{abs(w):g}×{v:g}"
        text += f" {sign} {term}" if text else ("−" if w < 0 else "") + term
    return text or "0"


def plot_convolution(
    example: dict, title: str = "A 3×3 convolution, by hand"
):
    """The input grid with its first 3×3 window, the kernel, and the output with the cell that window gives;
    the sum that gives it is written under the figure. Returns the figure."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    grid, kernel, out = (
        example["input"],
        example["kernel"],
        example["output"],
    )
    k = kernel.shape[0]
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(7.5, 3.6),
        gridspec_kw={"width_ratios": [grid.shape[1], k, out.shape[1]]},
    )
    fills = [
        [
            WINDOW_COLOURS[0] if r < k and c < k else None
            for c in range(grid.shape[1])
        ]
        for r in range(grid.shape[0])
    ]
    _grid(axes[0], grid, "input (pixel values)", fills, (0, 0, k, k))
    _grid(axes[1], kernel, "kernel (weights)")
    out_fills = [
        [
            WINDOW_COLOURS[0] if (r, c) == (0, 0) else None
            for c in range(out.shape[1])
        ]
        for r in range(out.shape[0])
    ]
    _grid(axes[2], out, "output (feature map)", out_fills, (0, 0, 1, 1))
    window = grid[:k, :k]
    fig.text(
        0.5,
        -0.04,
        f"top-left output = {convolution_sum(kernel, window)} = {out[0, 0]:g}",
        ha="center",
        fontsize=11,
    )
    fig.suptitle(title)
    return fig


def plot_pooling(
    example: dict[str, pd.DataFrame],
    title: str = "2×2 pooling: one number per window",
):
    """The input grid with its 2×2 windows coloured, and its max- and average-pooled grids, each output cell
    in its window's colour. Returns the figure."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    names = list(example)
    grid = example[names[0]].to_numpy()

    def colour(r: int, c: int) -> str:
        window = (r // 2) * (grid.shape[1] // 2) + c // 2
        return WINDOW_COLOURS[window % len(WINDOW_COLOURS)]

    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(7.5, 3.4),
        gridspec_kw={
            "width_ratios": [grid.shape[1]]
            + [grid.shape[1] / 2] * (len(names) - 1)
        },
    )
    _grid(
        axes[0],
        grid,
        names[0],
        [
            [colour(r, c) for c in range(grid.shape[1])]
            for r in range(grid.shape[0])
        ],
    )
    for ax, name in zip(axes[1:], names[1:]):
        pooled = example[name].to_numpy()
        _grid(
            ax,
            pooled,
            name,
            [
                [colour(2 * r, 2 * c) for c in range(pooled.shape[1])]
                for r in range(pooled.shape[0])
            ],
        )
    fig.suptitle(title)
    return fig


def _box(ax, x, y, w, h, colour, text, fontsize=11):
    """A filled box with centred text."""
    ax.add_patch(
        Rectangle(
            (x, y), w, h, facecolor=colour, edgecolor="#333333", alpha=0.9
        )
    )
    ax.text(
        x + w / 2,
        y + h / 2,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
    )


def _arrow(ax, start, end, text):
    """An arrow with a label above it."""
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=18, color="#333333"
        )
    )
    ax.text(
        (start[0] + end[0]) / 2,
        start[1] + 0.35,
        text,
        ha="center",
        va="bottom",
        fontsize=11,
    )


def plot_flatten_dense(step: dict, title: str | None = None):
    """The last feature maps, flattened into one long vector, feeding a dense layer: every number of the vector
    connects to every unit, so this one layer holds most of the model's weights. Returns the figure."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    _box(
        ax,
        0.0,
        0.6,
        2.0,
        2.2,
        KIND_COLOURS["pooling"],
        f"feature maps\n{step['maps']}",
    )
    _arrow(ax, (2.1, 1.7), (3.2, 1.7), "flatten")
    _box(
        ax,
        3.3,
        0.2,
        0.8,
        3.0,
        KIND_COLOURS["flatten"],
        f"{step['length']:,}\nnumbers",
        fontsize=10,
    )
    _arrow(ax, (4.2, 1.7), (5.5, 1.7), "dense")
    _box(
        ax,
        5.6,
        1.0,
        0.8,
        1.4,
        KIND_COLOURS["dense"],
        f"{step['units']:,}\nunits",
        fontsize=10,
    )
    ax.text(
        3.2,
        -0.35,
        f"{step['length']:,} × {step['units']:,} weights + {step['units']:,} biases = "
        f"{step['parameters']:,} parameters ({step['share']:.1%} of the model)",
        ha="center",
        va="top",
        fontsize=11,
    )
    ax.set_xlim(-0.2, 6.6)
    ax.set_ylim(-0.9, 3.4)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(
        title or f"From feature maps to a dense layer ({step['model']})"
    )
    return fig


def architecture_diagram(plan: pd.DataFrame, title: str):
    """A model layer by layer, input at the top: one bar per layer, as long as the numbers it passes on per
    image (log scale), coloured by kind, labelled with what it does, its output shape and its parameters.
    ``plan`` is models.architecture.layer_plan's table. Returns the figure."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    n = len(plan)
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * n + 1.4))
    y = np.arange(n)[::-1]
    colours = [
        KIND_COLOURS.get(k, KIND_COLOURS["other"]) for k in plan["kind"]
    ]
    ax.barh(
        y, plan["values"], color=colours, edgecolor="#333333", height=0.7
    )
    for yi, (_, row) in zip(y, plan.iterrows()):
        params = (
            f" · {row['parameters']:,} params" if row["parameters"] else ""
        )
        ax.text(
            row["values"] * 1.15,
            yi,
            f"{row['output shape']}{params}",
            va="center",
            fontsize=10,
        )
    ax.set_xscale("log")
    ax.set_xlim(1, plan["values"].max() * 60)
    ax.set_yticks(y, plan["what"], fontsize=10)
    ax.set_xlabel("numbers passed on per image (log scale)")
    ax.set_ylabel("layer (the image enters at the top)")
    ax.grid(axis="y", visible=False)
    total = int(plan["parameters"].sum())
    ax.set_title(f"{title}: {total:,} parameters")
    return fig
