"""The NRC Valence, Arousal, and Dominance Lexicon (v1; Mohammad, ACL 2018): fetched at run time, never shipped.

The lexicon gives about 20,000 English words a valence, an arousal and a dominance score, each from 0 (lowest)
to 1 (highest), rated by people with best–worst scaling. The course reads the valence and arousal of its 20
emotion words from it (``labels.emotion_coordinates``). Its terms allow research and educational use and ask
that it not be redistributed, so, like the WikiArt archive, it is downloaded from the official address into the
data folder and never committed; tests serve a made-up stand-in (``datasets/localserver.py``).

The official zip (about 40 MB: it also holds translations) is streamed to a temporary file, the one file the
course needs, ``NRC-VAD-Lexicon.txt``, is checked and written whole (temporary name, then a rename), and the zip
is removed. A zip already in the data folder (put there by hand where the site cannot be reached) is used
instead of a download. The file: one word per line, ``word<TAB>valence<TAB>arousal<TAB>dominance``, scores with
three decimals, a first line ``Word<TAB>Valence<TAB>Arousal<TAB>Dominance`` in some releases and none in others.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Mapping

import pandas as pd

from course_utils.data.archive import ZIP_ERRORS, is_clutter, sweep_stale
from course_utils.data.fetch import Fetcher, FetchError
from course_utils.data.files import atomic_path

#: The official zip of version 1 (linked from https://saifmohammad.com/WebPages/nrc-vad.html).
LEXICON_URL = (
    "https://saifmohammad.com/WebDocs/Lexicons/NRC-VAD-Lexicon.zip"
)

#: The zip's name in the data folder (where one put there by hand is used).
LEXICON_ZIP = "NRC-VAD-Lexicon.zip"

#: The file the course reads from the zip (found by this name in whatever folder the zip holds it).
LEXICON_FILE = "NRC-VAD-Lexicon.txt"

#: The folder of the data folder that holds the extracted file.
LEXICON_FOLDER = "NRC-VAD-Lexicon"

#: How the course names the lexicon wherever its numbers are used.
CITATION = "NRC VAD Lexicon v1 (Mohammad, ACL 2018)"

#: The file's column names, in its order (its first line in the releases that have one).
COLUMNS = ("Word", "Valence", "Arousal", "Dominance")

#: A member larger than this is not the lexicon (the real file is about 0.5 MB): refused before reading.
MAX_FILE_BYTES = 16 * 2**20


class LexiconError(ValueError):
    """The lexicon is missing, cannot be downloaded, or is not in the format the course reads; the message names
    the file, the line or the word."""


def lexicon_path(root: str | os.PathLike) -> Path:
    """Where the extracted lexicon lies in a data folder."""
    return Path(root) / LEXICON_FOLDER / LEXICON_FILE


def to_plane(score: float) -> float:
    """A lexicon score (0 lowest … 1 highest) on the plane's −1 … 1 scale, the midpoint 0.5 at 0."""
    return 2 * score - 1


def parse_lexicon(
    text: str, name: str = LEXICON_FILE
) -> dict[str, tuple[float, float, float]]:
    """Every entry of the lexicon's text, {word: (valence, arousal, dominance)} on its own 0 … 1 scale.

    Strict, so that a changed or damaged file is noticed: every line but an optional header must hold a word and
    three numbers from 0 to 1, separated by tabs, and no word may appear twice; the error names ``name``, the line
    number and the line. Words are kept as written (the file has ``null`` and ``nan`` as words)."""
    entries: dict[str, tuple[float, float, float]] = {}
    where: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        if number == 1 and [f.strip().lower() for f in fields] == [
            c.lower() for c in COLUMNS
        ]:
            continue
        word, scores = fields[0].strip(), fields[1:]
        problem = _line_problem(word, scores)
        if problem is None and word in entries:
            problem = (
                f"{word!r} appears again (first on line {where[word]})"
            )
        if problem is not None:
            raise LexiconError(
                f"{name} line {number}: {problem}: {line[:80]!r}; "
                f"expected {'<TAB>'.join(COLUMNS)}, scores from 0 to 1"
            )
        entries[word] = tuple(float(s) for s in scores)
        where[word] = number
    if not entries:
        raise LexiconError(f"{name}: no entries (an empty file)")
    return entries


