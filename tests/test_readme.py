"""The archive README's category definitions (`data/readme.py`): read from the sample's README and from a
hand-written README in the official format; a README without them fails, saying what is wrong; an archive
without its README (as copies circulating on GitHub are) gives the course's own wording with a note saying so."""

import zipfile

import pandas as pd
import pytest

from course_utils.data import schema
from course_utils.data.archive import extract_archive
from course_utils.data.readme import (
    ReadmeError,
    archive_definitions,
    category_definitions,
    course_definitions,
    parse_definitions,
    sections,
)
from course_utils.datasets.sample import write_sample

#: Hand-written in the official README's layout (title lines underlined with dashes; a section listing the 22
#: categories with indented lines before the emotions; an intro sentence ending in a colon; groups unindented,
#: one indented line per category; stray tabs after two lines, as the official file has). The wording is ours.
OFFICIAL_LAYOUT = (
    "WikiArt Emotions Dataset\n"
    "August 2018\n"
    "Copyright (C) 2018 Somebody\n"
    "----------------------------------------------------------------\n"
    "\n\n"
    "Art pieces annotated:\n"
    "-------------------------------------------------\n"
    "\n"
    "Below is the list of the categories.\n"
    "\n"
    "Modern Art\n"
    "   Cubism\t200\n"
    "   Surrealism\t198\n"
    "\n\n\n"
    "Emotions:\n"
    "-------------------------------------------------\n"
    "\n"
    "Each piece of art was annotated with one or more of the twenty emotions:\n"
    "\n"
    "Positive\n"
    "   gratitude, thanks, or indebtedness\n"
    "   happiness, calmness, pleasure, or ecstasy\n"
    "   humility, modesty, or simplicity\n"
    "   love or affection\n"
    "   optimism, hopefulness, or confidence\n"
    "   trust, admiration, or respect\n"
    "Negative\n"
    "   anger, annoyance, or rage\n"
    "   arrogance, vanity, or conceit\n"
    "   disgust, dislike, indifference, or hate\n"
    "   fear, anxiety, or terror\n"
    "   pessimism, cynicism, or lack of confidence\n"
    "   regret, guilt, or remorse\n"
    "   sadness, loneliness, or grief\n"
    "   shame, humiliation, or disgrace\t\n"
    "Other or Mixed\n"
    "   agreeableness, acceptance, or compliance\n"
    "   anticipation, interest, or vigilance\n"
    "   disagreeableness, defiance, conflict, or strife\n"
    "   surprise, amazement, or confusion\n"
    "   shyness, self-consciousness, or reserve\n"
    "   neutral\t\t\t\t\t\n"
    "\n\n"
    "Annotations:\n"
    "-------------------------------------------------\n"
    "\n"
    "Each piece of art was annotated by at least 10 workers.\n"
)


def test_the_official_layout_gives_all_twenty_with_their_groups_and_breadth():
    table = parse_definitions(OFFICIAL_LAYOUT)
    assert sorted(table.index) == sorted(schema.EMOTIONS)
    assert list(table.columns) == ["group", "wording", "also_covers"]
    assert table.loc["happiness", "also_covers"] == "calmness, pleasure, ecstasy"
    assert table.loc["love", "also_covers"] == "affection"  # "x or y", without a comma
    assert table.loc["shame", "wording"] == "shame, humiliation, or disgrace"  # the stray tab is gone
    assert table.loc["neutral", "also_covers"] == "" and table.loc["neutral", "wording"] == "neutral"
    groups = table.groupby("group", sort=False).size().to_dict()
    assert groups == {"Positive": 6, "Negative": 8, "Other or Mixed": 6}
    assert "cubism" not in table.index  # the indented lines of another section are not categories


def test_sections_are_title_lines_underlined_with_dashes():
    found = sections(OFFICIAL_LAYOUT)
    assert list(found) == ["Copyright (C) 2018 Somebody", "Art pieces annotated", "Emotions", "Annotations"]


