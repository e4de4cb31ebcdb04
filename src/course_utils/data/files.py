"""Atomic writes, in one place: every file and folder the course writes appears whole or not at all.

A reader (another chapter, a second kernel, a crashed run restarted) never sees half a file: a file is written
to a temporary name in the same folder and renamed into place; a folder is filled under a temporary name and
renamed the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path next to ``path`` to write to; renamed onto ``path`` when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.stem}-",
        suffix=suffix or path.suffix,
        dir=path.parent,
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """Write text atomically; unchanged text is not written again, so a second run leaves every file as it was."""
    if path.is_file() and path.read_text() == text:
        return
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def temporary_folder(dest: Path) -> Path:
    """A new empty folder next to ``dest`` to fill before :func:`replace_folder` puts it in place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))


def replace_folder(
    tmp: Path, dest: Path, same: Callable[[], bool] | None = None
) -> None:
    """Rename the filled folder ``tmp`` onto ``dest``, replacing an older one; ``tmp`` is removed.

    ``same()`` says whether ``dest`` already holds what ``tmp`` holds: then ``dest`` stays, whether a twin
    process put it there long ago or a moment before (it may be reading it). When a twin's rename wins the race,
    its copy is kept if ``same()`` holds (without ``same``: always), else the error is raised.
    """
    try:
        if dest.exists() and same is not None and same():
            return
        if dest.exists():
            old = dest.with_name(
                f".{dest.name}-old-{os.getpid()}-{time.monotonic_ns()}"
            )
            os.replace(dest, old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, dest)
        except OSError:
            if same is not None and not same():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
