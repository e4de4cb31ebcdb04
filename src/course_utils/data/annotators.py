"""Each annotator's own choices: read tolerantly from ``WikiArt-annotations.csv``, or counted from the All shares.

The archive's README describes a per-annotator file: one line per annotator, a worker ID and, for each of the
three scenarios, the IDs of the (five) pieces that annotator saw and the emotions chosen for each, several in
one field separated by a newline, ``n`` for neutral, an ``Other`` option with free text. Its exact column names
are not verified (no copy checked here holds the file), so :func:`read_annotator_file` finds the columns by what
they hold (24-hex artwork IDs; emotion names) and the scenario by words in their names, and says what it had to
infer. Copies of the archive often lack the file; then :func:`counts_from_shares` recovers each artwork's
number of annotators and votes from its three-decimal shares in the All file.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.data import schema
from course_utils.data.annotations import AnnotationError

#: The fewest annotators an artwork had in each scenario (the archive's README: at least ten).
MIN_ANNOTATORS = 10


#: The most annotators :func:`counts_from_shares` tries. Up to 31, two different fractions k/n are more than
#: 0.001 apart (|k/n − k'/n'| ≥ 1/(n·n')), so a three-decimal share names its fraction without doubt.
MAX_ANNOTATORS = 30


#: A share that rounds to the file's three decimals lies within half a unit of the third decimal.
_ROUNDING = 0.0005 + 1e-9


#: How a chosen emotion named nothing of the twenty: the ``Other`` option (free text).
OTHER = "other"


#: Scenario words in column names, most specific first: the scope each one means (``schema.SCOPES``' keys).
_SCENARIO_WORDS = (
    ("image", re.compile(r"image[\s_\-]*only|only[\s_\-]*image", re.I)),
    ("title", re.compile(r"title[\s_\-]*only|only[\s_\-]*title", re.I)),
    (
        "art",
        re.compile(r"image[\s_\-]*(\+|and|&|plus|with)[\s_\-]*title", re.I),
    ),
    (
        "art",
        re.compile(r"(scenario|part|task|section)[\s_\-]*(iii|3)\b", re.I),
    ),
    (
        "title",
        re.compile(r"(scenario|part|task|section)[\s_\-]*(ii|2)\b", re.I),
    ),
    (
        "image",
        re.compile(r"(scenario|part|task|section)[\s_\-]*(i|1)\b", re.I),
    ),
)


#: The scenarios in the README's order (I image only, II title only, III image and title).
SCENARIO_ORDER = ("image", "title", "art")


_WORKER_WORDS = re.compile(
    r"worker|annotator|rater|participant|contributor|coder|respondent|judge|user",
    re.I,
)


_HEX_ID = re.compile(r"[0-9a-fA-F]{24}")


#: Shares of a column's filled cells that make it an ID column / an emotion column.
_ID_SHARE, _EMOTION_SHARE = 0.9, 0.8


#: Rows a column's kind is judged on (the first ones: enough to tell, and quick on 10,000 lines).
_JUDGED_ROWS = 1000


class AnnotatorFileError(AnnotationError):
    """The per-annotator file is there but cannot be read as the README describes it."""


@dataclass(frozen=True)
class AnnotatorFile:
    """One scenario of the per-annotator file: each (artwork, annotator)'s 20 choices, and what was inferred."""

    #: index (ID, worker); one boolean column per emotion
    choices: pd.DataFrame
    path: Path
    notes: tuple[str, ...]


@dataclass(frozen=True)
class InferredCounts:
    """Annotators and votes per artwork recovered from three-decimal shares (:func:`counts_from_shares`)."""

    #: votes per emotion (integers), for the artworks some n fits
    counts: pd.DataFrame
    #: the smallest n from MIN_ANNOTATORS on that fits
    annotators: pd.Series
    #: whether the shares' common denominator is that n (else n is a smaller denominator's multiple)
    pinned: pd.Series
    #: artworks no n fits (left out)
    unresolved: pd.Index


def emotion_word(text: str) -> str | None:
    """The emotion one answer names (``n`` = neutral; the first word decides, so a README wording such as
    ``happiness, calmness, pleasure, or joy`` is happiness), :data:`OTHER`, or None."""
    text = text.strip().strip("\"'.").strip().lower()
    if text == "n":
        return "neutral"
    word = re.match(r"[a-z]+", text)
    if word is None:
        return None
    if word.group() in schema.EMOTIONS:
        return word.group()
    return OTHER if word.group() in ("other", "others") else None


