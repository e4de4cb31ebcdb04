"""Checked exercises in the spirit of Kaggle Learn, each named by its label in the book.

A chapter loads its exercises once and names each one by the label of its ``{exercise}`` directive::

    ex = chapter("10")
    ex.check("ex-10-2")     # reads `balanced_acc` from the notebook; prints ✓ or feedback
    ex.hint("ex-10-2")      # a hint
    ex.solution("ex-10-2")  # the solution
    ex.progress()           # which of the chapter's exercises are done

``check`` prints its verdict and returns nothing (so Jupyter shows no ``Out:`` line); the verdicts are kept in
``Exercise.results`` and :meth:`Exercise.evaluate` returns one without printing. A checker never raises: a wrong
answer, a wrong type or a variable not defined yet all become a clear message saying what was expected. A label
the chapter has no checker for raises :class:`UnknownExercise`, which names the labels there are. A right answer
is told *why* it is right (the exercise's ``why``).

One answer checker serves every chapter:

- :func:`check_number`: a whole number compares exactly, in any integer type
  (Python or numpy) or as an integral float; any other number within a relative tolerance (:data:`REL_TOL`), and
  a value only a little further off (or a count of 1,000 or more that is not exact) is told "close — give
  more digits"; a percentage given for a fraction (and
  the reverse) is named as such; each listed mistake gets its own feedback; numbers in messages are written
  with thousands separators, never in scientific notation (:func:`fmt`).
- :func:`check_text`: text is stripped and compared without case (and with single spaces).
- :func:`as_model` and its companions: an answer that is a Keras layer or model, inspected by what it does.
- ``build_it.BuildIt``: an answer that is a function (or a function that builds a Keras object), run beside the
  package's own version on fresh inputs; the first input where the two differ is named (build-it exercises).

``counting.number_checker`` turns :func:`check_number`'s arguments into a chapter's checker.

Each chapter's checkers live in their own module here (``ch10_evaluating_honestly`` …). A chapter module defines
``EXERCISES = {"ex-10-2": Exercise(...), ...}``, keyed by the book labels of its coding exercises, and

- ``WRONG_ANSWERS = {"ex-10-2": [(answer, "a phrase its feedback must contain"), ...]}``: common mistakes, which
  the tests feed to the checker to prove the feedback is specific (every exercise has some);
- ``SOLUTION_SETUP = "..."`` (optional): code the tests run before each ``solution_text`` when a solution needs
  the chapter's context (data, a model); without it a solution must run on its own.

An exercise's ``solution_text`` is the one source of its solution: ``tools/nbtool.py normalize`` writes it into
the ```` ```python ```` fence of the notebook's ``::::{solution} ex-10-2`` block (the prose around the fence is
the notebook's) and writes the exercise's check cell (:func:`check_cell_source`); ``tools/nbtool.py check`` fails
when a notebook drifts from its checkers. The book shows 76 columns of code in a cell (:data:`CODE_WIDTH`) and
68 inside an exercise's or a solution's box (:data:`BOX_WIDTH`), so every line of a solution fits in 68.
"""

from __future__ import annotations

import importlib
import math
import numbers
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable, Mapping
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
#: A number that is not a whole number is right within this relative distance of the answer: two significant
#: digits pass (0.33 for one third, 3.2 for 3.2016), a slip of a factor or a term does not.
REL_TOL = 0.01
#: ... and within this relative distance it is "close": the learner rounded too much (0.3 for one third).
CLOSE_TOL = 0.1
#: Units a number can be asked in; a percentage given for a fraction (or the reverse) is named.
FRACTION, PERCENT = "fraction", "percent"


class Wrong(Exception):
    """Raised by a checker with feedback specific to the mistake."""


class UnknownExercise(LookupError):
    """Raised when a notebook asks for a label its chapter has no checker for; the message names those it has."""


