"""Build-it exercises: the checker machinery (exercises/build_it.py) and every build-it exercise fed its solution,
two other right implementations and two typical wrong ones (tests/build_it_answers.py).

The machinery is tested on a toy exercise whose reference and inputs are written here: the first differing input
is named with its note, the learner's result and the package's; a typical mistake gets its feedback (and of two
that fit one input, the one that fits the earlier inputs too); a function that raises is told which input; each
check draws new inputs from the next seed and the same seed gives the same inputs and the same message; results
are compared with tolerances, NaN equal to NaN, text as text. Every chapter's build-it exercise then gets the right
and wrong answers, each at more than one seed.
"""

import math
import re

import keras
import numpy as np
import pandas as pd
import pytest
from build_it_answers import RIGHT, WRONG
from keras import layers

from course_utils.exercises import Exercise, Wrong, chapter_module, chapter_modules
from course_utils.exercises.build_it import (
    BuildIt,
    Case,
    Mistake,
    ModelRun,
    Named,
    as_numbers,
    call_text,
    model_input,
    model_run,
    same,
    seeded_weights,
    show,
    training_only,
)

# --- the machinery, on a toy exercise: the sign of a number -------------------------------------------------


def sign(x: float) -> str:
    """The toy reference: "+" for x ≥ 0, "-" below."""
    return "+" if x >= 0 else "-"


def toy_cases(rng: np.random.Generator) -> list[Case]:
    return [Case((0.0,), "zero")] + [Case((float(x),)) for x in rng.uniform(-5, 5, 6).round(2)]


def toy(**options) -> BuildIt:
    settings = dict(
        name="sign",
        what="a function sign(x)",
        reference=sign,
        package="toy.sign",
        cases=toy_cases,
        mistakes=[
            Mistake(lambda x: "+" if x > 0 else "-", "Zero counts as positive: use >=."),
            Mistake(lambda x: "-" if x >= 0 else "+", "The signs are swapped."),
        ],
    )
    settings.update(options)
    return BuildIt(**settings)


def verdict(checker: BuildIt, answer, seed: int = 0) -> str:
    """The message a check raises ("" when the answer passes)."""
    try:
        checker.check(answer, seed)
    except Wrong as wrong:
        return str(wrong)
    return ""


def test_a_right_function_passes_every_seed():
    checker = toy()
    assert all(verdict(checker, lambda x: "-" if x < 0 else "+", seed) == "" for seed in range(5))


def test_the_first_differing_input_is_named_with_both_results_and_the_mistakes_feedback():
    message = verdict(toy(), lambda x: "+" if x > 0 else "-", seed=3)
    assert message.startswith("On input 1 of 7 (seed 3, zero), sign(0.0) gives '-', "), message
    assert "but the package's toy.sign gives '+'. Zero counts as positive: use >=." in message


def test_a_difference_no_mistake_explains_gets_no_feedback():
    """Always "+": the swapped signs give "+" on the first negative input too, but "-" on 0.0, where the learner
    was right, so it is not the learner's mistake."""
    message = verdict(toy(), lambda x: "+", seed=0)
    first_negative = next(i for i, c in enumerate(toy_cases(np.random.default_rng(0)), 1) if c.args[0] < 0)
    assert message.startswith(f"On input {first_negative} of 7 (seed 0)") and message.endswith("gives '-'."), (
        message
    )


def test_a_mistake_is_named_only_when_it_gives_the_learners_results_on_the_earlier_inputs_too():
    """On 0.0 both the strict and the swapped signs give "-"; only the strict one gives the learner's "+" on 3.0
    before it."""
    cases = lambda rng: [Case((3.0,)), Case((0.0,))]  # noqa: E731
    mistakes = [
        Mistake(lambda x: "-" if x >= 0 else "+", "swapped"),
        Mistake(lambda x: "+" if x > 0 else "-", "strict"),
    ]
    message = verdict(toy(cases=cases, mistakes=mistakes), lambda x: "+" if x > 0 else "-")
    assert message.endswith("strict"), message


