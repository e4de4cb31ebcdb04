"""The offline sample dataset (SPEC §5) and `course-utils sample`."""

import csv
import filecmp
import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.datasets.sample import (
    FORMAT,
    GENERATOR,
    OFFICIAL_STYLES,
    STAMP,
    ag_table,
    build_tables,
    quota,
    write_sample,
)
from course_utils.labels import class_counts, label_table


def run_cli(*args):
    """Run the command line as a user would."""
    return subprocess.run([sys.executable, "-m", "course_utils", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("s") / "sample", n=300, seed=11)


def test_cli_twice_gives_identical_files(tmp_path):
    for name in ("a", "b"):
        res = run_cli("sample", "--out", str(tmp_path / name), "--n", "40", "--seed", "7")
        assert res.returncode == 0, res.stderr
    cmp = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 40 + 7 + 1 + 1 + 1  # images, 5 TSV + CSV + README, zip, hidden points, format stamp
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert not cmp.left_only and not cmp.right_only


def test_different_seeds_differ(tmp_path):
    a = write_sample(tmp_path / "a", n=20, seed=1)
    b = write_sample(tmp_path / "b", n=20, seed=2)
    ta = pd.read_csv(a.archive_dir / schema.ALL_FILE, sep="\t")
    tb = pd.read_csv(b.archive_dir / schema.ALL_FILE, sep="\t")
    assert set(ta["ID"]).isdisjoint(tb["ID"])


def test_files_columns_and_types_are_the_official_ones(sample):
    names = {p.name for p in sample.archive_dir.iterdir()}
    assert set(schema.REQUIRED_FILES) <= names
    for name in (schema.ALL_FILE, *schema.AG_FILES.values()):
        raw = pd.read_csv(sample.archive_dir / name, sep="\t", dtype={"ID": str})
        assert tuple(raw.columns) == schema.ANNOTATION_COLUMNS
        assert raw["ID"].str.fullmatch(r"[0-9a-f]{24}").all()
        assert raw["Image URL"].str.startswith(("https://uploads", "https://use2-uploads")).all()
        assert set(raw["Is painting"]) <= {"yes", "no"} and set(raw["Face/body"]) <= {"face", "body", "none"}
        assert raw["Ave. art rating"].between(-3, 3).all()
    info = pd.read_csv(sample.archive_dir / schema.INFO_FILE, sep="\t")
    assert tuple(info.columns) == schema.INFO_COLUMNS
    with zipfile.ZipFile(sample.zip_path) as zf:
        assert {f"{schema.ARCHIVE_FOLDER}/{n}" for n in schema.REQUIRED_FILES} <= set(zf.namelist())


def test_all_shares_are_rounded_fractions(sample):
    values = shares(read_table(sample.archive_dir / schema.ALL_FILE), "art")
    assert values.to_numpy().min() >= 0 and values.to_numpy().max() <= 1
    np.testing.assert_allclose(values.to_numpy(), values.to_numpy().round(3))
    assert len(np.unique(values.to_numpy())) > 20  # real fractions, not 0/1


#: The archive's column prefix of each scope, copied by hand from the dataset's README (not from `schema`).
PREFIXES = ("Art (image+title): ", "ImageOnly: ", "TitleOnly: ")


def raw_rows(path) -> list[dict]:
    """A TSV file's rows as the text it holds, read with the csv module (no package code)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def thousandths(cell: str) -> int:
    """A share as the All file writes it (``0.400``) in whole thousandths (400): compared without floats."""
    whole, point, frac = cell.partition(".")
    assert point and len(frac) == 3, cell
    return int(whole) * 1000 + int(frac)


@pytest.mark.parametrize("level", [3, 4, 5])
def test_ag_files_are_the_all_file_thresholded_by_hand(sample, level):
    """Every cell of an AgN file recomputed from the All file's text without the package: ``1`` where a share is
    at least N×100 thousandths, ``0`` below; ``neutral`` ``1`` only when no other emotion of that scope is; every
    other column copied unchanged. The sample must hold the cases that matter: shares exactly at the threshold,
    neutral alone, and neutral beside another emotion."""
    all_rows = raw_rows(sample.archive_dir / schema.ALL_FILE)
    ag_rows = raw_rows(sample.archive_dir / schema.AG_FILES[level])
    assert [r["ID"] for r in ag_rows] == [r["ID"] for r in all_rows] and len(all_rows) == 300
    at_threshold = neutral_alone = neutral_dropped = 0
    for row, ag in zip(all_rows, ag_rows):
        for prefix in PREFIXES:
            columns = [c for c in row if c.startswith(prefix)]
            assert len(columns) == 20
            share = {c: thousandths(row[c]) for c in columns}
            present = {c for c in columns if share[c] >= 100 * level}
            at_threshold += sum(share[c] == 100 * level for c in columns)
            neutral = prefix + "neutral"
            if neutral in present and len(present) > 1:
                present.discard(neutral)
                neutral_dropped += 1
            elif present == {neutral}:
                neutral_alone += 1
            want = {c: "1" if c in present else "0" for c in columns}
            assert {c: ag[c] for c in columns} == want, (row["ID"], prefix)
        others = [c for c in row if not c.startswith(PREFIXES)]
        assert {c: ag[c] for c in others} == {c: row[c] for c in others}, row["ID"]
    assert at_threshold > 0 and neutral_alone > 0 and neutral_dropped > 0


def test_ag_table_of_hand_made_rows():
    """`ag_table` on four hand-made artworks, the answers worked by hand: a share at the threshold counts, one a
    thousandth below does not; neutral counts alone and is dropped beside another emotion."""
    columns = [c for s in schema.SCOPES for c in schema.emotion_columns(s)]
    table = pd.DataFrame(0.0, index=range(4), columns=columns)
    art = "Art (image+title): "
    table.loc[0, art + "anger"] = 0.4  # at the threshold of Ag4
    table.loc[1, art + "anger"] = 0.399  # just below
    table.loc[2, art + "neutral"] = 0.5  # alone
    table.loc[3, [art + "neutral", art + "fear", art + "love"]] = [0.5, 0.4, 0.1]  # beside fear
    table.loc[3, "ImageOnly: neutral"] = 0.45  # another scope: alone there, so it counts there
    ag = ag_table(table, 4)
    ones = {i: sorted(c for c in columns if ag.loc[i, c] == 1) for i in range(4)}
    assert ones == {
        0: [art + "anger"],
        1: [],
        2: [art + "neutral"],
        3: [art + "fear", "ImageOnly: neutral"],
    }
    assert set(np.unique(ag[columns].to_numpy())) == {0, 1}


def test_images_exist_for_every_id_with_variety(sample):
    table = read_table(sample.archive_dir / schema.ALL_FILE)
    sizes, modes = set(), set()
    for ident in table["ID"]:
        (path,) = sample.images_dir.glob(f"{ident}.*")
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            sizes.add(im.size)
            modes.add(im.mode)
    assert len(sizes) > 100 and {"RGB", "L"} <= modes and "P" in modes


def test_classes_are_imbalanced_like_the_study():
    table, _ = build_tables(2000, seed=123)  # the tables alone: painting 2,000 pictures adds nothing here
    values = table[schema.emotion_columns("art")].set_axis(list(schema.EMOTIONS), axis=1)
    counts, unlabelled = class_counts(label_table(values, 0.4)["class"])
    assert max(counts, key=counts.get) == "Euphoric"
    assert 0.35 < counts["Euphoric"] / sum(counts.values()) < 0.6
    assert min(counts, key=counts.get) == "Aggressive + Euphoric + Calm"
    assert 0 < unlabelled < 0.35 * 2000


def test_quota_scales_the_official_counts_by_largest_remainder():
    # 3:1 of 8 is exactly 6:2; 1:1:1 of 4 gives the one left over to the first of three equal remainders
    assert quota({"a": 3, "b": 1}, 8) == {"a": 6, "b": 2}
    assert sum(quota({"a": 1, "b": 1, "c": 1}, 4).values()) == 4
    # full size: the archive's counts themselves
    assert quota(OFFICIAL_STYLES, 4105) == OFFICIAL_STYLES
    # 20 artworks: 2.02, 4.81, 12.19, 0.94, 0.03, 0.005 -> 2, 5, 12, 1, 0, 0; each spelling then at least once,
    # taken from the largest
    assert list(quota(OFFICIAL_STYLES, 20).values()) == [2, 5, 10, 1, 1, 1]
    # below 20 a rare value may round to none
    assert list(quota(OFFICIAL_STYLES, 10).values()) == [1, 2, 6, 1, 0, 0]


def test_image_urls_point_at_a_local_server_when_asked(tmp_path):
    info = write_sample(tmp_path / "s", n=12, seed=4, base_url="http://127.0.0.1:9/images/")
    table = pd.read_csv(info.archive_dir / schema.ALL_FILE, sep="\t", dtype=str)
    for ident, url in zip(table["ID"], table["Image URL"]):
        assert url.startswith("http://127.0.0.1:9/images/") and url.endswith(ident + url[url.rindex(".") :])
        assert (info.images_dir / url.rsplit("/", 1)[-1]).is_file()  # what the local server serves


def test_a_cached_sample_of_an_older_format_is_made_again(tmp_path):
    info = write_sample(tmp_path / "s", n=10, seed=1)
    stamp = info.root / STAMP
    assert write_sample(info.root, n=10, seed=1, overwrite=False) == info
    marker = info.root / "kept.txt"
    marker.write_text("a cached sample of the current format is kept")
    write_sample(info.root, n=10, seed=1, overwrite=False)
    assert marker.is_file()
    stamp.write_text('{"format": %d}' % (FORMAT - 1))
    write_sample(info.root, n=10, seed=1, overwrite=False)
    assert not marker.exists() and f'"format": {FORMAT}' in stamp.read_text()
    marker.write_text("a sample of an edited generator must not be kept")
    stamp.write_text(json.dumps({"format": FORMAT, "generator": "an older generator"}))
    write_sample(info.root, n=10, seed=1, overwrite=False)
    assert not marker.exists() and json.loads(stamp.read_text())["generator"] == GENERATOR


def test_images_false_writes_the_archive_only(tmp_path):
    info = write_sample(tmp_path / "s", n=30, seed=2, images=False)
    assert not info.images_dir.exists()
    assert {p.name for p in info.archive_dir.iterdir()} >= set(schema.REQUIRED_FILES)
    with_images = write_sample(tmp_path / "t", n=30, seed=2)
    for name in schema.REQUIRED_FILES:
        assert (info.archive_dir / name).read_bytes() == (with_images.archive_dir / name).read_bytes()


def test_cli_bad_n_is_one_line_error(tmp_path):
    res = run_cli("sample", "--out", str(tmp_path), "--n", "0")
    assert res.returncode != 0 and "must be at least 1" in res.stderr and "Traceback" not in res.stderr


def test_a_twin_process_sample_finished_first_is_kept_while_it_may_be_read(tmp_path, monkeypatch):
    """Two chapters started together both generate the sample; the first to finish renames its copy into place
    and starts reading it. The second must keep that copy, not swap it away under the reader's feet."""
    from course_utils.datasets import sample as sample_module

    out = tmp_path / "s"
    write_files = sample_module._write_files

    def twin_finishes_first(root, *args, **kwargs):
        monkeypatch.setattr(sample_module, "_write_files", write_files)  # the twin writes as usual
        write_sample(out, n=10, seed=1, overwrite=False)  # its copy is in place and being read
        (out / "being-read.txt").write_text("the twin's copy")
        write_files(root, *args, **kwargs)

    monkeypatch.setattr(sample_module, "_write_files", twin_finishes_first)
    write_sample(out, n=10, seed=1, overwrite=False)
    assert (out / "being-read.txt").is_file(), "the twin's complete sample was replaced while it could be read"
    assert not list(tmp_path.glob(".*")), "the copy left over is removed"