def test_the_sample_readme_reads_the_same_way(tmp_path):
    info = write_sample(tmp_path / "sample", n=12, seed=3, images=False)
    table = category_definitions(info.archive_dir)  # the folder: the reader finds README.txt in it
    assert list(table.index) == list(category_definitions(info.archive_dir / schema.README_FILE).index)
    assert sorted(table.index) == sorted(schema.EMOTIONS)
    assert table.groupby("group", sort=False).size().to_dict() == {
        "Positive": 6,
        "Negative": 8,
        "Other or Mixed": 6,
    }
    assert "calmness" in table.loc["happiness", "also_covers"]  # the breadth chapter 03 discusses
    assert table.loc["neutral", "also_covers"] == ""
    assert all(len(table.loc[e, "also_covers"]) > 5 for e in schema.EMOTIONS if e != "neutral")


def test_a_readme_without_definitions_fails_clearly():
    text = OFFICIAL_LAYOUT.split("Emotions:\n")[0] + "Annotations:\n-----\nnothing here\n"
    with pytest.raises(ReadmeError, match=r"README.txt has no 'Emotions' section .*Art pieces annotated"):
        parse_definitions(text)


def test_a_section_missing_a_category_or_listing_an_unknown_one_fails_naming_them():
    text = OFFICIAL_LAYOUT.replace("   regret, guilt, or remorse\n", "   remorse or guilt\n")
    with pytest.raises(ReadmeError, match=r"missing: regret; unknown: remorse"):
        parse_definitions(text)
    twice = OFFICIAL_LAYOUT.replace("   neutral\t", "   love\n   neutral\t")
    with pytest.raises(ReadmeError, match=r"listed twice: love"):
        parse_definitions(twice)


def test_a_folder_without_a_readme_fails_naming_the_file(tmp_path):
    with pytest.raises(ReadmeError, match="README.txt not found"):
        category_definitions(tmp_path)


# --- an archive without its README ----------------------------------------------------------------------------


def test_the_course_wording_defines_all_twenty_with_the_breadth_chapter_03_discusses():
    table = course_definitions()
    assert sorted(table.index) == sorted(schema.EMOTIONS)
    assert table.groupby("group", sort=False).size().to_dict() == {
        "Positive": 6,
        "Negative": 8,
        "Other or Mixed": 6,
    }
    assert "calmness" in table.loc["happiness", "also_covers"]
    assert "indifference" in table.loc["disgust", "also_covers"]
    assert table.loc["neutral", "also_covers"] == ""


def test_the_sample_readme_lists_the_course_wording(tmp_path):
    info = write_sample(tmp_path / "sample", n=12, seed=3, images=False)
    pd.testing.assert_frame_equal(category_definitions(info.archive_dir), course_definitions())
    shown = archive_definitions(info.archive_dir)
    assert shown.from_readme and shown.note == "" and shown.wording == "the archive's README.txt"


def without_readme(zip_path, out_path):
    """A copy of an archive zip holding only its data files, as copies circulating on GitHub do."""
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(out_path, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith(schema.README_FILE):
                dst.writestr(info, src.read(info))
    return out_path


def test_an_archive_zip_without_its_readme_extracts_and_shows_the_course_wording_with_a_note(tmp_path):
    info = write_sample(tmp_path / "sample", n=12, seed=3, images=False)
    bare = without_readme(tmp_path / "sample" / schema.ARCHIVE_NAME, tmp_path / "bare.zip")
    folder = extract_archive(bare, tmp_path / "extracted")
    assert not (folder / schema.README_FILE).exists() and (folder / schema.ALL_FILE).is_file()
    with pytest.raises(ReadmeError, match="README.txt not found"):  # the strict reader still says so
        category_definitions(folder)
    shown = archive_definitions(folder)
    assert not shown.from_readme and shown.wording == "the course's own wording"
    assert "this copy of the archive has no README.txt" in shown.note
    pd.testing.assert_frame_equal(shown.table, course_definitions())
    assert info.archive_dir.is_dir()


def test_a_folder_whose_readme_lacks_the_definitions_falls_back_naming_the_problem(tmp_path):
    (tmp_path / schema.README_FILE).write_text(OFFICIAL_LAYOUT.split("Emotions:\n")[0])
    shown = archive_definitions(tmp_path)
    assert not shown.from_readme
    assert "its README.txt could not be read (README.txt has no 'Emotions' section" in shown.note
