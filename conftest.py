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

Every solution runs where it stands: after a chapter's last cell, nbval runs the code of each of its exercises'
``{solution}`` blocks, in book order, in the same kernel (the chapter's context, as a learner who pastes the
solution under the exercise has it), as items named ``Solution ex-NN-k``; a checked exercise's solution must then
pass its checker. A solution that calls what the chapter never defined or imported fails the suite, without
executing any chapter a second time.
"""

import hashlib
import os
import sys
from collections import defaultdict
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


def solution_source(number: str, label: str, code: str, checked: bool) -> str:
    """The cell that runs an exercise's solution in its chapter's kernel; for a checked exercise, the
    chapter's checker must then accept what the solution defined."""
    if not checked:
        return code
    return (
        f"{code}\n\n"
        "from course_utils.exercises import chapter as _chapter\n\n"
        f'_ok, _why = _chapter("{number}")["{label}"].evaluate()\n'
        f'assert _ok, f"{label}: the solution fails its own checker: {{_why}}"'
    )


def solution_items(last):
    """nbval items for the solutions of the chapter whose last cell is the item ``last``."""
    import nbformat

    sys.path.insert(0, str(ROOT / "tools"))
    import nbtool  # tools/ is not a package

    path = Path(str(last.parent.fspath))
    number = path.name[:2]
    code_cells = [c.source for c in last.parent.nb.cells if c.cell_type == "code"]
    items = []
    for i, (label, code) in enumerate(nbtool.solution_code(last.parent.nb.cells).items()):
        checked = any(f'ex.check("{label}")' in source for source in code_cells)
        item = type(last).from_parent(
            last.parent,
            name=f"Solution {label}",
            cell_num=last.cell_num + 1 + i,
            cell=nbformat.v4.new_code_cell(solution_source(number, label, code, checked)),
            options=defaultdict(bool, check=False),
        )
        item.course_solution = True
        items.append(item)
    return items


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects: every chapter item is ``slow`` (tools/test.sh)
def pytest_collection_modifyitems(session, config, items):
    """After each chapter's last cell that nbval collected, the chapter's solutions (see the docstring) and then
    the check of its coverage statement (same file: same xdist worker); a chapter is named like ``05_name.ipynb``.
    Every item of a chapter is marked ``slow``: it executes in a kernel."""
    result = []
    for index, item in enumerate(items):
        if _is_notebook_cell(item):
            item.add_marker(pytest.mark.slow)
        result.append(item)
        following = items[index + 1] if index + 1 < len(items) else None
        if not _is_notebook_cell(item) or (following is not None and following.parent is item.parent):
            continue
        name = Path(str(item.parent.fspath)).name
        added = solution_items(item) if name[:2].isdigit() and name[2:3] == "_" else []
        added.append(CoverageStatement.from_parent(item.parent, name="coverage statement"))
        for extra in added:
            extra.add_marker(pytest.mark.slow)
        result += added
    items[:] = result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Keep each executed cell's outputs on the notebook nbval holds in memory."""
    outcome = yield
    if _is_notebook_cell(item) and not getattr(item, "course_solution", False):
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
