"""Execute chapters the way `jupyter-book build` does, outside Sphinx, and share the results with it.

`jupyter-book build` (execute_notebooks: cache) hands each chapter to myst-nb, which looks it up in a
jupyter-cache and otherwise runs `jupyter_cache.executors.utils.single_nb_execution` (nbclient) and stores the
executed notebook in that cache. The book's Sphinx extension makes that runner use ``course_utils.runner``'s
watchful client (a stalled cell fails fast, a computing one runs up to the profile's ceiling); so does this
module. The functions here make the same calls, so that the tests exercise the README's book command on its own
path, and a build that follows finds every chapter already executed:

    python tools/bookexec.py fill CACHE EXECUTED_DIR   cache notebooks executed elsewhere (e.g. by nbval)
"""

from __future__ import annotations

import copy
import re
import sys
from datetime import datetime
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import ExecutionResult, single_nb_execution
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from course_utils import runner

ROOT = Path(__file__).resolve().parents[1]
runner.install()


def execute(path: Path, timeout: int, cache: Path | None = None, **watch: float) -> ExecutionResult:
    """Run one chapter as myst-nb's cache mode does (its folder as working directory, errors not allowed).

    ``timeout`` is the ceiling on a computing cell; ``watch`` may shorten the runner's stall limits
    (``stall_after_s``, ``quiet_after_s``). Unlike myst-nb it records each cell's kernel-side timing, so that
    :func:`stalls` can find waits.
    """
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb,
        cwd=str(path.parent),
        timeout=timeout,
        allow_errors=False,
        meta_override=True,
        record_timing=True,
        **watch,
    )
    if cache is not None and result.err is None:
        store(cache, nb, path)
    return result


def store(cache: Path, nb: nbformat.NotebookNode, source: Path) -> None:
    """Put an executed notebook into a jupyter-cache, as myst-nb does after executing it.

    Without the timing metadata :func:`execute` records: jupyter-cache hashes cell metadata, and a build
    (which records none) would not find the notebook.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    get_cache(str(cache)).cache_notebook_bundle(
        CacheBundleIn(nb, str(source.resolve())), check_validity=False, overwrite=True
    )


def stalls(nb: nbformat.NotebookNode, limit_s: float = 20.0) -> list[tuple[int, float]]:
    """Code cells whose reply the runner noticed more than ``limit_s`` late: (index, seconds the kernel sat idle).

    Between two cells the kernel waits only for the runner's next request, a matter of milliseconds. A runner
    that missed the previous reply sends it only when its own time limit runs out, and then the cell still
    passes: this gap is the one trace such a stall leaves (nbclient records the kernel's message times).
    """
    found, previous = [], None
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {}) if cell.cell_type == "code" else {}
        if "iopub.status.busy" not in timing:
            continue
        if previous is not None:
            idle = (datetime.fromisoformat(timing["iopub.status.busy"]) - previous[1]).total_seconds()
            if idle > limit_s:
                found.append((previous[0], round(idle, 1)))
        previous = index, datetime.fromisoformat(timing.get("shell.execute_reply", timing["iopub.status.busy"]))
    return found


def failed_cell(result: ExecutionResult) -> tuple[int, str] | None:
    """The index and first line of the code cell that failed, stalled or timed out (None when all ran).

    The runner names the cell in a stall's message and in a note on every other failure."""
    if result.err is None:
        return None
    said = " ".join([str(result.err), *getattr(result.err, "__notes__", [])])
    named = re.search(r"\bcell (\d+) \(", said)
    if named:
        index = int(named[1])
    else:  # not run by the runner's client: the first cell with an error output, else the last code cell
        code = [i for i, c in enumerate(result.nb.cells) if c.cell_type == "code"]
        errored = [i for i in code if any(o.get("output_type") == "error" for o in result.nb.cells[i].outputs)]
        index = (errored or code)[0 if errored else -1]
    return index, (result.nb.cells[index].source.splitlines() or [""])[0]


def describe(path: Path, result: ExecutionResult) -> str:
    """One paragraph that names the chapter, the cell (index and first line) and the error."""
    where = failed_cell(result)
    if where is None:
        return f"{path.name}: ran to the end in {result.time:.0f} s"
    kind = (
        "stalled"
        if isinstance(result.err, runner.CellStallError)
        else "timed out"
        if isinstance(result.err, CellTimeoutError)
        else "failed"
    )
    detail = (
        str(result.err) if isinstance(result.err, (CellExecutionError, CellTimeoutError)) else repr(result.err)
    )
    return (
        f"{path.name}: cell {where[0]} ({where[1]!r}) {kind} after {result.time:.0f} s in all:\n{detail[-3000:]}"
    )


def fill(cache: Path, executed: Path, skip: set[str] = frozenset()) -> int:
    """Cache every executed chapter of ``executed`` (but those named in ``skip``) under its source path in book/;
    returns how many."""
    count = 0
    for path in sorted(executed.glob("*.ipynb")):
        if path.name not in skip:
            store(cache, nbformat.read(path, as_version=4), ROOT / "book" / path.name)
            count += 1
    return count


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "fill":
        sys.exit(__doc__)
    print(f"bookexec: cached {fill(Path(sys.argv[2]), Path(sys.argv[3]))} executed chapters in {sys.argv[2]}")
