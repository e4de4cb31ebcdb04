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


#: Pages other than chapters whose wording the same tests check: their key and the text they show.
PAGES = {
    "guide": ("book/instructor_guide.md", "book/_generated/chapter_times.md"),
}


def markdown_text(number: str) -> str:
    """Chapter ``number``'s markdown (or a page of :data:`PAGES` with what it includes), with every run of
    whitespace made one space (so a phrase may span lines)."""
    if number in PAGES:
        return re.sub(r"\s+", " ", " ".join((ROOT / f).read_text() for f in PAGES[number]))
    (path,) = (ROOT / "book").glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text)


#: Claims a reviewer found wrong (issue 18): chapter, a phrase that must not come back, and why it is wrong.
RETRACTED = [
    ("01", "can learn something real", "the sample's numbers measure its generator, not people"),
    ("01", "fewer epochs on fewer images", "on the real data `quick` uses every image"),
    ("05", "reports a training accuracy of 0.93", "the study's report gives no training accuracy"),
    ("05", "training accuracy reached 0.93", "the study's report gives no training accuracy"),
    ("06", "adds two remedies against overfitting", "the report names only dropout (0.2)"),
    ("07", "the study's settings (15 epochs", "the report gives no epochs for LeNet-5"),
    ("11", "halves the noise", "averaging two runs halves the variance; the standard deviation falls by √2"),
    ("13", "plane of Reisenzein's mood model", "the coordinates are the course's own placement"),
    ("16", "the tests and this book's build use", "the Pages build runs `quick`"),
    ("17", "can therefore gain Calm", "a lone neutral ≥ 0.40 already made the artwork Calm at 0.40"),
    ("18", "`smoke` profile (the book's build)", "the Pages build runs `quick`"),
    ("18", "the usual remedy is the *linear scaling rule*", "it was derived for SGD; for Adam it is a guess"),
    ("guide", "fewer epochs on fewer images", "on the real data `quick` uses every image"),
    ("guide", "no GPU available to this project", "an internal note, not for readers"),
    ("guide", "`01_setting_up`", "the timing table names chapters by title, not by file"),
]

#: What the corrections say instead: chapter and a phrase that must stay.
CORRECTED = [
    ("01", "That pattern is the generator's"),
    ("07", "radial basis function (RBF)"),
    ("11", "falls by a factor √2"),
    ("13", "course's own placement"),
    ("13", "same hidden point"),
    ("15", "same hidden point"),
    ("17", "no class at 0.40 cannot gain one"),
    ("18", "square-root scaling"),
    ("guide", "on the real data it uses every image"),
]


@pytest.mark.parametrize(("number", "phrase", "why"), RETRACTED, ids=[f"{n}-{p[:20]}" for n, p, _ in RETRACTED])
def test_a_retracted_claim_does_not_come_back(number, phrase, why):
    assert phrase not in markdown_text(number), f"chapter {number} says {phrase!r} again, but {why}"


@pytest.mark.parametrize(("number", "phrase"), CORRECTED, ids=[f"{n}-{p[:20]}" for n, p in CORRECTED])
def test_a_correction_stays(number, phrase):
    assert phrase in markdown_text(number), f"chapter {number} no longer says {phrase!r}"


def test_the_instructor_guide_plans_every_page_of_the_book():
    """The schedule and the hardware table name the data statement and every chapter (by number and title)."""
    guide = (ROOT / "book" / "instructor_guide.md").read_text()
    schedule = guide.split("## Schedule", 1)[1].split("\n## ", 1)[0]
    hardware = guide.split("## Hardware per chapter", 1)[1].split("\n## ", 1)[0]
    for table, name in ((schedule, "schedule"), (hardware, "hardware table")):
        assert "Data statement" in table, f"the {name} leaves out the data statement"
        for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
            number = path.name[:2]
            named = re.search(rf"(?<![\d–]){number}(?![\d])|\d\d–\d\d", table)
            spans = [range(int(a), int(b) + 1) for a, b in re.findall(r"(\d\d)–(\d\d)", table)]
            assert named and (
                re.search(rf"(?<![\d–]){number} [A-Z]", table) or any(int(number) in s for s in spans)
            ), f"the {name} leaves out chapter {number}"