def test_a_function_that_raises_is_told_the_input():
    message = verdict(toy(), lambda x: {1: "+"}[x])
    assert message == "On input 1 of 7 (seed 0, zero), sign(0.0) raised KeyError: 0.0.", message


def test_each_check_draws_fresh_inputs_and_a_seed_gives_the_same_inputs_and_message():
    checker = toy()
    first, again, other = checker.inputs(5), checker.inputs(5), checker.inputs(6)
    assert [c.args for c in first] == [c.args for c in again] != [c.args for c in other]
    wrong = lambda x: "+" if x > 1 else "-"  # noqa: E731 (wrong on (0, 1] and at 0)
    assert verdict(checker, wrong, 5) == verdict(checker, wrong, 5)
    seeds = []
    checker.check = lambda answer, seed: seeds.append(seed)  # what __call__ passes on
    for _ in range(3):
        checker(sign)
    assert seeds == [0, 1, 2]


def test_the_answer_must_be_a_function_of_the_right_arguments_and_not_the_packages_own():
    assert "define it with `def`" in verdict(toy(), "+")
    assert "cannot be called with 1 argument(s)" in verdict(toy(), lambda x, y: "+")
    assert "Keras Dense: put the code" in verdict(toy(), layers.Dense(2))
    assert "the package's own toy.sign" in verdict(toy(), sign)


def test_a_function_that_changes_its_input_does_not_change_the_packages():
    seen = []

    def reference(values):
        seen.append(list(values))
        return sum(values)

    def greedy(values):
        values.append(100)
        return sum(values) - 100

    checker = BuildIt("total", "a function total(values)", reference, "toy.total", lambda rng: [Case(([1, 2],))])
    assert verdict(checker, greedy) == "" and seen == [[1, 2]]


@pytest.mark.parametrize(
    "got, expected, equal",
    [
        (np.str_("Calm"), "Calm", True),
        (np.array("Calm"), "Calm", True),
        ("calm", "Calm", False),
        (None, None, True),
        (pd.NA, None, True),
        (float("nan"), None, True),
        ("", None, False),
        (0.1 + 0.2, 0.3, True),
        (np.float32(1 / 3), 1 / 3, True),
        (0.3334, 1 / 3, False),
        (np.array([1.0, np.nan]), [1.0, np.nan], True),
        (np.array([1.0, 2.0]), np.array([[1.0, 2.0]]), False),
        (1, 1.0, True),
        (True, 1.0, False),
        ("1", 1, False),
        ((0.1, "a"), [0.1, "a"], True),
        (ModelRun(3, (), np.ones(2)), ModelRun(3, (), np.ones(2) + 1e-7), True),
        (ModelRun(3, ("Dropout(rate=0.2)",), np.ones(2)), ModelRun(3, (), np.ones(2)), False),
    ],
)
def test_results_are_compared_with_tolerance_nan_and_text(got, expected, equal):
    assert same(got, expected) is equal


def test_messages_show_values_briefly_and_calls_as_code():
    assert show(0.123456) == "0.1235" and show("Calm") == "'Calm'" and show(None) == "None"
    assert show(np.arange(100.0)) == "an array of shape (100,): [ 0., 1., 2., ..., 97., 98., 99.]"
    assert len(show(np.arange(10_000.0).reshape(100, 100))) <= 240
    assert show((1.0, float("nan"))) == "(1, nan)"
    case = Case((np.array([1, 2]), Named("model"), 0.25, "conv"))
    assert call_text("f", case) == "f(np.array([1, 2]), model, 0.25, 'conv')"
    assert as_numbers("1") is None and as_numbers([True, False]).tolist() == [1.0, 0.0]


# --- Keras answers ----------------------------------------------------------------------------------------------


def test_seeded_weights_give_models_of_the_same_shapes_the_same_numbers():
    build = lambda: keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])  # noqa: E731
    a, b = seeded_weights(build(), 7), seeded_weights(build(), 7)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(seeded_weights(build(), 8).get_weights()[0], a.get_weights()[0])
    kernel = seeded_weights(keras.Sequential([keras.Input((400,)), layers.Dense(300)]), 0).get_weights()[0]
    assert math.isclose(kernel.std(), 1 / math.sqrt(400), rel_tol=0.05), "kernels keep activations' size"