def _line_problem(word: str, scores: list[str]) -> str | None:
    """What is wrong with one line's fields (None: nothing)."""
    if len(scores) != 3:
        return f"{len(scores) + 1} tab-separated fields instead of 4"
    if not word:
        return "no word"
    for column, score in zip(COLUMNS[1:], scores):
        try:
            value = float(score)
        except ValueError:
            return f"{column} {score!r} is not a number"
        if not 0 <= value <= 1:
            return f"{column} {value} is outside 0 … 1"
    return None


def read_lexicon(
    path: str | os.PathLike,
) -> dict[str, tuple[float, float, float]]:
    """The entries of a lexicon file (:func:`parse_lexicon`)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise LexiconError(
            f"{path}: cannot be read ({err.strerror or err})"
        ) from None
    except UnicodeDecodeError as err:
        raise LexiconError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start})"
        ) from None
    return parse_lexicon(text, str(path))


def lexicon_points(
    entries: Mapping[str, tuple[float, float, float]],
    words: Mapping[str, str],
    name: str = LEXICON_FILE,
) -> pd.DataFrame:
    """The valence and arousal of each emotion on the plane's −1 … 1 scale, read from the lexicon's ``words``
    ({emotion: the word looked up}); a word the lexicon lacks is an error naming it and its emotion."""
    missing = [
        f"{w!r} (for {e})" for e, w in words.items() if w not in entries
    ]
    if missing:
        raise LexiconError(f"{name} has no entry for {', '.join(missing)}")
    rows = {
        emotion: {
            "valence": to_plane(entries[word][0]),
            "arousal": to_plane(entries[word][1]),
        }
        for emotion, word in words.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def fetch_lexicon(
    root: str | os.PathLike,
    url: str = LEXICON_URL,
    fetcher: Fetcher | None = None,
) -> Path:
    """The checked lexicon file in the data folder ``root``: downloaded and extracted once, then reused.

    A zip named :data:`LEXICON_ZIP` in ``root`` is used instead of a download. Raises :class:`LexiconError`
    saying why when the zip cannot be fetched or holds no readable lexicon; nothing is then left in place."""
    root = Path(root)
    dest = lexicon_path(root)
    if dest.is_file():
        return dest
    root.mkdir(parents=True, exist_ok=True)
    by_hand = root / LEXICON_ZIP
    if by_hand.is_file():
        _put_in_place(by_hand, dest, f"{by_hand}")
        return dest
    sweep_stale(root, f".{LEXICON_FOLDER}-*")
    fd, name = tempfile.mkstemp(
        prefix=f".{LEXICON_FOLDER}-", suffix=".zip.part", dir=root
    )
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            (fetcher or Fetcher()).save(url, tmp)
        except FetchError as err:
            raise LexiconError(
                f"{url}: could not download the NRC VAD lexicon: {err}"
            ) from None
        _put_in_place(tmp, dest, url)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _put_in_place(zip_path: Path, dest: Path, label: str) -> None:
    """Check the lexicon file inside ``zip_path`` and write it whole at ``dest``."""
    data = _member_bytes(zip_path, label)
    try:
        parse_lexicon(data.decode("utf-8"), f"{label}: {LEXICON_FILE}")
    except UnicodeDecodeError as err:
        raise LexiconError(
            f"{label}: {LEXICON_FILE} is not UTF-8 text ({err.reason} at byte {err.start})"
        ) from None
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def _member_bytes(zip_path: Path, label: str) -> bytes:
    """The bytes of the one :data:`LEXICON_FILE` the zip holds (in any folder), or an error saying why not."""
    if not zipfile.is_zipfile(zip_path):
        raise LexiconError(
            f"{label}: not a zip archive (expected the NRC VAD lexicon's zip)"
        )
    try:
        with zipfile.ZipFile(zip_path) as zf:
            found = [
                i
                for i in zf.infolist()
                if not i.is_dir()
                and not is_clutter(i.filename)
                and i.filename.replace("\\", "/").rsplit("/", 1)[-1]
                == LEXICON_FILE
            ]
            if len(found) != 1:
                names = ", ".join(i.filename for i in found) or "none"
                raise LexiconError(
                    f"{label}: expected one {LEXICON_FILE} in the zip, found {len(found)} ({names})"
                )
            if found[0].file_size > MAX_FILE_BYTES:
                raise LexiconError(
                    f"{label}: {found[0].filename} is {found[0].file_size} bytes, more than the "
                    f"{MAX_FILE_BYTES} a lexicon of words needs"
                )
            return zf.read(found[0])
    except ZIP_ERRORS as err:
        raise LexiconError(
            f"{label}: corrupt zip archive ({err})"
        ) from None