@dataclass
class Exercise:
    """One coding exercise: the variable it reads, how to check it, a hint, the solution and why it is right."""

    variable: str
    expected: str  # what the answer should be, in words (shown when the type is wrong)
    checker: Callable[[Any], None]  # raises Wrong with specific feedback
    hint_text: str
    solution_text: str  # the one source of the solution: nbtool writes it
    why: str = ""  # one sentence: what makes the right answer right
    results: list[bool] = field(default_factory=list)

    def _lookup(self) -> Any:
        """The answer variable from the notebook's namespace (``__main__``), or a marker when undefined."""
        return getattr(sys.modules.get("__main__"), self.variable, _MISSING)

    def evaluate(self, answer: Any = _MISSING) -> tuple[bool, str]:
        """The verdict on an answer (by default the notebook's variable) and its message; prints nothing."""
        if answer is _MISSING:
            answer = self._lookup()
        if answer is _MISSING:
            return False, (
                f"Define a variable named `{self.variable}` first ({self.expected})."
            )
        if answer is Ellipsis:
            return False, (
                f"Replace the `...` in `{self.variable} = ...` with {self.expected}."
            )
        try:
            self.checker(answer)
        except Wrong as wrong:
            return False, str(wrong)
        except Exception as err:  # noqa: BLE001 (a wrong type must never crash the learner's notebook)
            return False, (
                f"Expected {self.expected}, but got {type(answer).__name__} "
                f"({type(err).__name__}: {err})."
            )
        return True, f"Correct! {self.why}".strip()

    def check(self, answer: Any = _MISSING) -> None:
        """Print whether the answer is right, with feedback on common mistakes; the verdict goes to
        ``results`` (nothing is returned, so a notebook shows no ``Out:`` line)."""
        ok, message = self.evaluate(answer)
        self.results.append(ok)
        print(f"{'✓' if ok else '✗'} `{self.variable}`: {message}")

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint for `{self.variable}`: {self.hint_text}")

    def solution(self) -> None:
        """Print the solution."""
        print(f"Solution for `{self.variable}`:\n{self.solution_text}")


# --- the answer checker: numbers and text --------------------------------------------------------------------


