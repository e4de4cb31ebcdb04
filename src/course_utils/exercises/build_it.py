"""Build-it exercises: the learner writes a function (or a function that builds a Keras object), and the checker
runs it beside the package's own version on fresh random inputs, naming the first input where the two differ.

Not a chapter module (its name does not start with ``chNN``): the chapters' modules build their checkers with it.
A build-it exercise's checker is a :class:`BuildIt`. It holds

- the package's version (``reference``) and, in ``package``, how the message names it (``labels.quadrant_of_point``);
- the inputs: ``cases(rng)`` returns :class:`Case` objects drawn from a seeded numpy Generator, the edge cases
  first (a point on an axis, a class absent from the predictions);
- how an implementation is run on a case (``run``; by default it is called with a copy of the case's arguments)
  and how two results are compared (:func:`same`: floats within a tolerance, NaN equal to NaN, text as text);
- typical wrong implementations (:class:`Mistake`), each with its feedback.

Every check draws new inputs from the checker's next seed (its first check uses ``seed``, the next ``seed + 1`` …)
and the message names that seed: a learner who runs the check again gets fresh inputs, and a notebook run again
from the top gets the same ones, so its feedback can be reproduced. At the first input where the learner's result
differs from the package's, the message names the input (and what makes it an edge case), the learner's result
and the package's; where a typical wrong implementation gives the learner's results (on that input and on every
input before it), its feedback follows. A function that raises is told which
input made it raise. Nothing is printed while the learner's code runs on the checker's inputs except what it
prints itself; numpy's warnings (an overflow) are silenced, since the message shows the result.

Keras answers are compared by what they compute: :func:`model_run` builds the learner's model and the package's
for a small input, gives both the same weights (:func:`seeded_weights`: the k-th weight of each gets the same
random values), and compares the parameter count, the layers that act in training only (dropout, augmentation)
and the outputs in inference mode.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_utils.exercises import Wrong, all_layers, as_model, fmt
from course_utils.labels import CLASS_NAMES

#: Two float results are the same within this relative and absolute distance (float32 and float64 arithmetic,
#: another order of summation, pass; a slip of a term does not).
RTOL, ATOL = 1e-4, 1e-6
#: Characters a value may take in a message before it is cut.
SHOWN = 240


@dataclass(frozen=True)
class Case:
    """One input: the arguments the learner's function is called with, what makes it special (``note``, empty
    for an ordinary random input) and what the run needs beside the arguments (``data``: e.g. the images a
    model is run on)."""

    args: tuple
    note: str = ""
    data: Any = None


@dataclass(frozen=True)
class Named:
    """An argument a message names rather than prints (``model``, ``images``): the run makes the real one."""

    text: str

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Mistake:
    """A typical wrong implementation (same arguments as the package's version) and the feedback it gets."""

    variant: Callable
    feedback: str


@dataclass(frozen=True)
class ModelRun:
    """What a Keras model (or layer block) computes for one input: its parameter count, the layers that act
    only in training (``Dropout(rate=0.2)`` …) and its output in inference mode."""

    params: int
    training_only: tuple[str, ...]
    output: np.ndarray


# --- comparing and showing results ------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """Whether a value means "nothing" (None, pandas' NA, a float NaN)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def as_text(value: Any) -> str | None:
    """The value as text when it is text (a str, a numpy string, a 0-d array holding one), else None."""
    if isinstance(value, str):
        return str(value)
    if (
        isinstance(value, np.ndarray)
        and value.shape == ()
        and value.dtype.kind == "U"
    ):
        return str(value.item())
    return None


def as_numbers(value: Any) -> np.ndarray | None:
    """The value as a float array when it holds only numbers (or booleans), else None."""
    if isinstance(value, (str, bytes, dict)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 (any object: it is simply not numbers)
        return None
    if array.dtype.kind not in "biuf":
        return None
    return array.astype(float)


def same(
    got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL
) -> bool:
    """Whether a learner's result is the package's: text equal as text, None equal to any missing value, numbers
    (scalars or arrays of the same shape) within ``rtol``/``atol`` with NaN equal to NaN, tuples and lists item by
    item, dataclasses (a :class:`ModelRun` …) of the same type field by field (those with ``compare=True``)."""
    if dataclasses.is_dataclass(expected) and not isinstance(
        expected, type
    ):
        return type(got) is type(expected) and all(
            same(
                getattr(got, f.name), getattr(expected, f.name), rtol, atol
            )
            for f in dataclasses.fields(expected)
            if f.compare
        )
    if is_missing(expected):
        return is_missing(got)
    if as_text(expected) is not None:
        return as_text(got) == as_text(expected)
    numbers = as_numbers(expected)
    if numbers is not None:
        found = as_numbers(got)
        if found is None or found.shape != numbers.shape:
            return False
        if (np.asarray(expected).dtype.kind == "b") != (
            np.asarray(got).dtype.kind == "b"
        ):
            return False
        return bool(
            np.allclose(
                found, numbers, rtol=rtol, atol=atol, equal_nan=True
            )
        )
    if isinstance(expected, (tuple, list)):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(expected)
            and all(same(g, e, rtol, atol) for g, e in zip(got, expected))
        )
    if isinstance(expected, (set, frozenset)):
        return isinstance(got, (set, frozenset)) and set(got) == set(
            expected
        )
    return got == expected


def cut(text: str, limit: int = SHOWN) -> str:
    """Text cut to ``limit`` characters (with … where it was cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any) -> str:
    """A value as a message writes it: text quoted, numbers with four significant digits, arrays with their
    shape, models by what they compute; long values cut."""
    if isinstance(value, ModelRun):
        layers = (
            f", training-only layers {', '.join(value.training_only)}"
            if value.training_only
            else ""
        )
        return cut(
            f"a model with {fmt(value.params)} parameters{layers}, whose output "
            f"is {cut(show(value.output), 120)}"
        )
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return repr(value) if value is None else "NA (missing)"
    text = as_text(value)
    if text is not None:
        return repr(text)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (
            fmt(value) if math.isfinite(float(value)) else str(float(value))
        )
    if isinstance(value, np.ndarray) or type(value).__module__.split(".")[
        0
    ] in ("tensorflow", "keras", "jax"):
        array = np.asarray(value)
        if array.shape == ():
            return show(array.item())
        body = np.array2string(
            array, precision=4, separator=", ", threshold=24, edgeitems=3
        )
        return cut(
            f"an array of shape {array.shape}: {' '.join(body.split())}"
        )
    if isinstance(value, tuple):
        return cut(
            f"({', '.join(show(v) for v in value)}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, list):
        return cut(f"[{', '.join(show(v) for v in value)}]")
    return cut(repr(value))


def argument(value: Any) -> str:
    """An argument as the call in a message writes it: Python literals a learner can paste, arrays in full when
    small, Keras models and DataFrames by a short description."""
    if isinstance(value, np.ndarray):
        body = np.array2string(
            value, separator=", ", threshold=30, edgeitems=3
        )
        return cut(f"np.array({' '.join(body.split())})", 160)
    if type(value).__module__.split(".")[0] == "keras":
        return f"<{type(value).__name__} {getattr(value, 'name', '')}>".replace(
            " >", ">"
        )
    if type(value).__name__ == "DataFrame":
        return f"<DataFrame of {value.shape[0]} rows × {value.shape[1]} columns>"
    if isinstance(value, float):
        return repr(round(value, 6))
    return cut(repr(value), 160)


def call_text(name: str, case: Case) -> str:
    """How the learner's function was called on a case: ``quadrant(0.0, -0.31)``."""
    return f"{name}({', '.join(argument(a) for a in case.args)})"


# --- running a learner's function -------------------------------------------------------------------------------


def call(function: Callable, case: Case) -> Any:
    """The default run: the function called with a copy of the case's arguments (so that a function that
    changes its input cannot change the next run's)."""
    return function(*copy.deepcopy(case.args))


def quietly(run: Callable, function: Callable, case: Case) -> Any:
    """``run(function, case)`` with warnings silenced: numpy's (an overflow) and the libraries' (Keras on a
    model's inputs) would repeat for every input, and the message says what went wrong."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(function, case)


def expect_function(answer: Any, what: str, args: tuple) -> Callable:
    """The answer, when it is a function that accepts ``args``; Wrong naming what it is otherwise."""
    kind = type(answer).__name__
    if type(answer).__module__.split(".")[0] == "keras":
        raise Wrong(
            f"Expected {what}, but got a Keras {kind}: put the code that makes it in a function "
            "(`def ...:` with `return`), so that the check can call it on its own inputs."
        )
    if isinstance(answer, type) or not callable(answer):
        raise Wrong(
            f"Expected {what} (define it with `def`), but got {kind}."
        )
    try:
        inspect.signature(answer).bind(*args)
    except TypeError as err:
        raise Wrong(
            f"Expected {what}, but it cannot be called with {len(args)} argument(s): {err}."
        ) from None
    except ValueError:  # a builtin without a signature: let the call decide
        pass
    return answer


@dataclass
class BuildIt:
    """The checker of a build-it exercise: ``checker(answer)`` runs the learner's function beside ``reference``
    on the next seed's inputs and raises Wrong, with the first differing input, at a difference."""

    name: str  # the function's name, as the exercise asks for it (the calls in messages use it)
    what: str  # what the answer is, in words ("a function quadrant(valence, arousal) that returns …")
    reference: Callable
    package: str  # how a message names the package's version ("labels.quadrant_of_point")
    cases: Callable[[np.random.Generator], Iterable[Case]]
    mistakes: Sequence[Mistake] = ()
    run: Callable[[Callable, Case], Any] = call
    compare: Callable[[Any, Any], bool] = same
    seed: int = 0
    #: how a message names where the expected result comes from (by default "the package's <package>")
    source: str = ""
    checks: int = field(default=0, compare=False)

    def __call__(self, answer: Any) -> None:
        """Check an answer on fresh inputs (the next seed)."""
        seed = self.seed + self.checks
        self.checks += 1
        self.check(answer, seed)

    @property
    def expected_from(self) -> str:
        """Where a message says the expected result comes from."""
        return self.source or f"the package's {self.package}"

    def inputs(self, seed: int) -> list[Case]:
        """The inputs of the check with this seed (the same seed gives the same inputs)."""
        return list(self.cases(np.random.default_rng(seed)))

    def check(self, answer: Any, seed: int) -> None:
        """Run the answer on the inputs of ``seed``; Wrong at the first input where it differs from the package."""
        cases = self.inputs(seed)
        expect_function(answer, self.what, cases[0].args)
        if answer is self.reference:
            raise Wrong(
                f"That is the package's own {self.package}: write your own function (the point is to build "
                "it), then compare."
            )
        results: list[Any] = []
        for number, case in enumerate(cases, 1):
            where = f"On input {number} of {len(cases)} (seed {seed}{', ' + case.note if case.note else ''})"
            expected = quietly(self.run, self.reference, case)
            try:
                got = quietly(self.run, answer, case)
            except Wrong as wrong:
                raise Wrong(f"{where}: {wrong}") from None
            except Exception as err:  # noqa: BLE001 (the learner's code may fail in any way)
                first = (
                    str(err).strip().splitlines()[0]
                    if str(err).strip()
                    else ""
                )
                raise Wrong(
                    f"{where}, {call_text(self.name, case)} raised {type(err).__name__}"
                    f"{': ' + cut(first, 160) if first else ''}."
                ) from None
            if not self.compare(got, expected):
                feedback = self.diagnose(
                    got, case, cases[: number - 1], results
                )
                raise Wrong(
                    f"{where}, {call_text(self.name, case)} gives {show(got)}, but "
                    f"{self.expected_from} gives {show(expected)}."
                    f"{' ' + feedback if feedback else ''}"
                )
            results.append(got)

    def gives(self, mistake: Mistake, case: Case, result: Any) -> bool:
        """Whether a typical wrong implementation gives ``result`` on ``case`` (False if it raises)."""
        try:
            return self.compare(
                result, quietly(self.run, mistake.variant, case)
            )
        except Exception:  # noqa: BLE001 (a variant that cannot run this input does not explain it)
            return False

    def diagnose(
        self, got: Any, case: Case, earlier: list[Case], results: list[Any]
    ) -> str:
        """The feedback of the typical mistake that gives the learner's results: its result on this input, and
        on every earlier input too (where the learner was right, a mistake that was wrong is not theirs); empty
        when none does."""
        found = [
            m
            for m in self.mistakes
            if self.gives(m, case, got)
            and all(self.gives(m, c, r) for c, r in zip(earlier, results))
        ]
        return found[0].feedback if found else ""


# --- inputs shared by chapters ---------------------------------------------------------------------------------


def _labels(
    rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random labels of the 7 classes (uneven shares) and predictions right about half the time."""
    shares = rng.dirichlet(np.full(len(CLASS_NAMES), 0.7))
    y_true = rng.choice(len(CLASS_NAMES), size=n, p=shares)
    guess = rng.choice(len(CLASS_NAMES), size=n, p=shares)
    return y_true, np.where(rng.random(n) < 0.5, y_true, guess)


def label_pairs(rng: np.random.Generator) -> list[Case]:
    """Labels and predictions (class indices of the 7 classes), the inputs of the classifier metrics: the edge
    cases first, then 20 random pairs of 5 to 60 images."""
    edges = [
        (
            [0, 0, 1, 1, 2, 2],
            [0, 0, 1, 1, 1, 1],
            "class 2 has images but is never predicted",
        ),
        (
            [0, 0, 1, 1],
            [0, 3, 1, 1],
            "class 3 is predicted but has no images",
        ),
        ([4, 4, 4, 4], [4, 5, 4, 4], "one class in the labels"),
        (
            [5, 5, 5, 5, 4, 4, 0, 0],
            [5] * 8,
            "always the majority class, the chapter's example",
        ),
        ([6, 2, 2, 0, 6], [6, 2, 2, 0, 6], "every prediction right"),
    ]
    cases = [Case((np.array(t), np.array(p)), note) for t, p, note in edges]
    return cases + [
        Case(_labels(rng, int(rng.integers(5, 61)))) for _ in range(20)
    ]


# --- Keras answers ----------------------------------------------------------------------------------------------


def seeded_weights(model: Any, seed: int) -> Any:
    """Give the model's trainable weights random values fixed by ``seed`` and their order and shape, so that two
    models with weights of the same shapes in the same order compute with the same numbers: kernels drawn with
    a spread of 1/√(inputs) (activations keep their size), biases with 0.1."""
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        shape = tuple(weight.shape)
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 0
        spread = 1 / math.sqrt(fan_in) if fan_in else 0.1
        weight.assign(
            rng.normal(0.0, spread, size=shape).astype(weight.dtype)
        )
    return model


#: Keras layers that act only in training, and the settings a message shows of each.
_TRAINING_ONLY = {
    "Dropout": ("rate",),
    "SpatialDropout2D": ("rate",),
    "GaussianNoise": ("stddev",),
    "RandomFlip": ("mode",),
    "RandomRotation": ("factor",),
    "RandomZoom": ("height_factor", "width_factor"),
    "RandomTranslation": ("height_factor", "width_factor"),
    "RandomContrast": ("factor",),
}


def _setting(key: str, value: Any) -> Any:
    """A layer setting as compared: a factor ``f`` is the range ``(-f, f)`` it stands for, numbers rounded."""
    if key.endswith("factor") and isinstance(value, (int, float)):
        return (-round(abs(value), 6), round(abs(value), 6))
    if isinstance(value, (list, tuple)):
        return tuple(round(float(v), 6) for v in value)
    return round(value, 6) if isinstance(value, float) else value


def training_only(model: Any) -> tuple[str, ...]:
    """The layers of a model that act only in training, in order, with their settings: ``Dropout(rate=0.2)``."""
    found = []
    for layer in all_layers(model):
        kind = type(layer).__name__
        if kind in _TRAINING_ONLY:
            config = layer.get_config()
            settings = ", ".join(
                f"{key}={_setting(key, config.get(key))!r}"
                for key in _TRAINING_ONLY[kind]
            )
            found.append(f"{kind}({settings})")
    return tuple(found)


@dataclass(frozen=True)
class ModelInput:
    """What a model run reads: the input shape (without the batch axis), the images and the weights' seed."""

    shape: tuple[int, ...]
    images: np.ndarray
    weights: int


def model_input(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    n: int = 2,
    high: float = 1.0,
) -> ModelInput:
    """Random images of ``shape`` (values in 0…``high``) and a seed for the weights, drawn from ``rng``."""
    images = rng.uniform(0.0, high, size=(n, *shape)).astype("float32")
    return ModelInput(tuple(shape), images, int(rng.integers(2**31)))


def model_run(what: str) -> Callable[[Callable, Case], ModelRun]:
    """A ``run`` for builders of Keras objects: the builder is called with the case's arguments, its result (a
    model, a list of layers or a layer) read as a model of ``case.data.shape`` (:func:`as_model`), given the
    seeded weights and run on ``case.data.images`` in inference mode."""

    def run(builder: Callable, case: Case) -> ModelRun:
        data: ModelInput = case.data
        model = as_model(call(builder, case), data.shape, what)
        seeded_weights(model, data.weights)
        output = np.asarray(model(data.images, training=False), dtype=float)
        return ModelRun(
            int(model.count_params()), training_only(model), output
        )

    return run


def sizes_text(shape: Sequence[int]) -> str:
    """A shape as prose writes it: ``9 × 11 × 2``."""
    return " × ".join(str(int(s)) for s in shape)
