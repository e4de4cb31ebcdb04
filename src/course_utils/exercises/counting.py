"""Checkers for answers that are one number with well-known wrong values (chapters 05–09 count parameters and shapes).

Not a chapter module (its name does not start with ``chNN``): the chapters' modules build their checkers with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from course_utils.exercises import Wrong, expect_number


def number_checker(
    what: str,
    expected: float,
    mistakes: Mapping[float, str],
    otherwise: str,
    tolerance: float = 0.5,
) -> Callable[[Any], None]:
    """A checker: right within ``tolerance`` of ``expected``; each known wrong value gets its own feedback;
    any other value gets ``otherwise`` (which may use ``{value}``)."""

    def check(answer: Any) -> None:
        value = expect_number(answer, what)
        for wrong, feedback in mistakes.items():
            if abs(value - wrong) <= tolerance:
                raise Wrong(feedback)
        if abs(value - expected) > tolerance:
            raise Wrong(otherwise.format(value=value))

    return check
