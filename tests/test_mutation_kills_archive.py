"""Cases for course_utils.data.archive that the other tests left open (mutants that survived
benchmarks/mutation.py): each refusal's whole message, member kinds, clutter written with backslashes, the
stamp's record, nested folders and the sweep's count. Quick: a 25-artwork sample zip, no server."""

import json
import os
import re
import stat
import time
import zipfile

import pytest
from test_archive import files_of, make_zip, with_folder

from course_utils.data import archive, schema
from course_utils.data.archive import (
    EXPECTED,
    STAMP,
    ArchiveError,
    extract_archive,
    fetch_archive,
    is_clutter,
    read_stamp,
    sweep_stale,
    what_it_is,
)
from course_utils.data.fetch import Fetcher, HttpPolicy
from course_utils.datasets.sample import write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("kills") / "sample", n=25, seed=5)


def says(message: str):
    """pytest.raises(ArchiveError) matching exactly ``message``."""
    return pytest.raises(ArchiveError, match="^" + re.escape(message) + "$")


def member(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def test_members_of_each_kind(sample, tmp_path):
    files = with_folder(files_of(sample))
    path = make_zip(tmp_path / "ok.zip", files)
    with zipfile.ZipFile(path, "a") as zf:  # a regular file and a folder with their modes set: fine
        zf.writestr(member(f"{schema.ARCHIVE_FOLDER}/notes.txt", stat.S_IFREG | 0o644), b"x")
        zf.writestr(member(f"{schema.ARCHIVE_FOLDER}/sub/", stat.S_IFDIR | 0o755), b"")
    extract_archive(path, tmp_path / "out")
    fifo = make_zip(tmp_path / "fifo.zip", files)
    with zipfile.ZipFile(fifo, "a") as zf:
        zf.writestr(member("pipe", stat.S_IFIFO | 0o644), b"")
    with says(f"{fifo}: unsafe member 'pipe' (not a regular file); refused the whole archive"):
        extract_archive(fifo, tmp_path / "out2")


@pytest.mark.parametrize("evil", ["\\evil.tsv", "c:evil.tsv"])
def test_backslash_and_lower_case_drive_paths_are_absolute(sample, tmp_path, evil):
    path = make_zip(tmp_path / "a.zip", {**with_folder(files_of(sample)), evil: b"x"})
    with says(f"{path}: unsafe member {evil!r} (an absolute path); refused the whole archive"):
        extract_archive(path, tmp_path / "out")


def test_clutter_written_with_backslashes_is_clutter():
    assert is_clutter("dir\\._WikiArt-Emotions-All.tsv") and is_clutter("__MACOSX/x.tsv")
    assert not is_clutter("dir\\All.tsv") and not is_clutter("__macosx_not/x.tsv")


def test_refusals_name_the_label_and_the_files(sample, tmp_path):
    files = files_of(sample)
    missing = make_zip(tmp_path / "m.zip", {})
    with says(f"{missing}: {schema.ALL_FILE} is not in the archive (expected {EXPECTED})"):
        extract_archive(missing, tmp_path / "o1")
    twice = make_zip(tmp_path / "t.zip", {**with_folder(files, "b"), **with_folder(files, "a")})
    with says(f"{twice}: {schema.ALL_FILE} appears in several folders: a, b"):
        extract_archive(twice, tmp_path / "o2")
    lacking = [n for n in schema.REQUIRED_FILES if n != schema.ALL_FILE][:2]
    short = make_zip(tmp_path / "s.zip", {n: d for n, d in files.items() if n not in lacking})
    with says(f"{short}: missing {', '.join(lacking)} (expected {EXPECTED})"):
        extract_archive(short, tmp_path / "o3")
    with says(f"{tmp_path / 'none.zip'}: no such file (expected {EXPECTED})"):
        extract_archive(tmp_path / "none.zip", tmp_path / "o4")
    labelled = make_zip(tmp_path / "l.zip", {})
    with says(f"the label: {schema.ALL_FILE} is not in the archive (expected {EXPECTED})"):
        extract_archive(labelled, tmp_path / "o5", label="the label")


def test_exactly_the_size_limit_is_allowed(sample, tmp_path, monkeypatch):
    path = make_zip(tmp_path / "a.zip", files_of(sample))
    with zipfile.ZipFile(path) as zf:
        monkeypatch.setattr(archive, "MAX_UNCOMPRESSED", sum(i.file_size for i in zf.infolist()))
    extract_archive(path, tmp_path / "out")


def test_a_broken_table_is_named_without_its_temporary_path(sample, tmp_path):
    files = files_of(sample)
    files[schema.ALL_FILE] = files[schema.ALL_FILE].replace(b"\t", b",", 1)  # the header loses a column
    path = make_zip(tmp_path / "a.zip", files)
    with pytest.raises(ArchiveError, match=rf"^{re.escape(str(path))}: {re.escape(schema.ALL_FILE)}: ") as err:
        extract_archive(path, tmp_path / "out")
    assert ".WikiArt" not in str(err.value) and str(tmp_path / "out") not in str(err.value)


def test_the_stamp_records_the_zip_rows_origin_and_source_in_a_nested_folder(sample, tmp_path):
    path = make_zip(tmp_path / "a.zip", files_of(sample))
    dest = tmp_path / "x" / "y" / "dest"  # parents made as needed
    extract_archive(path, dest, expected_rows=25, origin="http://o", label="lbl")
    stamp = read_stamp(dest)
    assert stamp == {
        "zip_sha256": archive.sha256(path),
        "expected_rows": 25,
        "origin": "http://o",
        "source": "lbl",
    }
    assert (dest / STAMP).read_text() == json.dumps(stamp, indent=1)


def test_a_zip_found_in_a_nested_folder_keeps_its_origin(sample, tmp_path):
    out = tmp_path / "deep" / "er"
    out.mkdir(parents=True)
    make_zip(out / schema.ARCHIVE_NAME, with_folder(files_of(sample)))
    dest = fetch_archive("http://127.0.0.1:9/a.zip", out)
    assert read_stamp(dest)["origin"] == "http://127.0.0.1:9/a.zip"
    nested = tmp_path / "new" / "folder"
    with pytest.raises(ArchiveError, match="could not download the archive"):
        fetch_archive("http://127.0.0.1:9/a.zip", nested, Fetcher(HttpPolicy(retries=0, timeout=2)))
    assert nested.is_dir()


def test_the_official_address_requires_the_official_rows_of_a_zip_found_in_the_folder(sample, tmp_path):
    make_zip(tmp_path / schema.ARCHIVE_NAME, with_folder(files_of(sample)))
    with pytest.raises(ArchiveError, match=f"has 25 rows; the official archive has {schema.OFFICIAL_ROWS}"):
        fetch_archive(schema.ARCHIVE_URL, tmp_path)


def test_sweep_counts_what_it_removed_and_keeps_going(tmp_path):
    old = time.time() - 7200
    for name in (".t-a", ".t-b"):
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (old, old))
    (tmp_path / ".t-dir").mkdir()
    os.utime(tmp_path / ".t-dir", (old, old))
    (tmp_path / ".t-new").write_text("fresh")  # a twin's: kept
    assert sweep_stale(tmp_path, ".t-*") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".t-new"]
    assert sweep_stale(tmp_path, ".t-*") == 0


def test_what_a_file_that_is_no_zip_holds(tmp_path):
    (tmp_path / "b").write_bytes(b"\x00\x01 binary")
    (tmp_path / "h").write_bytes(b"<!DOCTYPE html><html></html>")
    (tmp_path / "e").write_bytes(b"")
    assert [what_it_is(tmp_path / n) for n in "bhe"] == ["something else", "an HTML page", "an empty file"]
