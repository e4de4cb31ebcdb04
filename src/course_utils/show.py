"""Showing the package's own code in a chapter, so the book teaches the code that actually runs."""

from __future__ import annotations

import inspect
from typing import Any


def source(obj: Any) -> Any:
    """The source of a package function or class, highlighted in a notebook (plain text elsewhere)."""
    text = inspect.getsource(obj)
    try:
        from IPython.display import (
            Code,  # deferred: only notebooks have IPython (not a dependency)
        )
    except ImportError:  # outside IPython: return the text itself
        return text
    return Code(text, language="python")
