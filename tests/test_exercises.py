"""Checked exercises: the framework, and every chapter's checkers (discovered, so new chapters are covered).

For each exercise: it is keyed by its book label, its own solution passes and fits the book's code width, common
mistakes (``WRONG_ANSWERS``) get their specific feedback, wrong types and a missing variable are reported without
raising; and every notebook's exercises are the ones its checkers write (``tools/nbtool.py check``).
"""

import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import (
    BOX_WIDTH,
    CODE_WIDTH,
    LABEL,
    Chapter,
    Exercise,
    UnknownExercise,
    Wrong,
    chapter,
    chapter_module,
    chapter_modules,
    expect_number,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402  (tools/ is not a package)

CASES = [(number, key) for number in chapter_modules() for key in chapter_module(number).EXERCISES]
NOT_ANSWERS = ["not an answer", None, [], [object()], {}, object(), Ellipsis]


def case_id(case) -> str:
    """``ex-01-1``"""
    return case[1]


@pytest.fixture
def fresh_main(monkeypatch):
    """An empty ``__main__`` module, as in a notebook where nothing has been defined yet."""
    main = ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    return main


def run_solution(number: str, exercise: Exercise) -> dict:
    """Execute the exercise's solution (after the module's ``SOLUTION_SETUP``, if any) in a fresh namespace."""
    module = chapter_module(number)
    namespace = {"__name__": "__solution__"}
    exec(getattr(module, "SOLUTION_SETUP", ""), namespace)
    exec(exercise.solution_text, namespace)
    return namespace


# --- the framework -------------------------------------------------------------------------------------------


def _positive(answer):
    if expect_number(answer, "a positive number") <= 0:
        raise Wrong("It must be positive.")


TOY = Exercise("toy_answer", "a positive number", _positive, "Think big.", "toy_answer = 1")


def test_right_answer_passed_as_argument(capsys):
    assert TOY.check(3) is True
    assert "✓ `toy_answer`: Correct!" in capsys.readouterr().out
    assert TOY.results[-1] is True


def test_wrong_answer_gets_the_checkers_feedback(capsys):
    assert TOY.check(-1) is False
    assert "✗ `toy_answer`: It must be positive." in capsys.readouterr().out


def test_reads_the_variable_from_main_when_no_argument(fresh_main, capsys):
    fresh_main.toy_answer = 5
    assert TOY.check() is True
    fresh_main.toy_answer = -5
    assert TOY.check() is False
    assert "positive" in capsys.readouterr().out


def test_missing_variable_is_reported(fresh_main, capsys):
    assert TOY.check() is False
    assert "Define a variable named `toy_answer`" in capsys.readouterr().out


def test_placeholder_ellipsis_is_reported(capsys):
    assert TOY.check(...) is False
    assert "Replace the `...`" in capsys.readouterr().out


def test_unexpected_errors_in_a_checker_become_feedback(capsys):
    def fragile(answer):
        return answer["key"] + 1

    ex = Exercise("x", "a dictionary with a number under 'key'", fragile, "", "x = {'key': 1}")
    assert ex.check([1, 2]) is False
    out = capsys.readouterr().out
    assert "Expected a dictionary with a number under 'key', but got list (TypeError" in out


@pytest.mark.parametrize("answer", [3, 3.5, np.float32(2.0), np.int64(7), np.array(4.0)])
def test_expect_number_accepts_numbers(answer):
    assert expect_number(answer, "n") == float(answer)


@pytest.mark.parametrize(
    "answer, needle",
    [("7", "leave out the quotes"), (True, "got bool"), (None, "got NoneType"), ([7], "got list")],
)
def test_expect_number_rejects_non_numbers(answer, needle):
    with pytest.raises(Wrong, match=needle):
        expect_number(answer, "the number of classes")


def test_hint_and_solution_print(capsys):
    TOY.hint()
    TOY.solution()
    out = capsys.readouterr().out
    assert "Hint for `toy_answer`: Think big." in out and "Solution for `toy_answer`:\ntoy_answer = 1" in out


def test_chapter_accepts_numbers_in_any_form_and_names_known_chapters():
    first = next(iter(chapter_modules()))
    assert chapter(int(first)).labels == chapter(first).labels
    with pytest.raises(ValueError, match=f"chapters with exercises: .*{first}"):
        chapter("99")


def test_chapter_checks_hints_and_solves_by_label(fresh_main, capsys):
    ex = Chapter("98", {"ex-98-2": TOY})
    fresh_main.toy_answer = 4
    assert ex.check("ex-98-2") is True and ex.check("ex-98-2", -1) is False
    ex.hint("ex-98-2")
    ex.solution("ex-98-2")
    out = capsys.readouterr().out
    assert "Correct!" in out and "positive" in out and "Think big." in out and "toy_answer = 1" in out
    assert "ex-98-2 (`toy_answer`)" in repr(ex)


@pytest.mark.parametrize("wrong", ["ex-98-1", "q1", "Exercise 98.2", 2])
def test_an_unknown_label_names_the_labels_there_are(wrong):
    ex = Chapter("98", {"ex-98-2": TOY, "ex-98-3": TOY})
    for call in (ex.check, ex.hint, ex.solution):
        with pytest.raises(UnknownExercise, match=r'chapter 98 has no checked exercise .*"ex-98-2", "ex-98-3"'):
            call(wrong)


def test_chapter_modules_are_found():
    assert "01" in chapter_modules(), "the example checker module ch01_setting_up is discovered"
    assert all(name.startswith(f"ch{number}_") for number, name in chapter_modules().items())


# --- every chapter's checkers --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", list(chapter_modules()))
def test_module_declares_well_formed_exercises(number):
    module = chapter_module(number)
    assert module.EXERCISES, f"{module.__name__} has no EXERCISES"
    for key, ex in module.EXERCISES.items():
        match = LABEL.fullmatch(key)
        assert match and match[1] == number, (
            f"{module.__name__}: keys are book labels, ex-{number}-k (got {key!r})"
        )
        assert isinstance(ex, Exercise)
        assert ex.hint_text.strip() and ex.expected.strip(), f"{key} needs a hint and `expected`"
        assert re.search(rf"\b{re.escape(ex.variable)}\s*=", ex.solution_text), (
            f"{key}: the solution must assign `{ex.variable}`"
        )
    for key in getattr(module, "WRONG_ANSWERS", {}):
        assert key in module.EXERCISES, f"{module.__name__}.WRONG_ANSWERS names unknown exercise {key!r}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_solution_and_check_cell_fit_the_books_code_width(case):
    number, label = case
    ex = chapter_module(number).EXERCISES[label]
    # the solution is shown inside its box (narrower), the check cell as a cell
    for text, width in ((ex.solution_text, BOX_WIDTH), (exercises.check_cell_source(label, ex), CODE_WIDTH)):
        long = [line for line in text.splitlines() if len(line) > width]
        assert not long, f"{label}: {len(long[0])} characters (the book shows {width}): {long[0]!r}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_solution_is_accepted(case, fresh_main, capsys):
    number, key = case
    ex = chapter_module(number).EXERCISES[key]
    namespace = run_solution(number, ex)
    assert ex.variable in namespace, f"the solution does not define `{ex.variable}`"
    assert ex.check(namespace[ex.variable]) is True, capsys.readouterr().out
    setattr(fresh_main, ex.variable, namespace[ex.variable])
    assert ex.check() is True, "check() without an argument reads the notebook's variable"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_common_mistakes_get_specific_feedback(case, capsys):
    number, key = case
    module = chapter_module(number)
    for answer, needle in getattr(module, "WRONG_ANSWERS", {}).get(key, []):
        capsys.readouterr()
        assert module.EXERCISES[key].check(answer) is False, f"{answer!r} was accepted"
        out = capsys.readouterr().out
        assert needle in out, f"feedback for {answer!r} should mention {needle!r}; it says: {out}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_wrong_types_are_reported_without_raising(case, capsys):
    number, key = case
    ex = chapter_module(number).EXERCISES[key]
    for answer in NOT_ANSWERS:
        assert ex.check(answer) is False, f"{answer!r} was accepted"
        assert f"✗ `{ex.variable}`: " in capsys.readouterr().out


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_missing_variable_is_reported_for_every_exercise(case, fresh_main, capsys):
    number, key = case
    ex = chapter_module(number).EXERCISES[key]
    assert ex.check() is False
    assert f"`{ex.variable}`" in capsys.readouterr().out


def test_every_notebooks_exercises_are_the_ones_its_checkers_write():
    """``tools/nbtool.py check`` on every chapter: solution fences and check cells as the checkers say, every
    checker has its {exercise} in the notebook, every coding exercise has a checker."""
    tool = ROOT / "tools" / "nbtool.py"
    res = subprocess.run([sys.executable, str(tool), "check"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_notebooks_call_only_exercises_that_exist():
    """Every ``chapter("NN")`` in a notebook loads its own chapter, and every label it checks has a checker."""
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert not re.search(r"\bex\.q\d+\b", code), f"{path.name} still uses the old ex.qK form"
        for number in re.findall(r"""chapter\(\s*["']?(\d+)""", code):
            assert number.zfill(2) == path.name[:2], f"{path.name} loads the exercises of chapter {number}"
            labels = chapter(number).labels
            for label in set(re.findall(r"""\bex\.(?:check|hint|solution)\(\s*["']([^"']+)""", code)):
                assert label in labels, f"{path.name} calls {label!r}, which {exercises.__name__} does not define"


# --- nbtool writes the exercises from the checkers -------------------------------------------------------------

CHAPTER = ROOT / "book" / "10_evaluating_honestly.ipynb"


def chapter_copy(tmp_path: Path, edit) -> Path:
    """A copy of chapter 10 (under its own name, so nbtool finds its checkers) after ``edit(cells)``."""
    nb = json.loads(CHAPTER.read_text())
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
    edit(nb["cells"])
    path = tmp_path / CHAPTER.name
    path.write_text(json.dumps(nb))
    return path


def read_cells(path: Path) -> list[dict]:
    """The notebook's cells, each source as one string."""
    return [dict(c, source="".join(c["source"])) for c in json.loads(path.read_text())["cells"]]


def cell_with(cells: list[dict], text: str) -> dict:
    return next(c for c in cells if text in c["source"])


def run_nbtool(capsys, *args) -> tuple[int, str]:
    capsys.readouterr()
    code = nbtool.main(list(args))
    return code, capsys.readouterr().out


def test_nbtool_names_the_notebook_and_label_of_a_drifted_solution_and_rewrites_it(tmp_path, capsys):
    solution = chapter_module("10").EXERCISES["ex-10-2"].solution_text

    def drift(cells):
        block = cell_with(cells, "::::{solution} ex-10-2")
        block["source"] = block["source"].replace(solution, "balanced_acc = 0.333")

    path = chapter_copy(tmp_path, drift)
    code, out = run_nbtool(capsys, "check", str(path))
    assert code == 1 and f"{path}: ex-10-2: solution block differs" in out, out
    assert "ex-10-3" not in out
    assert run_nbtool(capsys, "normalize", str(path))[0] == 0
    block = cell_with(read_cells(path), "::::{solution} ex-10-2")
    assert f"```python\n{solution}\n```" in block["source"]
    assert "well below the accuracy of one half" in block["source"], "the prose after the fence is kept"
    assert run_nbtool(capsys, "check", str(path))[0] == 0


def test_nbtool_names_a_drifted_check_cell(tmp_path, capsys):
    def drift(cells):
        cell_with(cells, 'ex.check("ex-10-3")')["source"] = "# rmse_swapped = ...\nex.check('ex-10-3')"

    path = chapter_copy(tmp_path, drift)
    code, out = run_nbtool(capsys, "check", str(path))
    assert code == 1 and f"{path}: ex-10-3: check cell differs" in out, out


def test_nbtool_fails_on_a_coding_exercise_without_checker(tmp_path, capsys):
    def unchecked(cells):  # a new exercise with a check cell, but no checker
        cells.append(
            {
                "cell_type": "markdown",
                "id": "cell-new-ex",
                "metadata": {},
                "source": ":::{exercise} New\n:label: ex-10-4\n\nSet `x`.\n:::",
            }
        )
        cells.append(
            {
                "cell_type": "code",
                "id": "cell-new-check",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": '# x = ...\nex.check("ex-10-4")',
            }
        )

    path = chapter_copy(tmp_path, unchecked)
    for command in ("check", "normalize"):
        code, out = run_nbtool(capsys, command, str(path))
        assert code == 1 and f"{path}: ex-10-4: a code cell sits under the exercise but" in out, out


def test_nbtool_fails_on_a_checker_without_its_exercise(tmp_path, capsys):
    def relabel(cells):
        cell = cell_with(cells, ":label: ex-10-3")
        cell["source"] = cell["source"].replace(":label: ex-10-3", ":label: ex-10-9")

    path = chapter_copy(tmp_path, relabel)
    code, out = run_nbtool(capsys, "check", str(path))
    assert code == 1 and f"{path}: ex-10-3: the checker has no ':::{{exercise}}' with ':label: ex-10-3'" in out, (
        out
    )


def test_nbtool_writes_a_missing_check_cell_and_fence(tmp_path, capsys):
    def strip(cells):  # an author wrote the exercise and an empty solution block, nothing else
        cells.remove(cell_with(cells, 'ex.check("ex-10-2")'))
        block = cell_with(cells, "::::{solution} ex-10-2")
        written = "::::{solution} ex-10-2\n:class: dropdown\n\nOne third.\n::::"
        block["source"] = re.sub(r"(?s)::::\{solution\} ex-10-2\n.*?\n::::", written, block["source"], count=1)
        assert written in block["source"] and ":label: ex-10-3" in block["source"]

    path = chapter_copy(tmp_path, strip)
    assert run_nbtool(capsys, "check", str(path))[0] == 1
    assert run_nbtool(capsys, "normalize", str(path))[0] == 0
    cells = read_cells(path)
    ex = chapter_module("10").EXERCISES["ex-10-2"]
    check = cells.index(cell_with(cells, 'ex.check("ex-10-2")'))
    assert ":label: ex-10-2" in cells[check - 1]["source"] and cells[check - 1]["source"].endswith(":::")
    assert cells[check]["source"] == exercises.check_cell_source("ex-10-2", ex)
    assert f"```python\n{ex.solution_text}\n```\n\nOne third." in cells[check + 1]["source"]
    assert run_nbtool(capsys, "check", str(path))[0] == 0
