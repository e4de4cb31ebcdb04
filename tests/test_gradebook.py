"""`course-utils grade` (course_utils.exercises.gradebook): a folder of submitted notebooks to a gradebook.

The slow tests run the command on folders of chapter-03 submissions (its two checkers need no data and no
TensorFlow, so a notebook takes seconds): a right, an unanswered, a broken, a hanging and an unreadable one must
each get their row and the credit worked out by hand from what their cells define before they stop; a notebook
that fakes a pass gets none. The fast tests cover recognising a chapter, reading files that are no notebook,
reading the verdicts only from the kernel's reply to the grader's code, and the command's one-line errors.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.cli import GRADE_TIMEOUT_S, main
from course_utils.exercises import chapter, check_cell_source, loader_source
from course_utils.exercises.gradebook import (
    GRADEBOOK,
    RESULT,
    Outcome,
    Unreadable,
    feedback_name,
    feedback_text,
    folder_chapter,
    gradebook_csv,
    read_submission,
    read_verdicts,
    recognise_chapter,
    review_flags,
)

ROOT = Path(__file__).resolve().parents[1]
CH03 = chapter("03")
LABELS = ["ex-03-1", "ex-03-2"]
#: Seconds the test folders' notebooks may run: far above the 1 to 4 s a right one takes, far below an hour.
LIMIT_S = 15


def notebook(*code: str, title: str = "# Reisenzein's mood model") -> nbformat.NotebookNode:
    """A submission: a title, the chapter's exercise loader, then code cells (as Colab saves it)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(title)] + [nbformat.v4.new_code_cell(c) for c in code]
    return nb


def answered(label: str) -> str:
    """The exercise's check cell with the solution written above the check, as a learner fills it in."""
    return f'{CH03[label].solution_text}\nex.check("{label}")'


def write(folder: Path, name: str, nb: nbformat.NotebookNode) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def five_submissions(folder: Path) -> None:
    """A right, an unanswered, a broken (raises between its answers), a hanging and an unreadable notebook."""
    loader = loader_source("03")
    write(folder, "right.ipynb", notebook(loader, answered("ex-03-1"), answered("ex-03-2")))
    write(
        folder,
        "unanswered.ipynb",
        notebook(loader, *(check_cell_source(label, CH03[label]) for label in LABELS)),
    )
    write(folder, "broken.ipynb", notebook(loader, answered("ex-03-1"), "1 / 0", answered("ex-03-2")))
    write(
        folder,
        "hanging.ipynb",
        notebook(loader, answered("ex-03-1"), "import time\n\ntime.sleep(3600)", answered("ex-03-2")),
    )
    (folder / "unreadable.ipynb").write_text('{"cells": [ {"cell_type": "code", ')


def run_grade(folder: Path, *options: str) -> tuple[subprocess.CompletedProcess, float]:
    """``python -m course_utils grade FOLDER …`` as an instructor runs it, and its wall-clock seconds."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "course_utils", "grade", str(folder), *options],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, time.monotonic() - started


def rows(path: Path) -> dict[str, dict[str, str]]:
    """The gradebook's rows by notebook."""
    with path.open(newline="") as f:
        return {row["notebook"]: row for row in csv.DictReader(f)}


# --- the whole command on folders of submissions -----------------------------------------------------------


