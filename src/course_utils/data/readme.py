"""Reading the archive's README.txt: its wording of the 20 emotion
categories (``category_definitions``), and the course's own wording where an
archive has no README (``archive_definitions``).

The official README has sections, each a title line underlined with dashes.
The ``Emotions:`` section lists the categories in groups (``Positive``,
``Negative``, ``Other or Mixed``), one indented line per category: the
category's name, then the words it also covers, e.g. ``happiness, calmness,
pleasure, or ecstasy``. The sample's README (``datasets/sample.py``) lists
:data:`COURSE_WORDING` the same way, so this reader works on both.

Copies of the archive that circulate (e.g. on GitHub) often hold only the
data files. :func:`archive_definitions` then gives the course's wording, with
a note saying that the archive had no README, so a chapter can go on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from course_utils.data import schema

#: The title of the README's section that lists the categories.
SECTION = "Emotions"

_UNDERLINE = re.compile(r"^-{3,}\s*$")
# "a, b, or c", "a or b", "a, b": the category first, then what it covers
_SEPARATOR = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+")


#: The course's own wording of the 20 categories, grouped as the README
#: groups them, in its order: each line names the category, then what it
#: also covers. Our paraphrase of the official wording, keeping its breadth
#: (happiness includes calmness, disgust includes indifference, neutral is
#: the bare word); the sample's README lists it, and
#: :func:`archive_definitions` shows it where an archive has no README.
COURSE_WORDING = {
    "Positive": (
        "gratitude, thankfulness, or feeling indebted",
        "happiness, calmness, pleasure, or joy",
        "humility, modesty, or simplicity",
        "love, affection, or tenderness",
        "optimism, hope, or confidence",
        "trust, admiration, respect, or dignity",
    ),
    "Negative": (
        "anger, irritation, or rage",
        "arrogance, vanity, or conceit",
        "disgust, dislike, indifference, or hatred",
        "fear, anxiety, vulnerability, or dread",
        "pessimism, cynicism, or lack of confidence",
        "regret, guilt, or remorse",
        "sadness, pensiveness, loneliness, or grief",
        "shame, humiliation, or disgrace",
    ),
    "Other or Mixed": (
        "agreeableness, acceptance, or compliance",
        "anticipation, interest, curiosity, or vigilance",
        "disagreeableness, defiance, conflict, or strife",
        "surprise, amazement, surrealism, or confusion",
        "shyness, self-consciousness, or reserve",
        "neutral",
    ),
}


class ReadmeError(ValueError):
    """The README lacks the category definitions or lists them wrongly."""


@dataclass(frozen=True)
class Definitions:
    """The 20 category definitions a chapter shows, and whose words they
    are: ``table`` as :func:`parse_definitions` gives it, ``wording`` (the
    archive's README, or the course's own) and ``note`` (why the course's
    wording is shown; empty when the README's is)."""

    table: pd.DataFrame
    wording: str
    note: str = ""

    @property
    def from_readme(self) -> bool:
        """Whether these are the archive's own words."""
        return not self.note


def course_wording_lines() -> str:
    """:data:`COURSE_WORDING` as the README lists it: each group's name,
    then its categories indented by three spaces, one per line."""
    return "\n".join(
        line
        for group, entries in COURSE_WORDING.items()
        for line in (group, *(f"   {entry}" for entry in entries))
    )


def course_definitions() -> pd.DataFrame:
    """The course's own wording of the 20 categories, in the table
    :func:`parse_definitions` gives for a README."""
    text = f"{SECTION}:\n{'-' * 49}\n{course_wording_lines()}\n"
    return parse_definitions(text, "the course's wording")


def sections(text: str) -> dict[str, list[str]]:
    """The README's sections: {title without its colon: its lines}."""
    lines = text.splitlines()
    found: dict[str, list[str]] = {}
    title = None
    for i, line in enumerate(lines):
        underlined = i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1])
        if line.strip() and underlined and not _UNDERLINE.match(line):
            title = line.strip().rstrip(":").strip()
            found[title] = []
        elif title is not None and not _UNDERLINE.match(line):
            found[title].append(line)
    return found


