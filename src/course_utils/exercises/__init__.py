"""Checked exercises in the spirit of Kaggle Learn, each named by its label in the book.

A chapter loads its exercises once and names each one by the label of its ``{exercise}`` directive::

    ex = chapter("10")
    ex.check("ex-10-2")     # reads `balanced_acc` from the notebook; prints ✓ or feedback
    ex.hint("ex-10-2")      # a hint
    ex.solution("ex-10-2")  # the solution

A checker never raises: a wrong answer, a wrong type or a variable not defined yet all become a clear message
saying what was expected. A label the chapter has no checker for raises :class:`UnknownExercise`, which names
the labels there are.

Each chapter's checkers live in their own module here (``ch10_evaluating_honestly`` …). A chapter module defines
``EXERCISES = {"ex-10-2": Exercise(...), ...}``, keyed by the book labels of its coding exercises, and may also
define

- ``WRONG_ANSWERS = {"ex-10-2": [(answer, "a phrase its feedback must contain"), ...]}``: common mistakes, which
  the tests feed to the checker to prove the feedback is specific;
- ``SOLUTION_SETUP = "..."``: code the tests run before each ``solution_text`` when a solution needs the chapter's
  context (data, a model); without it a solution must run on its own.

An exercise's ``solution_text`` is the one source of its solution: ``tools/nbtool.py normalize`` writes it into
the ```` ```python ```` fence of the notebook's ``::::{solution} ex-10-2`` block (the prose around the fence is
the notebook's) and writes the exercise's check cell (:func:`check_cell_source`); ``tools/nbtool.py check`` fails
when a notebook drifts from its checkers. The book shows 76 columns of code in a cell (:data:`CODE_WIDTH`) and
68 inside an exercise's or a solution's box (:data:`BOX_WIDTH`), so every line of a solution fits in 68.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

_MISSING = object()

#: Characters of code the book shows on a line: every line of a solution (and of a check cell) fits.
CODE_WIDTH = 76
#: Characters of code a solution's (or an exercise's) box shows on a line at 1280 px: the box's frame and padding
#: take about eight of the 76 (measured in Chromium on the built book, benchmarks/README.md).
BOX_WIDTH = 68
#: A book label of an exercise: ``ex-`` + the chapter's two digits + ``-`` + the exercise's number.
LABEL = re.compile(r"ex-(\d{2})-(\d+)")


class Wrong(Exception):
    """Raised by a checker with feedback specific to the mistake."""


class UnknownExercise(LookupError):
    """Raised when a notebook asks for a label its chapter has no checker for; the message names those it has."""


@dataclass
class Exercise:
    """One coding exercise: the variable it reads, how to check it, a hint and the solution."""

    variable: str
    expected: str  # what the answer should be, in words (shown when the type is wrong)
    checker: Callable[
        [Any], None
    ]  # raises Wrong with specific feedback; returns None when right
    hint_text: str
    solution_text: str  # the one source of the solution: nbtool writes it into the notebook
    results: list[bool] = field(default_factory=list)

    def _lookup(self) -> Any:
        """The answer variable from the notebook's namespace (``__main__``), or a marker when undefined."""
        return getattr(sys.modules.get("__main__"), self.variable, _MISSING)

    def check(self, answer: Any = _MISSING) -> bool:
        """Say whether the answer is right, with feedback on common mistakes; True when correct."""
        if answer is _MISSING:
            answer = self._lookup()
        if answer is _MISSING:
            return self._report(
                False,
                f"Define a variable named `{self.variable}` first ({self.expected}).",
            )
        if answer is Ellipsis:
            return self._report(
                False,
                f"Replace the `...` in `{self.variable} = ...` with {self.expected}.",
            )
        try:
            self.checker(answer)
        except Wrong as wrong:
            return self._report(False, str(wrong))
        except Exception as err:  # noqa: BLE001 (a wrong type must never crash the learner's notebook)
            return self._report(
                False,
                f"Expected {self.expected}, but got {type(answer).__name__} ({type(err).__name__}: {err}).",
            )
        return self._report(True, "Correct!")

    def _report(self, ok: bool, message: str) -> bool:
        """Print the verdict and remember it."""
        self.results.append(ok)
        print(f"{'✓' if ok else '✗'} `{self.variable}`: {message}")
        return ok

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint for `{self.variable}`: {self.hint_text}")

    def solution(self) -> None:
        """Print the solution."""
        print(f"Solution for `{self.variable}`:\n{self.solution_text}")


