"""The course's figure style, set once: readable fonts, a colour-blind-safe palette, titles and labelled axes.

Chapters call :func:`use_style` (the banner does it) and the plotting helpers of the other modules draw with it.
"""

from __future__ import annotations

import matplotlib

#: Okabe–Ito, the colour-blind-safe palette (Okabe & Ito, 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: One fixed colour per quadrant, used by every figure that shows quadrants.
QUADRANT_COLOURS = {"Aggressive": "#D55E00", "Euphoric": "#E69F00", "Melancholy": "#0072B2", "Calm": "#009E73"}
SEQUENTIAL = "viridis"  # perceptually uniform and colour-blind safe


def use_style() -> None:
    """Apply the course style to matplotlib and seaborn (idempotent)."""
    import seaborn as sns
    from cycler import cycler

    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE))
    matplotlib.rcParams.update({
        "figure.figsize": (7.5, 4.5),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 12,
        "axes.titlesize": 14,
        "axes.labelsize": 12,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 11,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "image.cmap": SEQUENTIAL,
        "figure.constrained_layout.use": True,
    })


def image_grid(paths, titles, ncols: int = 6, title: str = "", size: float = 2.0):
    """Show images in a grid with a caption under each (a sample gallery); returns the figure."""
    import matplotlib.pyplot as plt
    from PIL import Image

    paths, titles = list(paths), list(titles)
    nrows = max(1, -(-len(paths) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, path, text in zip(axes.flat, paths, titles):
        with Image.open(path) as im:
            ax.imshow(im.convert("RGB"))
        ax.set_title(text, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def training_curves(histories: dict, title: str = "Training curves"):
    """Accuracy and loss per epoch, training dashed and validation solid, one colour per run."""
    import matplotlib.pyplot as plt

    fig, (acc, loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    for colour, (label, h) in zip(PALETTE, histories.items()):
        for ax, key in ((acc, "accuracy"), (loss, "loss")):
            if key in h:
                ax.plot(h["epoch"], h[key], "--", color=colour, label=f"{label} (training)")
                ax.plot(h["epoch"], h[f"val_{key}"], "-", color=colour, marker="o", label=f"{label} (validation)")
    acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (share correct)")
    loss.set(title="Loss", xlabel="epoch", ylabel="cross-entropy loss")
    acc.legend(fontsize=9)
    fig.suptitle(title)
    return fig
