"""The offline sample against SPEC §2, "the files' exact format": one test per fact.

The files are read here as bytes and split by hand (not with the package's readers, which are what the sample
must let us test). Every expected value is SPEC's: at the full size of 4,105 artworks the counts must be SPEC's
counts; at the smoke size of 240 every kind of value must still be there.
"""

import csv
import io
import re
import zipfile

import pytest
from archive_format import EMOTIONS, HEADER, META, SCOPES

from course_utils.data.readme import parse_definitions, sections
from course_utils.datasets.sample import write_sample

FULL = 4105
ARCHIVE = "WikiArt-Emotions"
ALL, INFO, README = "WikiArt-Emotions-All.tsv", "WikiArt-info.tsv", "README.txt"
ANSWERS = "WikiArt-annotations.csv"
AG = {3: "WikiArt-Emotions-Ag3.tsv", 4: "WikiArt-Emotions-Ag4.tsv", 5: "WikiArt-Emotions-Ag5.tsv"}
ANNOTATION_FILES = (ALL, *AG.values())
TSV_FILES = (*ANNOTATION_FILES, INFO)
INFO_HEADER = ["ID", "Category", "Artist", "Title", "Year", "Image URL", "Painting Info URL", "Artist Info URL"]
STYLES = {
    "Renaissance Art": 415,
    "Post Renaissance Art": 987,
    "Modern Art": 2502,
    "Contemporary Art": 193,
    "Contemporary Art,Modern Art": 7,
    "Modern Art,Post Renaissance Art": 1,
}
YEAR_SHAPES = {"year": r"\d{4}", "range": r"\d{4}-\d{4}", "century": r"[IVXL]+ cent\.|[IVXL]+-[IVXL]+ cent\."}


@pytest.fixture(scope="module", params=[FULL, 240], ids=["full", "smoke"])
def sample(request, tmp_path_factory):
    """The sample's archive files at full size and at the smoke size (tables only: images add nothing here)."""
    n = request.param
    info = write_sample(tmp_path_factory.mktemp("fidelity") / "s", n=n, seed=123, images=False)
    files = {p.name: p.read_bytes() for p in info.archive_dir.iterdir()}
    return {"n": n, "info": info, "bytes": files, "tables": {name: split(files[name]) for name in TSV_FILES}}


def split(data: bytes) -> list[dict[str, str]]:
    """A TSV's rows as dicts, split by hand on CRLF and tabs."""
    lines = data.decode("utf-8").split("\r\n")
    assert lines[-1] == "", "the file ends with CRLF"
    header, *rows = (line.split("\t") for line in lines[:-1])
    assert all(len(row) == len(header) for row in rows)
    return [dict(zip(header, row)) for row in rows]


def header(sample, name: str) -> list[str]:
    """A file's first line, split on tabs."""
    return sample["bytes"][name].decode("utf-8").split("\r\n", 1)[0].split("\t")


def column(sample, name: str, col: str) -> list[str]:
    """One column of a file, as written."""
    return [row[col] for row in sample["tables"][name]]


def counts(values) -> dict[str, int]:
    """How often each value occurs."""
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def scaled(sample, full_count: int) -> float:
    """A SPEC count scaled to this sample's size."""
    return full_count * sample["n"] / FULL


def test_the_archive_holds_the_files_in_one_folder(sample):
    with zipfile.ZipFile(sample["info"].zip_path) as zf:
        names = set(zf.namelist())
    # SPEC's list, with the per-annotator answers (made up to agree with the All file)
    assert names == {f"{ARCHIVE}/{name}" for name in (*TSV_FILES, README, ANSWERS)}


def test_annotation_files_have_the_72_columns_in_order(sample):
    expected = HEADER
    assert len(expected) == 72
    for name in ANNOTATION_FILES:
        assert header(sample, name) == expected, name


def test_info_file_has_8_columns_and_no_style(sample):
    assert header(sample, INFO) == INFO_HEADER


def test_annotation_files_have_one_row_per_artwork_alike(sample):
    ids = column(sample, ALL, "ID")
    assert len(ids) == sample["n"] == len(set(ids))
    for name in AG.values():
        assert column(sample, name, "ID") == ids, name
        for col in META:
            assert column(sample, name, col) == column(sample, ALL, col), (name, col)


def test_info_file_has_every_artwork_and_a_few_in_no_annotation_file(sample):
    info_ids, ids = column(sample, INFO, "ID"), column(sample, ALL, "ID")
    assert len(set(info_ids)) == len(info_ids) and set(ids) <= set(info_ids)
    extra = len(info_ids) - len(ids)
    if sample["n"] == FULL:
        assert len(info_ids) == 4119 and extra == 14
    else:
        assert extra >= 1 and abs(extra - scaled(sample, 14)) <= 1


