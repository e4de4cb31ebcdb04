"""Figures and the explorer of retrieval by emotion (chapter 15): the top-k artworks of a query, as a gallery.

The ranking comes from :mod:`course_utils.analysis.retrieval`. The explorer is an ipywidgets query picker that
shows each gallery as a picture (never an ``Output`` widget, on which the book's runner stalls); where ipywidgets
is not installed it returns None.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from PIL import Image

from course_utils.analysis.retrieval import Gallery, query, query_relevance
from course_utils.labels import QUADRANTS, emotion_table
from course_utils.plots.figures import array_grid
from course_utils.plots.style import figure_png


def show_results(
    gallery: Gallery,
    ranking: np.ndarray,
    k: int = 8,
    relevant: np.ndarray | None = None,
    title: str = "",
    ncols: int = 5,
    query: int | None = None,
    shown: Collection[str] | None = None,
    query_from: Gallery | None = None,
):
    """The top-k artworks as a gallery captioned with their classes (✓/✗ given relevance; the query image first).

    ``shown``: the artwork IDs whose images may be drawn (:func:`course_utils.datasets.rights.shown_ids`); any
    other keeps its place and caption over a blank tile marked "not shown", so the ranking reads the same.
    ``query_from``: the gallery the ``query`` index refers to, when the query is not one of the searched
    artworks (a test image asking an index of training artworks).
    """

    top = [int(i) for i in np.asarray(ranking)[:k]]
    tiles = [(gallery, i) for i in top]
    captions = []
    for i in top:
        mark = "" if relevant is None else ("✓ " if relevant[i] else "✗ ")
        captions.append(f"{mark}{gallery.classes[i]}")
    if query is not None:
        asked = query_from if query_from is not None else gallery
        tiles = [(asked, query), *tiles]
        captions = [f"QUERY: {asked.classes[query]}", *captions]
    images = []
    for n, (source, i) in enumerate(tiles):
        if shown is None or source.ids[i] in shown:
            with Image.open(source.paths[i]) as im:
                images.append(np.asarray(im.convert("RGB")))
        else:
            images.append(np.full((8, 8, 3), 235, dtype=np.uint8))
            captions[n] += "\n(not shown)"
    return array_grid(
        images, captions, ncols=min(ncols, len(tiles)), title=title
    )


def query_choices() -> list[str]:
    """What the explorer offers: the four quadrants, then the 20 emotion words."""
    return [*QUADRANTS, *emotion_table().index]


def explorer(
    gallery: Gallery,
    k: int = 8,
    shown: Collection[str] | None = None,
    note: str = "",
):
    """An interactive query picker with its gallery, or None where ipywidgets is not installed; ``shown`` as
    for :func:`show_results`, ``note`` added to each title (:func:`course_utils.datasets.rights.shown_note`).

    The gallery is an Image widget redrawn when a control changes, not ipywidgets' interactive output (an Output
    widget): a notebook runner (nbclient, so ``jupyter-book build``) mimics an Output widget by sending every
    captured output back to the kernel on the shell channel while it waits there for the cell's reply, and that
    reply then went unnoticed until the cell's time limit (the 20-minute stalls of the book build; measured in
    benchmarks/README.md, "Widgets and notebook runners").
    """
    try:
        import ipywidgets as widgets  # deferred: optional, not a package dependency
    except ImportError:
        return None

    choice = widgets.Dropdown(
        options=query_choices(), value="Calm", description="query"
    )
    size = widgets.IntSlider(
        value=k, min=4, max=16, step=4, description="k"
    )
    picture = widgets.Image(
        format="png", layout=widgets.Layout(max_width="100%")
    )

    def draw(_change=None) -> None:
        ranking, quadrant = query(gallery, choice.value)
        relevant = query_relevance(gallery, quadrant)
        title = f"Top {size.value} for “{choice.value}” (✓ = flagged {quadrant}){note}"
        picture.value = figure_png(
            show_results(
                gallery,
                ranking,
                size.value,
                relevant,
                title=title,
                shown=shown,
            )
        )

    choice.observe(draw, "value")
    size.observe(draw, "value")
    draw()
    return widgets.VBox([widgets.HBox([choice, size]), picture])
