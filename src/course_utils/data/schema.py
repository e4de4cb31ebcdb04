"""File and column names of the official WikiArt Emotions archive, as its 2018 files spell them, in one place."""

from __future__ import annotations

from course_utils.config import study

ARCHIVE_URL = "https://saifmohammad.com/WebDocs/WikiArt-Emotions.zip"


ARCHIVE_NAME = "WikiArt-Emotions.zip"


ARCHIVE_FOLDER = "WikiArt-Emotions"


OFFICIAL_ROWS = study.OFFICIAL_ROWS


ALL_FILE = "WikiArt-Emotions-All.tsv"


AG_FILES = {
    3: "WikiArt-Emotions-Ag3.tsv",
    4: "WikiArt-Emotions-Ag4.tsv",
    5: "WikiArt-Emotions-Ag5.tsv",
}


INFO_FILE = "WikiArt-info.tsv"


ANNOTATIONS_FILE = "WikiArt-annotations.csv"


README_FILE = "README.txt"


#: Files every copy of the archive must hold (the raw per-annotator file is optional).
REQUIRED_FILES = (ALL_FILE, *AG_FILES.values(), INFO_FILE)


EMOTIONS = (
    "agreeableness",
    "anger",
    "anticipation",
    "arrogance",
    "disagreeableness",
    "disgust",
    "fear",
    "gratitude",
    "happiness",
    "humility",
    "love",
    "optimism",
    "pessimism",
    "regret",
    "sadness",
    "shame",
    "shyness",
    "surprise",
    "trust",
    "neutral",
)


#: Short scope names used by the course and the command line -> the archive's column prefix.
SCOPES = {
    "art": "Art (image+title)",
    "image": "ImageOnly",
    "title": "TitleOnly",
}


#: Artworks in WikiArt-info.tsv (the annotated ones and 14 that are in no annotation file).
OFFICIAL_INFO_ROWS = 4119


URL_COLUMNS = ("Image URL", "Painting Info URL", "Artist Info URL")


#: The 12 descriptive columns that open every annotation file (All, Ag3, Ag4, Ag5), in the files' order.
META_COLUMNS = (
    "ID",
    "Style",
    "Category",
    "Artist",
    "Title",
    "Year",
    *URL_COLUMNS,
    "Is painting",
    "Face/body",
    "Ave. art rating",
)


#: The 8 columns of WikiArt-info.tsv, in its order. No ``Style``: the archive's README lists one, the file has none.
INFO_COLUMNS = ("ID", "Category", "Artist", "Title", "Year", *URL_COLUMNS)


#: The four styles, spelled exactly as the files spell them (``Post Renaissance Art``, without the README's hyphen).
STYLES = (
    "Renaissance Art",
    "Post Renaissance Art",
    "Modern Art",
    "Contemporary Art",
)


#: The ``Style`` values naming two styles: joined by a bare comma, as the files write them.
COMBINED_STYLES = (
    "Contemporary Art,Modern Art",
    "Modern Art,Post Renaissance Art",
)


#: How the files join the values of a multi-valued cell (``Style``, ``Category``): a comma, no space.
VALUE_SEPARATOR = ","


#: The meta columns the course reads from an annotation file (the URL columns may come from the info file).
USED_META_COLUMNS = tuple(c for c in META_COLUMNS if c not in URL_COLUMNS)


def emotion_column(scope: str, emotion: str) -> str:
    """The archive's column name for an emotion in a scope, e.g. ``Art (image+title): anger``."""
    if scope not in SCOPES:
        raise ValueError(
            f"unknown scope {scope!r}; use one of: {', '.join(SCOPES)}"
        )
    if emotion not in EMOTIONS:
        raise ValueError(
            f"unknown emotion {emotion!r}; the 20 emotions are: {', '.join(EMOTIONS)}"
        )
    return f"{SCOPES[scope]}: {emotion}"


def emotion_columns(scope: str) -> list[str]:
    """The 20 emotion columns of one scope, in the archive's order."""
    return [emotion_column(scope, e) for e in EMOTIONS]


#: All columns of an All/AgN file, in the archive's order.
ANNOTATION_COLUMNS = (
    *META_COLUMNS,
    *(c for s in SCOPES for c in emotion_columns(s)),
)
