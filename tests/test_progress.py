"""``ex.progress()``: which of a chapter's checked exercises a learner has done in this session.

An exercise is done when its last check passed; one checked but not passed says how often it was tried; one
never checked says so. Shown as a Markdown table in Jupyter (and the book) and as aligned text elsewhere.
"""

from __future__ import annotations

from course_utils.exercises import Chapter, Exercise, Wrong, expect_number


def _positive(answer):
    if expect_number(answer, "a positive number") <= 0:
        raise Wrong("It must be positive.")


def _chapter() -> Chapter:
    """A chapter of three fresh exercises (the package's own keep their verdicts for the whole session)."""
    make = lambda name: Exercise(name, "a positive number", _positive, "", f"{name} = 1")  # noqa: E731
    return Chapter("98", {"ex-98-1": make("first"), "ex-98-2": make("second"), "ex-98-3": make("third")})


def test_progress_follows_the_last_check_of_each_exercise(capsys):
    ex = _chapter()
    assert ex.progress().done == []
    ex.check("ex-98-1", 3)
    ex.check("ex-98-2", -1)
    ex.check("ex-98-2", 0)
    progress = ex.progress()
    assert progress.done == ["ex-98-1"]
    assert [state for _, _, state in progress.rows] == [
        "✓ done",
        "✗ not right yet (2 checks)",
        "· not checked yet",
    ]
    ex.check("ex-98-1", -5)  # a right answer changed into a wrong one is no longer done
    ex.check("ex-98-2", 2)
    assert ex.progress().done == ["ex-98-2"]
    capsys.readouterr()


def test_progress_reads_as_a_table_in_jupyter_and_as_text_elsewhere():
    ex = _chapter()
    ex.check("ex-98-3", 1)
    progress = ex.progress()
    assert progress._repr_markdown_().splitlines() == [
        "**Chapter 98: 1 of 3 checked exercises done**",
        "",
        "| exercise | answer | |",
        "|---|---|---|",
        "| ex-98-1 | `first` | · not checked yet |",
        "| ex-98-2 | `second` | · not checked yet |",
        "| ex-98-3 | `third` | ✓ done |",
    ]
    assert repr(progress).splitlines() == [
        "Chapter 98: 1 of 3 checked exercises done:",
        "  ex-98-1 `first`   · not checked yet",
        "  ex-98-2 `second`  · not checked yet",
        "  ex-98-3 `third`   ✓ done",
    ]


def test_progress_prints_nothing_by_itself(capsys):
    ex = _chapter()
    ex.progress()
    assert capsys.readouterr().out == ""
