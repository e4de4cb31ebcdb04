"""The course's figure style, set once, and the check that every figure keeps it.

:func:`use_style` (the banner calls it) sets readable fonts and the Okabe–Ito colour-blind-safe palette
(:data:`PALETTE`, one fixed colour per quadrant in :data:`QUADRANT_COLOURS`, ``viridis`` for sequential data).
:func:`check_figure` lists a figure's house-style problems (no title, an axis without a label); under
``COURSE_CHECK_FIGURES=1`` (the tests) every notebook cell that leaves such a figure fails.

The book shows a figure at most :data:`COLUMN_PX` wide, so a wide figure is shrunk and its text with it.
:func:`record_fonts_in_figures` (the banner calls it) makes every figure's PNG carry its smallest font size
(:data:`FONT_KEY`, :func:`with_font_record`), so the book's browser test can tell the size each figure's text is
read at; :func:`smallest_font_pt` is that size in points.
"""

from __future__ import annotations

import base64
import contextlib
import io
import struct
import sys
import weakref
import zlib

import matplotlib
from cycler import cycler
from matplotlib._pylab_helpers import Gcf
from matplotlib.figure import Figure

#: Okabe–Ito, the colour-blind-safe palette (Okabe & Ito, 2008).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)


#: One fixed colour per quadrant, used by every figure that shows quadrants.
QUADRANT_COLOURS = {
    "Aggressive": "#D55E00",
    "Euphoric": "#E69F00",
    "Melancholy": "#0072B2",
    "Calm": "#009E73",
}


SEQUENTIAL = "viridis"  # perceptually uniform and colour-blind safe


#: How the human ceiling is drawn on every figure (plots/ceiling_plots.py): a solid black line, apart from the
#: baselines' coloured dashed ones.
CEILING_LINE = {
    "color": "#000000",
    "linestyle": "-",
    "linewidth": 2.2,
    "alpha": 0.85,
}

#: Pixels the book's text column gives a figure at 1280 px (pydata-sphinx-theme's article, measured in Chromium).
COLUMN_PX = 672

#: The widest a figure is drawn, in inches at the figure's 100 dpi: shown in :data:`COLUMN_PX` it is shrunk at most
#: 1.4 times, so text of 9 points (12.5 px drawn) is read at 9 px or more. Half an inch under 9: the inline backend
#: saves a tight bounding box, and titles and tick labels that reach past the axes add up to that much (measured:
#: figures drawn 9 in wide were saved 9.2-9.6 in wide).
MAX_WIDTH_IN = 8.5

#: The smallest font a figure uses, in points.
MIN_FONT_PT = 9

#: The PNG text chunk in which a figure records its smallest font, in points (tests/book_reading.py reads it).
FONT_KEY = "course:smallest-font-pt"

_checked_figures: weakref.WeakSet = (
    weakref.WeakSet()
)  # figures already checked, so each is reported once


def use_style() -> None:
    """Apply the course style to matplotlib and seaborn (idempotent)."""
    import seaborn as sns  # deferred: seaborn takes about a second to import

    sns.set_theme(
        context="notebook", style="whitegrid", palette=list(PALETTE)
    )
    matplotlib.rcParams.update(
        {
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
        }
    )


def figure_png(fig) -> bytes:
    """The figure as PNG bytes, then closed: for widgets that show a picture instead of capturing output."""
    import matplotlib.pyplot as plt  # deferred: pyplot picks a backend on import; the style must not force one

    buffer = io.BytesIO()
    with fonts_drawn() as sizes:
        fig.savefig(buffer, format="png", bbox_inches="tight")
    png = with_font_record(buffer.getvalue(), min(sizes, default=None))
    plt.close(fig)
    return png


@contextlib.contextmanager
def fonts_drawn():
    """Collect the size, in points, of every piece of text drawn into a PNG while the block runs."""
    from matplotlib.backends.backend_agg import (
        RendererAgg,  # deferred: the Agg renderer draws every PNG
    )

    sizes: list[float] = []
    original = RendererAgg.draw_text

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if str(s).strip():
            sizes.append(float(prop.get_size_in_points()))
        return original(self, gc, x, y, s, prop, angle, ismath, mtext)

    RendererAgg.draw_text = draw_text
    try:
        yield sizes
    finally:
        RendererAgg.draw_text = original


def smallest_font_pt(fig) -> float | None:
    """The smallest font, in points, of the text a figure's PNG shows (None when it shows none)."""
    with fonts_drawn() as sizes:
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    return min(sizes) if sizes else None


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC of type and data."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    )