def expect_number(answer: Any, what: str) -> float:
    """The answer as a float, or Wrong saying a number was expected."""
    if isinstance(answer, str):
        raise Wrong(
            f"Expected {what} (a number), but got the text {answer!r}: leave out the quotes."
        )
    if (
        isinstance(answer, bool)
        or not isinstance(answer, (int, float))
        and not hasattr(answer, "__float__")
    ):
        raise Wrong(
            f"Expected {what} (a number), but got {type(answer).__name__}."
        )
    return float(answer)


def check_cell_source(label: str, exercise: Exercise) -> str:
    """The code cell under a coding exercise in its notebook (nbtool writes it): the answer's placeholder, then
    the check."""
    return f'# {exercise.variable} = ...\nex.check("{label}")'


def loader_source(number: str) -> str:
    """The code cell that opens a chapter's exercises (nbtool writes it)."""
    return f'from course_utils.exercises import chapter\n\nex = chapter("{number}")'


class Chapter:
    """The checked exercises of one chapter, named by their book labels: ``ex.check("ex-10-2")``."""

    def __init__(self, number: str, exercises: Mapping[str, Exercise]):
        self.number = number
        self.exercises = dict(exercises)

    @property
    def labels(self) -> list[str]:
        """The labels of the chapter's checked exercises, in book order."""
        return list(self.exercises)

    def __getitem__(self, label: str) -> Exercise:
        """The exercise with this label, or UnknownExercise naming the labels there are."""
        if label not in self.exercises:
            known = ", ".join(f'"{known}"' for known in self.exercises)
            raise UnknownExercise(
                f"chapter {self.number} has no checked exercise {label!r}; its checked exercises are {known} "
                f'(the label of the exercise, e.g. ex.check("{self.labels[0]}"))'
            )
        return self.exercises[label]

    def check(self, label: str, answer: Any = _MISSING) -> bool:
        """Check the exercise's answer (by default the notebook's variable); print ✓ or feedback."""
        return self[label].check(answer)

    def hint(self, label: str) -> None:
        """Print the exercise's hint."""
        self[label].hint()

    def solution(self, label: str) -> None:
        """Print the exercise's solution."""
        self[label].solution()

    def __repr__(self) -> str:
        listed = ", ".join(
            f"{label} (`{ex.variable}`)"
            for label, ex in self.exercises.items()
        )
        return f"<checked exercises of chapter {self.number}: {listed}>"


def chapter_modules() -> dict[str, str]:
    """The chapters that have checked exercises: number → module name (``"01"`` → ``"ch01_setting_up"``)."""
    names = [m.name for m in pkgutil.iter_modules(__path__)]
    return {
        name[2:4]: name
        for name in sorted(names)
        if name[:2] == "ch" and name[2:4].isdigit()
    }


def chapter_module(number: str | int) -> ModuleType:
    """The checker module of one chapter (``"5"``, ``5`` and ``"05"`` all find ``ch05_*``)."""
    number = str(number).zfill(2)
    modules = chapter_modules()
    if number not in modules:
        raise ValueError(
            f"no exercises for chapter {number}; chapters with exercises: {', '.join(sorted(modules))}"
        )
    return importlib.import_module(f"{__name__}.{modules[number]}")


def chapter(number: str | int) -> Chapter:
    """The checked exercises of one chapter (``"05"`` finds ``ch05_*``): ``ex.check("ex-05-1")`` …"""
    number = str(number).zfill(2)
    return Chapter(number, chapter_module(number).EXERCISES)
