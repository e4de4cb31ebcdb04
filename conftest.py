"""Test-wide settings and one shared execution of the chapters.

Notebooks and tests run on the offline sample with the smoke profile (SPEC §4), set here before any kernel
starts, so nbval's kernels inherit them. A COURSE_DATA_DIR set outside wins.

After each chapter's last cell one more item, ``…ipynb::coverage statement``, checks on that run's outputs that the
chapter says early how many artworks it has per class and how many have an image (tests/chapter_statements.py;
tests/test_link_rot*.py check the same, and the too-few-images warnings, on a site whose image links are mostly
dead).

When COURSE_EXECUTED_DIR is set (tools/test.sh sets it), every chapter that nbval executes without a failure is
also saved there *with its outputs*, stamped with the SHA-256 of its source. tests/test_book.py then builds the
book from those executed notebooks instead of executing every chapter a second time; without them (or when a
source changed since) the book build executes the chapters itself.
"""

import hashlib
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ["COURSE_PROFILE"] = "smoke"
os.environ["COURSE_DATA"] = "sample"
os.environ.setdefault("COURSE_DATA_DIR", str(ROOT / "_build" / "test-data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault(
    "PYDEVD_DISABLE_FILE_VALIDATION", "1"
)  # ipykernel's debugger on Python 3.13: a notice per kernel
os.environ["COURSE_CHECK_FIGURES"] = "1"  # a figure without title or axis labels fails its cell
EXECUTED_DIR = os.environ.get("COURSE_EXECUTED_DIR")


def source_digest(path: Path) -> str:
    """The SHA-256 of a notebook's committed source (ties an executed copy to the source it ran)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def visible_outputs(source: str, outputs: list) -> list:
    """The outputs Jupyter shows: a trailing ``;`` hides the cell's result (nbval's kernel calls don't apply it)."""
    if source.rstrip().endswith(";"):
        return [o for o in outputs if o.get("output_type") != "execute_result"]
    return list(outputs)


def _is_notebook_cell(item) -> bool:
    """Whether a pytest item is one of nbval's notebook cells."""
    return hasattr(item, "cell") and hasattr(item, "test_outputs") and hasattr(item.parent, "nb")


class CoverageStatement(pytest.Item):
    """The chapter's coverage statement, read from the outputs of the nbval run that just ended."""

    def runtest(self) -> None:
        from chapter_statements import statement_problems

        nb = self.parent.nb
        code_cells = sum(c.cell_type == "code" for c in nb.cells)
        if getattr(self.parent, "course_failed", False) or getattr(self.parent, "course_ran", 0) != code_cells:
            pytest.skip("the chapter did not run to its end here: its cells say why")
        problems = statement_problems(nb, Path(str(self.parent.fspath)).name, warnings=False)
        assert not problems, "; ".join(problems)

    def reportinfo(self):
        return self.parent.fspath, None, f"{self.name}"


def pytest_collection_modifyitems(session, config, items):
    """After each chapter's last nbval cell, the check of its coverage statement (same file: same xdist worker)."""
    done = []
    for index, item in enumerate(items):
        done.append(item)
        following = items[index + 1] if index + 1 < len(items) else None
        if _is_notebook_cell(item) and (following is None or following.parent is not item.parent):
            done.append(CoverageStatement.from_parent(item.parent, name="coverage statement"))
    items[:] = done


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Keep each executed cell's outputs on the notebook nbval holds in memory."""
    outcome = yield
    if _is_notebook_cell(item):
        if outcome.excinfo is not None:
            item.parent.course_failed = True
        else:
            item.cell.outputs = visible_outputs(item.cell.source, item.test_outputs or [])
            item.cell.execution_count = item.cell_num + 1
            item.parent.course_ran = getattr(item.parent, "course_ran", 0) + 1


def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell, save it with its outputs, unless a cell failed."""
    if not (EXECUTED_DIR and _is_notebook_cell(item)):
        return
    if nextitem is not None and _is_notebook_cell(nextitem) and nextitem.parent is item.parent:
        return
    code_cells = sum(c.cell_type == "code" for c in item.parent.nb.cells)
    if getattr(item.parent, "course_failed", False) or getattr(item.parent, "course_ran", 0) != code_cells:
        return  # a failed or partial run (e.g. -k) is not a chapter the book may show
    import nbformat

    source = Path(str(item.parent.fspath))
    nb = item.parent.nb
    nb.metadata["course_source_sha256"] = source_digest(source)
    out = Path(EXECUTED_DIR) / source.name
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    nbformat.write(nb, str(tmp))
    os.replace(tmp, out)
