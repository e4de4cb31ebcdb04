"""Reading the archive's files as they really are (SPEC §2): only the columns a reader uses are required, titles
unescaped, styles and years parsed, URLs repaired, URLs joined from the info file."""

import shutil

import pandas as pd
import pytest
from archive_format import EMOTIONS, HEADER, META

from course_utils.data import schema
from course_utils.data.annotations import (
    KIND_FILES,
    AnnotationError,
    load_annotations,
    parse_styles,
    parse_year,
    read_table,
    repair_url,
    roman_numeral,
    shares,
    to_roman,
    year_kind,
)
from course_utils.datasets.sample import write_sample


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


@pytest.mark.parametrize("column", ["Face/body", "Style"])
def test_a_missing_column_is_named_when_a_reader_needs_it(folder, column):
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns=column))
    assert column not in read_table(folder / schema.ALL_FILE).columns  # not needed: no error
    with pytest.raises(AnnotationError, match=rf"WikiArt-Emotions-All.tsv: missing column\(s\): {column}$"):
        read_table(folder / schema.ALL_FILE, ["Artist", column])
    with pytest.raises(AnnotationError, match=rf"WikiArt-Emotions-All.tsv: missing column\(s\): {column}$"):
        load_annotations(folder, "all", columns=[column])


def test_a_missing_emotion_column_names_the_file(folder):
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns="TitleOnly: shame"))
    table = read_table(folder / schema.ALL_FILE)
    shares(table, "art")  # the other scopes are complete
    with pytest.raises(
        AnnotationError,
        match=r"WikiArt-Emotions-All.tsv: missing emotion column\(s\) for "
        r"scope 'title': TitleOnly: shame",
    ):
        shares(table, "title")


def test_asking_the_info_file_for_style_says_where_style_is(folder):
    with pytest.raises(
        AnnotationError,
        match=r"WikiArt-info.tsv: missing column\(s\): Style \(Style is in the "
        r"annotation files only",
    ):
        read_table(folder / schema.INFO_FILE, ["Style"])


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
    assert len(table) == 60 and len(info) == 61  # one artwork of the info file is in no annotation file
    assert table[list(schema.URL_COLUMNS)].equals(info.loc[table.index, list(schema.URL_COLUMNS)])


@pytest.mark.parametrize("kind", ["all", "ag4"])
def test_missing_url_columns_come_from_the_info_file(folder, sample, kind):
    name = KIND_FILES[kind]
    rewrite(folder / name, lambda t: t.drop(columns=list(schema.URL_COLUMNS)).iloc[::-1])  # other row order too
    table = load_annotations(folder, kind)
    original = read_table(sample.archive_dir / name)
    assert list(table.columns[: len(schema.ANNOTATION_COLUMNS)]) == list(schema.ANNOTATION_COLUMNS)
    pd.testing.assert_frame_equal(
        table.loc[original.index, list(schema.URL_COLUMNS)], original[list(schema.URL_COLUMNS)]
    )
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
    rewrite(folder / schema.INFO_FILE, lambda t: t[t["ID"] != all_ids[0]])
    with pytest.raises(AnnotationError, match=f"no row for ID {all_ids[0]} \\(1 of 60 IDs missing\\)"):
        load_annotations(folder)


def test_unknown_kind_and_missing_file_are_explained(folder, tmp_path):
    with pytest.raises(AnnotationError, match="unknown kind 'ag6'; use one of: all, ag3, ag4, ag5, info"):
        load_annotations(folder, "ag6")
    (folder / schema.INFO_FILE).unlink()
    rewrite(folder / schema.ALL_FILE, lambda t: t.drop(columns=["Image URL"]))
    with pytest.raises(AnnotationError, match="WikiArt-info.tsv not found"):
        load_annotations(folder)


# --- the real format, written by hand ---------------------------------------------------------------------------

IDS = [
    "0123456789abcdef01234567",
    "fedcba9876543210fedcba98",
    "00000000000000000000000a",
    "bbbbbbbbbbbbbbbbbbbbbbbb",
]
#: (Style, Category, Artist, Title, Year, host, extension) of three annotated artworks and one that is not.
ARTWORKS = [
    ("Post Renaissance Art", "Baroque", "Anna Pel", "The Night&#39;s Watch", "1642", "use2-uploads3", "jpg"),
    (
        "Contemporary Art,Modern Art",
        "Abstract Art,Minimalism",
        "Ori Sa",
        "Gar&#231;on",
        "XX cent.",
        "use2-uploads0",
        "JPG",
    ),
    ("Modern Art", "Impressionism", "Ti Ur", "Garden", "1889-1890", "use2-uploads8", "png"),
    (None, "Rococo", "Lu Mar", "Swing", "XVIII-XIX cent.", "use2-uploads5", "jpeg"),
]
#: Non-zero shares in the All file (image+title scope), by artwork.
SHARES = {0: {"happiness": "0.400", "love": "0.133"}, 1: {"neutral": "0.500"}, 2: {"fear": "0.357"}}


