"""The official archive: downloaded once (streamed to a temporary file, then renamed), checked to be the
WikiArt Emotions zip, and extracted safely: no member can land outside the target folder, and the folder
appears only complete and checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import time
import zipfile
import zlib
from pathlib import Path

from course_utils.data import schema
from course_utils.data.annotations import (
    AnnotationError,
    read_table,
    shares,
)
from course_utils.data.fetch import Fetcher, FetchError
from course_utils.data.files import (
    atomic_path,
    replace_folder,
    temporary_folder,
)
from course_utils.data.images import looks_like_html

#: More than this uncompressed is not the archive (the real one is a few MB): refused before extracting.
MAX_UNCOMPRESSED = 512 * 2**20


#: The record, inside the extracted folder, of which zip (and which source) it came from.
STAMP = ".extracted.json"


#: Temporary files and folders of an interrupted run older than this are removed on the next run.
STALE_SECONDS = 3600


EXPECTED = f"{schema.ARCHIVE_NAME}: a zip holding {', '.join(schema.REQUIRED_FILES)}"


#: What reading a damaged zip raises (a bad header, a bad deflate stream, a cut file, an unknown method, a password).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


class ArchiveError(ValueError):
    """The archive is missing, corrupt, unsafe or not the WikiArt Emotions archive; the message says which."""


def fetch_archive(
    url: str, out: str | os.PathLike, fetcher: Fetcher | None = None
) -> Path:
    """The checked, extracted archive folder ``out/WikiArt-Emotions``: downloaded and extracted once, then reused.

    A zip already in ``out`` (from an earlier run, or put there by hand) is used as it is, unless it came from
    another address. The official address also requires the official 4,105 rows.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    zip_path, dest = out / schema.ARCHIVE_NAME, out / schema.ARCHIVE_FOLDER
    rows = schema.OFFICIAL_ROWS if url == schema.ARCHIVE_URL else None
    if zip_path.is_file() and read_stamp(dest).get("origin") in (None, url):
        try:
            return extract_archive(
                zip_path, dest, expected_rows=rows, origin=url
            )
        except ArchiveError as err:
            raise ArchiveError(
                f"{err} [found in {out}: delete it to download again]"
            ) from None
    sweep_stale(out, f".{schema.ARCHIVE_FOLDER}-*")
    with atomic_path(
        zip_path, suffix=".zip.part"
    ) as tmp:  # named .WikiArt-Emotions-…: sweep_stale finds it
        try:
            (fetcher or Fetcher()).save(url, tmp)
        except FetchError as err:
            raise ArchiveError(
                f"{url}: could not download the archive: {err}"
            ) from None
        extract_archive(
            tmp, dest, expected_rows=rows, origin=url, label=url
        )
    return dest


def extract_archive(
    zip_path: str | os.PathLike,
    dest: str | os.PathLike,
    expected_rows: int | None = None,
    origin: str | None = None,
    label: str | None = None,
) -> Path:
    """Extract the archive's files into ``dest`` (flat) after checking them; a second call with the same zip
    does nothing. Members with absolute paths, ``..`` or links make the whole archive refused.
    """
    zip_path, dest = Path(zip_path), Path(dest)
    label = label or str(zip_path)
    if not zip_path.is_file():
        raise ArchiveError(f"{label}: no such file (expected {EXPECTED})")
    if not zipfile.is_zipfile(zip_path):
        raise ArchiveError(
            f"{label}: {what_it_is(zip_path)}, not a zip archive (expected {EXPECTED})"
        )
    key = {"zip_sha256": sha256(zip_path), "expected_rows": expected_rows}
    if {k: read_stamp(dest).get(k) for k in key} == key:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(dest.parent, f".{dest.name}-*")
    tmp = temporary_folder(dest)
    try:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                for info, name in members(zf, label):
                    with (
                        zf.open(info) as src,
                        open(tmp / name, "wb") as dst,
                    ):
                        shutil.copyfileobj(src, dst)
        except ZIP_ERRORS as err:
            raise ArchiveError(
                f"{label}: corrupt zip archive ({err}); expected {EXPECTED}"
            ) from None
        check_tables(tmp, label, expected_rows)
        (tmp / STAMP).write_text(
            json.dumps({**key, "origin": origin, "source": label}, indent=1)
        )
        put_in_place(tmp, dest, key)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def what_it_is(path: Path) -> str:
    """A few words on what a file that should be a zip holds instead (an error page is the usual suspect)."""
    with open(path, "rb") as f:
        head = f.read(512)
    if not head:
        return "an empty file"
    return "an HTML page" if looks_like_html(head) else "something else"


