"""Checked exercises: the framework, the one answer checker, and every chapter's checkers (discovered, so new
chapters are covered).

For each exercise: it is keyed by its book label, its own solution passes and fits the book's code width, it
accepts the other right forms of its answer (numpy types, rounded values within tolerance, values computed with
the package: ``ALTERNATIVES``), common mistakes (``WRONG_ANSWERS``, which every exercise must have) get their
specific feedback, a percentage given for a fraction is named, wrong types and a missing variable are reported
without raising; and every notebook's exercises are the ones its checkers write (``tools/nbtool.py check``).
Expected values here are worked by hand or computed independently (numpy, Keras), never read from the checker.
"""

import csv
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import keras
import numpy as np
import pytest
from build_it_answers import RIGHT as BUILD_IT_RIGHT
from keras import layers

from course_utils import exercises
from course_utils.exercises import (
    BOX_WIDTH,
    CODE_WIDTH,
    FRACTION,
    LABEL,
    PERCENT,
    Chapter,
    Exercise,
    UnknownExercise,
    Wrong,
    chapter,
    chapter_module,
    chapter_modules,
    check_number,
    check_text,
    expect_number,
    fmt,
    integers,
    names,
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


TOY = Exercise("toy_answer", "a positive number", _positive, "Think big.", "toy_answer = 1", why="It is above 0.")


def test_check_prints_the_verdict_and_returns_nothing(capsys):
    """No ``Out:`` line in Jupyter: check() returns None; the verdict is in ``results``."""
    assert TOY.check(3) is None
    assert TOY.results[-1] is True
    assert "✓ `toy_answer`: Correct! It is above 0." in capsys.readouterr().out
    assert TOY.check(-1) is None
    assert TOY.results[-1] is False
    assert "✗ `toy_answer`: It must be positive." in capsys.readouterr().out


def test_evaluate_gives_the_verdict_without_printing(capsys):
    assert TOY.evaluate(3) == (True, "Correct! It is above 0.")
    assert TOY.evaluate(-1) == (False, "It must be positive.")
    assert capsys.readouterr().out == ""


def test_reads_the_variable_from_main_when_no_argument(fresh_main):
    fresh_main.toy_answer = 5
    assert TOY.evaluate()[0] is True
    fresh_main.toy_answer = -5
    assert TOY.evaluate() == (False, "It must be positive.")


def test_missing_variable_is_reported(fresh_main):
    ok, message = TOY.evaluate()
    assert not ok and "Define a variable named `toy_answer`" in message


def test_placeholder_ellipsis_is_reported():
    ok, message = TOY.evaluate(...)
    assert not ok and "Replace the `...`" in message


def test_unexpected_errors_in_a_checker_become_feedback():
    def fragile(answer):
        return answer["key"] + 1

    ex = Exercise("x", "a dictionary with a number under 'key'", fragile, "", "x = {'key': 1}")
    ok, message = ex.evaluate([1, 2])
    assert not ok and "Expected a dictionary with a number under 'key', but got list (TypeError" in message


@pytest.mark.parametrize(
    "answer", [3, 3.5, np.float32(2.0), np.float64(2.5), np.int64(7), np.int32(7), np.uint8(7), np.array(4.0)]
)
def test_expect_number_accepts_numbers(answer):
    assert expect_number(answer, "n") == float(answer)


@pytest.mark.parametrize(
    "answer, needle",
    [
        ("7", "leave out the quotes"),
        (True, "got bool"),
        (np.bool_(True), "got bool"),
        (None, "got NoneType"),
        ([7], "got list"),
        (np.array([1.0, 2.0]), "array of shape (2,)"),
        (float("nan"), "got nan"),
    ],
)
def test_expect_number_rejects_non_numbers(answer, needle):
    with pytest.raises(Wrong, match=re.escape(needle)):
        expect_number(answer, "the number of classes")


@pytest.mark.parametrize(
    "value, text",
    [
        (1_872_872, "1,872,872"),
        (1_872_871.0, "1,872,871"),
        (np.int64(13_500_000), "13,500,000"),
        (2880.5, "2,880.5"),
        (0.0707, "0.0707"),
        (0.00025, "0.00025"),
        (1 / 3, "0.3333"),
        (-0.02, "-0.02"),
        (7, "7"),
    ],
)
def test_fmt_writes_thousands_separators_and_never_scientific_notation(value, text):
    assert fmt(value) == text
    assert "e+" not in fmt(value) and "e-" not in fmt(value)


def _verdict(answer, expected, **options):
    """(True, "") when check_number accepts ``answer``; (False, message) otherwise."""
    try:
        check_number(answer, expected, "the answer", **options)
    except Wrong as wrong:
        return False, str(wrong)
    return True, ""


@pytest.mark.parametrize("answer", [7, 7.0, np.int64(7), np.int32(7), np.uint16(7), np.float32(7), np.array(7)])
def test_a_whole_number_is_accepted_in_any_integer_type(answer):
    assert _verdict(answer, 7, whole=True) == (True, "")


def test_large_counts_are_compared_exactly_and_named_in_full():
    ok, message = _verdict(1_872_872, 1_872_871, whole=True)
    assert not ok and "1,872,872" in message and "e+06" not in message and "Close" in message
    ok, message = _verdict(1.87e6, 1_872_871, whole=True)
    assert not ok and "1,870,000" in message
    ok, message = _verdict(6.5, 7, whole=True)
    assert not ok and "not a whole number" in message
    ok, message = _verdict(8, 7, whole=True, otherwise="{value} is not it.")
    assert not ok and message == "8 is not it."


@pytest.mark.parametrize("answer", [0.33, 0.333, 1 / 3, np.float32(1 / 3), np.float64(0.3334)])
def test_a_real_number_is_right_within_the_relative_tolerance(answer):
    assert _verdict(answer, 1 / 3) == (True, "")


@pytest.mark.parametrize("answer, expected", [(3.2, math.sqrt(82 / 8)), (0.67, 2 / 3), (0.071, 0.0707)])
def test_two_significant_digits_pass(answer, expected):
    assert _verdict(answer, expected) == (True, "")


@pytest.mark.parametrize(
    "answer, expected, accepted",
    [(0.5045, 0.5, True), (0.4955, 0.5, True), (0.5075, 0.5, False), (0.4925, 0.5, False), (0.3383, 1 / 3, False)],
)
def test_the_tolerance_is_one_percent(answer, expected, accepted):
    """A real-number answer within 1 % of the answer passes; 1.5 % off is "close" (two significant digits of
    0.9 … 9.9 are always within 1 %, while a tolerance of 2 % would accept 0.3383 for one third)."""
    ok, message = _verdict(answer, expected)
    assert ok == accepted, message
    if not accepted:
        assert "Close — give more digits" in message and "not within 1%" in message


def test_a_value_a_little_off_is_told_to_give_more_digits():
    ok, message = _verdict(0.3, 1 / 3)
    assert not ok and "Close — give more digits" in message and "0.3 " in message


def test_a_percentage_for_a_fraction_and_the_reverse_are_named():
    ok, message = _verdict(100 / 3, 1 / 3, unit=FRACTION)
    assert not ok and "as a percentage" in message and "divide by 100" in message
    ok, message = _verdict(0.25, 25, unit=PERCENT)
    assert not ok and "as a fraction" in message and "multiply by 100" in message
    assert _verdict(25, 25, unit=PERCENT) == (True, "")


def test_each_listed_mistake_gets_its_feedback_and_colliding_ones_give_both():
    mistakes = [(30, "Use >=, not >."), (25, "That is Ag5."), (30, "That is the ImageOnly scope.")]
    assert _verdict(25, 32, whole=True, mistakes=mistakes) == (False, "That is Ag5.")
    ok, message = _verdict(30, 32, whole=True, mistakes=mistakes)
    assert not ok and "more than one slip" in message
    assert "Use >=, not >." in message and "ImageOnly" in message
    assert _verdict(32, 32, whole=True, mistakes=mistakes) == (True, "")


@pytest.mark.parametrize("answer", ["Euphoric + Calm", "  euphoric + calm ", "EUPHORIC+CALM", "Euphoric  +\tCalm"])
def test_text_is_stripped_and_compared_without_case(answer):
    assert check_text(answer, "Euphoric + Calm", "class name") == answer.strip()


def test_text_mistakes_and_choices_are_named():
    with pytest.raises(Wrong, match="wrong order"):
        check_text(" calm + euphoric", "Euphoric + Calm", "class", mistakes={"Calm + Euphoric": "wrong order"})
    with pytest.raises(Wrong, match="not one of the classs: A, B"):
        check_text("C", "A", "class", choices=["A", "B"])
    with pytest.raises(Wrong, match="Expected a class"):
        check_text(3, "A", "a class")


def test_names_and_integers_accept_any_spelling_and_integer_type():
    assert names([" Love", "HAPPINESS"], ("happiness", "love", "fear"), "emotions") == {"love", "happiness"}
    assert integers([np.int64(429), 500, np.int32(503), 408.0], "statuses") == {408, 429, 500, 503}
    with pytest.raises(Wrong, match="not as text"):
        integers(["429"], "statuses")
    with pytest.raises(Wrong, match="not a whole number"):
        integers([429.5], "statuses")


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
    assert ex.check("ex-98-2") is None and TOY.results[-1] is True
    ex.check("ex-98-2", -1)
    assert TOY.results[-1] is False
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


def _archive_dir() -> Path:
    """The extracted archive of this run's data (the tests' session: the smoke sample), made if needed."""
    from course_utils.datasets.session import ensure_source, open_session

    return ensure_source(open_session()).archive_dir


def _happy_from_the_text(level: str) -> dict[str, int]:
    """Counts of exercise 2.1 read from a file's text with ``csv``, shares compared in thousandths: the right count
    and the usual slips (All file), or the 1s of the art scope's happiness column (an AgN file)."""
    path = _archive_dir() / f"WikiArt-Emotions-{level}.tsv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if level != "All":
        return {"right": sum(row["Art (image+title): happiness"] == "1" for row in rows)}
    art = [round(1000 * float(row["Art (image+title): happiness"])) for row in rows]
    image = [round(1000 * float(row["ImageOnly: happiness"])) for row in rows]
    return {
        "right": sum(v >= 400 for v in art),
        "strict": sum(v > 400 for v in art),
        "ag5": sum(v >= 500 for v in art),
        "image": sum(v >= 400 for v in image),
        "rows": len(rows),
    }


def _head(input_shape, *middle):
    return keras.Sequential([keras.Input(input_shape), *middle])


def _layer_params(layer, input_shape) -> int:
    """A layer's parameter count, counted by Keras once it is built for ``input_shape``."""
    layer.build(input_shape)
    return layer.count_params()


def _alexnet_flatten_with_pool2() -> int:
    """The flatten size of AlexNet's layers with 2 × 2 pooling, from Keras's own shape arithmetic."""
    model = _head(
        (125, 125, 3),
        layers.Conv2D(16, 11, padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 5, padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
    )
    return model.output_shape[-1]


def _wider_original() -> int:
    """The original CNN with 32 filters first, built with Keras and counted."""
    return _head(
        (125, 125, 3),
        layers.Conv2D(32, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128),
        layers.Dense(7),
    ).count_params()


def _random_precisions() -> list[float]:
    """What ``retrieval.random_precision`` returns for the exercise's gallery under 30 seeds."""
    from course_utils.analysis.retrieval import random_precision

    relevant = np.array([True] * 50 + [False] * 150)
    return [random_precision(relevant, k=10, seed=seed) for seed in range(30)]


def _rmse_swapped_by_hand() -> float:
    """The study's RMSE of the renamed answers, with numpy (class ``i`` becomes ``SWAP[i]``)."""
    y_true = np.array([5, 5, 5, 5, 4, 4, 0, 0])
    swap = np.array([5, 1, 2, 3, 4, 0, 6])
    return float(np.sqrt(np.mean((swap[y_true] - swap[np.full(8, 5)]) ** 2)))


def _exact_by_hand() -> float:
    true = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    predicted = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    return float(np.mean(np.all(true == predicted, axis=1)))


#: For every exercise, other right forms of the answer (each a callable, so Keras objects are built fresh):
#: computed another way, with the package or by hand, in another type, or rounded within the tolerance.
ALTERNATIVES = {
    "ex-01-1": [lambda: np.int64(7), lambda: 7.0, lambda: 2**3 - 1],
    "ex-01-2": [lambda: np.int64(6 + 4 * 8), lambda: 38.0],
    "ex-02-1": [  # data-dependent: besides the solution's own value in other types (generic forms below)
        lambda: _happy_from_the_text("Ag4")["right"],  # the Ag4 file's 1s: present where >= 40 % chose it
        lambda: np.int64(_happy_from_the_text("All")["right"]),
    ],
    "ex-02-2": [
        lambda: [408, 429, 500, 503],
        lambda: (503, 500, 429, 408),
        lambda: {np.int64(408), np.int64(429), np.int64(500), np.int64(503)},
        lambda: np.array([408, 429, 500, 503]),
        lambda: frozenset({408, 429, 500, 503}),
    ],
    "ex-03-1": [lambda: ["love", "happiness"], lambda: {"Happiness ", "LOVE"}, lambda: ("happiness", "love")],
    "ex-03-2": [lambda: {"Calm", "Aggressive"}, lambda: ["aggressive", " calm"]],
    "ex-04-1": [lambda: "euphoric + calm", lambda: " Euphoric+Calm ", lambda: "EUPHORIC + CALM"],
    "ex-04-2": [lambda: np.int64(5), lambda: np.int32(5), lambda: 5.0],
    "ex-05-1": [lambda: _layer_params(layers.Conv2D(32, 3), (None, 9, 9, 16)), lambda: np.int64(4640)],
    "ex-05-2": [_wider_original, lambda: np.int64(1_872_871), lambda: 1_872_871.0],
    "ex-05-5": [
        lambda: layers.Conv2D(16, (5, 5), padding="same"),
        lambda: layers.Conv2D(filters=16, kernel_size=5, padding="same", activation="relu"),
        lambda: layers.Conv2D(16, 5, padding="SAME"),
        lambda: layers.Conv2D(16, 5, padding="same", dilation_rate=2),
    ],
    "ex-06-1": [lambda: 2880, lambda: np.float32(2880.0), lambda: 14_400 / 5, lambda: 2.88e3, lambda: 2870],
    "ex-06-2": [
        lambda: [layers.Dropout(0.2), layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(7)],
        lambda: _head(
            (15, 15, 64), layers.Flatten(), layers.Dropout(0.2), layers.Dense(128, "relu"), layers.Dense(7)
        ),
        lambda: keras.Sequential(
            [layers.Dropout(rate=0.2), layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(7)]
        ),
        lambda: _head(
            (15, 15, 64),
            layers.Dropout(0.2),
            layers.Flatten(),
            layers.Dense(128),
            layers.Activation("relu"),
            layers.Dense(7, activation="linear", dtype="float32", name="logits"),
        ),
    ],
    "ex-07-1": [lambda: _layer_params(layers.Dense(128), (None, 31 * 31 * 16)), lambda: np.int64(1_968_256)],
    "ex-07-2": [lambda: float(1 - np.tanh(2) ** 2), lambda: 0.0707, lambda: 0.071, lambda: np.float32(0.07065)],
    "ex-08-1": [lambda: np.int64(549_463), lambda: 549_463.0],
    "ex-09-1": [lambda: np.int64(5824), lambda: 11 * 11 * 3 * 16 + 16.0],
    "ex-09-2": [_alexnet_flatten_with_pool2, lambda: np.int64(3600)],
    "ex-10-2": [lambda: 1 / 3, lambda: 0.33, lambda: 0.333, lambda: np.float64(1 / 3), lambda: np.float32(0.3333)],
    "ex-10-3": [_rmse_swapped_by_hand, lambda: 3.2, lambda: 3.20, lambda: np.float32(3.2016)],
    "ex-10-5": [lambda: np.int64(266), lambda: 266.0, lambda: 6 * 66 - (11 + 3 + 1 + 30 + 66 + 19)],
    "ex-11-1": [lambda: __import__("keras_tuner").Objective("val_balanced_accuracy", "max")],
    "ex-11-2": [lambda: np.int64(200), lambda: 200.0, lambda: 5 * 2 * 20],
    "ex-11-4": [lambda: np.int64(0), lambda: 0.0, lambda: max(20 - 3 * 8, 0)],
    "ex-13-1": [lambda: 0.6 * 0.8 + 0.3 * -0.7, lambda: 0.27, lambda: np.float32(0.27), lambda: 0.270],
    "ex-13-2": [lambda: 0, lambda: np.int64(0), lambda: -0.0, lambda: 1e-12, lambda: np.float32(0.0)],
    "ex-13-5": [
        lambda: [layers.Dense(2)],
        lambda: layers.Dense(2, activation="linear"),
        lambda: keras.Sequential([layers.Dense(2)]),
        lambda: _head((128,), layers.Dense(2), layers.Activation("linear")),
        lambda: _head((128,), layers.Dense(units=2, activation=None, name="valence_arousal", dtype="float32")),
    ],
    "ex-14-1": [
        lambda: np.int64(4),
        lambda: 4.0,
        lambda: sum("Calm" in n for n in __import__("course_utils.labels", fromlist=["CLASS_NAMES"]).CLASS_NAMES),
    ],
    "ex-14-2": [_exact_by_hand, lambda: 0.67, lambda: 0.667, lambda: np.float32(2 / 3)],
    "ex-15-1": [
        lambda: 0.25,
        lambda: 1 / 4,
        lambda: np.float64(0.25),
        *[(lambda value=value: value) for value in _random_precisions()],
    ],
    "ex-15-2": [lambda: "calm", lambda: " Calm ", lambda: "CALM"],
    "ex-16-1": [lambda: np.int64(4039), lambda: 576 * 7 + 7, lambda: 4039.0],
    "ex-17-2": [lambda: 0.25, lambda: np.float32(0.25), lambda: 1 / 4],
    "ex-17-3": [lambda: 0.2, lambda: 0.6 * 0.3 + 0.4 * 0.05, lambda: np.float64(0.2), lambda: 0.20],
    "ex-18-1": [lambda: np.int64(16), lambda: 16.0, lambda: -(-2000 // 128)],
    "ex-18-2": [
        lambda: keras.optimizers.Adam(0.004),
        lambda: keras.optimizers.Adam(learning_rate=0.001 * 8 * 16 / 32),
        lambda: keras.optimizers.Adam(learning_rate=float(np.float32(0.004)), beta_1=0.9),
    ],
    "ex-18-3": [lambda: np.int64(13_500_000), lambda: 13_500_000.0, lambda: 125**2 * 16 * 27 * 2],
}
#: The build-it exercises' other right answers are other implementations (tests/build_it_answers.py).
ALTERNATIVES.update({label: [lambda f=f: f for f in found] for label, found in BUILD_IT_RIGHT.items()})
#: Exercises whose answer is a share: a percentage given for it must be named.
SHARES = {"ex-10-2", "ex-14-2", "ex-15-1", "ex-17-2", "ex-17-3"}


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
        assert ex.why.strip(), f"{key}: a right answer is told why it is right (`why`)"
        assigned = rf"\b{re.escape(ex.variable)}\s*=|^def {re.escape(ex.variable)}\("  # a value or a function
        assert re.search(assigned, ex.solution_text, re.MULTILINE), (
            f"{key}: the solution must assign `{ex.variable}`"
        )
    for key in getattr(module, "WRONG_ANSWERS", {}):
        assert key in module.EXERCISES, f"{module.__name__}.WRONG_ANSWERS names unknown exercise {key!r}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_exercise_lists_mistakes_and_alternatives(case):
    """An exercise without WRONG_ANSWERS would make the mistakes test run zero times for it."""
    number, label = case
    wrong = getattr(chapter_module(number), "WRONG_ANSWERS", {}).get(label, [])
    assert len(wrong) >= 3, f"{label}: list at least three common mistakes in WRONG_ANSWERS (has {len(wrong)})"
    assert ALTERNATIVES.get(label), f"{label}: list at least one other right form of its answer in ALTERNATIVES"


def test_alternatives_and_shares_name_only_real_exercises():
    labels = {label for _, label in CASES}
    assert set(ALTERNATIVES) <= labels and SHARES <= labels


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
    ok, message = ex.evaluate(namespace[ex.variable])
    assert ok, message
    assert message.startswith("Correct! ") and ex.why in message, "success says why the answer is right"
    setattr(fresh_main, ex.variable, namespace[ex.variable])
    ex.check()
    assert ex.results[-1] is True, "check() without an argument reads the notebook's variable"
    assert f"✓ `{ex.variable}`: Correct! {ex.why}" in capsys.readouterr().out


def _generic_forms(value) -> list:
    """The solution's own number in other types and rounded to two significant digits."""
    if isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.number)):
        return []
    value = float(value)
    forms = [np.float64(value), np.array(value)]
    if value.is_integer():
        forms += [int(value), np.int64(value), np.int32(value)]
        if abs(value) < 2**24:
            forms.append(np.float32(value))
    else:
        forms += [np.float32(value), float(f"{value:.2g}")]
    return forms


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_other_right_forms_are_accepted(case):
    number, key = case
    ex = chapter_module(number).EXERCISES[key]
    value = run_solution(number, ex)[ex.variable]
    forms = [make() for make in ALTERNATIVES[key]] + _generic_forms(value)
    for answer in forms:
        ok, message = ex.evaluate(answer)
        assert ok, f"{key}: {answer!r} is right but was refused: {message}"


@pytest.mark.parametrize("label", sorted(SHARES))
def test_a_percentage_for_a_share_is_named(label):
    number = label[3:5]
    ex = chapter_module(number).EXERCISES[label]
    value = float(run_solution(number, ex)[ex.variable])
    ok, message = ex.evaluate(100 * value)
    assert not ok and "as a percentage" in message, message


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_common_mistakes_get_specific_feedback(case):
    number, key = case
    module = chapter_module(number)
    for answer, needle in module.WRONG_ANSWERS[key]:
        ok, message = module.EXERCISES[key].evaluate(answer)
        assert not ok, f"{key}: {answer!r} was accepted"
        assert needle in message, f"{key}: feedback for {answer!r} should mention {needle!r}; it says: {message}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_wrong_types_are_reported_without_raising(case, capsys):
    number, key = case
    ex = chapter_module(number).EXERCISES[key]
    for answer in NOT_ANSWERS:
        ex.check(answer)
        assert ex.results[-1] is False, f"{answer!r} was accepted"
        assert f"✗ `{ex.variable}`: " in capsys.readouterr().out


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_missing_variable_is_reported_for_every_exercise(case, fresh_main):
    number, key = case
    ex = chapter_module(number).EXERCISES[key]
    ok, message = ex.evaluate()
    assert not ok and f"`{ex.variable}`" in message


def test_happy_count_mistakes_are_diagnosed_apart_and_a_collision_names_both(monkeypatch):
    """ex-02-1 on data where the image-scope count equals the strict count (as on one sample): the answer gets
    both diagnoses, not the wrong one alone; on data where they differ, each gets its own."""
    module = chapter_module("02")
    ex = module.EXERCISES["ex-02-1"]
    counts = {"right": 32, "strict": 30, "ag5": 25, "image": 30, "rows": 240}
    monkeypatch.setattr(module, "_happy_counts", lambda: counts)
    ok, message = ex.evaluate(30)
    assert not ok and ">=, not >" in message and "ImageOnly" in message
    counts["image"] = 35
    assert ">=, not >" in ex.evaluate(30)[1] and "ImageOnly" not in ex.evaluate(30)[1]
    assert "ImageOnly" in ex.evaluate(np.int64(35))[1]
    assert "Ag5" in ex.evaluate(25)[1] and "all artworks" in ex.evaluate(240)[1]
    assert "percentage" in ex.evaluate(100 * 32 / 240)[1]
    assert ex.evaluate(np.int64(32))[0] and ex.evaluate(32.0)[0]


def test_happy_count_checker_agrees_with_the_files_text():
    """ex-02-1 on the tests' data, its counts read here from the All file's text: the right count passes, and each
    slip (">" for ">=", the Ag5 threshold, the ImageOnly scope, every row) gets its own feedback. The counts
    differ on this data (asserted), so no slip can hide behind another or behind the right answer."""
    ex = chapter_module("02").EXERCISES["ex-02-1"]
    counts = _happy_from_the_text("All")
    assert len(set(counts.values())) == len(counts), f"the sample no longer tells the slips apart: {counts}"
    assert ex.evaluate(counts["right"])[0]
    feedback = {"strict": ">=, not >", "ag5": "Ag5", "image": "ImageOnly", "rows": "all artworks"}
    for slip, needle in feedback.items():
        ok, message = ex.evaluate(counts[slip])
        assert not ok and needle in message and "more than one slip" not in message, (slip, message)


def test_the_quick_epochs_exercise_rests_on_two_entries_of_the_budget():
    """ex-01-2's answer and its explanation (6 + 4 × 8) hold while the quick budget names only the original CNN
    and a default; another entry would make both wrong."""
    from course_utils.config.profiles import budget

    assert dict(budget("quick").epochs) == {"original": 6, "default": 8}
    assert "6 + 4 × 8 = 38" in chapter_module("01").EXERCISES["ex-01-2"].why


def test_r2_hint_no_longer_cuts_an_integer_mean():
    """ex-13-2: following the hint on an integer array gives R² = 0; the old np.full_like gave a negative R²,
    which the checker now names as a cut mean."""
    from sklearn.metrics import r2_score

    ex = chapter_module("13").EXERCISES["ex-13-2"]
    assert "np.full(len(y), y.mean())" in ex.hint_text
    y = np.array([1, 2, 3, 5])
    assert ex.evaluate(r2_score(y, np.full(len(y), y.mean())))[0]
    truncated = r2_score(y, np.full_like(y, y.mean()))
    ok, message = ex.evaluate(truncated)
    assert truncated < 0 and not ok and "cut to a whole number" in message


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


def test_ex_16_1_no_artwork_gains_a_class_when_the_threshold_rises():
    """ex-17-1 (an open exercise, its answer in the chapter): at 0.45 an artwork without a class at 0.40 stays
    without one, because a lone neutral share ≥ 0.40 would already have made it Calm; neutral can only turn an
    artwork that had a class into Calm. Checked on hand-made artworks and on random shares in tenths (10 voters)."""
    import pandas as pd

    from course_utils.data.schema import EMOTIONS
    from course_utils.labels import label_table, shares_frame

    hand = shares_frame(
        {
            "neutral wins at 0.45": {"happiness": 0.4, "neutral": 0.5},  # Euphoric at 0.40, Calm at 0.45
            "lone neutral": {"neutral": 0.4},  # Calm already at 0.40
            "nothing reaches 0.40": {"neutral": 0.3, "fear": 0.3},
        }
    )
    at_40, at_45 = (label_table(hand, t)["class"] for t in (0.4, 0.45))
    assert (at_40["neutral wins at 0.45"], at_45["neutral wins at 0.45"]) == ("Euphoric", "Calm")
    assert at_40["lone neutral"] == "Calm" and at_45.isna()["lone neutral"]
    assert at_40.isna()["nothing reaches 0.40"] and at_45.isna()["nothing reaches 0.40"]

    rng = np.random.default_rng(18)
    votes = rng.integers(0, 11, size=(5000, len(EMOTIONS))) * (rng.random((5000, len(EMOTIONS))) < 0.15)
    votes[:, list(EMOTIONS).index("neutral")] = rng.integers(0, 11, size=5000)
    random = pd.DataFrame(votes / 10, columns=list(EMOTIONS))
    at_40, at_45 = (label_table(random, t)["class"].fillna("none") for t in (0.4, 0.45))
    gained = (at_40 == "none") & (at_45 != "none")
    assert not gained.any(), random[gained].head()
    became_calm = ~at_40.isin(["none", "Calm"]) & (at_45 == "Calm")
    assert became_calm.any(), "the random artworks never show neutral's twist; the check would prove nothing"
