"""How a folder is printed: the rendered book and a student's notebook show paths a reader can use, never the
absolute paths of the machine that built the book."""

from __future__ import annotations

import tempfile
from pathlib import Path

#: How many trailing parts a path keeps when it lies in no folder a reader knows.
TAIL_PARTS = 3


def _relative(path: Path, base: Path | None) -> Path | None:
    """``path`` relative to ``base``, or None when it is not inside it."""
    if base is None:
        return None
    try:
        return path.relative_to(base.expanduser().resolve())
    except ValueError:
        return None


def shown_path(path: str | Path, data_dir: str | Path | None = None) -> str:
    """``<data folder>/…`` inside the data folder, ``~/…`` in the home folder, ``<temporary folder>/…`` in the
    temporary folder, else ``…/`` and the last few parts."""
    path = Path(path).expanduser().resolve()
    bases = (
        ("<data folder>", Path(data_dir) if data_dir else None),
        ("~", Path.home()),
        ("<temporary folder>", Path(tempfile.gettempdir())),
    )
    for label, base in bases:
        rest = _relative(path, base)
        if rest is not None:
            return (
                label if rest == Path(".") else f"{label}/{rest.as_posix()}"
            )
    return "…/" + "/".join(path.parts[-TAIL_PARTS:])
