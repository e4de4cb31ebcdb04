"""Reading the archive's tab-separated files into tidy DataFrames, with errors that name the file and column."""

from __future__ import annotations

import copy
import html
import os
import re
import warnings
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from course_utils.config.study import THRESHOLD
from course_utils.data import schema


class AnnotationError(ValueError):
    """An annotation file is missing, unreadable or lacks expected columns."""


def find_file(path: str | os.PathLike, name: str) -> Path:
    """Locate ``name`` in an extracted archive folder (directly or in its ``WikiArt-Emotions/`` subfolder)."""
    path = Path(path)
    for candidate in (path / name, path / schema.ARCHIVE_FOLDER / name):
        if candidate.is_file():
            return candidate
    raise AnnotationError(
        f"{name} not found in {path} (looked in it and in {schema.ARCHIVE_FOLDER}/)"
    )


def kind_of(path: Path) -> str:
    """``all``, ``ag3``/``ag4``/``ag5`` or ``info`` from the official file name."""
    name = path.name
    if name == schema.ALL_FILE:
        return "all"
    if name == schema.INFO_FILE:
        return "info"
    match = re.search(r"-Ag([345])\.tsv$", name)
    if match:
        return f"ag{match.group(1)}"
    raise AnnotationError(
        f"{path}: not an annotation file name ({schema.ALL_FILE}, {', '.join(schema.AG_FILES.values())} "
        f"or {schema.INFO_FILE})"
    )


#: Columns read as text, whatever they hold (a title such as ``1984`` stays a string).
TEXT_COLUMNS = tuple(
    c for c in schema.META_COLUMNS if c != "Ave. art rating"
)


def read_table(
    path: str | os.PathLike, columns: Iterable[str] = ()
) -> pd.DataFrame:
    """Read one All/AgN/info file as the archive writes it (tabs, CRLF, no quoting); require ``ID`` and the
    ``columns`` the caller uses, naming the file and any that is missing.

    Where their source column is there, it adds parsed forms: ``Title`` unescaped (``&#39;`` → ``'``),
    ``Categories`` and ``Styles`` as lists (the files join two values by a bare comma), ``Year start`` and
    ``Year end`` (:func:`parse_year`), and ``Image URL`` repaired (:func:`repair_url`). ``Style`` is in the
    annotation files only; WikiArt-info.tsv has none.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: no such file")
    kind = kind_of(path)
    try:
        table = pd.read_csv(
            path,
            sep="\t",
            dtype=dict.fromkeys(TEXT_COLUMNS, str),
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise AnnotationError(
            f"{path}: not a readable tab-separated file ({err})"
        ) from None
    require(table, ["ID", *columns], str(path), kind)
    bad_ids = table.loc[
        ~table["ID"].astype(str).str.fullmatch(r"[0-9a-f]{24}"), "ID"
    ]
    if len(bad_ids):
        raise AnnotationError(
            f"{path}: ID {bad_ids.iloc[0]!r} is not 24 hexadecimal characters"
        )
    if table["ID"].duplicated().any():
        raise AnnotationError(
            f"{path}: ID {table.loc[table['ID'].duplicated(), 'ID'].iloc[0]} appears twice"
        )
    table = table.set_index("ID", drop=False)
    if "Title" in table.columns:
        table["Title"] = table["Title"].map(
            html.unescape, na_action="ignore"
        )
    if "Category" in table.columns:
        table["Categories"] = parsed(
            table, "Category", split_values, path, empty=[]
        )
    if "Style" in table.columns:
        table["Styles"] = parsed(
            table, "Style", parse_styles, path, empty=[]
        )
    if "Year" in table.columns:
        years = parsed(table, "Year", parse_year, path, lenient=True)
        table["Year start"] = pd.array(
            [y[0] if y else None for y in years], dtype="Int64"
        )
        table["Year end"] = pd.array(
            [y[1] if y else None for y in years], dtype="Int64"
        )
    if "Image URL" in table.columns:
        table["Image URL"] = table["Image URL"].map(
            repair_url, na_action="ignore"
        )
    table.attrs["path"] = str(path)
    return table


def require(
    table: pd.DataFrame,
    columns: Iterable[str],
    source: str | None = None,
    kind: str = "",
) -> None:
    """Raise an AnnotationError naming the file and the columns it lacks among those a reader uses."""
    missing = [c for c in dict.fromkeys(columns) if c not in table.columns]
    if not missing:
        return
    source = source or table.attrs.get("path") or "the table"
    hint = ""
    if "Style" in missing and (
        kind == "info" or Path(source).name == schema.INFO_FILE
    ):
        hint = f" (Style is in the annotation files only: {schema.INFO_FILE} has none)"
    raise AnnotationError(
        f"{source}: missing column(s): {', '.join(missing)}{hint}"
    )


def parsed(
    table: pd.DataFrame,
    column: str,
    parse: Callable,
    path: Path,
    empty: object = None,
    lenient: bool = False,
) -> list:
    """``parse`` applied to every filled cell of a column (``empty`` for an empty one); errors name the file, the
    artwork's ID and the value. ``lenient``: a value that does not parse stays empty, with one warning naming
    how many and the first (for descriptive columns such as ``Year``, which the classes never depend on)."""
    values, bad = [], []
    for ident, value in table[column].items():
        if pd.isna(value):
            values.append(copy.copy(empty))  # a list of its own per row
            continue
        try:
            values.append(parse(str(value)))
        except ValueError as err:
            if not lenient:
                raise AnnotationError(
                    f"{path}: {column} of ID {ident}: {err}"
                ) from None
            values.append(copy.copy(empty))
            bad.append(f"ID {ident}: {err}")
    if bad:
        warnings.warn(
            f"{path}: {column}: {len(bad)} value(s) of no known shape left empty, e.g. {bad[0]}",
            stacklevel=3,
        )
    return values


def split_values(value: str) -> list[str]:
    """The values of a multi-valued cell (``Abstract Art,Surrealism`` → two categories)."""
    return [
        part.strip()
        for part in str(value).split(schema.VALUE_SEPARATOR)
        if part.strip()
    ]


def parse_styles(value: str) -> list[str]:
    """The styles of one ``Style`` cell (one, or two joined by a comma), each checked against the files' spelling."""
    styles = split_values(value)
    if not styles:
        raise ValueError(f"{value!r} names no style")
    for style in styles:
        if style not in schema.STYLES:
            hint = ""
            if style.replace("-", " ") in schema.STYLES:
                hint = f" (the files spell it {style.replace('-', ' ')!r}, without the hyphen of the README)"
            raise ValueError(
                f"style {style!r} is not one of {', '.join(schema.STYLES)}{hint}"
            )
    return styles


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


