"""Structure of every chapter: normalized (no outputs, uniform metadata), setup cell first, banner, exercises."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def test_every_notebook_is_in_the_toc_and_numbered():
    listed = set(nbtool.toc_files())
    for nb in NOTEBOOKS:
        assert f"book/{nb.stem}" in listed, f"{nb.name} is not in _toc.yml"
        assert nb.stem[:2].isdigit() and nb.stem[2] == "_", f"{nb.name} is not numbered like 05_name"


def test_notebooks_are_normalized():
    res = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "nbtool.py"), "check"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout


def test_nbtool_check_catches_an_output(tmp_path):
    nb = json.loads(NOTEBOOKS[0].read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(nb))
    assert nbtool.main(["check", str(bad)]) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_structure(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    assert "you will learn" in "".join(cells[0]["source"]).lower(), "first cell says what the reader will learn"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == nbtool.setup_source(), "first code cell is the Colab setup cell"
    assert "banner(" in "".join(code[1]["source"]), "second code cell prints the banner"
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "## Summary" in text and "## Exercises" in text
    assert text.index("## Summary") < text.index("## Exercises")
    assert ":::{exercise}" in text and "{solution}" in text
    assert nb["metadata"] == nbtool.METADATA


def test_no_chapter_or_module_captures_output_in_a_widget():
    # nbclient (the book's runner) answers an Output widget's captured output on the shell channel and then
    # can miss the cell's reply until the time limit: the book build stalled (benchmarks/runner_stalls.py)
    banned = ("interactive_output", "interact(", "widgets.Output", "@interact", "interact_manual")
    sources = {
        p.name: "".join("".join(c["source"]) for c in json.loads(p.read_text())["cells"]) for p in NOTEBOOKS
    }
    sources.update({p.name: p.read_text() for p in (ROOT / "src" / "course_utils").rglob("*.py")})
    found = {name: [b for b in banned if b in text] for name, text in sources.items()}
    assert not {name: hits for name, hits in found.items() if hits}


# --- package code shown in the book fits the page ------------------------------------------------------------

SHOWN = re.compile(r"(?:show_source|show\.source|(?<![\w.])source)\(([\w.]+)\)")
PAGE_WIDTH = 76  # characters of code a rendered page shows at 1280 px (book/ruff.toml)


def shown_names(notebooks) -> set[str]:
    """Names of the package functions and classes the chapters display with ``show.source``."""
    names = set()
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                names.update(m.group(1).split(".")[-2:][-1] for m in SHOWN.finditer("".join(cell["source"])))
    return names


def wide_lines_of(names: set[str], package: Path) -> dict[str, list[str]]:
    """Lines wider than the page in the source of each named top-level function or class of the package."""
    wide: dict[str, list[str]] = {}
    found: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        methods = [n for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body]
        for node in tree.body + methods:  # functions, classes, and methods shown as ``Class.method``
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                found.add(node.name)
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                long = [line for line in lines[start - 1 : node.end_lineno] if len(line) > PAGE_WIDTH]
                if long:
                    wide[f"{path.relative_to(package)}:{node.name}"] = long
    assert found == names, f"shown but not found in the package: {sorted(names - found)}"
    return wide


def test_package_code_shown_in_the_book_fits_the_page():
    names = shown_names(sorted((ROOT / "book").glob("*.ipynb")))
    assert len(names) > 30, names  # the chapters show the package's code (show.source)
    wide = wide_lines_of(names, ROOT / "src" / "course_utils")
    report = "\n".join(
        f"{name}: {len(lines)} line(s), e.g. {lines[0].strip()[:60]!r}" for name, lines in wide.items()
    )
    assert not wide, f"package code shown in the book is wider than {PAGE_WIDTH} characters:\n{report}"


FENCE = re.compile(r"```(?:python|ipython3|bash)?\n(.*?)```", re.S)
BOX = re.compile(r"^(:{3,})\{(?:exercise|solution)\}.*?^\1$", re.S | re.M)


def wide_fence_lines(text: str, page: int, box: int) -> list[str]:
    """Lines of the code fences of a markdown text wider than the page (or, inside an exercise's or a
    solution's box, than the box)."""
    boxes = [m.span() for m in BOX.finditer(text)]
    wide = []
    for fence in FENCE.finditer(text):
        width = box if any(a <= fence.start() < b for a, b in boxes) else page
        wide += [line for line in fence.group(1).splitlines() if len(line) > width]
    return wide


def test_wide_fence_finder():
    boxed = ":::{exercise} T\n:label: ex-01-1\n\n```python\n" + "x" * 70 + "\n```\n:::\n"
    assert wide_fence_lines(boxed, 76, 68) == ["x" * 70]
    assert wide_fence_lines("```python\n" + "x" * 70 + "\n```\n", 76, 68) == []


def test_code_in_the_text_fits_the_page_and_its_boxes():
    from course_utils.exercises import BOX_WIDTH, CODE_WIDTH

    wide = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                lines = wide_fence_lines("".join(cell["source"]), CODE_WIDTH, BOX_WIDTH)
                wide += [f"{path.name} {cell['id']}: {len(line)}: {line}" for line in lines]
    assert not wide, "code wider than the page or its box:\n" + "\n".join(wide)