def parse_definitions(text: str, name: str = "README.txt") -> pd.DataFrame:
    """The categories as the README words them, one row per emotion in
    the README's order: ``group`` (e.g. Positive), ``wording`` (the line
    itself) and ``also_covers`` (the words after the category's name,
    empty for ``neutral``).

    Raises :class:`ReadmeError`, naming ``name``, if there is no
    ``Emotions:`` section or it does not list each of the 20 emotions once.
    """
    found = sections(text)
    if SECTION not in found:
        raise ReadmeError(
            f"{name} has no {SECTION!r} section (a title line underlined "
            f"with dashes) defining the 20 emotion categories; its "
            f"sections are: {', '.join(found) or 'none'}"
        )
    rows = []
    group = None
    for line in found[SECTION]:
        if not line.strip():
            continue
        if not line[0].isspace():  # a group's name, or an intro sentence
            if not line.rstrip().endswith((":", ".")):
                group = line.strip()
            continue
        if group is None:
            continue
        wording = line.strip()
        emotion, *others = _SEPARATOR.split(wording)
        rows.append(
            {
                "emotion": emotion.lower(),
                "group": group,
                "wording": wording,
                "also_covers": ", ".join(w for w in others if w),
            }
        )
    listed = [row["emotion"] for row in rows]
    missing = [e for e in schema.EMOTIONS if e not in listed]
    unknown = sorted(set(listed) - set(schema.EMOTIONS))
    twice = sorted({e for e in listed if listed.count(e) > 1})
    if missing or unknown or twice:
        problems = [
            f"{label}: {', '.join(items)}"
            for label, items in (
                ("missing", missing),
                ("unknown", unknown),
                ("listed twice", twice),
            )
            if items
        ]
        raise ReadmeError(
            f"{name}: the {SECTION!r} section must define each of the 20 "
            f"emotion categories once ({'; '.join(problems)})"
        )
    return pd.DataFrame(rows).set_index("emotion")


def category_definitions(path: str | os.PathLike) -> pd.DataFrame:
    """The 20 category definitions of the README.txt at ``path`` (the
    file, or an extracted archive folder holding it); see
    :func:`parse_definitions`."""
    path = Path(path)
    if path.is_dir():
        for candidate in (
            path / schema.README_FILE,
            path / schema.ARCHIVE_FOLDER / schema.README_FILE,
        ):
            if candidate.is_file():
                path = candidate
                break
        else:
            raise ReadmeError(
                f"{schema.README_FILE} not found in {path} (looked in it "
                f"and in {schema.ARCHIVE_FOLDER}/)"
            )
    text = path.read_text(encoding="utf-8", errors="replace")
    return parse_definitions(text, path.name)


def archive_definitions(folder: str | os.PathLike) -> Definitions:
    """The category definitions of an extracted archive ``folder``: its
    README's where it holds a readable one, else the course's wording with
    a note that says why (no README.txt, as in copies holding only the data
    files; or one without a readable list of the 20 categories)."""
    folder = Path(folder)
    try:
        table = category_definitions(folder)
    except ReadmeError as err:
        missing = not any(
            (place / schema.README_FILE).is_file()
            for place in (folder, folder / schema.ARCHIVE_FOLDER)
        )
        why = (
            f"this copy of the archive has no {schema.README_FILE} (copies "
            "that circulate often hold only the data files)"
            if missing
            else f"its {schema.README_FILE} could not be read ({err})"
        )
        return Definitions(
            course_definitions(),
            "the course's own wording",
            f"{why}; shown instead: the course's own wording of the 20 "
            "categories, a paraphrase that keeps the README's breadth",
        )
    return Definitions(table, f"the archive's {schema.README_FILE}")
