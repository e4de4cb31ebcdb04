"""The answer checker's feedback, word for word (mutants of course_utils.exercises that survived
benchmarks/mutation.py changed a message or a bound the other tests only looked at in part). The messages are what
a learner reads, so each branch is pinned to its whole text. TensorFlow-free and quick."""

import re
import sys

import numpy as np
import pytest

from course_utils.exercises import (
    FRACTION,
    PERCENT,
    Exercise,
    Wrong,
    check_number,
    check_text,
    expect_number,
    expect_text,
    fmt,
    integers,
    is_whole,
    names,
    same_text,
)


def says(message: str):
    """pytest.raises(Wrong) matching exactly ``message``."""
    return pytest.raises(Wrong, match="^" + re.escape(message) + "$")


def test_expect_number_messages():
    with says("Expected n (a number), but got the text '3': leave out the quotes."):
        expect_number("3", "n")
    with says("Expected n (a number), but got bool."):
        expect_number(True, "n")
    with says("Expected n (a number), but got ndarray."):
        expect_number(np.array(True), "n")
    with says("Expected n (one number), but got an array of shape (2,)."):
        expect_number(np.array([1, 2]), "n")
    with says("Expected n (a number), but got list."):
        expect_number([1], "n")
    with says("Expected n, but got nan."):
        expect_number(float("nan"), "n")
    assert expect_number(np.float32(0.5), "n") == 0.5 and expect_number(np.array(2), "n") == 2.0


def test_number_formats_and_wholeness():
    assert [fmt(v) for v in (1872871, 2880.5, 0.07065, 0.00025, 12.5, float("inf"))] == [
        "1,872,871",
        "2,880.5",
        "0.07065",
        "0.00025",
        "12.5",
        "inf",
    ]
    assert is_whole(3.0) and not is_whole(3.5)


def test_check_number_feedback_word_for_word():
    assert check_number(0.2505, 0.25, "the share") == 0.2505  # within 1 %
    assert check_number(7, 7.0, "the count", whole=True) == 7.0
    with says("a slip"):
        check_number(3, 4, "n", mistakes={3: "a slip"})
    with says("On this data that value comes from more than one slip: one Or: two"):
        check_number(3, 4, "n", mistakes=[(3, "one"), (3.0, "two"), (3, "one")])
    with says(
        "25 is the answer as a percentage; the share is asked as a fraction between 0 and 1: divide by 100."
    ):
        check_number(25, 0.25, "the share", unit=FRACTION)
    with says("0.25 is the answer as a fraction; the share is asked as a percentage: multiply by 100."):
        check_number(0.25, 25, "the share", unit=PERCENT)
    with says(
        "7.5 is not a whole number, but the count is a count: give it exactly, without rounding or dividing."
    ):
        check_number(7.5, 7, "the count", whole=True)
    with says(
        "Close, but 1,001 is not exact: the count is a count, so give every digit (compute it rather than rounding)."
    ):
        check_number(1001, 1000, "the count", whole=True)
    with says("Close — give more digits: 0.27 is within 10% of the answer but not within 1%."):
        check_number(0.27, 0.25, "the share")
    with says("9 is not the count."):
        check_number(9, 10, "the count", whole=True)  # a small count: near is not "close"
    with says("got 0.9"):
        check_number(0.9, 0.5, "the share", otherwise="got {value}")
    with says("0.9 is not the share."):
        check_number(0.9, 0.5, "the share")
    assert check_number(0.5 + 1e-9, 0.5, "x", rel_tol=0, abs_tol=1e-6) == pytest.approx(0.5)


def test_check_text_feedback_word_for_word():
    assert check_text("  calm ", "Calm", "class") == "calm"
    assert same_text(" Aggressive+  Euphoric ") == "aggressive + euphoric"
    with says("Expected class (text such as 'Calm'), but got int."):
        expect_text(3, "class")
    with says("not that one"):
        check_text("Sad", "Calm", "class", mistakes={"sad": "not that one"})
    with says("'Sad' is not one of the classs: Calm, Euphoric."):
        check_text("Sad", "Calm", "class", choices=["Calm", "Euphoric"])
    with says("'Euphoric' is not the class asked for."):
        check_text("Euphoric", "Calm", "class", choices=["Calm", "Euphoric"])
    with says("no: 'Euphoric'"):
        check_text("Euphoric", "Calm", "class", otherwise="no: {value}")


def test_names_and_integers_feedback_word_for_word():
    assert names([" calm", "EUPHORIC"], ["Calm", "Euphoric"], "classes") == {"Calm", "Euphoric"}
    with says("Expected a list of classes, but got the single text 'Calm': put the names in a list."):
        names("Calm", ["Calm"], "classes")
    with says("Expected a list of classes, but got int."):
        names(3, ["Calm"], "classes")
    with says("Expected a list of classes (text), but it holds int."):
        names(["Calm", 3], ["Calm"], "classes")
    with says("'Joy', 'Sad' is not one of the classes: Calm, Euphoric."):
        names(["Sad", "Joy"], ["Calm", "Euphoric"], "classes")
    assert integers([1, np.int64(2), 3.0], "the indices") == {1, 2, 3}
    with says("Expected the indices, but got str."):
        integers("12", "the indices")
    with says("Expected the indices, but got int."):
        integers(3, "the indices")
    with says("Write the items of the indices as whole numbers, not as text ('1')."):
        integers(["1"], "the indices")
    with says("2.5 is not a whole number: the indices holds whole numbers."):
        integers([2.5], "the indices")


def exercise(checker) -> Exercise:
    return Exercise("answer_x", "a number", checker, "hint", "answer_x = 1", why="Because.")


def test_evaluate_and_check_say_what_is_missing_wrong_or_right(monkeypatch, capsys):
    def positive(answer):
        if expect_number(answer, "a positive number") <= 0:
            raise Wrong("not positive")

    ex = exercise(positive)
    monkeypatch.setattr(sys.modules["__main__"], "answer_x", 2, raising=False)
    assert ex.evaluate() == (True, "Correct! Because.")
    monkeypatch.delattr(sys.modules["__main__"], "answer_x")
    assert ex.evaluate() == (False, "Define a variable named `answer_x` first (a number).")
    assert ex.evaluate(...) == (False, "Replace the `...` in `answer_x = ...` with a number.")
    assert ex.evaluate(-1) == (False, "not positive")
    assert ex.evaluate({}) == (False, "Expected a positive number (a number), but got dict.")
    crashing = exercise(lambda answer: answer + "")
    assert crashing.evaluate(1) == (
        False,
        "Expected a number, but got int (TypeError: unsupported operand type(s) for +: 'int' and 'str').",
    )
    assert exercise(positive).evaluate(1)[1] == "Correct! Because."
    assert Exercise("v", "x", positive, "h", "s").evaluate(1) == (True, "Correct!")
    ex.check(3)
    ex.check(-3)
    assert ex.results == [True, False]
    assert capsys.readouterr().out == "✓ `answer_x`: Correct! Because.\n✗ `answer_x`: not positive\n"
