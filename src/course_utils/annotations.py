"""Reading the archive's tab-separated files into tidy DataFrames, with errors that name the file and column."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pandas as pd

from course_utils import schema


class AnnotationError(ValueError):
    """An annotation file is missing, unreadable or lacks expected columns."""


def find_file(path: str | os.PathLike, name: str) -> Path:
    """Locate ``name`` in an extracted archive folder (directly or in its ``WikiArt-Emotions/`` subfolder)."""
    path = Path(path)
    for candidate in (path / name, path / schema.ARCHIVE_FOLDER / name):
        if candidate.is_file():
            return candidate
    raise AnnotationError(f"{name} not found in {path} (looked in it and in {schema.ARCHIVE_FOLDER}/)")


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


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read one All/AgN/info file; check its columns; unescape titles, repair URLs, split categories."""
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: no such file")
    kind = kind_of(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype={"ID": str, "Year": str}, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise AnnotationError(f"{path}: not a readable tab-separated file ({err})") from None
    expected = schema.INFO_COLUMNS if kind == "info" else schema.ANNOTATION_COLUMNS
    optional = set(schema.URL_COLUMNS)  # some copies lack them; they come from the info file then
    missing = [c for c in expected if c not in table.columns and c not in optional]
    if missing:
        raise AnnotationError(f"{path}: missing column(s): {', '.join(missing)}")
    bad_ids = table.loc[~table["ID"].astype(str).str.fullmatch(r"[0-9a-f]{24}"), "ID"]
    if len(bad_ids):
        raise AnnotationError(f"{path}: ID {bad_ids.iloc[0]!r} is not 24 hexadecimal characters")
    if table["ID"].duplicated().any():
        raise AnnotationError(f"{path}: ID {table.loc[table['ID'].duplicated(), 'ID'].iloc[0]} appears twice")
    table["Title"] = table["Title"].astype(str).map(html.unescape)
    table["Categories"] = table["Category"].astype(str).str.split(",").map(lambda xs: [x.strip() for x in xs])
    if "Image URL" in table.columns:
        table["Image URL"] = table["Image URL"].map(repair_url, na_action="ignore")
    return table.set_index("ID", drop=False)


#: The files :func:`load_annotations` reads, by kind.
KIND_FILES = {"all": schema.ALL_FILE, **{f"ag{n}": name for n, name in schema.AG_FILES.items()},
              "info": schema.INFO_FILE}


def load_annotations(folder: str | os.PathLike, kind: str = "all") -> pd.DataFrame:
    """An All/AgN (or info) table of an archive folder with its URL columns: where the file lacks them, or
    leaves a cell empty, they come from WikiArt-info.tsv, joined on ``ID`` (some copies in circulation lack them).
    """
    if kind not in KIND_FILES:
        raise AnnotationError(f"unknown kind {kind!r}; use one of: {', '.join(KIND_FILES)}")
    path = find_file(folder, KIND_FILES[kind])
    table = read_table(path)
    gaps = [c for c in schema.URL_COLUMNS if c not in table.columns or table[c].isna().any()]
    if not gaps or kind == "info":
        return table
    info_path = find_file(folder, schema.INFO_FILE)
    info = read_table(info_path)
    lacking = [c for c in gaps if c not in info.columns]
    if lacking:
        raise AnnotationError(f"{path}: missing column(s) {', '.join(lacking)}, and {info_path.name} "
                              f"does not have them either")
    unknown = table.index.difference(info.index)
    if len(unknown):
        raise AnnotationError(f"{info_path}: no row for ID {unknown[0]} ({len(unknown)} of {len(table)} IDs "
                              f"missing), so their URLs are unknown")
    for column in gaps:
        joined = info[column].reindex(table.index)
        table[column] = table[column].fillna(joined) if column in table.columns else joined
    order = [c for c in schema.ANNOTATION_COLUMNS if c in table.columns]
    return table[order + [c for c in table.columns if c not in order]]


def repair_url(url: str) -> str:
    """Drop the ``use2-`` host prefix that no longer resolves (SPEC §2)."""
    return re.sub(r"^(https?://)use2-", r"\1", str(url))


def shares(table: pd.DataFrame, scope: str = "art") -> pd.DataFrame:
    """The 20 emotion columns of one scope, renamed to the bare emotion names (index: artwork ID)."""
    columns = schema.emotion_columns(scope)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AnnotationError(f"missing emotion column(s) for scope {scope!r}: {', '.join(missing)}")
    values = table[columns].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        col = values.columns[values.isna().any()][0]
        raise AnnotationError(f"column {col!r} holds a non-numeric value")
    if ((values < 0) | (values > 1)).any().any():
        col = values.columns[((values < 0) | (values > 1)).any()][0]
        raise AnnotationError(f"column {col!r} holds a value outside 0…1")
    return values.set_axis(list(schema.EMOTIONS), axis=1)


def threshold_of(path: Path, threshold: float | None) -> float | None:
    """The threshold to apply: the given one for an All file, None for an (already binary) AgN file."""
    kind = kind_of(path)
    if kind == "info":
        raise AnnotationError(f"{path}: the info file holds no emotions; pass an All or AgN file")
    return (0.4 if threshold is None else threshold) if kind == "all" else None