def test_info_agrees_with_the_annotation_files_on_shared_ids(sample):
    info = {row["ID"]: row for row in sample["tables"][INFO]}
    for row in sample["tables"][ALL]:
        assert {c: info[row["ID"]][c] for c in INFO_HEADER} == {c: row[c] for c in INFO_HEADER}


def test_ids_are_24_hexadecimal_characters(sample):
    for name in TSV_FILES:
        assert all(re.fullmatch(r"[0-9a-f]{24}", ident) for ident in column(sample, name, "ID")), name


def test_lines_end_in_crlf(sample):
    for name in TSV_FILES:
        data = sample["bytes"][name]
        assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r"), name
        assert data.count(b"\r\n") == len(sample["tables"][name]) + 1


def test_utf8_without_bom(sample):
    for name, data in sample["bytes"].items():
        assert not data.startswith(b"\xef\xbb\xbf"), name
        data.decode("utf-8")  # raises if it is not UTF-8


def test_no_quoting(sample):
    for name in (*TSV_FILES, README):  # the per-annotator file is a CSV: its multi-line fields are quoted
        assert b'"' not in sample["bytes"][name], name


def test_style_values_are_the_four_styles_and_two_combinations(sample):
    found = counts(column(sample, ALL, "Style"))
    if sample["n"] == FULL:
        assert found == STYLES
    else:
        assert set(found) == set(STYLES)
        for style in ("Renaissance Art", "Post Renaissance Art", "Modern Art", "Contemporary Art"):
            assert abs(found[style] - scaled(sample, STYLES[style])) <= 2, style


def test_post_renaissance_is_spelled_without_a_hyphen(sample):
    for name in TSV_FILES:
        assert b"Post-Renaissance" not in sample["bytes"][name], name
    assert "Post Renaissance Art" in column(sample, ALL, "Style")


def test_two_styles_are_joined_by_a_bare_comma(sample):
    two = [s for s in column(sample, ALL, "Style") if "," in s]
    assert set(two) == {"Contemporary Art,Modern Art", "Modern Art,Post Renaissance Art"}
    if sample["n"] == FULL:
        assert len(two) == 8


def test_categories_are_joined_the_same_way(sample):
    values = column(sample, ALL, "Category")
    two = [v for v in values if "," in v]
    assert two and all(re.fullmatch(r"[^, ]+( [^, ]+)*,[^, ]+( [^, ]+)*", v) for v in two)
    assert "Abstract Art,Surrealism" in values or sample["n"] < FULL
    if sample["n"] == FULL:
        singles = {part for v in values for part in v.split(",")}
        assert len(set(values)) == 46 and len(singles) == 22


def test_year_has_the_three_shapes(sample):
    years = column(sample, ALL, "Year")
    shape = {y: next((k for k, rx in YEAR_SHAPES.items() if re.fullmatch(rx, y)), None) for y in years}
    assert None not in shape.values(), [y for y, k in shape.items() if k is None][:3]
    found = counts(shape[y] for y in years)
    assert any("-" in y and "cent." in y for y in years) and any("-" not in y and "cent." in y for y in years)
    if sample["n"] == FULL:
        assert found["year"] == 3646 and found["range"] == 256 and 190 <= found["century"] <= 210
    else:
        assert set(found) == set(YEAR_SHAPES)
    for y in (y for y in years if shape[y] == "range"):
        assert int(y[:4]) < int(y[5:]), y


def test_titles_hold_html_entities(sample):
    titles = column(sample, ALL, "Title")
    with_entity = [t for t in titles if re.search(r"&(#\d+|[a-z]+);", t)]
    assert any("&#39;" in t for t in with_entity)
    if sample["n"] == FULL:
        assert len(with_entity) == 295
    else:
        assert abs(len(with_entity) - scaled(sample, 295)) <= 1


def test_is_painting_is_yes_or_no(sample):
    found = counts(column(sample, ALL, "Is painting"))
    assert set(found) == {"yes", "no"}
    if sample["n"] == FULL:
        assert found == {"yes": 3852, "no": 253}


def test_face_body_is_face_none_or_body(sample):
    found = counts(column(sample, ALL, "Face/body"))
    assert set(found) == {"face", "none", "body"}
    if sample["n"] == FULL:
        assert found == {"face": 2068, "none": 1794, "body": 243}


def test_art_rating_has_two_decimals(sample):
    ratings = column(sample, ALL, "Ave. art rating")
    assert all(re.fullmatch(r"-?\d\.\d\d", r) and -3 <= float(r) <= 3 for r in ratings)
    assert len(set(ratings)) > 20


def test_all_shares_have_three_decimals(sample):
    cells = [row[f"{s}: {e}"] for row in sample["tables"][ALL] for s in SCOPES for e in EMOTIONS]
    assert all(re.fullmatch(r"[01]\.\d{3}", c) and float(c) <= 1 for c in cells)
    assert any(c[-1] != "0" for c in cells)  # real thousandths, not rounded to tenths