@lru_cache(maxsize=1 << 16)
def parse_choices(
    cell: str,
) -> tuple[frozenset[str], bool, tuple[str, ...]]:
    """The emotions one field names (one per line; ``a, b`` counts both when both are emotions), whether it
    chose ``Other``, and the lines it could not read (cached: the same fields recur thousands of times)."""
    emotions, other, unknown = set(), False, []
    for line in re.split(r"[\r\n;|]+", str(cell)):
        if not line.strip():
            continue
        parts = [emotion_word(p) for p in line.split(",")]
        if len(parts) > 1 and all(p in schema.EMOTIONS for p in parts):
            emotions.update(parts)
            continue
        word = emotion_word(line)
        if word == OTHER:
            other = True
        elif word is not None:
            emotions.add(word)
        else:
            unknown.append(line.strip())
    return frozenset(emotions), other, tuple(unknown)


def scenario_of(name: str) -> str | None:
    """The scenario (``image``, ``title`` or ``art``) a column's name mentions, or None."""
    for scope, pattern in _SCENARIO_WORDS:
        if pattern.search(name):
            return scope
    return None


def _decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a delimited file: comma, tab or semicolon (whichever the header holds most of),
    quoted fields that span lines, CRLF or LF line ends."""
    text = _decode(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)
    try:
        rows = list(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        )
    except csv.Error as err:
        raise AnnotatorFileError(
            f"{path}: not a readable table ({err})"
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise AnnotatorFileError(f"{path}: no header and rows to read")
    header = [h.strip() for h in rows[0]]
    width = len(header)
    return header, [(r + [""] * width)[:width] for r in rows[1:]]


def _share_of(cells: list[str], test) -> float:
    """The share of a column's filled cells that pass ``test`` (0 for an empty column)."""
    filled = [c for c in cells if c.strip()]
    return sum(map(test, filled)) / len(filled) if filled else 0.0


def _is_choice(cell: str) -> bool:
    """Whether a field names at least one emotion or Other."""
    emotions, other, _ = parse_choices(cell)
    return bool(emotions) or other


def column_kinds(
    header: list[str], rows: list[list[str]]
) -> dict[str, list[int]]:
    """Which columns hold artwork IDs, which hold chosen emotions (judged on the first rows' content), and
    which name the worker."""
    columns = list(zip(*rows[:_JUDGED_ROWS]))
    ids = [
        i
        for i, cells in enumerate(columns)
        if _share_of(cells, lambda c: bool(_HEX_ID.fullmatch(c.strip())))
        >= _ID_SHARE
    ]
    emotions = [
        i
        for i, cells in enumerate(columns)
        if i not in ids and _share_of(cells, _is_choice) >= _EMOTION_SHARE
    ]
    workers = [
        i
        for i, name in enumerate(header)
        if _WORKER_WORDS.search(name) and i not in ids + emotions
    ]
    return {"ids": ids, "emotions": emotions, "workers": workers}


def _scenario_pairs(
    header: list[str], kinds: dict[str, list[int]], path: Path
) -> tuple[dict[str, list[tuple[int, int]]], list[str]]:
    """Per scenario, its (ID column, emotion column) pairs in file order, and a note if scenarios were guessed."""
    ids, emotions = kinds["ids"], kinds["emotions"]
    named = {i: scenario_of(header[i]) for i in ids + emotions}
    notes = []
    if all(s is None for s in named.values()):
        if len(ids) != len(emotions) or len(ids) % 3:
            raise AnnotatorFileError(
                f"{path}: no column name says its scenario (image only, title only, image+title), and the "
                f"{len(ids)} ID and {len(emotions)} emotion columns do not split into three scenarios"
            )
        third = len(ids) // 3
        for block, scope in enumerate(SCENARIO_ORDER):
            for i in (
                ids[block * third : (block + 1) * third]
                + emotions[block * third : (block + 1) * third]
            ):
                named[i] = scope
        notes.append(
            "no column name says its scenario: the columns were taken in the README's order "
            "(image only, title only, image+title)"
        )
    pairs = {}
    for scope in SCENARIO_ORDER:
        scope_ids = [i for i in ids if named[i] == scope]
        scope_emotions = [i for i in emotions if named[i] == scope]
        if len(scope_ids) != len(scope_emotions):
            raise AnnotatorFileError(
                f"{path}: scenario {schema.SCOPES[scope]!r} has {len(scope_ids)} artwork-ID column(s) "
                f"({', '.join(header[i] for i in scope_ids) or '-'}) but {len(scope_emotions)} emotion "
                f"column(s) ({', '.join(header[i] for i in scope_emotions) or '-'})"
            )
        pairs[scope] = list(zip(scope_ids, scope_emotions))
    return pairs, notes