def members(
    zf: zipfile.ZipFile, label: str
) -> list[tuple[zipfile.ZipInfo, str]]:
    """The archive's files to extract, each with its flat name; ArchiveError for anything unsafe or missing."""
    infos = zf.infolist()
    for info in infos:
        check_member(info, label)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        raise ArchiveError(
            f"{label}: {total} bytes uncompressed, more than the {MAX_UNCOMPRESSED} allowed "
            f"(expected {EXPECTED})"
        )
    files = [
        i for i in infos if not i.is_dir() and not is_clutter(i.filename)
    ]
    folders = {
        os.path.dirname(i.filename)
        for i in files
        if os.path.basename(i.filename) == schema.ALL_FILE
    }
    if not folders:
        raise ArchiveError(
            f"{label}: {schema.ALL_FILE} is not in the archive (expected {EXPECTED})"
        )
    if len(folders) > 1:
        raise ArchiveError(
            f"{label}: {schema.ALL_FILE} appears in several folders: {', '.join(sorted(folders))}"
        )
    folder = folders.pop()
    chosen = [
        (i, os.path.basename(i.filename))
        for i in files
        if os.path.dirname(i.filename) == folder
    ]
    missing = [
        n
        for n in schema.REQUIRED_FILES
        if n not in {name for _, name in chosen}
    ]
    if missing:
        raise ArchiveError(
            f"{label}: missing {', '.join(missing)} (expected {EXPECTED})"
        )
    return chosen


def check_member(info: zipfile.ZipInfo, label: str) -> None:
    """Refuse a member that could be written outside the target folder: absolute, ``..``, a link or a device."""
    name = info.filename
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(
            f"{label}: unsafe member {name!r} (an absolute path); refused the whole archive"
        )
    if ".." in re.split(r"[/\\]", name):
        raise ArchiveError(
            f"{label}: unsafe member {name!r} (a '..' path); refused the whole archive"
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveError(
            f"{label}: unsafe member {name!r} (a symbolic link); refused the whole archive"
        )
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ArchiveError(
            f"{label}: unsafe member {name!r} (not a regular file); refused the whole archive"
        )


def is_clutter(name: str) -> bool:
    """macOS and editor leftovers that zips made by hand often carry (``__MACOSX/``, ``._x``, ``.DS_Store``)."""
    parts = name.replace("\\", "/").split("/")
    return "__MACOSX" in parts or parts[-1].startswith(".")


def check_tables(
    folder: Path, label: str, expected_rows: int | None
) -> None:
    """Every required file reads with the columns the course uses (the info file: ``ID``; an emotion file: its
    meta columns and numeric shares); the All file has the expected rows."""
    for name in schema.REQUIRED_FILES:
        path = folder / name
        try:
            table = read_table(
                path,
                ()
                if name == schema.INFO_FILE
                else schema.USED_META_COLUMNS,
            )
            if name != schema.INFO_FILE:
                for scope in schema.SCOPES:
                    shares(table, scope)
        except AnnotationError as err:
            reason = str(err).removeprefix(f"{path}: ")
            raise ArchiveError(f"{label}: {name}: {reason}") from None
        if (
            name == schema.ALL_FILE
            and expected_rows is not None
            and len(table) != expected_rows
        ):
            raise ArchiveError(
                f"{label}: {name} has {len(table)} rows; the official archive has {expected_rows}"
            )


def put_in_place(tmp: Path, dest: Path, key: dict) -> None:
    """Rename the checked folder into place, replacing an older one; a twin process's copy of the same archive
    stays (it may be reading it)."""
    replace_folder(
        tmp,
        dest,
        same=lambda: {k: read_stamp(dest).get(k) for k in key} == key,
    )


def read_stamp(dest: Path) -> dict:
    """The record of what an extracted folder came from ({} when there is none)."""
    try:
        return json.loads((Path(dest) / STAMP).read_text())
    except (OSError, ValueError):
        return {}


def sha256(path: Path) -> str:
    """The file's SHA-256 (the archive is a few MB: this takes milliseconds)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sweep_stale(
    folder: Path, pattern: str, age: float = STALE_SECONDS
) -> int:
    """Remove temporary files or folders an interrupted run left behind (only old ones: a twin may be running)."""
    removed = 0
    for path in Path(folder).glob(pattern):
        try:
            if time.time() - path.stat().st_mtime < age:
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed += 1
        except OSError:
            continue
    return removed