def fmt(value: float) -> str:
    """A number as a message writes it: whole numbers with thousands separators (1,872,871), others with four
    significant digits, never in scientific notation (0.07065, 0.00025, 2,880.5)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    digits = max(4 - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def expect_number(answer: Any, what: str) -> float:
    """The answer as a float (any real number type: Python, numpy, a 0-d array), or Wrong saying a number was
    expected."""
    if isinstance(answer, (str, bytes)):
        raise Wrong(
            f"Expected {what} (a number), but got the text {answer!r}: "
            "leave out the quotes."
        )
    if (
        isinstance(answer, bool)
        or getattr(getattr(answer, "dtype", None), "kind", "") == "b"
    ):
        raise Wrong(
            f"Expected {what} (a number), but got {type(answer).__name__}."
        )
    if getattr(answer, "shape", None) not in (None, ()):
        raise Wrong(
            f"Expected {what} (one number), but got an array of shape "
            f"{tuple(answer.shape)}."
        )
    if not isinstance(answer, numbers.Real) and not (
        hasattr(answer, "__float__") and hasattr(answer, "dtype")
    ):
        raise Wrong(
            f"Expected {what} (a number), but got {type(answer).__name__}."
        )
    value = float(answer)
    if not math.isfinite(value):
        raise Wrong(f"Expected {what}, but got {value}.")
    return value


def is_whole(value: float) -> bool:
    """Whether a float holds a whole number."""
    return float(value).is_integer()


def _near(
    value: float, target: float, whole: bool, rel_tol: float, abs_tol: float
) -> bool:
    if whole:
        return value == target
    return math.isclose(value, target, rel_tol=rel_tol, abs_tol=abs_tol)


def _pairs(mistakes: Mapping | Iterable) -> list[tuple[Any, str]]:
    return list(
        mistakes.items() if isinstance(mistakes, Mapping) else mistakes
    )


def check_number(
    answer: Any,
    expected: float,
    what: str,
    *,
    mistakes: Mapping[float, str] | Iterable[tuple[float, str]] = (),
    otherwise: str = "",
    whole: bool = False,
    unit: str | None = None,
    rel_tol: float = REL_TOL,
    abs_tol: float = 0.0,
) -> float:
    """Return the answer as a float when it is right; raise Wrong with specific feedback otherwise.

    ``whole``: the answer is a count, compared exactly (an int, a numpy integer or an integral float).
    Otherwise it is right within ``rel_tol`` (or ``abs_tol``) and "close" within :data:`CLOSE_TOL`.
    ``unit``: :data:`FRACTION` or :data:`PERCENT`; the other one (100 times or a hundredth) is named.
    ``mistakes``: wrong values and their feedback, compared like the answer; two mistakes with the same value
    (possible when the values come from data) give both diagnoses, as either may be the cause.
    ``otherwise``: the feedback for any other value; ``{value}`` is replaced by the answer (see :func:`fmt`).
    """
    value = expect_number(answer, what)
    if _near(value, expected, whole, rel_tol, abs_tol):
        return value
    found = [
        feedback
        for wrong, feedback in _pairs(mistakes)
        if _near(value, float(wrong), whole, rel_tol, abs_tol)
    ]
    if found:
        if len(found) == 1:
            raise Wrong(found[0])
        raise Wrong(
            "On this data that value comes from more than one slip: "
            + " Or: ".join(dict.fromkeys(found))
        )
    if unit == FRACTION and _near(
        value, 100 * expected, whole, rel_tol, abs_tol
    ):
        raise Wrong(
            f"{fmt(value)} is the answer as a percentage; {what} is asked as a "
            f"fraction between 0 and 1: divide by 100."
        )
    if unit == PERCENT and _near(
        value, expected / 100, whole, rel_tol, abs_tol
    ):
        raise Wrong(
            f"{fmt(value)} is the answer as a fraction; {what} is asked as a "
            f"percentage: multiply by 100."
        )
    if whole and not is_whole(value):
        raise Wrong(
            f"{fmt(value)} is not a whole number, but {what} is a count: "
            "give it exactly, without rounding or dividing."
        )
    close = math.isclose(value, expected, rel_tol=CLOSE_TOL)
    if close and (not whole or abs(expected) >= 1000):
        if whole:
            raise Wrong(
                f"Close, but {fmt(value)} is not exact: {what} is a count, "
                "so give every digit (compute it rather than rounding)."
            )
        raise Wrong(
            f"Close — give more digits: {fmt(value)} is within "
            f"{CLOSE_TOL:.0%} of the answer but not within {rel_tol:.0%}."
        )
    raise Wrong(
        otherwise.format(value=fmt(value))
        if otherwise
        else f"{fmt(value)} is not {what}."
    )


def same_text(text: str) -> str:
    """Text as :func:`check_text` compares it: stripped, single spaces (none doubled around ``+``), no case."""
    text = " ".join(str(text).split())
    return re.sub(r"\s*\+\s*", " + ", text).casefold()


def expect_text(answer: Any, what: str) -> str:
    """The answer as text, or Wrong saying text was expected."""
    if not isinstance(answer, str):
        raise Wrong(
            f"Expected {what} (text such as 'Calm'), but got "
            f"{type(answer).__name__}."
        )
    return answer


def check_text(
    answer: Any,
    expected: str,
    what: str,
    *,
    choices: Iterable[str] = (),
    mistakes: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    otherwise: str = "",
) -> str:
    """Return the answer, stripped, when it names ``expected`` (without case); raise Wrong otherwise: a listed
    mistake gets its feedback, a name outside ``choices`` (when given) is told the choices, anything else
    ``otherwise`` (``{value}`` is the answer)."""
    value = expect_text(answer, what).strip()
    if same_text(value) == same_text(expected):
        return value
    for wrong, feedback in _pairs(mistakes):
        if same_text(value) == same_text(wrong):
            raise Wrong(feedback)
    choices = list(choices)
    if choices and same_text(value) not in {same_text(c) for c in choices}:
        raise Wrong(
            f"{value!r} is not one of the {what}s: {', '.join(choices)}."
        )
    raise Wrong(
        otherwise.format(value=repr(value))
        if otherwise
        else f"{value!r} is not the {what} asked for."
    )


def names(answer: Any, allowed: Iterable[str], what: str) -> set[str]:
    """A collection of names as a set of the ``allowed`` spellings (stripped, without case), or Wrong."""
    allowed = tuple(allowed)
    if isinstance(answer, str):
        raise Wrong(
            f"Expected a list of {what}, but got the single text {answer!r}: "
            "put the names in a list."
        )
    try:
        items = list(answer)
    except TypeError:
        raise Wrong(
            f"Expected a list of {what}, but got {type(answer).__name__}."
        ) from None
    canonical = {same_text(a): a for a in allowed}
    not_text = [i for i in items if not isinstance(i, str)]
    if not_text:
        raise Wrong(
            f"Expected a list of {what} (text), but it holds "
            f"{type(not_text[0]).__name__}."
        )
    unknown = sorted(
        repr(i) for i in items if same_text(i) not in canonical
    )
    if unknown:
        raise Wrong(
            f"{', '.join(unknown)} is not one of the {what}: "
            f"{', '.join(allowed)}."
        )
    return {canonical[same_text(i)] for i in items}


def integers(answer: Any, what: str) -> set[int]:
    """A collection of whole numbers (Python or numpy integers, or integral floats) as a set of ints, or Wrong."""
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise Wrong(f"Expected {what}, but got {type(answer).__name__}.")
    found = set()
    for item in answer:
        if isinstance(item, (str, bytes)):
            raise Wrong(
                f"Write the items of {what} as whole numbers, not as text "
                f"({item!r})."
            )
        value = expect_number(item, f"each item of {what}")
        if not is_whole(value):
            raise Wrong(
                f"{fmt(value)} is not a whole number: {what} holds whole numbers."
            )
        found.add(int(value))
    return found


# --- answers that are Keras objects ---------------------------------------------------------------------------
# A checker looks at what the learner's layer or model *does* (the shape it outputs for an input, its parameter
# count), as Kaggle Learn's checkers do for a Keras model, so every way of building a right one passes.


def as_model(answer: Any, input_shape: tuple[int, ...], what: str) -> Any:
    """The answer (a model, a list of layers or one layer) as a model that reads ``input_shape``, run once on
    zeros so that it is built; Wrong when it is none of these or cannot read that input."""
    import keras  # deferred: only the exercises on Keras objects need it
    import numpy as np

    if isinstance(answer, keras.layers.Layer) and not isinstance(
        answer, keras.Model
    ):
        answer = [answer]
    if isinstance(answer, (list, tuple)):
        if not answer or not all(
            isinstance(layer, keras.layers.Layer) for layer in answer
        ):
            raise Wrong(
                f"Expected {what} (a keras.Sequential or a list of layers), "
                "but the list holds something other than Keras layers."
            )
        try:
            answer = keras.Sequential([keras.Input(input_shape), *answer])
        except Exception as err:  # noqa: BLE001 (the learner's layers may not fit the input)
            raise Wrong(
                f"These layers cannot read an input of shape {input_shape}: "
                f"{type(err).__name__}: {str(err).splitlines()[0]}"
            ) from None
    if not isinstance(answer, keras.Model):
        raise Wrong(
            f"Expected {what} (a keras.Sequential), but got "
            f"{type(answer).__name__}."
        )
    declared = _declared_input(answer)
    if declared is not None and tuple(declared[1:]) != tuple(input_shape):
        raise Wrong(
            f"This model reads inputs of shape {tuple(declared[1:])}; "
            f"{what} reads {input_shape}."
        )
    try:
        answer(np.zeros((1, *input_shape), "float32"), training=False)
    except Exception as err:  # noqa: BLE001
        raise Wrong(
            f"This model cannot read an input of shape {input_shape}: "
            f"{type(err).__name__}: {str(err).splitlines()[0]}"
        ) from None
    return answer


def _declared_input(model: Any) -> tuple | None:
    """The input shape a model was given (built, or declared by a ``keras.Input`` not built yet), or None."""
    try:
        return tuple(model.inputs[0].shape)
    except (AttributeError, ValueError, IndexError, TypeError):
        pass
    import keras

    first = getattr(model, "_layers", [None])[:1]
    if first and isinstance(first[0], keras.layers.InputLayer):
        return tuple(first[0].batch_shape)
    return None


def output_shape(model: Any, input_shape: tuple[int, ...]) -> tuple:
    """The shape of the model's output for one input (without the batch axis)."""
    import numpy as np

    out = model(np.zeros((1, *input_shape), "float32"), training=False)
    return tuple(out.shape[1:])