def info_cells(i):
    """The 8 info cells of hand-made artwork ``i``."""
    style, category, artist, title, year, host, ext = ARTWORKS[i]
    slug = artist.lower().replace(" ", "-")
    return [
        IDS[i],
        category,
        artist,
        title,
        year,
        f"https://{host}.wikiart.org/images/{slug}/x{i}.{ext}",
        f"https://www.wikiart.org/en/{slug}/x{i}",
        f"https://www.wikiart.org/en/{slug}",
    ]


def all_cells(i):
    """The 72 cells of hand-made artwork ``i`` in the All file."""
    cells = info_cells(i)
    art = [SHARES[i].get(e, "0.000") for e in EMOTIONS]
    return [cells[0], ARTWORKS[i][0], *cells[1:], "yes", "body", "2.33", *art, *["0.000"] * 40]


def write_crlf(path, header, rows):
    """A file as the archive writes it: tabs, CRLF, no quoting, UTF-8 without BOM."""
    path.write_bytes(("\r\n".join("\t".join(cells) for cells in [header, *rows]) + "\r\n").encode())


@pytest.fixture
def real(tmp_path):
    """A tiny archive folder in the real format: All file with 3 artworks, info file without Style with 4."""
    folder = tmp_path / schema.ARCHIVE_FOLDER
    folder.mkdir()
    write_crlf(folder / schema.ALL_FILE, HEADER, [all_cells(i) for i in range(3)])
    write_crlf(folder / schema.INFO_FILE, META[:1] + META[2:9], [info_cells(i) for i in (0, 3, 1, 2)])
    return folder


def test_the_real_format_is_read(real):
    table = load_annotations(real)
    assert list(table.index) == IDS[:3] and list(table.columns[:72]) == HEADER
    assert table["Styles"].tolist() == [
        ["Post Renaissance Art"],
        ["Contemporary Art", "Modern Art"],
        ["Modern Art"],
    ]
    assert table["Style"].tolist() == ["Post Renaissance Art", "Contemporary Art,Modern Art", "Modern Art"]
    assert table["Categories"].tolist() == [["Baroque"], ["Abstract Art", "Minimalism"], ["Impressionism"]]
    assert table["Title"].tolist() == ["The Night's Watch", "Garçon", "Garden"]
    assert table["Year"].tolist() == ["1642", "XX cent.", "1889-1890"]
    assert table["Year start"].tolist() == [1642, 1900, 1889] and table["Year end"].tolist() == [1642, 1999, 1890]
    assert table["Image URL"].tolist() == [
        "https://uploads3.wikiart.org/images/anna-pel/x0.jpg",
        "https://uploads0.wikiart.org/images/ori-sa/x1.JPG",
        "https://uploads8.wikiart.org/images/ti-ur/x2.png",
    ]
    assert table["Ave. art rating"].tolist() == [2.33, 2.33, 2.33]
    art = shares(table, "art")
    assert art.loc[IDS[0], "happiness"] == 0.4 and art.loc[IDS[0], "love"] == 0.133
    assert art.loc[IDS[1], "neutral"] == 0.5 and art.loc[IDS[2], "fear"] == 0.357
    assert art.to_numpy().sum() == pytest.approx(0.4 + 0.133 + 0.5 + 0.357)
    assert shares(table, "title")["neutral"].tolist() == [0.0, 0.0, 0.0]  # the last column: no stray CR


def test_the_real_info_file_is_read_without_style(real):
    info = load_annotations(real, "info")
    assert list(info.index) == [IDS[0], IDS[3], IDS[1], IDS[2]] and "Style" not in info.columns
    assert info.loc[IDS[3], ["Year start", "Year end"]].tolist() == [1700, 1899]
    assert info.loc[IDS[1], "Categories"] == ["Abstract Art", "Minimalism"]


