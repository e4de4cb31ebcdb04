"""The book's page extension (book/_ext/course_pages.py), nbtool's check-cell tag and show.source's folding: the
numbers a reader sees come from file names and labels, and what the rendered book leaves out or folds."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from pybtex.database import parse_string

from course_utils import show

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402


@pytest.fixture(scope="module")
def pages():
    spec = importlib.util.spec_from_file_location("course_pages", ROOT / "book" / "_ext" / "course_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chapter_numbers_come_from_the_file_names(pages):
    assert pages.chapter_number("book/05_original_cnn") == 5
    assert pages.chapter_number("book/12_looking_inside") == 12
    assert pages.chapter_number("book/intro") is None and pages.chapter_number("book/data_statement") is None


def test_exercises_are_numbered_as_their_labels(pages):
    assert pages.exercise_number("ex-10-2") == (10, 2)
    assert pages.exercise_number("ex-05-12") == (5, 12)
    assert pages.exercise_number("book/05-exercise-3") is None


def test_exercise_numbers_replace_sphinxs_running_numbers(pages):
    class Env:
        toc_fignumbers = {"book/10_x": {"exercise": {"ex-10-2": (30,), "other": (31,)}, "figure": {"f": (2,)}}}

    env = Env()
    assert pages.number_exercises(None, env) == []
    assert env.toc_fignumbers["book/10_x"] == {
        "exercise": {"ex-10-2": (10, 2), "other": (31,)},
        "figure": {"f": (2,)},
    }


BIB = r"""
@article{one, author = {Russell, James A.}, title = {T}, journal = {J}, year = {1980}}
@article{two, author = {Mohammad, Saif M. and Kiritchenko, Svetlana}, title = {T}, journal = {J}, year = {2018}}
@article{many, author = {Goyal, Priya and Doll{\'a}r, Piotr and Girshick, Ross}, title = {T}, journal = {J},
  year = {2017}}
@article{again, author = {Goyal, Priya and Him, Her and Them, They}, title = {U}, journal = {J}, year = {2017}}
@misc{undated, author = {Wang, Nathan}, title = {T}}
"""


def test_bibliography_labels_read_as_author_year_citations(pages):
    entries = list(parse_string(BIB, "bibtex").entries.values())
    labels = list(pages.AuthorYearLabels().format_labels(entries))
    assert labels == [
        "Russell, 1980",
        "Mohammad and Kiritchenko, 2018",
        "Goyal et al., 2017a",
        "Goyal et al., 2017b",
        "Wang, n.d.",
    ]


def test_the_books_bibliography_has_no_undated_entry():
    entries = parse_string((ROOT / "book" / "references.bib").read_text(), "bibtex").entries
    assert [key for key, entry in entries.items() if "year" not in entry.fields] == []


def test_nbtool_tags_every_check_cell_remove_output():
    nb = {
        "cells": [
            {"cell_type": "code", "source": '# x = ...\nex.check("ex-01-1")', "metadata": {}},
            {"cell_type": "code", "source": "print(1)", "metadata": {"tags": ["hide-input"]}},
        ],
        "metadata": {},
    }
    out, _, _ = nbtool.normalized(nb, "notes.ipynb")
    assert out["cells"][0]["metadata"]["tags"] == [nbtool.CHECK_TAG]
    assert out["cells"][1]["metadata"]["tags"] == ["hide-input"]


def test_every_chapters_check_cells_are_left_out_of_the_book():
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code" and nbtool.CHECK_CALL.search("".join(cell["source"])):
                assert nbtool.CHECK_TAG in cell["metadata"].get("tags", []), f"{path.name}: {cell['id']}"


def test_long_listings_are_folded_behind_a_summary():
    short = show.source(show.source)
    assert type(short).__name__ == "Code"
    long = show.source(nbtool.sync_exercises)
    assert isinstance(long, show.FoldedListing) and long.lines > show.FOLD_LINES
    html = long._repr_html_()
    assert html.startswith("<details><summary>Show the code of <code>sync_exercises</code>")
    assert f"({long.lines} lines)</summary>" in html and html.endswith("</details>")
    assert repr(long) == long.text


@pytest.fixture
def shell():
    """An IPython shell to display into, as in a notebook's kernel (cleared after, for the other tests)."""
    from IPython.core.interactiveshell import InteractiveShell

    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


def test_glue_hands_the_prose_its_numbers_and_lists_them_where_myst_nb_is_absent(shell, monkeypatch):
    from IPython.utils.capture import capture_output

    with capture_output() as book:
        show.glue(gain=np.float64(0.1234), interval="[+0.065, +0.172]", n=np.int64(1843328))
    glued = {out.metadata["scrapbook"]["name"]: out.data for out in book.outputs}
    assert set(glued) == {"gain", "interval", "n"}
    assert glued["n"]["application/papermill.record/text/plain"] == "1843328"
    assert glued["gain"]["application/papermill.record/text/plain"] == "0.1234"
    assert glued["interval"]["application/papermill.record/text/markdown"] == "[+0.065, +0.172]"
    assert not any(key.startswith("text/") for data in glued.values() for key in data), "shown, not glued"

    monkeypatch.setitem(sys.modules, "myst_nb", None)  # Colab: no myst-nb
    with capture_output() as colab:
        show.glue(gain=0.1234, interval="[+0.065, +0.172]")
    (listing,) = colab.outputs
    assert "`gain`: 0.123" in listing.data["text/markdown"]
    assert "`interval`: [+0.065, +0.172]" in listing.data["text/markdown"]
