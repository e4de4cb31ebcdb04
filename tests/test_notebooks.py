"""Structure of every chapter: normalized (no outputs, uniform metadata), setup cell first, banner, exercises."""

import json
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
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "nbtool.py"), "check"], capture_output=True, text=True)
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
    sources = {p.name: "".join("".join(c["source"]) for c in json.loads(p.read_text())["cells"]) for p in NOTEBOOKS}
    sources.update({p.name: p.read_text() for p in (ROOT / "src" / "course_utils").rglob("*.py")})
    found = {name: [b for b in banned if b in text] for name, text in sources.items()}
    assert not {name: hits for name, hits in found.items() if hits}