def test_urls_missing_from_a_real_format_all_file_come_from_the_info_file(real):
    keep = [i for i, c in enumerate(HEADER) if c not in ("Image URL", "Painting Info URL", "Artist Info URL")]
    rows = [[all_cells(i)[k] for k in keep] for i in range(3)]
    write_crlf(real / schema.ALL_FILE, [HEADER[k] for k in keep], rows)
    table = load_annotations(real)
    assert table["Image URL"].tolist() == [
        "https://uploads3.wikiart.org/images/anna-pel/x0.jpg",
        "https://uploads0.wikiart.org/images/ori-sa/x1.JPG",
        "https://uploads8.wikiart.org/images/ti-ur/x2.png",
    ]
    assert table.loc[IDS[1], "Artist Info URL"] == "https://www.wikiart.org/en/ori-sa"


@pytest.mark.parametrize(
    "column, value, words",
    [
        (
            "Style",
            "Post-Renaissance Art",
            "Style of ID 0123456789abcdef01234567: style 'Post-Renaissance Art' is not "
            "one of .* \\(the files spell it 'Post Renaissance Art'",
        ),
        ("Style", "Baroque Art", "Style of ID 0123456789abcdef01234567: style 'Baroque Art' is not one of"),
    ],
)
def test_a_bad_value_names_file_id_and_value(real, column, value, words):
    rows = [all_cells(i) for i in range(3)]
    rows[0][HEADER.index(column)] = value
    write_crlf(real / schema.ALL_FILE, HEADER, rows)
    with pytest.raises(AnnotationError, match=f"WikiArt-Emotions-All.tsv: {words}"):
        read_table(real / schema.ALL_FILE)


@pytest.mark.parametrize(
    "text, start, end, kind",
    [
        ("1889", 1889, 1889, "year"),
        ("1889-1890", 1889, 1890, "range"),
        ("XIX cent.", 1800, 1899, "century"),
        ("XVIII-XIX cent.", 1700, 1899, "century"),
        ("XV cent.", 1400, 1499, "century"),
        ("XX-XXI cent.", 1900, 2099, "century"),
    ],
)
def test_parse_year_of_each_shape(text, start, end, kind):
    assert parse_year(text) == (start, end) and year_kind(text) == kind


@pytest.mark.parametrize(
    "text, words",
    [
        ("c. 1889", "year 'c. 1889' is none of the shapes"),
        ("", "year '' is none of the shapes"),
        ("XIX", "year 'XIX' is none of the shapes"),
        ("1890-1889", "year '1890-1889' ends before it starts"),
        ("XIIII cent.", "year 'XIIII cent.': 'XIIII' is not a well-formed Roman numeral"),
        ("XIX-XVIII cent.", "ends before it starts"),
    ],
)
def test_parse_year_names_garbage(text, words):
    with pytest.raises(ValueError, match=words.replace(".", "\\.")):
        parse_year(text)


def test_roman_numerals_of_centuries():
    assert [roman_numeral(t) for t in ("IV", "IX", "XIV", "XVIII", "XIX", "XXI")] == [4, 9, 14, 18, 19, 21]
    assert [to_roman(n) for n in (4, 9, 14, 18, 19, 21)] == ["IV", "IX", "XIV", "XVIII", "XIX", "XXI"]
    with pytest.raises(ValueError, match="'IIX' is not a well-formed"):
        roman_numeral("IIX")


def test_parse_styles_keeps_the_files_spelling():
    assert parse_styles("Modern Art,Post Renaissance Art") == ["Modern Art", "Post Renaissance Art"]
    assert parse_styles("Renaissance Art") == ["Renaissance Art"]
    with pytest.raises(ValueError, match="without the hyphen of the README"):
        parse_styles("Modern Art,Post-Renaissance Art")


def test_a_year_of_no_known_shape_is_left_empty_with_a_warning_naming_it(real):
    # the classes never depend on Year: an odd one must not stop a reader's course, nor pass unsaid
    rows = [all_cells(i) for i in range(3)]
    rows[0][HEADER.index("Year")] = "circa 1642"
    write_crlf(real / schema.ALL_FILE, HEADER, rows)
    with pytest.warns(
        UserWarning,
        match="WikiArt-Emotions-All.tsv: Year: 1 value.* ID 0123456789abcdef01234567: "
        "year 'circa 1642' is none of the shapes",
    ):
        table = read_table(real / schema.ALL_FILE, ["Year"])
    assert table["Year start"].isna().tolist() == [True, False, False]