def weighted_layers(model: Any) -> list:
    """The layers of a model (nested Sequentials flattened) that hold weights, in order."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += weighted_layers(layer)
        elif layer.weights:
            found.append(layer)
    return found


def all_layers(model: Any) -> list:
    """Every layer of a model, nested Sequentials flattened, in order."""
    import keras

    found = []
    for layer in model.layers:
        found += (
            all_layers(layer) if isinstance(layer, keras.Model) else [layer]
        )
    return found


def activation_name(layer: Any) -> str:
    """The name of a layer's activation (``linear`` when it has none)."""
    activation = getattr(layer, "activation", None)
    return (
        getattr(activation, "__name__", "linear")
        if activation
        else "linear"
    )


def effective_activation(found: list, layer: Any) -> str:
    """The activation applied to a layer's output: its own, or, when it has none, that of an Activation (or
    ReLU, Softmax) layer right after it in ``found``."""
    import keras

    own = activation_name(layer)
    index = found.index(layer)
    if own != "linear" or index + 1 >= len(found):
        return own
    after = found[index + 1]
    if isinstance(after, keras.layers.Activation):
        return activation_name(after)
    if isinstance(after, keras.layers.ReLU):
        return "relu"
    if isinstance(after, keras.layers.Softmax):
        return "softmax"
    return own


