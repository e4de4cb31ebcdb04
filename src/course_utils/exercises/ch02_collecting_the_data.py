"""Exercises of chapter 02, "Collecting the data"."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path

from course_utils.data import schema
from course_utils.exercises import (
    Exercise,
    Wrong,
    check_number,
    expect_number,
    fmt,
    integers,
)

#: The chapter's context a solution runs in (tests/test_exercises.py runs it first): the run's session.
SOLUTION_SETUP = "from course_utils.datasets.session import open_session\nsession = open_session()\n"

#: The statuses exercise 2.2 asks about.
STATUSES = (200, 301, 403, 404, 408, 429, 500, 503)


#: The columns exercise 2.1 is about, as the archive's header spells them.
ART_HAPPY, IMAGE_HAPPY = (
    "Art (image+title): happiness",
    "ImageOnly: happiness",
)


def _decimal(row: dict, column: str, path: Path) -> Decimal:
    """One share cell as an exact decimal, or an error naming the file, column and value."""
    try:
        return Decimal(row[column])
    except (InvalidOperation, TypeError):
        raise ValueError(
            f"{path}: column {column!r} holds {row[column]!r}, not a share"
        ) from None


def _share_counts(path: Path) -> dict[str, int]:
    """Counts read from the All file's text with ``csv`` and compared as decimals (shares are written with three
    decimals), not with the pandas calls the solution makes: the right count and the usual slips."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    missing = [
        c for c in (ART_HAPPY, IMAGE_HAPPY) if rows and c not in rows[0]
    ]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r}")
    art = [_decimal(row, ART_HAPPY, path) for row in rows]
    image = [_decimal(row, IMAGE_HAPPY, path) for row in rows]
    forty, fifty = Decimal("0.4"), Decimal("0.5")
    return {
        "right": sum(share >= forty for share in art),
        "strict": sum(share > forty for share in art),
        "ag5": sum(share >= fifty for share in art),
        "image": sum(share >= forty for share in image),
        "rows": len(rows),
    }


def _happy_counts() -> dict[str, int]:
    """Counts of artworks with ``happiness`` in this run's data: the right one and the usual slips."""
    from course_utils.datasets.session import ensure_source, open_session

    session = open_session()
    source = session.source
    if not (
        source.archive_dir / schema.ALL_FILE
    ).is_file():  # not fetched or generated yet
        source = ensure_source(session)
    return _share_counts(source.archive_dir / schema.ALL_FILE)


def _check_happy(answer: object) -> None:
    """The number of artworks where at least 40 % chose happiness for image and title together."""
    value = expect_number(answer, "a count of artworks")
    if 0 < value < 1:
        raise Wrong(
            f"{fmt(value)} looks like a share of artworks; the question asks "
            "for a count (use .sum(), not .mean())."
        )
    counts = _happy_counts()
    check_number(
        value,
        counts["right"],
        "the count of happy artworks",
        whole=True,
        mistakes=[
            (
                counts["rows"],
                "That is the number of all artworks: keep only those whose "
                "share reaches 0.4.",
            ),
            (
                counts["strict"],
                "'At least 40 %' includes artworks at exactly 0.4, so "
                "compare with >=, not >.",
            ),
            (
                counts["ag5"],
                "That is the count at 50 % (the Ag5 threshold); the study's "
                "threshold is 40 %.",
            ),
            (
                counts["image"],
                "That counts the ImageOnly scope; the question is about image "
                "and title together (scope 'art', columns 'Art "
                "(image+title): …').",
            ),
            (
                100 * counts["right"] / counts["rows"],
                "That is the percentage of artworks; the question asks for "
                "their count (use .sum()).",
            ),
        ],
        otherwise="{value} is not it. Take the 'art' shares of `happiness` "
        "and count the rows >= 0.4.",
    )


def _check_retryable(answer: object) -> None:
    """The statuses worth asking again."""
    chosen = integers(answer, "a set of status codes such as {500}")
    if chosen - set(STATUSES):
        raise Wrong(f"Choose only among {', '.join(map(str, STATUSES))}.")
    if 404 in chosen or 403 in chosen:
        raise Wrong(
            "404 (gone) and 403 (forbidden) will be the same next second: "
            "asking again only adds load to a server that already "
            "rate-limits us."
        )
    if 200 in chosen or 301 in chosen:
        raise Wrong(
            "200 is a success and 301 a redirect, which urllib follows by "
            "itself: nothing to retry."
        )
    if 429 not in chosen:
        raise Wrong(
            "429 Too Many Requests says 'come back later' (often with a "
            "Retry-After header): retry it, after waiting."
        )
    if not {500, 503} <= chosen:
        raise Wrong(
            "A 5xx status is the server's own trouble, often temporary: "
            "retry it with back-off."
        )
    if 408 not in chosen:
        raise Wrong(
            "408 Request Timeout means the server gave up waiting for us: a "
            "retry often succeeds."
        )


EXERCISES = {
    "ex-02-1": Exercise(
        "n_happy",
        "a whole number (a count of artworks)",
        _check_happy,
        "`load_annotations(source.archive_dir)` gives the All table; `shares(table, 'art')` its 20 image+title "
        "columns. Compare the `happiness` column with 0.4 and count.",
        "from course_utils.data.annotations import load_annotations, shares\n"
        "from course_utils.datasets.session import ensure_source\n"
        "\n"
        "table = load_annotations(ensure_source(session).archive_dir)\n"
        'n_happy = int((shares(table, "art")["happiness"] >= 0.4).sum())',
        why="'At least 40 %' is `>= 0.4` on the image+title ('art') shares, "
        "and `.sum()` counts the artworks that reach it.",
    ),
    "ex-02-2": Exercise(
        "retryable",
        "a set of HTTP status codes, e.g. {500}",
        _check_retryable,
        "Ask of each status: would the same request succeed if I asked again a little later?",
        "retryable = {408, 429, 500, 503}\n"
        "\n"
        "# the downloader's own rule agrees:\n"
        "from course_utils.data.fetch import is_retryable\n"
        "from course_utils.exercises.ch02_collecting_the_data import STATUSES\n"
        "\n"
        "assert retryable == {s for s in STATUSES if is_retryable(s)}",
        why="A timeout (408), 'too many requests' (429) and server errors "
        "(5xx) are often temporary; the others will not change.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-02-1": [
        (0.25, "share of artworks"),
        (-3, "not it"),
        (32.5, "not a whole number"),
        ("32", "leave out the quotes"),
    ],
    "ex-02-2": [
        ({404, 429, 500, 503}, "404"),
        ({500, 503, 408}, "429"),
        ({408, 429}, "5xx"),
        ({200, 429, 500, 503, 408}, "200 is a success"),
        ({429, 500, 503}, "408"),
        (["429"], "whole numbers"),
        ({408, 429, 500, 503, 600}, "Choose only"),
        (429, "Expected a set"),
    ],
}
