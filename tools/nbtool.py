"""Keep the chapters' notebooks uniform: no outputs, one metadata block, the Colab setup cell first, and the
exercises written once, in their checkers.

    python tools/nbtool.py normalize [NOTEBOOK ...]   rewrite notebooks in place (all of book/ by default)
    python tools/nbtool.py check [NOTEBOOK ...]       exit 1 and name each notebook (and exercise) that differs

The setup cell is rendered from the repository address in ``_config.yml`` (its one place); it is tagged
``hide-cell`` so the book folds it away, while Colab still runs it first.

The exercise section (from the ``## Exercises`` heading on) of a chapter with checkers
(``course_utils/exercises/chNN_*.py``) is written from them: the intro cell, the cell that loads the chapter's
exercises, under each coding exercise's ``:::{exercise}`` (``:label: ex-NN-k``) its check cell, and inside its
``::::{solution} ex-NN-k`` block the ```` ```python ```` fence, from the checker's ``solution_text`` (the prose
around the fence stays as written in the notebook). ``check`` fails, naming the notebook and the label, when a
block or check cell differs from its checker, when a checker has no ``{exercise}`` with its label, or when a
coding exercise (one with a code cell under it) has no checker. Each check cell is tagged ``remove-output``
(:data:`CHECK_TAG`): the rendered book shows no verdict under an exercise nobody answered, while a learner in
Colab still sees it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
METADATA = {
    "accelerator": "GPU",
    "colab": {"gpuType": "T4", "provenance": [], "toc_visible": True},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
SETUP_TAG = "colab-setup"
#: The setup cell's tags: ours, and Jupyter Book's ``hide-cell``, which folds the cell (input and output) in the
#: HTML behind a click; the notebook itself is unchanged, so Colab still runs the cell first.
SETUP_TAGS = [SETUP_TAG, "hide-cell"]
#: Characters of code the book shows on a line (book/ruff.toml; course_utils.exercises.CODE_WIDTH).
CODE_WIDTH = 76
#: Myst-nb's tag that leaves a cell's output out of the rendered page; every check cell carries it.
CHECK_TAG = "remove-output"
#: A check cell's call of its checker (``ex.check("ex-10-2")``).
CHECK_CALL = re.compile(r"^ex\.check\(\"ex-\d{2}-\d+\"\)$", re.MULTILINE)
EXERCISES_HEADING = re.compile(r"^## Exercises[ \t]*$", re.MULTILINE)
INTRO_START = "Each coding exercise has a checker"
OPENING = re.compile(r"^(:{3,})\{(exercise|solution)\}[ \t]*(.*?)[ \t]*$")


def requirement(name: str) -> str:
    """The pinned ``name==version`` line of requirements.txt (the Colab setup cell installs the same pin)."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.strip()
    raise KeyError(f"requirements.txt pins no {name}")


KERAS_TUNER = requirement("keras-tuner")


def repository() -> tuple[str, str]:
    """The repository address and branch from _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"], config["repository"].get("branch", "main")


def toc_files(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every file a table of contents lists (``book/intro``, ``book/01_setting_up`` …), in reading order."""
    data = yaml.safe_load(Path(toc).read_text())
    return [data["root"]] + [c["file"] for part in data.get("parts", []) for c in part["chapters"]]


def setup_source() -> str:
    """The first code cell of every chapter: installs in Colab only, does nothing elsewhere.

    The requirements sit in variables so that every line fits the book's code width; IPython expands
    ``{name}`` in a magic's line before ``%pip`` passes it to the shell."""
    url, branch = repository()
    source = (
        "# Colab only: install the course package and keras-tuner (Colab\n"
        "# already has TensorFlow). Elsewhere this cell does nothing: install\n"
        "# locally with `pip install -r requirements.txt -e .`.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    repo = "{url}"\n'
        f'    course = f"course-utils @ git+{{repo}}@{branch}"\n'
        f'    tuner = "{KERAS_TUNER}"\n'
        '    %pip install -q "{course}" "{tuner}"'
    )
    too_long = [line for line in source.splitlines() if len(line) > CODE_WIDTH]
    if too_long:
        raise ValueError(
            f"the setup cell's line {too_long[0]!r} is longer than {CODE_WIDTH} characters "
            f"(repository url in _config.yml)"
        )
    return source


