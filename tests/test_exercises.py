"""Checked exercises: the framework, and every chapter's checkers (discovered, so new chapters are covered).

For each exercise: its own solution passes, common mistakes (``WRONG_ANSWERS``) get their specific feedback,
wrong types and a missing variable are reported without raising, and the notebook calls only exercises that exist.
"""

import json
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import Exercise, Wrong, chapter, chapter_module, chapter_modules, expect_number

ROOT = Path(__file__).resolve().parents[1]
CASES = [(number, key) for number in chapter_modules() for key in chapter_module(number).EXERCISES]
NOT_ANSWERS = ["not an answer", None, [], [object()], {}, object(), Ellipsis]


def case_id(case) -> str:
    """``ch01_setting_up.q1``"""
    return f"{chapter_modules()[case[0]]}.{case[1]}"


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


TOY = Exercise("Toy", "toy_answer", "a positive number", _positive, "Think big.", "toy_answer = 1")


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

    ex = Exercise("Fragile", "x", "a dictionary with a number under 'key'", fragile, "", "x = {'key': 1}")
    assert ex.check([1, 2]) is False
    out = capsys.readouterr().out
    assert "Expected a dictionary with a number under 'key', but got list (TypeError" in out


@pytest.mark.parametrize("answer", [3, 3.5, np.float32(2.0), np.int64(7), np.array(4.0)])
def test_expect_number_accepts_numbers(answer):
    assert expect_number(answer, "n") == float(answer)


@pytest.mark.parametrize(
    "answer, needle", [("7", "leave out the quotes"), (True, "got bool"), (None, "got NoneType"), ([7], "got list")]
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
    assert chapter(int(first)).__dict__.keys() == chapter(first).__dict__.keys()
    with pytest.raises(ValueError, match=f"chapters with exercises: .*{first}"):
        chapter("99")


def test_chapter_modules_are_found():
    assert "01" in chapter_modules(), "the example checker module ch01_setting_up is discovered"
    assert all(name.startswith(f"ch{number}_") for number, name in chapter_modules().items())


# --- every chapter's checkers --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", list(chapter_modules()))
def test_module_declares_well_formed_exercises(number):
    module = chapter_module(number)
    assert module.EXERCISES, f"{module.__name__} has no EXERCISES"
    for key, ex in module.EXERCISES.items():
        assert re.fullmatch(r"q\d+", key), f"{module.__name__}: exercise keys are q1, q2, … (got {key!r})"
        assert isinstance(ex, Exercise)
        assert ex.hint_text.strip() and ex.expected.strip(), f"{module.__name__}.{key} needs a hint and `expected`"
        assert re.search(rf"\b{re.escape(ex.variable)}\s*=", ex.solution_text), (
            f"{module.__name__}.{key}: the solution must assign `{ex.variable}`"
        )
    for key in getattr(module, "WRONG_ANSWERS", {}):
        assert key in module.EXERCISES, f"{module.__name__}.WRONG_ANSWERS names unknown exercise {key!r}"


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


def test_notebooks_call_only_exercises_that_exist():
    """Every ``chapter("NN")`` in a notebook has a checker module holding each ``ex.qK`` the notebook calls."""
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for number in re.findall(r"""chapter\(\s*["']?(\d+)""", code):
            assert number.zfill(2) == path.name[:2], f"{path.name} loads the exercises of chapter {number}"
            defined = chapter_module(number).EXERCISES
            for key in set(re.findall(r"\bex\.(q\d+)\.", code)):
                assert key in defined, f"{path.name} calls ex.{key}, which {exercises.__name__} does not define"
