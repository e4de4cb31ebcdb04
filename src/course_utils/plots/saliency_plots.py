"""Figures of where a CNN looks (chapter 12): images beside their Grad-CAM and occlusion maps.

The maps come from :mod:`course_utils.analysis.saliency` as arrays in [0, 1]; these functions only draw them,
with a colour bar that says what the colours mean.
"""

from __future__ import annotations

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from course_utils.plots.style import MAX_WIDTH_IN, MIN_FONT_PT, SEQUENTIAL

#: How opaque a heat map is over its image.
ALPHA = 0.5


def saliency_grid(
    images,
    maps: dict,
    captions,
    title: str,
    size: float = 2.0,
    alpha: float = ALPHA,
):
    """One column per image: the image on top, then one row per named map (``{"Grad-CAM": maps, …}``) laid
    over it; each row is named in its first picture's title, and a colour bar reads the maps' 0–1 scale.
    No wider than the book's column allows (``size`` shrinks to fit). Returns the figure."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    images = [np.asarray(im, dtype="uint8") for im in images]
    captions = list(captions)
    if len(captions) != len(images) or any(
        len(m) != len(images) for m in maps.values()
    ):
        raise ValueError(
            f"{len(images)} images need as many captions and maps; got "
            f"{len(captions)} captions and "
            f"{[len(m) for m in maps.values()]} maps"
        )
    rows, cols = 1 + len(maps), max(1, len(images))
    size = min(size, (MAX_WIDTH_IN - 1.2) / cols)  # room for the colour bar
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(size * cols, size * rows + 0.8),
        squeeze=False,
    )
    for ax in axes.flat:
        ax.axis("off")
    for j, (image, caption) in enumerate(zip(images, captions)):
        axes[0, j].imshow(image)
        axes[0, j].set_title(caption, fontsize=MIN_FONT_PT)
        for i, (name, heat) in enumerate(maps.items(), start=1):
            axes[i, j].imshow(image)
            axes[i, j].imshow(
                heat[j], cmap=SEQUENTIAL, alpha=alpha, vmin=0, vmax=1
            )
            if j == 0:
                axes[i, j].set_title(name, fontsize=MIN_FONT_PT, loc="left")
    if maps:
        fig.colorbar(
            ScalarMappable(Normalize(0, 1), cmap=SEQUENTIAL),
            ax=axes[1:, :] if rows > 2 else axes[1, :],
            label="weight of the region (0: none, 1: the most)",
            shrink=0.9,
        )
    fig.suptitle(title)
    return fig
