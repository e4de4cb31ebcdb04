"""Checked exercises in the spirit of Kaggle Learn: ``check()``, ``hint()`` and ``solution()``.

Each chapter's checkers live in their own module here (``ch05_original_cnn`` …) and are loaded with
:func:`chapter`, e.g. ``ex = chapter("05"); ex.q1.check()``. A checker never raises: a wrong answer, a wrong
type or a variable not defined yet all become a clear message saying what was expected.

A chapter module defines ``EXERCISES = {"q1": Exercise(...), ...}`` and may also define

- ``WRONG_ANSWERS = {"q1": [(answer, "a phrase its feedback must contain"), ...]}``: common mistakes, which the
  tests feed to the checker to prove the feedback is specific;
- ``SOLUTION_SETUP = "..."``: code the tests run before each ``solution_text`` when a solution needs the chapter's
  context (data, a model); without it a solution must run on its own.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace
from typing import Any, Callable

_MISSING = object()


class Wrong(Exception):
    """Raised by a checker with feedback specific to the mistake."""


@dataclass
class Exercise:
    """One coding exercise: the variable it reads, how to check it, a hint and the solution."""

    name: str
    variable: str
    expected: str  # what the answer should be, in words (shown when the type is wrong)
    checker: Callable[[Any], None]  # raises Wrong with specific feedback; returns None when right
    hint_text: str
    solution_text: str
    results: list[bool] = field(default_factory=list)

    def _lookup(self) -> Any:
        """The answer variable from the notebook's namespace (``__main__``), or a marker when undefined."""
        return getattr(sys.modules.get("__main__"), self.variable, _MISSING)

    def check(self, answer: Any = _MISSING) -> bool:
        """Say whether the answer is right, with feedback on common mistakes; True when correct."""
        if answer is _MISSING:
            answer = self._lookup()
        if answer is _MISSING:
            return self._report(False, f"Define a variable named `{self.variable}` first ({self.expected}).")
        if answer is Ellipsis:
            return self._report(False, f"Replace the `...` in `{self.variable} = ...` with {self.expected}.")
        try:
            self.checker(answer)
        except Wrong as wrong:
            return self._report(False, str(wrong))
        except Exception as err:  # a wrong type must never crash the learner's notebook
            return self._report(
                False, f"Expected {self.expected}, but got {type(answer).__name__} ({type(err).__name__}: {err})."
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
        raise Wrong(f"Expected {what} (a number), but got the text {answer!r}: leave out the quotes.")
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) and not hasattr(answer, "__float__"):
        raise Wrong(f"Expected {what} (a number), but got {type(answer).__name__}.")
    return float(answer)


def chapter_modules() -> dict[str, str]:
    """The chapters that have checked exercises: number → module name (``"01"`` → ``"ch01_setting_up"``)."""
    names = [m.name for m in pkgutil.iter_modules(__path__)]
    return {name[2:4]: name for name in sorted(names) if name[:2] == "ch" and name[2:4].isdigit()}


def chapter_module(number: str | int) -> ModuleType:
    """The checker module of one chapter (``"5"``, ``5`` and ``"05"`` all find ``ch05_*``)."""
    number = str(number).zfill(2)
    modules = chapter_modules()
    if number not in modules:
        raise ValueError(f"no exercises for chapter {number}; chapters with exercises: {', '.join(sorted(modules))}")
    return importlib.import_module(f"{__name__}.{modules[number]}")


def chapter(number: str | int) -> SimpleNamespace:
    """The exercises of one chapter (``"05"`` finds ``ch05_*``), as ``ex.q1``, ``ex.q2`` …"""
    return SimpleNamespace(**chapter_module(number).EXERCISES)
