"""tools/bookexec.py: chapters run as jupyter-book runs them, a failed cell is named (stalls and the ceiling:
tests/test_runner.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bookexec  # noqa: E402


def notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook of code cells (and one markdown cell first, as chapters have)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")] + [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def timed(nb: nbformat.NotebookNode, spans: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Give the code cells kernel-side (busy, reply) times, as nbclient records them."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, (busy, reply) in zip(code, spans):
        cell.metadata["execution"] = {
            "iopub.status.busy": f"2026-11-29T10:{busy}Z",
            "shell.execute_reply": f"2026-11-29T10:{reply}Z",
        }
    return nb


def test_a_late_noticed_reply_is_a_stall_of_the_cell_before():
    nb = timed(
        notebook("a", "b", "c"),
        [("00:00.000", "00:01.000"), ("00:01.020", "00:02.000"), ("20:02.500", "20:03.000")],
    )
    # cell 2 replied at 10:00:02, the runner asked for cell 3 twenty minutes later
    assert bookexec.stalls(nb, limit_s=20) == [(2, 1200.5)]


def test_normal_gaps_and_long_cells_are_not_stalls():
    nb = timed(notebook("a", "b"), [("00:00.000", "09:00.000"), ("09:00.050", "09:01.000")])
    assert bookexec.stalls(nb, limit_s=20) == []


@pytest.mark.slow
def test_a_failing_cell_is_named_and_a_good_chapter_lands_in_the_cache(tmp_path):
    bad = tmp_path / "98_fails.ipynb"
    nbformat.write(notebook("x = 1", "y = 2", "1 / 0"), bad)
    message = bookexec.describe(bad, bookexec.execute(bad, timeout=30))
    assert message.startswith("98_fails.ipynb: cell 3 ('1 / 0') failed") and "ZeroDivisionError" in message

    good = tmp_path / "97_runs.ipynb"
    nbformat.write(notebook("print(6 * 7)"), good)
    result = bookexec.execute(good, timeout=30, cache=tmp_path / "cache")
    assert bookexec.failed_cell(result) is None and bookexec.stalls(result.nb) == []
    from jupyter_cache import get_cache

    # what myst-nb does in a build: match the source notebook and take the cached outputs
    _, merged = get_cache(str(tmp_path / "cache")).merge_match_into_notebook(nbformat.read(good, as_version=4))
    assert merged.cells[1].outputs[0]["text"] == "42\n"