def test_model_runs_compare_what_a_model_computes_and_its_training_only_layers():
    run = model_run("a block")
    case = Case((4,), "", model_input(np.random.default_rng(0), (6, 6, 2)))
    plain = run(lambda f: [layers.Conv2D(f, 3, padding="same")], case)
    as_sequential = run(lambda f: keras.Sequential([layers.Conv2D(f, 3, padding="same")]), case)
    with_dropout = run(lambda f: [layers.Conv2D(f, 3, padding="same"), layers.Dropout(0.3)], case)
    relu = run(lambda f: [layers.Conv2D(f, 3, padding="same", activation="relu")], case)
    assert plain.params == 2 * 9 * 4 + 4 and plain.output.shape == (2, 6, 6, 4)
    assert same(as_sequential, plain) and not same(relu, plain)
    assert not same(with_dropout, plain) and with_dropout.training_only == ("Dropout(rate=0.3)",)
    model = keras.Sequential([keras.Input((4, 4, 1)), layers.RandomRotation(0.1), layers.RandomZoom((-0.2, 0.2))])
    assert training_only(model) == (
        "RandomRotation(factor=(-0.1, 0.1))",
        "RandomZoom(height_factor=(-0.2, 0.2), width_factor=None)",
    )


# --- every build-it exercise ---------------------------------------------------------------------------------------

BUILT = {
    label: (number, exercise)
    for number in chapter_modules()
    for label, exercise in chapter_module(number).EXERCISES.items()
    if isinstance(exercise.checker, BuildIt)
}
SEEDS = (0, 1)


def test_every_chapter_from_03_has_a_build_it_exercise_and_all_have_answers_here():
    chapters = {label[3:5] for label in BUILT}
    assert chapters >= {f"{n:02d}" for n in range(3, 19)}, sorted(chapters)
    assert len(BUILT) >= 15
    assert set(RIGHT) == set(WRONG) == set(BUILT), "each build-it exercise has right and wrong answers here"
    assert all(len(RIGHT[label]) >= 2 and len(WRONG[label]) >= 2 for label in BUILT)


def solution_of(exercise: Exercise):
    namespace = {"__name__": "__solution__"}
    exec(exercise.solution_text, namespace)
    return namespace[exercise.variable]


@pytest.mark.parametrize("label", sorted(BUILT))
def test_the_solution_and_two_other_right_implementations_pass(label):
    exercise = BUILT[label][1]
    for answer in [solution_of(exercise), *RIGHT[label]]:
        for seed in SEEDS:
            message = verdict(exercise.checker, answer, seed)
            assert message == "", f"{label}: {getattr(answer, '__name__', answer)} at seed {seed}: {message}"


@pytest.mark.parametrize("label", sorted(BUILT))
def test_two_typical_wrong_implementations_get_their_named_feedback(label):
    exercise = BUILT[label][1]
    for answer, needle in WRONG[label]:
        for seed in SEEDS:
            message = verdict(exercise.checker, answer, seed)
            assert re.match(r"On input \d+ of \d+ \(seed \d+", message), f"{label}: {answer.__name__}: {message}"
            assert exercise.checker.expected_from in message
            assert needle in message, (
                f"{label}: {answer.__name__} at seed {seed} should be told {needle!r}: {message}"
            )


@pytest.mark.parametrize("label", sorted(BUILT))
def test_every_mistake_the_checker_names_is_wrong_on_its_inputs(label):
    """A typical mistake that gave the right result on every input would be named for nothing: each one must
    differ from the package on at least one input of a check."""
    checker = BUILT[label][1].checker
    for mistake in checker.mistakes:
        assert verdict(checker, mistake.variant, 0) or verdict(checker, mistake.variant, 1), (
            f"{label}: the mistake {mistake.feedback[:40]!r}… passes the check"
        )
