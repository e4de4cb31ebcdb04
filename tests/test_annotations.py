"""Reading the archive's files: columns checked, titles unescaped, URLs repaired, URLs joined from the info file."""

import shutil

import pandas as pd
import pytest

from course_utils import schema
from course_utils.annotations import KIND_FILES, AnnotationError, load_annotations, read_table, repair_url, shares
from course_utils.sample import write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("ann") / "sample", n=60, seed=21)


@pytest.fixture
def folder(sample, tmp_path):
    """A private copy of the sample's archive folder, to edit."""
    return shutil.copytree(sample.archive_dir, tmp_path / schema.ARCHIVE_FOLDER)


def rewrite(path, edit):
    """Apply ``edit`` to a TSV file (read as text, so nothing is reinterpreted)."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    edit(table).to_csv(path, sep="\t", index=False)


def test_read_table_unescapes_titles_splits_categories_and_repairs_urls(folder):
    def edit(t):
        t.loc[0, "Title"] = "The Artist&#39;s Garden &amp; Light"
        t.loc[0, "Category"] = "Baroque, Rococo"
        t.loc[0, "Image URL"] = "https://use2-uploads8.wikiart.org/images/x/y.jpg"
        return t

    rewrite(folder / schema.ALL_FILE, edit)
    row = read_table(folder / schema.ALL_FILE).iloc[0]
    assert row["Title"] == "The Artist's Garden & Light"
    assert row["Categories"] == ["Baroque", "Rococo"]
    assert row["Image URL"] == "https://uploads8.wikiart.org/images/x/y.jpg"


def test_repair_url_only_touches_the_host_prefix():
    assert repair_url("http://use2-uploads1.wikiart.org/a.jpg") == "http://uploads1.wikiart.org/a.jpg"
    assert repair_url("https://uploads1.wikiart.org/use2-x.jpg") == "https://uploads1.wikiart.org/use2-x.jpg"


@pytest.mark.parametrize("column", ["Face/body", "Style", "TitleOnly: shame"])
def test_a_missing_column_is_named(folder, column):
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns=column))
    with pytest.raises(AnnotationError, match=rf"WikiArt-Emotions-All.tsv: missing column\(s\): {column}"):
        read_table(folder / schema.ALL_FILE)


@pytest.mark.parametrize("bad, words", [("12ab", "is not 24 hexadecimal"), (None, "appears twice")])
def test_bad_ids_are_named(folder, bad, words):
    def edit(t):
        t.loc[1, "ID"] = bad if bad else t.loc[0, "ID"]
        return t

    rewrite(folder / schema.ALL_FILE, edit)
    with pytest.raises(AnnotationError, match=words):
        read_table(folder / schema.ALL_FILE)


def test_shares_are_checked(folder):
    rewrite(folder / schema.ALL_FILE, lambda t: t.assign(**{"ImageOnly: fear": "1.5"}))
    with pytest.raises(AnnotationError, match="'ImageOnly: fear' holds a value outside 0…1"):
        shares(read_table(folder / schema.ALL_FILE), "image")


@pytest.mark.parametrize("kind", ["all", "ag3", "ag4", "ag5"])
def test_load_annotations_keeps_urls_that_are_there(folder, kind):
    table = load_annotations(folder.parent, kind)  # the parent: find_file looks in WikiArt-Emotions/ too
    info = read_table(folder / schema.INFO_FILE)
    assert len(table) == 60 and table[list(schema.URL_COLUMNS)].equals(info[list(schema.URL_COLUMNS)])


@pytest.mark.parametrize("kind", ["all", "ag4"])
def test_missing_url_columns_come_from_the_info_file(folder, sample, kind):
    name = KIND_FILES[kind]
    rewrite(folder / name, lambda t: t.drop(columns=list(schema.URL_COLUMNS)).iloc[::-1])  # other row order too
    table = load_annotations(folder, kind)
    original = read_table(sample.archive_dir / name)
    assert list(table.columns[: len(schema.ANNOTATION_COLUMNS)]) == list(schema.ANNOTATION_COLUMNS)
    pd.testing.assert_frame_equal(table.loc[original.index, list(schema.URL_COLUMNS)],
                                  original[list(schema.URL_COLUMNS)])
    assert not table["Image URL"].str.contains("use2-").any()  # repaired on the way


def test_empty_url_cells_are_filled_from_the_info_file(folder, sample):
    def edit(t):
        t.loc[[2, 5], "Image URL"] = ""
        return t

    rewrite(folder / schema.ALL_FILE, edit)
    table = load_annotations(folder)
    assert table["Image URL"].equals(read_table(sample.archive_dir / schema.ALL_FILE)["Image URL"])


def test_url_columns_missing_everywhere_are_named(folder):
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns=["Image URL", "Artist Info URL"]))
    rewrite(folder / schema.INFO_FILE, lambda t: t.drop(columns=["Image URL"]))
    with pytest.raises(AnnotationError, match=r"missing column\(s\) Image URL, and WikiArt-info.tsv does not"):
        load_annotations(folder)


def test_an_id_missing_from_the_info_file_is_named(folder):
    all_ids = pd.read_csv(folder / schema.ALL_FILE, sep="\t", dtype=str)["ID"]
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns=list(schema.URL_COLUMNS)))
    rewrite(folder / schema.INFO_FILE, lambda t: t.iloc[1:])
    with pytest.raises(AnnotationError, match=f"no row for ID {all_ids[0]} \\(1 of 60 IDs missing\\)"):
        load_annotations(folder)


def test_unknown_kind_and_missing_file_are_explained(folder, tmp_path):
    with pytest.raises(AnnotationError, match="unknown kind 'ag6'; use one of: all, ag3, ag4, ag5, info"):
        load_annotations(folder, "ag6")
    (folder / schema.INFO_FILE).unlink()
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns=["Image URL"]))
    with pytest.raises(AnnotationError, match="WikiArt-info.tsv not found"):
        load_annotations(folder)
