"""Showing the package's own code in a chapter, so the book teaches the code that actually runs.

A listing longer than :data:`FOLD_LINES` lines is folded behind a one-line summary (an HTML ``<details>``, which
the book and Colab both open with a click), so a page is not buried under code the reader may skip.
"""

from __future__ import annotations

import html
import inspect
from typing import Any

#: A listing with more lines than this is folded (tests/book_reading.py checks every output against it).
FOLD_LINES = 30


class FoldedListing:
    """Highlighted source code folded behind a summary line that names it and says how long it is."""

    def __init__(self, text: str, name: str):
        self.text = text
        self.name = name

    @property
    def lines(self) -> int:
        """How many lines the listing has."""
        return len(self.text.rstrip("\n").splitlines())

    def _repr_html_(self) -> str:
        from IPython.display import (
            Code,  # deferred: only notebooks have IPython (not a dependency)
        )

        code = Code(self.text, language="python")._repr_html_()
        return (
            f"<details><summary>Show the code of <code>{html.escape(self.name)}</code> "
            f"({self.lines} lines)</summary>{code}</details>"
        )

    def __repr__(self) -> str:
        return self.text


def source(obj: Any) -> Any:
    """The source of a package function or class, highlighted in a notebook (plain text elsewhere); folded
    when longer than :data:`FOLD_LINES` lines."""
    text = inspect.getsource(obj)
    try:
        from IPython.display import (
            Code,  # deferred: only notebooks have IPython (not a dependency)
        )
    except ImportError:  # outside IPython: return the text itself
        return text
    if len(text.rstrip("\n").splitlines()) > FOLD_LINES:
        return FoldedListing(text, getattr(obj, "__qualname__", repr(obj)))
    return Code(text, language="python")


def _as_text(value: Any) -> str:
    """A glued value as the prose shows it (floats with three decimals, strings as they are)."""
    return f"{value:,.3f}" if isinstance(value, float) else str(value)


def interval(low: float, high: float, sign: str = "") -> str:
    """An interval as the prose quotes it, ``[0.065, 0.172]`` (``sign="+"``: ``[+0.065, +0.172]``)."""
    return f"[{low:{sign}.3f}, {high:{sign}.3f}]"


def _plain(value: Any) -> Any:
    """A NumPy scalar as Python's own number: its repr (``np.float64(0.1)``) is not a number to the book."""
    return (
        value.item()
        if hasattr(value, "item") and not isinstance(value, str)
        else value
    )


def glue(**values: Any) -> None:
    """Hand the chapter's prose the numbers it quotes (myst-nb glue keys, read by ``{glue:text}`` and
    ``{glue:md}`` in the Markdown cells); where myst-nb is absent (Colab) list them, so the reader sees them."""
    from IPython.display import (  # deferred: only notebooks have IPython (not a dependency)
        Markdown,
        display,
    )

    values = {name: _plain(value) for name, value in values.items()}
    try:
        from myst_nb import (
            glue as book_glue,  # deferred: only the book's environment has myst-nb
        )
    except ImportError:
        rows = "\n".join(
            f"- `{name}`: {_as_text(value)}"
            for name, value in values.items()
        )
        display(Markdown(f"Numbers the text below quotes:\n\n{rows}"))
        return
    for name, value in values.items():
        book_glue(
            name,
            Markdown(value) if isinstance(value, str) else value,
            display=False,
        )
