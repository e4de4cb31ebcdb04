"""Checkers for answers that are one number with well-known wrong values (chapters 05–09 count parameters and
shapes; others compute shares and rates).

Not a chapter module (its name does not start with ``chNN``): the chapters' modules build their checkers with it,
on the one answer checker, :func:`course_utils.exercises.check_number`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from course_utils.exercises import check_number


def number_checker(
    what: str,
    expected: float,
    mistakes: Mapping[float, str] | Iterable[tuple[float, str]] = (),
    otherwise: str = "",
    **options: Any,
) -> Callable[[Any], None]:
    """A checker of one number: :func:`check_number` with these arguments (``whole=True`` for a count,
    ``unit=FRACTION`` for a share, ``rel_tol``/``abs_tol``); ``otherwise`` may use ``{value}``."""

    def check(answer: Any) -> None:
        check_number(
            answer,
            expected,
            what,
            mistakes=mistakes,
            otherwise=otherwise,
            **options,
        )

    return check
