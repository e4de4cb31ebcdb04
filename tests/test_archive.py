"""The archive: checked, extracted safely (nothing outside the target folder), cached, and fetched once."""

import io
import os
import stat
import subprocess
import sys
import time
import zipfile

import pandas as pd
import pytest

from course_utils.data import schema
from course_utils.data.archive import (
    STAMP,
    ArchiveError,
    extract_archive,
    fetch_archive,
)
from course_utils.data.fetch import Fetcher, HttpPolicy
from course_utils.datasets.localserver import LocalServer, Reply
from course_utils.datasets.sample import write_sample

FAST = HttpPolicy(timeout=2, backoff=0.01, max_backoff=0.02, max_retry_after=0.05)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("archive") / "sample", n=25, seed=5)


@pytest.fixture
def server(sample):
    with LocalServer(sample.root) as running:
        yield running


def files_of(sample) -> dict[str, bytes]:
    """The sample archive's files by name."""
    return {p.name: p.read_bytes() for p in sample.archive_dir.iterdir()}


def make_zip(path, members: dict[str, bytes], links: dict[str, str] | None = None):
    """A zip with the given members (name → bytes) and symbolic links (name → target)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def with_folder(files: dict[str, bytes], folder: str = schema.ARCHIVE_FOLDER) -> dict[str, bytes]:
    return {f"{folder}/{name}" if folder else name: data for name, data in files.items()}


def tree(path):
    """Every path below ``path`` (to prove nothing else was written)."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_extracts_the_sample_zip_flat_and_checked(sample, tmp_path):
    dest = extract_archive(sample.zip_path, tmp_path / "x")
    assert dest == tmp_path / "x"
    for name in schema.REQUIRED_FILES:
        assert (dest / name).read_bytes() == (sample.archive_dir / name).read_bytes()
    assert tree(tmp_path) == sorted(["x", *(f"x/{n}" for n in files_of(sample)), f"x/{STAMP}"])


def test_the_real_layout_is_accepted(sample, tmp_path):
    """The official archive's info file has 8 columns (no Style) and artworks in no emotion file; lines end in
    CRLF. (`course-utils download` once stopped on it with "WikiArt-info.tsv: missing column(s): Style".)"""
    info = files_of(sample)[schema.INFO_FILE]
    assert (
        info.split(b"\r\n", 1)[0] == b"ID\tCategory\tArtist\tTitle\tYear\tImage URL\tPainting Info URL\t"
        b"Artist Info URL"
    )
    assert info.count(b"\r\n") > files_of(sample)[schema.ALL_FILE].count(b"\r\n")
    dest = extract_archive(sample.zip_path, tmp_path / "x")
    assert (dest / schema.INFO_FILE).read_bytes() == info


def test_a_style_spelled_as_the_readme_spells_it_is_named(sample, tmp_path):
    files = files_of(sample)
    files[schema.ALL_FILE] = files[schema.ALL_FILE].replace(b"Post Renaissance Art", b"Post-Renaissance Art")
    with pytest.raises(
        ArchiveError,
        match=r"WikiArt-Emotions-All.tsv: Style of ID [0-9a-f]{24}: style "
        r"'Post-Renaissance Art' is not one of",
    ):
        extract_archive(make_zip(tmp_path / "a.zip", with_folder(files)), tmp_path / "x")


def test_second_extraction_is_a_no_op(sample, tmp_path, monkeypatch):
    dest = extract_archive(sample.zip_path, tmp_path / "x")
    before = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("extracted again"))
    assert extract_archive(sample.zip_path, tmp_path / "x") == dest
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == before


def test_a_twin_process_extraction_finished_first_is_kept_while_it_may_be_read(sample, tmp_path, monkeypatch):
    from course_utils.data import archive

    dest = tmp_path / "x"
    check_tables = archive.check_tables

    def twin_finishes_first(*args, **kwargs):
        monkeypatch.setattr(archive, "check_tables", check_tables)  # the twin extracts as usual
        extract_archive(sample.zip_path, dest)
        (dest / "being-read.txt").write_text("the twin's copy")
        check_tables(*args, **kwargs)

    monkeypatch.setattr(archive, "check_tables", twin_finishes_first)
    assert extract_archive(sample.zip_path, dest) == dest
    assert (dest / "being-read.txt").is_file(), "the twin's extraction was swapped away while it could be read"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_another_zip_replaces_the_folder(sample, tmp_path):
    dest = extract_archive(sample.zip_path, tmp_path / "x")
    other = write_sample(tmp_path / "other", n=5, seed=9)
    extract_archive(other.zip_path, dest)
    assert len(pd.read_csv(dest / schema.ALL_FILE, sep="\t")) == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("folder", ["", "Some-Other-Name", "a/b"])
def test_any_single_folder_layout_is_accepted(sample, tmp_path, folder):
    archive = make_zip(tmp_path / "a.zip", with_folder(files_of(sample), folder))
    dest = extract_archive(archive, tmp_path / "x")
    assert {p.name for p in dest.iterdir()} == {*files_of(sample), STAMP}