# --- exercises ------------------------------------------------------------------------------------------------


def _exercise_package():
    """``course_utils.exercises``, imported when a notebook's exercises are synced (TensorFlow's logs kept quiet)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import course_utils.exercises as package

    return package


def chapter_exercises(number: str) -> dict:
    """The checkers of chapter ``number`` (label → Exercise), or {} when it has no module."""
    package = _exercise_package()
    if number not in package.chapter_modules():
        return {}
    return package.chapter_module(number).EXERCISES


def intro_source(label: str) -> str:
    """The markdown cell that opens the exercises, with one of the chapter's labels as the example."""
    return (
        f"{INTRO_START}: write your answer in the code cell under it and run the cell. The label in\n"
        f'that cell names the exercise: `ex.hint("{label}")` gives a hint, `ex.solution("{label}")` a solution,\n'
        "and `ex.progress()` shows which of the chapter's exercises you have done."
    )


def directives(text: str) -> list[tuple[str, str, int, int]]:
    """The exercise and solution directives of a markdown text: (kind, label, first line, closing line)."""
    lines = text.split("\n")
    found = []
    for i, line in enumerate(lines):
        match = OPENING.match(line)
        if not match:
            continue
        fence, kind, argument = match.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == fence), len(lines) - 1)
        label = argument
        if kind == "exercise":
            options = [lines[j] for j in range(i + 1, end) if lines[j].startswith(":")]
            label = next((o.split(":", 2)[2].strip() for o in options if o.startswith(":label:")), "")
        found.append((kind, label, i, end))
    return found


def with_solution(text: str, label: str, code: str) -> str:
    """``text`` with the ```` ```python ```` fence of the ``{solution} label`` block holding ``code``; a block
    without a fence gets one after its options. The rest of the block is kept."""
    lines = text.split("\n")
    for kind, found, start, end in directives(text):
        if kind != "solution" or found != label:
            continue
        body = lines[start + 1 : end]
        options = 0
        while options < len(body) and body[options].startswith(":"):
            options += 1
        fence = next((i for i in range(options, len(body)) if body[i].strip() == "```python"), None)
        close = None
        if fence is not None:
            close = next((i for i in range(fence + 1, len(body)) if body[i].strip() == "```"), None)
        if fence is not None and close is not None:
            body[fence + 1 : close] = code.split("\n")
        else:
            rest = body[options:]
            while rest and not rest[0].strip():
                rest.pop(0)
            body[options:] = ["", "```python", *code.split("\n"), "```"] + (["", *rest] if rest else [])
        return "\n".join(lines[: start + 1] + body + lines[end:])
    raise KeyError(label)


def solution_code(cells: list[dict]) -> dict[str, str]:
    """The code of every ``{solution}`` block with a ```` ```python ```` fence, by label, in book order (the
    fences of one block joined); prose-only solutions are left out."""
    found: dict[str, str] = {}
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        lines = text.split("\n")
        for kind, label, start, end in directives(text):
            if kind != "solution":
                continue
            body = "\n".join(lines[start + 1 : end])
            fences = re.findall(r"^```python\n(.*?)^```", body, re.S | re.M)
            if fences:
                found[label] = "\n".join(f.rstrip("\n") for f in fences)
    return found


def _markdown(source: str) -> dict:
    return {"cell_type": "markdown", "id": f"cell-{uuid.uuid4().hex[:8]}", "metadata": {}, "source": source}


