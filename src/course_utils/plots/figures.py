"""Figures any chapter may need: image grids, heatmaps, training curves, valence–arousal predictions, grouped
bars, feature maps, activation curves, gradient sizes and where the parameters live.

Each function draws one figure with a title and labelled axes and returns it; colours come from
:mod:`course_utils.plots.style`. The figures of one topic live beside it (``label_plots``, ``metric_plots`` …).
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from course_utils.labels import quadrant_of_point
from course_utils.plots.ceiling_plots import Ceiling, draw_ceiling, who
from course_utils.plots.style import (
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    PALETTE,
    QUADRANT_COLOURS,
    SEQUENTIAL,
)


def image_grid(
    paths, titles, ncols: int = 6, title: str = "", size: float = 2.0
):
    """Show images in a grid with a caption under each (a sample gallery); returns the figure."""

    images = []
    for path in paths:
        with Image.open(path) as im:
            images.append(np.asarray(im.convert("RGB")))
    return array_grid(images, titles, ncols, title, size)


def array_grid(
    images,
    titles,
    ncols: int = 6,
    title: str = "",
    size: float = 2.0,
    cmap: str | None = None,
):
    """Show images given as arrays (RGB uint8, or one channel drawn with ``cmap``) in a grid, a caption under each;
    no wider than the book's column allows (``size`` shrinks to fit ``ncols`` pictures in MAX_WIDTH_IN)."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    images, titles = list(images), list(titles)
    size = min(size, MAX_WIDTH_IN / max(ncols, 1))
    nrows = max(1, -(-len(images) // ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, size * nrows + 0.6),
        squeeze=False,
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, text in zip(axes.flat, images, titles):
        ax.imshow(image, cmap=cmap)
        ax.set_title(wrapped(text, 13 * size), fontsize=MIN_FONT_PT)
    if title:  # wrapped to the grid: a longer line widens the saved figure
        fig.suptitle(wrapped(title, 10 * size * ncols))
    return fig


def wrapped(text: str, chars: float) -> str:
    """Each line of ``text`` wrapped at about ``chars`` characters (at least 12), so it fits its picture."""
    width = max(12, int(chars))
    return "\n".join(
        textwrap.fill(line, width, break_on_hyphens=False) or line
        for line in str(text).split("\n")
    )


def heatmap(
    frame,
    title: str,
    xlabel: str,
    ylabel: str,
    fmt: str = ".0%",
    ax=None,
    **kwargs,
):
    """A table of numbers as an annotated heatmap (sequential, colour-blind-safe colours); returns the axes."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot
    import seaborn as sns  # deferred: seaborn takes about a second to import

    if ax is None:
        _, ax = plt.subplots(
            figsize=(
                min(MAX_WIDTH_IN, 1.6 + 1.3 * frame.shape[1]),
                0.8 + 0.32 * frame.shape[0],
            )
        )
    sns.heatmap(
        frame,
        annot=True,
        fmt=fmt,
        cmap=SEQUENTIAL,
        cbar=False,
        ax=ax,
        annot_kws={"fontsize": 9},
        **kwargs,
    )
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def training_curves(
    histories: dict,
    title: str = "Training curves",
    baseline: float | None = None,
):
    """Accuracy and loss per epoch, training dashed and validation solid, one colour per run; ``baseline`` draws
    the majority-class share (the accuracy of always giving the most frequent answer) as a grey line."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, (acc, loss) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 4.2))
    for colour, (label, h) in zip(PALETTE, histories.items()):
        for ax, key in ((acc, "accuracy"), (loss, "loss")):
            if key in h:
                ax.plot(
                    h["epoch"],
                    h[key],
                    "--",
                    color=colour,
                    label=f"{label} (training)",
                )
                ax.plot(
                    h["epoch"],
                    h[f"val_{key}"],
                    "-",
                    color=colour,
                    marker="o",
                    label=f"{label} (validation)",
                )
    if baseline is not None:
        acc.axhline(
            baseline,
            color="grey",
            linestyle=":",
            linewidth=2,
            label=f"majority-class share ({baseline:.2f})",
        )
    for ax in (acc, loss):
        ax.xaxis.set_major_locator(
            MaxNLocator(integer=True)
        )  # epochs are whole numbers
    acc.set(
        title="Accuracy", xlabel="epoch", ylabel="accuracy (share correct)"
    )
    loss.set(title="Loss", xlabel="epoch", ylabel="cross-entropy loss")
    acc.legend(fontsize=9)
    fig.suptitle(title)
    return fig


def va_predictions(
    true, pred, baseline=None, title: str = "Predicted and true moods"
):
    """Each artwork's true valence–arousal point (hollow) joined to the predicted one (filled), by true quadrant."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    true, pred = (
        np.asarray(true, dtype=float),
        np.asarray(pred, dtype=float),
    )
    quadrants = quadrant_of_point(true[:, 0], true[:, 1])
    fig, ax = plt.subplots(figsize=(6.6, 6.2))
    ax.plot(
        np.stack([true[:, 0], pred[:, 0]]),
        np.stack([true[:, 1], pred[:, 1]]),
        color="0.75",
        linewidth=0.7,
    )
    for quadrant, colour in QUADRANT_COLOURS.items():
        mine = quadrants == quadrant
        ax.scatter(
            true[mine, 0],
            true[mine, 1],
            facecolors="none",
            edgecolors=colour,
            s=36,
            label=f"{quadrant}: true",
        )
        ax.scatter(
            pred[mine, 0], pred[mine, 1], color=colour, s=16, marker="s"
        )
    ax.scatter(
        [],
        [],
        color="0.3",
        s=16,
        marker="s",
        label="filled square: predicted",
    )
    if baseline is not None:
        ax.scatter(
            *np.asarray(baseline, dtype=float),
            color="black",
            marker="*",
            s=220,
            zorder=5,
            label="training mean (baseline)",
        )
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set(
        xlim=(-1, 1),
        ylim=(-1, 1),
        aspect="equal",
        title=title,
        xlabel="valence (unpleasant → pleasant)",
        ylabel="arousal (calm → aroused)",
    )
    ax.legend(fontsize=MIN_FONT_PT, loc="lower left")
    return fig


def grouped_bars(
    table,
    title: str,
    xlabel: str,
    ylabel: str,
    ylim=(0, 1),
    ceiling: Ceiling = None,
    ceiling_metric: str = "{}",
):
    """One group of bars per row of a table, one bar (and colour) per column, each bar labelled with its value;
    where given, the human ceiling over each group as a black segment (its metric: ``ceiling_metric`` with the
    row's name, e.g. ``"F1 {}"`` for rows named by quadrant)."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    n_rows, n_cols = table.shape
    width = 0.8 / n_cols
    fig, ax = plt.subplots(
        figsize=(
            min(MAX_WIDTH_IN, max(6.0, 1.1 * n_rows * n_cols / 2 + 3)),
            4.4,
        )
    )
    for j, (column, colour) in enumerate(zip(table.columns, PALETTE)):
        x = np.arange(n_rows) + (j - (n_cols - 1) / 2) * width
        bars = ax.bar(
            x,
            table[column].to_numpy(dtype=float),
            width,
            color=colour,
            label=str(column),
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=MIN_FONT_PT)
    for i, row in enumerate(table.index):
        draw_ceiling(
            ax,
            ceiling,
            ceiling_metric.format(row),
            span=(i - 0.45, i + 0.45),
            label=i == 0 and who(getattr(ceiling, "estimated", False)),
        )
    ax.set_xticks(np.arange(n_rows), [str(i) for i in table.index])
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, ylim=ylim)
    ax.legend(
        fontsize=9,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=min(n_cols, 3),
    )
    return fig


def batch_grid(
    x,
    y,
    class_names,
    n: int = 12,
    ncols: int = 6,
    title: str = "Images and their classes",
):
    """The first ``n`` images with their class names, exactly as the model receives them."""
    n = min(n, len(x))
    return array_grid(
        x[:n], [class_names[int(i)] for i in y[:n]], ncols, title
    )


def feature_map_grid(
    maps, image=None, ncols: int = 6, title: str = "Feature maps"
):
    """Each channel of one image's layer output as a small picture (bright: the filter responds strongly),
    after the input ``image`` when one is given."""

    maps = maps[0] if maps.ndim == 4 else maps
    pictures = [maps[:, :, k] for k in range(maps.shape[-1])]
    titles = [f"filter {k + 1}" for k in range(maps.shape[-1])]
    if image is not None:
        pictures, titles = (
            [np.asarray(image, dtype=np.uint8), *pictures],
            ["input", *titles],
        )  # RGB ignores cmap
    return array_grid(
        pictures, titles, ncols, title, size=1.6, cmap=SEQUENTIAL
    )


def activation_curves(table):
    """tanh and ReLU (left) and their slopes (right), from :func:`course_utils.models.architecture.activation_table`."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, (values, slopes) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 4.2))
    for colour, name in zip(PALETTE, ("tanh", "relu")):
        values.plot(table["x"], table[name], color=colour, label=name)
        slopes.plot(
            table["x"],
            table[f"{name} slope"],
            color=colour,
            label=f"slope of {name}",
        )
    values.set(
        title="Activation",
        xlabel="input to the unit",
        ylabel="output of the unit",
    )
    slopes.set(
        title="Slope (what backpropagation multiplies by)",
        xlabel="input to the unit",
        ylabel="derivative",
    )
    values.legend()
    slopes.legend()
    fig.suptitle(
        "tanh flattens out for large inputs; ReLU keeps a slope of 1 for every positive input"
    )
    return fig


def gradient_bars(
    sizes: dict,
    title: str = "How large the gradients are that reach each layer",
):
    """Mean absolute gradient per layer (log scale) for several models, layers in order from input to output."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    width = 0.8 / max(len(sizes), 1)
    for i, (colour, (label, series)) in enumerate(
        zip(PALETTE, sizes.items())
    ):
        ax.bar(
            np.arange(len(series)) + i * width,
            series.to_numpy(),
            width,
            color=colour,
            label=label,
        )
    first = next(iter(sizes.values()))
    ax.set_xticks(
        np.arange(len(first)) + width * (len(sizes) - 1) / 2,
        [f"layer {k + 1}" for k in range(len(first))],
    )
    ax.set(
        yscale="log",
        title=title,
        xlabel="layer with weights (input → output)",
        ylabel="mean |gradient| of its kernel",
    )
    ax.legend()
    return fig


def parameter_budget_bars(budget, title: str = "Where the parameters live"):
    """Stacked bars of each model's parameters: convolutions, the dense layer after the flatten, other dense layers."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    parts = [c for c in budget.columns if c != "total"]
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    left = np.zeros(len(budget))
    for colour, part in zip(PALETTE, parts):
        ax.barh(
            budget.index, budget[part], left=left, color=colour, label=part
        )
        left += budget[part].to_numpy()
    for y, total in enumerate(left):
        ax.annotate(
            f"{int(total):,}",
            (total, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set(
        title=title,
        xlabel="parameters",
        ylabel="model",
        xlim=(0, left.max() * 1.25),
    )
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _: f"{value:,.0f}")
    )
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    return fig
