"""The published-image rule (book/data_statement.md): on real data a grid shows only works made before 1900;
on the sample everything; a missing or unreadable year is never shown."""

import pandas as pd
import pytest

from course_utils.datasets.rights import (
    SHOWN_BEFORE,
    latest_year,
    made_before,
    shown_ids,
    shown_note,
    shown_rows,
)


def table(years: dict) -> pd.DataFrame:
    frame = pd.DataFrame({"ID": list(years), "Year": list(years.values())})
    return frame.set_index("ID")


HAND_MADE = table(
    {
        "a": "1889",  # a plain year before 1900: shown
        "b": "c. 1890",  # circa: may be as late as 1900, so not shown
        "c": "c. 1850",  # circa, but certainly before 1900: shown
        "d": "1885–1905",  # en dash; finished after 1900: not shown
        "e": "1885-1899",  # a range ending before 1900: shown
        "f": None,  # missing: not shown
        "g": "undated",  # unreadable: not shown
        "h": "XIX cent.",  # the archive's century shape, 1800–1899: shown
        "i": "XIX-XX cent.",  # may be as late as 1999: not shown
        "j": "1900",  # not before 1900
        "k": "1932",  # modern: not shown
    }
)


@pytest.mark.parametrize(
    "text, year",
    [
        ("1889", 1889),
        ("c. 1890", 1900),
        ("ca. 1890", 1900),
        ("1885–1905", 1905),
        ("1885 - 1899", 1899),
        ("XIX cent.", 1899),
        (None, None),
        (float("nan"), None),
        ("undated", None),
        ("", None),
    ],
)
def test_latest_year_reads_the_archives_shapes_and_common_variants(text, year):
    assert latest_year(text) == year


def test_only_works_certainly_made_before_1900_are_shown_on_real_data():
    assert SHOWN_BEFORE == 1900
    assert shown_ids(HAND_MADE, HAND_MADE.index, is_sample=False) == ["a", "c", "e", "h"]
    assert made_before(HAND_MADE).to_dict() == {
        "a": True,
        "b": False,
        "c": True,
        "d": False,
        "e": True,
        "f": False,
        "g": False,
        "h": True,
        "i": False,
        "j": False,
        "k": False,
    }


def test_order_is_kept_and_unknown_ids_are_not_shown():
    assert shown_ids(HAND_MADE, ["h", "k", "zzz", "a"], is_sample=False) == ["h", "a"]


def test_the_sample_shows_everything_even_without_a_table():
    assert shown_ids(None, ["k", "f", "x"], is_sample=True) == ["k", "f", "x"]
    with pytest.raises(ValueError, match="labels table"):
        shown_ids(None, ["a"], is_sample=False)


def test_the_parsed_year_end_is_used_when_the_text_is_absent():
    ends = pd.DataFrame({"Year end": pd.array([1850, None, 1950], dtype="Int64")}, index=["x", "y", "z"])
    assert shown_ids(ends, ["x", "y", "z"], is_sample=False) == ["x"]
    with pytest.raises(KeyError, match="Year"):
        made_before(pd.DataFrame({"Style": ["Modern Art"]}))


def test_rows_are_positions_of_the_first_n_shown():
    ids = ["k", "a", "b", "c", "e", "h"]
    assert shown_rows(HAND_MADE, ids, is_sample=False, n=3) == [1, 3, 4]
    assert shown_rows(HAND_MADE, ids, is_sample=True, n=2) == [0, 1]


def test_titles_say_the_rule_only_on_real_data():
    assert shown_note(True) == ""
    assert "before 1900" in shown_note(False)


def test_a_retrieval_gallery_keeps_the_ranking_but_blanks_what_may_not_be_shown(tmp_path):
    import numpy as np
    from PIL import Image

    from course_utils.analysis.retrieval import Gallery
    from course_utils.plots import retrieval_plots

    ids = ["old", "new"]
    paths = []
    for i in ids:
        paths.append(tmp_path / f"{i}.jpg")
        Image.new("RGB", (16, 16), (200, 30, 30)).save(paths[-1])
    gallery = Gallery(
        ids=ids,
        paths=paths,
        points=np.zeros((2, 2)),
        features=np.zeros((2, 3)),
        flags=pd.DataFrame(index=ids),
        classes=["Calm", "Euphoric"],
        true_points=np.zeros((2, 2)),
    )
    fig = retrieval_plots.show_results(
        gallery, np.array([1, 0]), k=2, title="t", shown=set(shown_ids(HAND_MADE.rename({"a": "old"}), ids, False))
    )
    tiles = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in tiles] == ["Euphoric\n(not shown)", "Calm"]
    blank, painting = (ax.images[0].get_array() for ax in tiles)
    assert blank.shape[:2] == (8, 8) and (np.asarray(blank) == 235).all()
    assert np.asarray(painting)[0, 0, 0] > 150  # the red test image, drawn