def test_macos_clutter_is_ignored(sample, tmp_path):
    members = with_folder(files_of(sample))
    members["__MACOSX/WikiArt-Emotions/._WikiArt-Emotions-All.tsv"] = b"\0\5\26\7"
    members["WikiArt-Emotions/.DS_Store"] = b"junk"
    dest = extract_archive(make_zip(tmp_path / "a.zip", members), tmp_path / "x")
    assert {p.name for p in dest.iterdir()} == {*files_of(sample), STAMP}


@pytest.mark.parametrize(
    "evil, why",
    [
        ("../escaped.txt", "'..' path"),
        ("WikiArt-Emotions/../../escaped.txt", "'..' path"),
        ("/tmp/escaped-absolute.txt", "absolute path"),
        ("C:/escaped.txt", "absolute path"),
    ],
)
def test_unsafe_paths_refuse_the_whole_archive(sample, tmp_path, evil, why):
    members = {**with_folder(files_of(sample)), evil: b"owned"}
    archive = make_zip(tmp_path / "evil.zip", members)
    before = tree(tmp_path)
    with pytest.raises(ArchiveError, match=why) as err:
        extract_archive(archive, tmp_path / "out" / "x")
    assert evil in str(err.value) and "\n" not in str(err.value)
    assert tree(tmp_path) == before + ["out"]  # only the (empty) parent folder was made
    assert not any((tmp_path / "out").iterdir())
    assert not os.path.exists("/tmp/escaped-absolute.txt")


def test_a_symlink_member_refuses_the_whole_archive(sample, tmp_path):
    archive = make_zip(
        tmp_path / "link.zip", with_folder(files_of(sample)), links={"WikiArt-Emotions/passwd": "/etc/passwd"}
    )
    with pytest.raises(ArchiveError, match="symbolic link"):
        extract_archive(archive, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_corrupt_member_is_refused(sample, tmp_path):
    good = make_zip(tmp_path / "good.zip", with_folder(files_of(sample)))
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo(f"{schema.ARCHIVE_FOLDER}/{schema.ALL_FILE}")
    data[info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF  # a byte inside the compressed data
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="corrupt zip archive"):
        extract_archive(bad, tmp_path / "x")
    assert not (tmp_path / "x").exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "an empty file, not a zip archive"),
        (b"<!DOCTYPE html><html>Access denied</html>", "an HTML page, not a zip archive"),
        (b"PK\x03\x04 truncated", "not a zip archive"),
    ],
)
def test_not_a_zip_says_what_it_is_and_what_was_expected(tmp_path, content, words):
    path = tmp_path / "WikiArt-Emotions.zip"
    path.write_bytes(content)
    with pytest.raises(ArchiveError, match=words) as err:
        extract_archive(path, tmp_path / "x")
    assert schema.ALL_FILE in str(err.value)  # says what was expected


def test_a_missing_file_is_named(sample, tmp_path):
    files = files_of(sample)
    del files[schema.AG_FILES[5]]
    with pytest.raises(ArchiveError, match=f"missing {schema.AG_FILES[5]}"):
        extract_archive(make_zip(tmp_path / "a.zip", with_folder(files)), tmp_path / "x")


def edit_tsv(files: dict[str, bytes], name: str, edit) -> dict[str, bytes]:
    """The files with one TSV changed by ``edit`` (a function of its DataFrame, read as text)."""
    table = pd.read_csv(io.BytesIO(files[name]), sep="\t", dtype=str)
    return {**files, name: edit(table).to_csv(sep="\t", index=False).encode()}


def test_a_missing_column_is_named(sample, tmp_path):
    files = edit_tsv(files_of(sample), schema.ALL_FILE, lambda t: t.drop(columns="Face/body"))
    with pytest.raises(ArchiveError, match=r"WikiArt-Emotions-All.tsv: missing column\(s\): Face/body"):
        extract_archive(make_zip(tmp_path / "a.zip", with_folder(files)), tmp_path / "x")


def test_a_non_numeric_share_is_refused(sample, tmp_path):
    files = edit_tsv(files_of(sample), schema.AG_FILES[4], lambda t: t.assign(**{"ImageOnly: anger": "yes"}))
    with pytest.raises(ArchiveError, match="ImageOnly: anger"):
        extract_archive(make_zip(tmp_path / "a.zip", with_folder(files)), tmp_path / "x")


def test_official_row_count_is_required_when_asked(sample, tmp_path):
    with pytest.raises(ArchiveError, match="has 25 rows; the official archive has 4105"):
        extract_archive(sample.zip_path, tmp_path / "x", expected_rows=schema.OFFICIAL_ROWS)