@pytest.mark.slow
def test_five_submissions_get_five_rows_and_the_credit_their_cells_earned(tmp_path):
    five_submissions(tmp_path / "class")
    result, seconds = run_grade(tmp_path / "class", "--timeout", str(LIMIT_S), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    book = rows(tmp_path / "out" / GRADEBOOK)
    print(
        f"\n`course-utils grade` on five notebooks: {seconds:.1f} s\n" + (tmp_path / "out" / GRADEBOOK).read_text()
    )
    assert set(book) == {"right.ipynb", "unanswered.ipynb", "broken.ipynb", "hanging.ipynb", "unreadable.ipynb"}
    credit = {name: (row["status"], row["ex-03-1"], row["ex-03-2"], row["total"]) for name, row in book.items()}
    assert credit == {
        "right.ipynb": ("ran", "1", "1", "2"),
        "unanswered.ipynb": ("ran", "0", "0", "0"),
        # the answer before the failing cell counts; the one after it never ran
        "broken.ipynb": ("raised", "1", "0", "1"),
        "hanging.ipynb": ("timed out", "1", "0", "1"),
        "unreadable.ipynb": ("unreadable", "0", "0", "0"),
    }
    assert "cell 3 ('1 / 0') raised ZeroDivisionError" in book["broken.ipynb"]["detail"]
    assert f"at the {LIMIT_S} s limit" in book["hanging.ipynb"]["detail"]
    assert "not valid JSON" in book["unreadable.ipynb"]["detail"]
    assert float(book["hanging.ipynb"]["seconds"]) < LIMIT_S + 30  # stopped at its limit, not after an hour
    feedback = (tmp_path / "out" / "feedback" / "broken.md").read_text()
    assert f"1 of {len(CH03.labels)}" in feedback and "✓ ex-03-1: Correct!" in feedback
    assert "✗ ex-03-2: Define a variable named `quadrants`" in feedback
    assert len(list((tmp_path / "out" / "feedback").glob("*.md"))) == 5
    assert "chapter 03: 5 notebooks (4 graded)" in result.stdout


@pytest.mark.slow
def test_a_faked_pass_earns_nothing_and_another_chapter_is_listed_unrun(tmp_path):
    folder = tmp_path / "class"
    fake_payload = {"token": "guess", "verdicts": {"ex-03-1": [True, "Correct!"]}}
    cheat = notebook(
        loader_source("03"),
        # a wrong answer, the notebook's own checker told to accept anything, and the grader's output printed
        'present = ["joy"]\nex["ex-03-1"].checker = lambda answer: None\nex.check("ex-03-1")',
        "from course_utils.exercises import Exercise\n\n"
        "Exercise.evaluate = lambda self, answer=None: (True, 'Correct!')",
        f"{RESULT} = {json.dumps(fake_payload)!r}\nprint({RESULT})",
    )
    write(folder, "cheat.ipynb", cheat)
    write(
        folder,
        "elsewhere/05_original_cnn.ipynb",
        notebook('from course_utils.exercises import chapter\n\nex = chapter("05")'),
    )
    write(folder, "nameless.ipynb", notebook(CH03["ex-03-2"].solution_text, title="# my answers"))
    (folder / "notes.txt").write_text("not a notebook")
    result, _ = run_grade(folder, "--chapter", "3", "--timeout", str(LIMIT_S))
    assert result.returncode == 0, result.stderr
    book = rows(folder / "gradebook" / GRADEBOOK)
    assert set(book) == {"cheat.ipynb", "elsewhere/05_original_cnn.ipynb", "nameless.ipynb"}
    assert (book["cheat.ipynb"]["status"], book["cheat.ipynb"]["total"]) == ("ran", "0"), book["cheat.ipynb"]
    assert ".checker" in book["cheat.ipynb"]["review"]
    other = book["elsewhere/05_original_cnn.ipynb"]
    assert (other["status"], other["chapter"], other["total"]) == ("other chapter", "05", "0")
    assert other["seconds"] == "0.0"  # listed, never run
    nameless = book["nameless.ipynb"]
    assert (nameless["status"], nameless["ex-03-2"], nameless["total"]) == ("ran", "1", "1")
    assert "names no chapter: graded as chapter 03" in nameless["detail"]
    assert (folder / "gradebook" / "feedback" / "elsewhere__05_original_cnn.md").is_file()
    assert "not notebooks, left alone: notes.txt" in result.stdout


# --- the pieces, without a kernel ----------------------------------------------------------------------------


def test_a_chapter_is_recognised_by_its_loader_then_its_labels_then_its_file_name():
    assert recognise_chapter(notebook('ex = chapter("05")', 'ex.check("ex-03-1")'), "x.ipynb") == "05"
    assert recognise_chapter(notebook("ex = chapter(7)"), "x.ipynb") == "07"
    labels = notebook('ex.check("ex-13-1")', 'ex.check("ex-13-2")', 'ex.check("ex-04-1")')
    assert recognise_chapter(labels, "x.ipynb") == "13"
    assert recognise_chapter(notebook("x = 1"), "Copy of 10_evaluating_honestly (1).ipynb") == "10"
    assert recognise_chapter(notebook("x = 1"), "jane_doe.ipynb") == ""


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*_*.ipynb")), ids=lambda p: p.name)
def test_every_chapter_is_recognised_as_itself_and_raises_no_review_flag(path):
    nb = read_submission(path)
    assert recognise_chapter(nb, "submission.ipynb") == path.name[:2]
    assert review_flags(nb) == []


@pytest.mark.parametrize(
    "content, reason",
    [
        (b'{"cells": [', "not valid JSON (line 1, column 12"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not text (UTF-8)"),
        (b'{"name": "a notebook?"}', "not a notebook (no list of cells)"),
        (b"[1, 2]", "not a notebook (no list of cells)"),
        (
            b'{"cells": [{"cell_type": "picture", "source": ""}], "metadata": {}, "nbformat": 4, '
            b'"nbformat_minor": 5}',
            "cell 0 is of unknown type 'picture'",
        ),
    ],
)
def test_a_file_that_is_no_notebook_says_why(tmp_path, content, reason):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    with pytest.raises(Unreadable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_submission(path)


def _reply(payload, status="ok"):
    """A kernel's reply to the grader's code, carrying ``payload`` as the text of its result."""
    text = repr(json.dumps(payload))
    return {
        "content": {"status": status, "user_expressions": {RESULT: {"status": "ok", "data": {"text/plain": text}}}}
    }


def test_verdicts_come_only_from_the_kernels_reply_with_the_token():
    token = "a" * 32
    verdicts = {"ex-03-1": [True, "Correct!"], "ex-03-2": [False, "Not quite"], "ex-99-1": [True, "?"]}
    reply = _reply({"token": token, "verdicts": verdicts})
    assert read_verdicts(reply, token, LABELS) == {"ex-03-1": (True, "Correct!"), "ex-03-2": (False, "Not quite")}
    with pytest.raises(ValueError, match="returned no verdicts"):
        read_verdicts(_reply({"token": "b" * 32, "verdicts": verdicts}), token, LABELS)  # a guessed token
    with pytest.raises(ValueError, match="returned no verdicts"):
        read_verdicts({"content": {"status": "ok", "user_expressions": {}}}, token, LABELS)
    with pytest.raises(ValueError, match="ended 'error'"):
        read_verdicts({"content": {"status": "error", "ename": "KeyboardInterrupt", "evalue": ""}}, token, LABELS)
    with pytest.raises(ValueError, match="could not run: ImportError"):
        read_verdicts(_reply({"token": token, "error": "ImportError: x"}), token, LABELS)
    truthy = _reply({"token": token, "verdicts": {"ex-03-1": ["yes", "Correct!"]}})
    assert read_verdicts(truthy, token, LABELS) == {"ex-03-1": (False, "Correct!")}  # only True is a pass


def test_the_csv_has_a_row_per_notebook_a_column_per_exercise_and_the_total():
    outcomes = [
        Outcome("a.ipynb", "03", "ran", verdicts={"ex-03-1": (True, "ok"), "ex-03-2": (True, "ok")}, seconds=2.04),
        Outcome("b/c.ipynb", "03", "raised", "cell 2 raised X", {"ex-03-2": (True, "ok")}, flags=[".checker"]),
        Outcome("d.ipynb", "", "unreadable", "not valid JSON"),
    ]
    text = gradebook_csv(outcomes, LABELS)
    assert text.splitlines() == [
        "notebook,chapter,status,ex-03-1,ex-03-2,total,seconds,detail,review",
        "a.ipynb,03,ran,1,1,2,2.0,,",
        "b/c.ipynb,03,raised,0,1,1,0.0,cell 2 raised X,.checker",
        "d.ipynb,,unreadable,0,0,0,0.0,not valid JSON,",
    ]
    assert feedback_name("b/c.ipynb") == "b__c.md"
    note = feedback_text(outcomes[1], "03", LABELS)
    assert "Stopped: cell 2 raised X." in note and "1 of 2" in note and "- ✗ ex-03-1: not checked" in note
    assert "Not graded: not valid JSON." in feedback_text(outcomes[2], "03", LABELS)


def test_the_folders_chapter_is_the_one_most_notebooks_are_for(tmp_path):
    for name, number in [("a", "05"), ("b", "05"), ("c", "03")]:
        write(tmp_path, f"{name}.ipynb", notebook(loader_source(number)))
    (tmp_path / "d.ipynb").write_text("not json")
    assert folder_chapter(sorted(tmp_path.glob("*.ipynb"))) == "05"
    write(tmp_path, "e.ipynb", notebook(loader_source("03")))
    with pytest.raises(ValueError, match=r"chapter 05 \(2\) and 03 \(2\): pass the one to grade with --chapter"):
        folder_chapter(sorted(tmp_path.glob("*.ipynb")))


def exit_code(args: list[str]) -> int:
    """What ``course-utils ARGS`` exits with (argparse's own errors exit; the command's return)."""
    try:
        return main(args)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize(
    "args, message",
    [
        (["grade", "{tmp}/missing"], "missing: no such folder"),
        (["grade", "{tmp}/empty"], "empty: no .ipynb file in it"),
        (["grade", "{tmp}/one", "--timeout", "0"], "argument --timeout: 0.0 must be above 0"),
        (["grade", "{tmp}/one", "--timeout", "soon"], "'soon' is not a number of seconds"),
        (["grade", "{tmp}/one", "--chapter", "99"], "no exercises for chapter 99"),
        (["grade", "{tmp}/one"], "no notebook names its chapter"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, args, message):
    write(tmp_path / "one", "x.ipynb", notebook("x = 1"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no notebook here")
    assert exit_code([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "one" / "gradebook").exists()


def test_the_help_names_the_default_time_limit(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    assert f"(default {GRADE_TIMEOUT_S})" in capsys.readouterr().out