def test_agn_cells_are_0_or_1_by_the_threshold_with_the_neutral_rule(sample):
    suppressed = alone = 0
    for level, name in AG.items():
        for all_row, ag_row in zip(sample["tables"][ALL], sample["tables"][name]):
            for scope in SCOPES:
                # shares in thousandths, so "at least N×10 %" is an exact integer comparison
                reached = {e: int(all_row[f"{scope}: {e}"].replace(".", "")) >= level * 100 for e in EMOTIONS}
                others = any(reached[e] for e in EMOTIONS if e != "neutral")
                cells = {e: ag_row[f"{scope}: {e}"] for e in EMOTIONS}
                assert set(cells.values()) <= {"0", "1"}
                expected = {e: reached[e] for e in EMOTIONS if e != "neutral"}
                expected["neutral"] = reached["neutral"] and not others
                assert {e: c == "1" for e, c in cells.items()} == expected, (name, ag_row["ID"], scope)
                suppressed += reached["neutral"] and others
                alone += reached["neutral"] and not others
    assert suppressed and alone  # both sides of the neutral rule occur


def test_image_url_hosts_are_use2_uploads_0_to_8(sample):
    hosts = {re.match(r"https://([^/]+)/", url).group(1) for url in column(sample, ALL, "Image URL")}
    assert hosts <= {f"use2-uploads{i}.wikiart.org" for i in range(9)}
    assert len(hosts) == 9 if sample["n"] == FULL else len(hosts) > 1


def test_image_url_extensions(sample):
    found = counts(url.rsplit(".", 1)[1] for url in column(sample, ALL, "Image URL"))
    if sample["n"] == FULL:
        assert found == {"jpg": 4092, "JPG": 8, "jpeg": 3, "png": 2}
    else:
        assert set(found) == {"jpg", "JPG", "jpeg", "png"} and found["jpg"] > 0.9 * sample["n"]


def test_readme_is_built_like_the_official_one_and_disagrees_with_the_files_alike(sample):
    text = sample["bytes"][README].decode("utf-8")
    info_line = next(line for line in text.splitlines() if line.startswith("WikiArt-info.tsv columns:"))
    assert "Style" in info_line and "Style" not in header(sample, INFO)  # documented, yet not in the file
    assert "Post-Renaissance Art" in text  # the README's spelling, not the files'
    defined = parse_definitions(text)  # the reader of the official README's category list (tests/test_readme.py)
    assert sorted(defined.index) == sorted(EMOTIONS)
    titles = set(sections(text))
    for title in ("Terms of Use", "Art pieces annotated", "Emotions", "Annotations", "Annotation Aggregation"):
        assert title in titles  # the official README's section titles


def answers_by_hand(sample) -> tuple[dict, dict]:
    """Votes and annotators per (scenario, artwork) in the per-annotator file, counted by hand: each scenario's
    ``… piece j: ID`` and ``… piece j: emotions`` columns, one emotion per line, ``n`` for neutral, ``Other: …``
    left out. Also each worker's artworks per scenario."""
    rows = list(csv.reader(io.StringIO(sample["bytes"][ANSWERS].decode("utf-8"), newline="")))
    head, body = rows[0], rows[1:]
    votes, seen = {}, {}
    for row in body:
        cells = dict(zip(head, row))
        for scope in SCOPES:
            for j in range(1, 6):
                ident = cells[f"{scope} piece {j}: ID"]
                if not ident:
                    continue
                seen.setdefault((scope, cells["Worker ID"]), []).append(ident)
                tally = votes.setdefault((scope, ident), {"n": 0} | dict.fromkeys(EMOTIONS, 0))
                tally["n"] += 1
                for line in cells[f"{scope} piece {j}: emotions"].split("\n"):
                    if not line.startswith("Other: "):
                        tally["neutral" if line == "n" else line] += 1
    return votes, seen


def test_per_annotator_answers_counted_by_hand_give_the_all_shares(sample):
    votes, _ = answers_by_hand(sample)
    for row in sample["tables"][ALL]:
        for scope in SCOPES:
            tally = votes[(scope, row["ID"])]
            assert tally["n"] >= 10  # SPEC: each piece seen by at least ten annotators
            for emotion in EMOTIONS:
                written = float(row[f"{scope}: {emotion}"])
                assert abs(tally[emotion] / tally["n"] - written) <= 0.0005 + 1e-12, (scope, row["ID"], emotion)


def test_per_annotator_file_has_one_line_per_worker_of_up_to_five_pieces(sample):
    data = sample["bytes"][ANSWERS]
    _, seen = answers_by_hand(sample)
    workers = {w for _, w in seen}
    assert sorted(map(int, workers)) == list(range(1, len(workers) + 1))  # sequential worker IDs
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == len(workers) + 1  # CRLF between lines only
    assert all(len(ids) <= 5 and len(set(ids)) == len(ids) for ids in seen.values())
    assert not data.startswith(b"\xef\xbb\xbf")
