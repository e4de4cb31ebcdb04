"""Every exercise's solution runs where it stands, and every written exercise has a rubric.

conftest.py appends, after each chapter's last cell under nbval, one item per solution with code (named
``Solution ex-NN-k``), run in the chapter's own kernel; a checked exercise's solution must also pass its checker.
These tests check that the items are there for every solution of the book (collection only, fast), and, on a
small chapter of their own, that a solution runs after the chapter's cells and that one calling a name the
chapter never defined fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402  (tools/ is not a package)

from conftest import solution_source  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
RUBRIC = re.compile(r"^\*\*Rubric\*\* \((\d+) points\):$", re.M)
POINT = re.compile(r"^- (\d+) points?: ", re.M)


def blocks(path: Path) -> dict[str, dict[str, str]]:
    """Each exercise's statement and solution block (their text, with the directive lines), by label."""
    found: dict[str, dict[str, str]] = {}
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        lines = text.split("\n")
        for kind, label, start, end in nbtool.directives(text):
            found.setdefault(label, {})[kind] = "\n".join(lines[start : end + 1])
    return found


def checked_labels(path: Path) -> set[str]:
    """The labels of the exercises a notebook checks (``ex.check("ex-NN-k")``)."""
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return set(re.findall(r'ex\.check\("(ex-\d{2}-\d+)"\)', code))


def test_solution_code_joins_a_blocks_fences_and_skips_prose_only_ones():
    text = (
        "::::{solution} ex-99-1\n:class: dropdown\n\n```python\na = 1\n```\n\nThen:\n\n```python\nb = a + 1\n```\n"
        "::::\n\n::::{solution} ex-99-2\n:class: dropdown\n\nOnly words.\n::::\n\n"
        "::::{solution} ex-99-3\n\n```bash\nls\n```\n::::"
    )
    assert nbtool.solution_code([{"cell_type": "markdown", "source": text}]) == {"ex-99-1": "a = 1\nb = a + 1"}


def test_a_checked_solution_must_pass_its_checker_and_a_written_one_only_run():
    assert solution_source("05", "ex-05-4", "x = 1", checked=False) == "x = 1"
    cell = solution_source("03", "ex-03-1", "present = []", checked=True)
    assert cell.startswith("present = []\n")
    assert '_chapter("03")["ex-03-1"].evaluate()' in cell and "assert _ok" in cell


def test_every_solution_with_code_is_collected_after_its_chapter():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *map(str, CHAPTERS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    expected = []
    for path in CHAPTERS:
        cells = json.loads(path.read_text())["cells"]
        expected += [f"book/{path.name}::Solution {label}" for label in nbtool.solution_code(cells)]
    got = [i for i in ids if "::Solution " in i]
    assert got == expected
    assert len(got) >= 47  # 37 checked exercises and 10 written ones with code, when this test was written
    for path in CHAPTERS:  # each chapter's solutions come right after its last cell
        own = [i for i in ids if i.startswith(f"book/{path.name}::")]
        first = (
            next(k for k, i in enumerate(own) if "::Solution " in i)
            if any("::Solution " in i for i in own)
            else len(own)
        )
        last = own.index(f"book/{path.name}::coverage statement")  # after the solutions: conftest.py
        assert last == len(own) - 1, path.name
        assert all("::Cell " in i for i in own[:first]) and all("::Solution " in i for i in own[first:last]), (
            path.name
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_has_a_solution_and_every_written_one_a_rubric(path):
    checked = checked_labels(path)
    for label, parts in blocks(path).items():
        assert "exercise" in parts and "solution" in parts, f"{label}: an exercise needs both blocks"
        if label in checked:
            continue
        rubric = RUBRIC.search(parts["solution"])
        assert rubric, f"{label}: a written exercise's solution ends with a **Rubric** (N points):"
        points = [int(p) for p in POINT.findall(parts["solution"][rubric.end() :])]
        assert points and sum(points) == int(rubric.group(1)), f"{label}: the rubric's points add up to {points}"


def _toy_chapter(folder: Path) -> Path:
    """A two-cell chapter with two solutions: one that uses the chapter's variable, one calling a missing name."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    solutions = (
        "::::{solution} ex-99-1\n:class: dropdown\n\n```python\nanswer = base * 2\nassert answer == 42\n```\n::::\n\n"
        "::::{solution} ex-99-2\n:class: dropdown\n\n```python\nfit_transfer(split, settings)\n```\n::::"
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A chapter"),
        nbformat.v4.new_code_cell("base = 21"),
        nbformat.v4.new_markdown_cell("## Exercises\n\n" + solutions),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "99_toy.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_solution_runs_after_its_chapters_cells_and_one_calling_a_missing_name_fails():
    folder = ROOT / "_build" / "solution-selftest"
    path = _toy_chapter(folder)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", "-rA", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "PASSED _build/solution-selftest/99_toy.ipynb::Solution ex-99-1" in out
    assert "FAILED _build/solution-selftest/99_toy.ipynb::Solution ex-99-2" in out
    assert "NameError" in out and "fit_transfer" in out