_PLAIN_YEAR = re.compile(r"(\d{3,4})")


_YEAR_RANGE = re.compile(r"(\d{3,4})\s*-\s*(\d{3,4})")


_CENTURY = re.compile(r"([IVXLC]+)(?:\s*-\s*([IVXLC]+))?\s+cent\.?")


def roman_numeral(text: str) -> int:
    """The value of a Roman numeral as centuries are written (``XIX`` → 19); refuses non-canonical forms."""
    if not text or any(ch not in _ROMAN for ch in text):
        raise ValueError(f"{text!r} is not a Roman numeral")
    value = 0
    for ch, after in zip(text, text[1:] + " "):
        worth = _ROMAN[ch]
        value += -worth if _ROMAN.get(after, 0) > worth else worth
    if to_roman(value) != text:
        raise ValueError(f"{text!r} is not a well-formed Roman numeral")
    return value


def to_roman(number: int) -> str:
    """A whole number 1…399 in Roman numerals (19 → ``XIX``), as the files write centuries."""
    if not 1 <= number < 400:
        raise ValueError(f"{number} is outside 1…399")
    out = ""
    for worth, letters in (
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        count, number = divmod(number, worth)
        out += letters * count
    return out


def year_kind(text: str) -> str:
    """Which of the files' three shapes a ``Year`` cell has: ``year`` (1889), ``range`` (1889-1890) or
    ``century`` (``XIX cent.``, ``XVIII-XIX cent.``)."""
    return _year(text)[0]


def parse_year(text: str) -> tuple[int, int]:
    """The first and last year a ``Year`` cell allows: ``1889`` → (1889, 1889), ``1889-1890`` → (1889, 1890),
    ``XIX cent.`` → (1800, 1899) (a century as its hundred years), ``XVIII-XIX cent.`` → (1700, 1899)."""
    return _year(text)[1:]


def _year(text: str) -> tuple[str, int, int]:
    """Shape, first and last year of a ``Year`` cell; ValueError naming the value for anything else."""
    value = str(text).strip()
    if _PLAIN_YEAR.fullmatch(value):
        return "year", int(value), int(value)
    if match := _YEAR_RANGE.fullmatch(value):
        start, end = int(match.group(1)), int(match.group(2))
        kind = "range"
    elif match := _CENTURY.fullmatch(value):
        try:
            first = roman_numeral(match.group(1))
            last = (
                roman_numeral(match.group(2)) if match.group(2) else first
            )
        except ValueError as err:
            raise ValueError(f"year {text!r}: {err}") from None
        start, end, kind = 100 * (first - 1), 100 * last - 1, "century"
    else:
        raise ValueError(
            f"year {text!r} is none of the shapes 1889, 1889-1890, XIX cent., XVIII-XIX cent."
        )
    if end < start:
        raise ValueError(f"year {text!r} ends before it starts")
    return kind, start, end


#: The files :func:`load_annotations` reads, by kind.
KIND_FILES = {
    "all": schema.ALL_FILE,
    **{f"ag{n}": name for n, name in schema.AG_FILES.items()},
    "info": schema.INFO_FILE,
}


def load_annotations(
    folder: str | os.PathLike,
    kind: str = "all",
    columns: Iterable[str] = (),
) -> pd.DataFrame:
    """An All/AgN (or info) table of an archive folder with its URL columns:
    where the file lacks them, or leaves a cell empty, they come from
    WikiArt-info.tsv, joined on ``ID`` (some copies in circulation lack
    them). ``columns``: the other columns the caller uses (their absence is
    an error naming the file and the column)."""
    if kind not in KIND_FILES:
        raise AnnotationError(
            f"unknown kind {kind!r}; use one of: {', '.join(KIND_FILES)}"
        )
    path = find_file(folder, KIND_FILES[kind])
    table = read_table(
        path, [c for c in columns if c not in schema.URL_COLUMNS]
    )
    gaps = [
        c
        for c in schema.URL_COLUMNS
        if c not in table.columns or table[c].isna().any()
    ]
    if not gaps or kind == "info":
        return table
    info_path = find_file(folder, schema.INFO_FILE)
    info = read_table(info_path)
    lacking = [c for c in gaps if c not in info.columns]
    if lacking:
        raise AnnotationError(
            f"{path}: missing column(s) {', '.join(lacking)}, and "
            f"{info_path.name} "
            f"does not have them either"
        )
    unknown = table.index.difference(info.index)
    if len(unknown):
        raise AnnotationError(
            f"{info_path}: no row for ID {unknown[0]} ({len(unknown)} of "
            f"{len(table)} IDs "
            f"missing), so their URLs are unknown"
        )
    for column in gaps:
        joined = info[column].reindex(table.index)
        table[column] = (
            table[column].fillna(joined)
            if column in table.columns
            else joined
        )
    order = [c for c in schema.ANNOTATION_COLUMNS if c in table.columns]
    return table[order + [c for c in table.columns if c not in order]]


def repair_url(url: str) -> str:
    """Drop the ``use2-`` host prefix that no longer resolves (many 2018 image URLs carry it)."""
    return re.sub(r"^(https?://)use2-", r"\1", str(url))


def shares(table: pd.DataFrame, scope: str = "art") -> pd.DataFrame:
    """The 20 emotion columns of one scope, renamed to the bare emotion names (index: artwork ID)."""
    columns = schema.emotion_columns(scope)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AnnotationError(
            f"{source_of(table)}missing emotion column(s) for scope {scope!r}: "
            f"{', '.join(missing)}"
        )
    values = table[columns].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        col = values.columns[values.isna().any()][0]
        raise AnnotationError(
            f"{source_of(table)}column {col!r} holds a non-numeric value"
        )
    if ((values < 0) | (values > 1)).any().any():
        col = values.columns[((values < 0) | (values > 1)).any()][0]
        raise AnnotationError(
            f"{source_of(table)}column {col!r} holds a value outside 0…1"
        )
    return values.set_axis(list(schema.EMOTIONS), axis=1)


def source_of(table: pd.DataFrame) -> str:
    """``"<file>: "`` for a table read by :func:`read_table` (so errors name the file), else nothing."""
    path = table.attrs.get("path")
    return f"{path}: " if path else ""


def threshold_of(path: Path, threshold: float | None) -> float | None:
    """The threshold to apply: the given one for an All file, None for an (already binary) AgN file."""
    kind = kind_of(path)
    if kind == "info":
        raise AnnotationError(
            f"{path}: the info file holds no emotions; pass an All or AgN file"
        )
    return (
        (THRESHOLD if threshold is None else threshold)
        if kind == "all"
        else None
    )