def params(model: Any) -> str:
    """The model's parameter count as a message writes it."""
    return fmt(model.count_params())


def check_cell_source(label: str, exercise: Exercise) -> str:
    """The code cell under a coding exercise in its notebook (nbtool writes it): the answer's placeholder, then
    the check."""
    return f'# {exercise.variable} = ...\nex.check("{label}")'


def loader_source(number: str) -> str:
    """The code cell that opens a chapter's exercises (nbtool writes it)."""
    return f'from course_utils.exercises import chapter\n\nex = chapter("{number}")'


#: How an exercise's checks so far read in :meth:`Chapter.progress`.
DONE, TRIED, NOT_CHECKED = "✓ done", "✗ not right yet", "· not checked yet"


def _state(results: list[bool]) -> str:
    """An exercise's state from its verdicts in this session: done when the last check passed."""
    if not results:
        return NOT_CHECKED
    if results[-1]:
        return DONE
    return f"{TRIED} ({len(results)} {'check' if len(results) == 1 else 'checks'})"


@dataclass(frozen=True)
class Progress:
    """A chapter's checked exercises and how far a learner got with each: ``(label, variable, state)``."""

    number: str
    rows: list[tuple[str, str, str]]

    @property
    def done(self) -> list[str]:
        """The labels of the exercises whose last check passed."""
        return [label for label, _, state in self.rows if state == DONE]

    def _headline(self) -> str:
        return (
            f"Chapter {self.number}: {len(self.done)} of {len(self.rows)} "
            "checked exercises done"
        )

    def _repr_markdown_(self) -> str:
        """The table Jupyter (and the book) shows."""
        lines = [
            f"**{self._headline()}**",
            "",
            "| exercise | answer | |",
            "|---|---|---|",
        ]
        lines += [
            f"| {lab} | `{var}` | {st} |" for lab, var, st in self.rows
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        width = max(
            (len(f"{lab} `{var}`") for lab, var, _ in self.rows), default=0
        )
        lines = [self._headline() + ":"]
        lines += [
            f"  {f'{lab} `{var}`':<{width}}  {st}"
            for lab, var, st in self.rows
        ]
        return "\n".join(lines)


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

    def check(self, label: str, answer: Any = _MISSING) -> None:
        """Check the exercise's answer (by default the notebook's variable); print ✓ or feedback."""
        self[label].check(answer)

    def hint(self, label: str) -> None:
        """Print the exercise's hint."""
        self[label].hint()

    def solution(self, label: str) -> None:
        """Print the exercise's solution."""
        self[label].solution()

    def progress(self) -> Progress:
        """Which of the chapter's exercises are done (their last check in this session passed): a small table
        in Jupyter and in the book, plain text elsewhere."""
        return Progress(
            self.number,
            [
                (label, ex.variable, _state(ex.results))
                for label, ex in self.exercises.items()
            ],
        )

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