def test_the_timing_table_names_chapters_by_title():
    table = (ROOT / "book" / "_generated" / "chapter_times.md").read_text()
    rows = [
        line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ") and "---" not in line
    ]
    names = [r for r in rows if r not in ("chapter", "**all chapters**")]
    assert names and all(re.fullmatch(r"\d+\. \S.*", n) for n in names), names


def test_the_glossary_and_outcomes_name_the_tuner_chapter_11_runs():
    import keras_tuner as kt

    from course_utils.training import tuning

    assert issubclass(tuning.RecordingBayesianOracle, kt.oracles.BayesianOptimizationOracle)
    source = (ROOT / "src" / "course_utils" / "training" / "tuning.py").read_text()
    assert "Hyperband" not in re.sub(r'""".*?"""|#.*', "", source, flags=re.S)
    glossary = re.sub(r"\s+", " ", (ROOT / "book" / "glossary.md").read_text())
    hyperband = re.search(r" hyperband (.*?) logits ", glossary).group(1)
    assert "the course runs it" not in hyperband and "runs {term}`Bayesian optimisation` instead" in hyperband
    assert "Bayesian optimisation A tuning strategy" in glossary and "Chapter 11 runs it" in glossary
    guide = (ROOT / "book" / "instructor_guide.md").read_text()
    outcome = next(line for line in guide.splitlines() if line.startswith("5. tune hyperparameters"))
    assert "{term}`Bayesian optimisation`" in outcome and "hyperband" not in outcome.lower()


def test_the_book_build_profile_is_the_one_the_chapters_name():
    import yaml

    from course_utils.config.settings import get_settings

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    envs = [workflow.get("env", {})] + [job.get("env", {}) for job in workflow["jobs"].values()]
    envs += [step.get("env", {}) for job in workflow["jobs"].values() for step in job["steps"]]
    profiles = {env["COURSE_PROFILE"] for env in envs if "COURSE_PROFILE" in env}
    if not profiles:  # not set: the default on the CPU runner
        import os
        from unittest import mock

        from course_utils.config import settings

        env = {k: v for k, v in os.environ.items() if k != "COURSE_PROFILE"}
        with mock.patch.dict(os.environ, env, clear=True), mock.patch.object(settings, "has_gpu", lambda: False):
            profiles = {get_settings().profile}
    assert profiles == {"quick"}, profiles
    for number in ("16", "18"):
        assert "`quick` (the book's build)" in markdown_text(number) or "build runs the `quick` profile" in (
            markdown_text(number)
        ), f"chapter {number} does not name the build's profile, `quick`"


#: Chapters that report a result (a score, a comparison, an agreement, a speed-up): their prose quotes it.
RESULT_CHAPTERS = [nb for nb in NOTEBOOKS if 5 <= int(nb.stem[:2]) <= 18]
GLUE_ROLE = re.compile(r"\{glue(?::(?:text|md|any))?\}`([^`:]+)")


def glued_in_code(cells: list[dict]) -> set[str]:
    """The keys a chapter's code cells glue with ``show.glue(key=...)``."""
    keys = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(
            line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "glue":
                keys |= {kw.arg for kw in node.keywords if kw.arg}
    return keys


def quoted_in_prose(cells: list[dict]) -> list[str]:
    """The glue keys a chapter's Markdown cells quote (``{glue:text}`key:.3f```, ``{glue:md}`key```)."""
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return GLUE_ROLE.findall(text)


@pytest.mark.parametrize("path", RESULT_CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_that_reports_a_result_quotes_its_numbers_in_the_prose(path):
    cells = json.loads(path.read_text())["cells"]
    quoted, glued = quoted_in_prose(cells), glued_in_code(cells)
    assert quoted, f"{path.name}: no number of the chapter's results is glued into its prose (show.glue)"
    assert not set(quoted) - glued, f"{path.name}: the prose quotes keys no cell glues: {set(quoted) - glued}"
    assert not glued - set(quoted), f"{path.name}: glued but never quoted: {glued - set(quoted)}"


def test_the_glue_check_reads_roles_and_calls():
    cells = [
        {"cell_type": "code", "source": ["%%time\n", "show.glue(gain=g, ci=f'{lo}')\n", "glue(n=3)"]},
        {"cell_type": "markdown", "source": ["A gain of {glue:text}`gain:+.3f` {glue:md}`ci` over {glue}`n`."]},
    ]
    assert glued_in_code(cells) == {"gain", "ci", "n"}
    assert quoted_in_prose(cells) == ["gain", "ci", "n"]