def read_annotator_file(
    path: str | os.PathLike, scope: str = "art"
) -> AnnotatorFile:
    """One scenario's choices from the per-annotator file, whatever its column names (found by content).

    A column is an artwork-ID column when 90 % of its filled cells are 24 hexadecimal characters, an emotion
    column when 80 % name an emotion (or Other), the worker column the one whose name says worker, annotator,
    rater … (none: each line is one annotator, as the README says). ID and emotion columns pair up in file
    order within their scenario. An annotator who chose only ``Other`` keeps a row with no emotion."""
    if scope not in schema.SCOPES:
        raise ValueError(
            f"unknown scope {scope!r}; use one of {', '.join(schema.SCOPES)}"
        )
    path = Path(path)
    if not path.is_file():
        raise AnnotatorFileError(f"{path}: no such file")
    header, rows = read_rows(path)
    kinds = column_kinds(header, rows)
    if not kinds["ids"] or not kinds["emotions"]:
        raise AnnotatorFileError(
            f"{path}: found {len(kinds['ids'])} column(s) of artwork IDs and {len(kinds['emotions'])} of "
            f"chosen emotions among {len(header)} ({', '.join(header[:6])}…); need both"
        )
    pairs, notes = _scenario_pairs(header, kinds, path)
    if not pairs[scope]:
        raise AnnotatorFileError(
            f"{path}: no columns of scenario {schema.SCOPES[scope]!r}"
        )
    worker = kinds["workers"][0] if kinds["workers"] else None
    if worker is None:
        notes.append(
            "no worker column: each line is taken as one annotator"
        )
    records, unknown = [], []
    for line, row in enumerate(rows, start=2):
        who = row[worker].strip() if worker is not None else f"line {line}"
        for id_col, emotion_col in pairs[scope]:
            ident = row[id_col].strip().lower()
            if not _HEX_ID.fullmatch(ident):
                continue
            emotions, _, lost = parse_choices(row[emotion_col])
            unknown += lost
            records.append(
                {
                    "ID": ident,
                    "worker": who,
                    **{e: e in emotions for e in schema.EMOTIONS},
                }
            )
    choices = pd.DataFrame.from_records(
        records, columns=["ID", "worker", *schema.EMOTIONS]
    )
    repeated = choices.duplicated(["ID", "worker"])
    if repeated.any():
        notes.append(
            f"{int(repeated.sum())} repeated (artwork, annotator) answer(s) left out"
        )
    if unknown:
        notes.append(
            f"{len(unknown)} answer line(s) named no emotion and were left out "
            f"(e.g. {unknown[0]!r})"
        )
    choices = choices[~repeated].set_index(["ID", "worker"])
    return AnnotatorFile(choices.astype(bool), path, tuple(notes))


def choice_counts(choices: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Votes per artwork and emotion, and annotators per artwork, from (ID, worker) rows of choices."""
    grouped = choices[list(schema.EMOTIONS)].groupby(level="ID")
    return grouped.sum().astype(int), grouped.size().rename("annotators")


def fitting_annotators(
    values: pd.DataFrame, high: int = MAX_ANNOTATORS
) -> tuple[np.ndarray, np.ndarray]:
    """For every artwork (rows) and every n in 1…high (columns): whether each of its shares is some k/n rounded
    to three decimals, and those k (shape artworks × n × emotions)."""
    shares = values[list(schema.EMOTIONS)].to_numpy(dtype=float)
    ns = np.arange(1, high + 1)
    votes = np.rint(shares[:, None, :] * ns[None, :, None])
    fits = (
        np.abs(votes / ns[None, :, None] - shares[:, None, :]) <= _ROUNDING
    ).all(axis=2)
    return fits, votes.astype(int)


def counts_from_shares(
    values: pd.DataFrame,
    low: int = MIN_ANNOTATORS,
    high: int = MAX_ANNOTATORS,
) -> InferredCounts:
    """Each artwork's annotators and votes from its 20 shares: the smallest n in low…high at which every share
    × n is a whole number within the rounding to three decimals.

    Every multiple of the shares' common denominator d fits them (the same proportions of a larger panel), so
    the file cannot tell those panels apart. Where d is itself at least ``low`` the shares pin n down (up to
    panels twice as large); where d is smaller (every share a multiple of 0.2, say), the smallest multiple of d
    from ``low`` on is taken and ``pinned`` is False. Artworks no n fits are left out and listed in
    ``unresolved``."""
    fits, votes = fitting_annotators(values, high)
    fits_from_low = fits[:, low - 1 :]
    found = fits_from_low.any(axis=1)
    chosen = (
        low - 1 + fits_from_low.argmax(axis=1)
    )  # column of n = chosen + 1
    rows = np.flatnonzero(found)
    counts = pd.DataFrame(
        votes[rows, chosen[rows]],
        index=values.index[rows],
        columns=list(schema.EMOTIONS),
    )
    return InferredCounts(
        counts=counts,
        annotators=pd.Series(
            chosen[rows] + 1, index=counts.index, name="annotators"
        ),
        pinned=pd.Series(
            fits[rows].argmax(axis=1) == chosen[rows],
            index=counts.index,
            name="pinned",
        ),
        unresolved=values.index[~found],
    )