def _code(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"cell-{uuid.uuid4().hex[:8]}",
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def section_start(cells: list[dict]) -> int | None:
    """The index of the markdown cell with the ``## Exercises`` heading (None without one)."""
    return next(
        (i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and EXERCISES_HEADING.search(c["source"])),
        None,
    )


def _layout(cells: list[dict], start: int) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Where each exercise is (label → markdown cell) and each check cell (label → code cell) in the section
    after the loader cell, and the problems of code cells that belong to no exercise."""
    exercises: dict[str, int] = {}
    checks: dict[str, int] = {}
    problems: list[str] = []
    current = None
    code_seen = 0
    for i in range(start, len(cells)):
        cell = cells[i]
        if cell["cell_type"] == "markdown":
            for kind, label, _, _ in directives(cell["source"]):
                if kind == "exercise":
                    exercises.setdefault(label, i)
                    current = label
            continue
        if cell["cell_type"] != "code":
            continue
        code_seen += 1
        if code_seen == 1:
            continue  # the loader
        if current is None:
            problems.append(f"code cell {cell['id']} comes before any exercise")
        elif current in checks:
            problems.append(f"{current}: more than one code cell under the exercise (cell {cell['id']})")
        else:
            checks[current] = i
    return exercises, checks, problems


def _insert_check_cell(cells: list[dict], index: int, label: str, source: str) -> None:
    """Put a check cell right after the ``{exercise}`` of ``label`` in cell ``index``, splitting the cell there."""
    text = cells[index]["source"]
    end = next(e for kind, found, _, e in directives(text) if kind == "exercise" and found == label)
    lines = text.split("\n")
    head, tail = "\n".join(lines[: end + 1]), "\n".join(lines[end + 1 :]).strip("\n")
    cells[index]["source"] = head
    cells[index + 1 : index + 1] = [_code(source)] + ([_markdown(tail)] if tail.strip() else [])


def sync_exercises(name: str, cells: list[dict]) -> tuple[list[str], list[str]]:
    """Write the exercise section of notebook ``name`` (``10_evaluating_honestly.ipynb``) from its chapter's
    checkers, in place. Returns (what had to change, problems that need an author), each naming the label."""
    number = name[:2]
    if not number.isdigit():
        return [], []
    package = _exercise_package()
    exercises = chapter_exercises(number)
    start = section_start(cells)
    if start is None:
        return [], ([f"has checkers ({', '.join(exercises)}) but no '## Exercises' heading"] if exercises else [])
    code = [i for i in range(start, len(cells)) if cells[i]["cell_type"] == "code"]
    if not exercises:
        return [], (
            [f"has code cells in its exercises but course_utils/exercises has no ch{number}_*.py"] if code else []
        )
    if not code or "chapter(" not in cells[code[0]]["source"]:
        return [], [
            f"its exercise section needs a first code cell that loads them: {package.loader_source(number)!r}"
        ]
    changes: list[str] = []

    def put(index: int, source: str, what: str) -> None:
        if cells[index]["source"] != source:
            cells[index]["source"] = source
            changes.append(what)

    put(code[0], package.loader_source(number), "the cell that loads the exercises")
    intro = intro_source(next(iter(exercises)))
    before = cells[code[0] - 1]
    if code[0] - 1 > start and before["cell_type"] == "markdown" and before["source"].startswith(INTRO_START):
        put(code[0] - 1, intro, "the intro of the exercises")
    else:
        cells.insert(code[0], _markdown(intro))
        changes.append("the intro of the exercises (missing)")

    found, checks, problems = _layout(cells, start)
    for label, exercise in exercises.items():
        if label in found and label not in checks:
            _insert_check_cell(cells, found[label], label, package.check_cell_source(label, exercise))
            changes.append(f"{label}: check cell (missing)")
            found, checks, problems = _layout(cells, start)
    for label, index in checks.items():
        if label not in exercises:
            problems.append(
                f"{label}: a code cell sits under the exercise but ch{number}'s checkers have no {label!r}"
                f" (add an Exercise to course_utils/exercises, or move the cell above '## Exercises')"
            )
            continue
        put(index, package.check_cell_source(label, exercises[label]), f"{label}: check cell")
    for label, exercise in exercises.items():
        if label not in found:
            problems.append(
                f"{label}: the checker has no ':::{{exercise}}' with ':label: {label}' in the notebook"
            )
            continue
        blocks = [
            i
            for i in range(start, len(cells))
            if cells[i]["cell_type"] == "markdown"
            and any(k == "solution" and lab == label for k, lab, _, _ in directives(cells[i]["source"]))
        ]
        if not blocks:
            problems.append(
                f"{label}: no '::::{{solution}} {label}' block (write one with ':class: dropdown'; "
                f"nbtool fills in its code)"
            )
            continue
        put(
            blocks[0],
            with_solution(cells[blocks[0]]["source"], label, exercise.solution_text),
            f"{label}: solution block",
        )
    return changes, problems


# --- notebooks ------------------------------------------------------------------------------------------------


def normalized(nb: dict, name: str = "") -> tuple[dict, list[str], list[str]]:
    """The notebook without outputs, with uniform metadata, the current setup cell first and (for a chapter
    named ``NN_*.ipynb``) its exercises written from their checkers; with the changes and problems of those."""
    cells = []
    for cell in nb["cells"]:
        cell = dict(cell)
        source = cell["source"]
        cell["source"] = "".join(source) if isinstance(source, list) else source
        cell.setdefault("metadata", {})
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            for key in ("collapsed", "scrolled", "execution", "colab", "outputId"):
                cell["metadata"].pop(key, None)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        cells.append(cell)
    code = [c for c in cells if c["cell_type"] == "code"]
    if code:
        first = code[0]
        if SETUP_TAG in first["metadata"].get("tags", []) or "google.colab" in first["source"]:
            first["source"] = setup_source()
            first["metadata"]["tags"] = list(SETUP_TAGS)
    changes, problems = sync_exercises(name, cells)
    for cell in cells:
        if cell["cell_type"] == "code" and CHECK_CALL.search(cell["source"]):
            tags = cell["metadata"].get("tags", [])
            if CHECK_TAG not in tags:
                cell["metadata"]["tags"] = [*tags, CHECK_TAG]
    seen: set[str] = set()
    for cell in cells:  # ids are kept across edits; only a missing or repeated one gets a new, random id
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"cell-{uuid.uuid4().hex[:8]}"
        seen.add(cell["id"])
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}, changes, problems


def dumps(nb: dict) -> str:
    """The canonical text of a notebook (stable key order, one-space indent, trailing newline)."""
    out = dict(nb)
    out["cells"] = [dict(c, source=c["source"].splitlines(keepends=True)) for c in nb["cells"]]
    return json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def notebooks(args: list[str]) -> list[Path]:
    """The notebooks named, or all chapters in book/."""
    return [Path(a) for a in args] or sorted((ROOT / "book").glob("*.ipynb"))


def main(argv: list[str]) -> int:
    """Run ``normalize`` or ``check``; print one line per problem, naming the notebook (and the exercise)."""
    if not argv or argv[0] not in ("normalize", "check"):
        print(__doc__)
        return 2
    failed = False
    for path in notebooks(argv[1:]):
        text = path.read_text()
        nb, changes, problems = normalized(json.loads(text), path.name)
        canonical = dumps(nb)
        for problem in problems:
            print(f"{path}: {problem}")
        failed |= bool(problems)
        if argv[0] == "normalize":
            if canonical != text:
                path.write_text(canonical)
        elif text != canonical:
            failed = True
            for change in changes:
                print(
                    f"{path}: {change} differs from what its checkers in course_utils/exercises say; "
                    f"run: python tools/nbtool.py normalize {path}"
                )
            if not changes:
                print(
                    f"{path}: not normalized (outputs, metadata or setup cell); "
                    f"run: python tools/nbtool.py normalize {path}"
                )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