def with_font_record(png: bytes, size: float | None) -> bytes:
    """A PNG with a text chunk saying the smallest font it shows, in points (unchanged when it shows none)."""
    end = (
        png.rfind(b"IEND") - 4
    )  # the IEND chunk starts with its 4-byte length
    if size is None or end < 8:
        return png
    record = _png_chunk(
        b"tEXt", FONT_KEY.encode("latin-1") + b"\0" + f"{size:g}".encode()
    )
    return png[:end] + record + png[end:]


def _recording(draw):
    """A PNG formatter that draws as ``draw`` does and adds the figure's font record (bytes or base64 text)."""

    def png(fig):
        with fonts_drawn() as sizes:
            data = draw(fig)
        size = min(sizes) if sizes else None
        if isinstance(data, str):
            raw = with_font_record(base64.b64decode(data), size)
            return base64.b64encode(raw).decode("ascii")
        return with_font_record(data, size) if data else data

    png.records_fonts = True
    return png


def _record_fonts_now() -> None:
    """Wrap IPython's PNG formatter of figures, once (the inline backend may register it again at any time)."""
    from IPython import get_ipython  # deferred: only notebooks have IPython

    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        draw = formatter.lookup_by_type(Figure)
    except KeyError:
        return
    if not getattr(draw, "records_fonts", False):
        formatter.for_type(Figure, _recording(draw))


def record_fonts_in_figures() -> bool:
    """In IPython, make every figure's PNG say its smallest font (checked after each cell, before the inline
    backend shows the figures); False outside IPython."""
    if not _before_inline_flush(_record_fonts_now):
        return False
    _record_fonts_now()
    return True


def _before_inline_flush(callback) -> bool:
    """Run ``callback`` after each IPython cell, before the inline backend's flush shows and closes the figures;
    False outside IPython."""
    try:
        from IPython import (
            get_ipython,  # deferred: only notebooks have IPython (not a dependency)
        )
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    callbacks = shell.events.callbacks["post_execute"]
    if callback not in callbacks:
        callbacks.insert(0, callback)  # first: the flush closes the figures
    return True


def _title(ax) -> str:
    """An axes' title, wherever it is placed."""
    return " ".join(
        ax.get_title(loc) for loc in ("left", "center", "right")
    ).strip()


def _shows_tick_labels(axis) -> bool:
    """Whether an axis is drawn with tick labels (an axis without them needs no label)."""
    return axis.get_visible() and any(
        t.get_visible() and t.get_text().strip()
        for t in axis.get_ticklabels()
    )


def check_figure(fig) -> list[str]:
    """The house-style problems of a figure: no title, or an axis with tick labels but no axis label.

    A title may be the figure's (``suptitle``) or one on every plot. Images (``imshow``), plots with their axes
    switched off, colour bars and axes whose label a shared neighbour carries are exempt from axis labels.
    """
    fig.canvas.draw()
    plots = [
        ax
        for ax in fig.axes
        if ax.get_visible()
        and ax.get_label() != "<colorbar>"
        and (ax.axison or ax.has_data())
    ]
    problems = []
    if not fig.get_suptitle().strip() and any(
        not _title(ax) for ax in plots
    ):
        problems.append(
            "no title: give the figure a suptitle or each plot a title"
        )
    for i, ax in enumerate(plots):
        if ax.images or not ax.axison:
            continue
        name = f"plot {i + 1}" + (
            f" ({_title(ax)!r})" if _title(ax) else ""
        )
        for which, axis, shared, sup in (
            ("x", ax.xaxis, ax.get_shared_x_axes(), fig.get_supxlabel()),
            ("y", ax.yaxis, ax.get_shared_y_axes(), fig.get_supylabel()),
        ):
            labelled = [
                a
                for a in shared.get_siblings(ax)
                if a.figure is fig and getattr(a, f"get_{which}label")()
            ]
            if (
                _shows_tick_labels(axis)
                and not labelled
                and not sup.strip()
            ):
                problems.append(f"{name} has no {which}-axis label")
    return problems


class FigureStyleError(AssertionError):
    """A figure left a notebook cell without a title or axis labels (raised only under COURSE_CHECK_FIGURES=1)."""


def check_open_figures() -> None:
    """Check every figure the last cell left open, once each; raise FigureStyleError naming the problems."""
    if "matplotlib.pyplot" not in sys.modules:  # no figure can exist yet
        return

    problems = []
    for manager in Gcf.get_all_fig_managers():
        fig = manager.canvas.figure
        if fig not in _checked_figures:
            _checked_figures.add(fig)
            problems += [
                f"figure {manager.num}: {p}" for p in check_figure(fig)
            ]
    if problems:
        raise FigureStyleError(
            "figure style (CONTRIBUTING.md, Package style): "
            + "; ".join(problems)
        )


def check_figures_after_each_cell() -> bool:
    """In IPython, check the figures after each cell (before the inline backend shows and closes them)."""
    return _before_inline_flush(check_open_figures)