def test_zip_bomb_by_declared_size_is_refused(sample, tmp_path, monkeypatch):
    import course_utils.data.archive as archive

    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED", 1000)
    with pytest.raises(ArchiveError, match="uncompressed, more than the 1000 allowed"):
        extract_archive(sample.zip_path, tmp_path / "x")


def test_stale_temporary_folders_are_swept(sample, tmp_path):
    stale = tmp_path / ".x-abandoned"
    stale.mkdir()
    fresh = tmp_path / ".x-running"
    fresh.mkdir()
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    extract_archive(sample.zip_path, tmp_path / "x")
    assert not stale.exists() and fresh.exists()  # a fresh one may belong to a process still running


def test_fetch_archive_downloads_once_then_reuses(server, tmp_path):
    dest = fetch_archive(server.archive_url, tmp_path, Fetcher(FAST))
    assert (dest / schema.ALL_FILE).is_file() and (tmp_path / schema.ARCHIVE_NAME).is_file()
    assert fetch_archive(server.archive_url, tmp_path, Fetcher(FAST)) == dest
    assert server.hits[schema.ARCHIVE_NAME] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [schema.ARCHIVE_FOLDER, schema.ARCHIVE_NAME]


def test_fetch_archive_from_another_address_downloads_again(server, sample, tmp_path):
    fetch_archive(server.archive_url, tmp_path, Fetcher(FAST))
    (sample.root / "mirror.zip").write_bytes(sample.zip_path.read_bytes())
    fetch_archive(f"{server.url}/mirror.zip", tmp_path, Fetcher(FAST))
    assert server.hits["mirror.zip"] == 1


def test_a_zip_put_there_by_hand_is_used(sample, tmp_path):
    (tmp_path / schema.ARCHIVE_NAME).write_bytes(sample.zip_path.read_bytes())
    dest = fetch_archive("http://127.0.0.1:9/never-asked.zip", tmp_path, Fetcher(FAST))
    assert (dest / schema.ALL_FILE).is_file()


def test_a_bad_zip_put_there_by_hand_says_how_to_recover(tmp_path):
    (tmp_path / schema.ARCHIVE_NAME).write_bytes(b"<html>oops</html>")
    with pytest.raises(ArchiveError, match="delete it to download again"):
        fetch_archive("http://127.0.0.1:9/never-asked.zip", tmp_path, Fetcher(FAST))


def test_official_address_requires_4105_rows(server, tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "ARCHIVE_URL", server.archive_url)
    with pytest.raises(ArchiveError, match="the official archive has 4105"):
        fetch_archive(server.archive_url, tmp_path, Fetcher(FAST))
    assert list(tmp_path.iterdir()) == []  # neither the zip nor a temporary file stays


def test_archive_http_errors_leave_nothing(server, tmp_path):
    server.fault(schema.ARCHIVE_NAME, Reply(404, b"gone"), always=True)
    with pytest.raises(ArchiveError, match="could not download the archive: HTTP 404"):
        fetch_archive(server.archive_url, tmp_path, Fetcher(FAST))
    assert list(tmp_path.iterdir()) == []


def test_archive_download_survives_a_cut_connection_and_a_500(server, tmp_path):
    server.fault(
        schema.ARCHIVE_NAME,
        Reply(200, truncate=None, headers=(("Content-Length", "99999999"),)),
        Reply(500, b"oops"),
    )
    dest = fetch_archive(server.archive_url, tmp_path, Fetcher(FAST))
    assert (dest / schema.ALL_FILE).is_file()
    assert server.hits[schema.ARCHIVE_NAME] == 3


@pytest.mark.parametrize("cut_at", [0.5, 0.9])
def test_a_retry_after_a_cut_mid_stream_saves_exactly_what_was_served(server, tmp_path, cut_at):
    """The first answer stops part-way through (fewer bytes than its Content-Length), the second is whole: the
    saved file holds the served bytes once, not the first part followed by the whole."""
    served = (server.root / schema.ARCHIVE_NAME).read_bytes()
    server.fault(schema.ARCHIVE_NAME, Reply(200, truncate=cut_at, headers=(("Content-Length", str(len(served))),)))
    path = tmp_path / "saved.zip"
    fetcher = Fetcher(FAST)
    assert fetcher.save(server.archive_url, path) == len(served)
    assert fetcher.retries == 1 and server.hits[schema.ARCHIVE_NAME] == 2
    assert path.read_bytes() == served


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "course_utils", *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"not a zip at all", "not a zip archive"),
        (None, "unsafe member '../escaped.txt'"),
    ],
)
def test_cli_classes_on_a_bad_zip_is_one_line(sample, tmp_path, content, words):
    path = tmp_path / "bad.zip"
    if content is None:
        make_zip(path, {**with_folder(files_of(sample)), "../escaped.txt": b"x"})
    else:
        path.write_bytes(content)
    res = run_cli("classes", "--annotations", str(path))
    assert res.returncode == 2
    assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not (tmp_path.parent / "escaped.txt").exists()
