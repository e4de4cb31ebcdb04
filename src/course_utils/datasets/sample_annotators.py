"""The sample's ``WikiArt-annotations.csv``: made-up annotators whose choices give the All file's shares exactly.

Per artwork and scenario, the number of annotators and each emotion's votes are those
:func:`course_utils.data.annotators.counts_from_shares` recovers from the shares as written, so counting the
file's answers gives the All file to the last decimal. Each emotion's votes go to annotators drawn at random,
independently of the other emotions (the assumption the ceiling's estimate from shares alone makes too); an
annotator left with no emotion chose ``Other`` with a free text, and a few others add an ``Other`` line. Each
annotator sees at most five pieces per scenario, none twice, as the archive's README describes.

The layout follows the README's description; its column names are made up (the real file's are not verified),
and the reader (:func:`course_utils.data.annotators.read_annotator_file`) does not depend on them: one line per
annotator, ``Worker ID``, then per scenario and piece ``<scenario> piece <j>: ID`` and ``…: emotions`` (one
emotion per line inside the field, ``n`` for neutral), and for image+title also ``…: is painting``,
``…: face/body`` and ``…: rating`` (−3…3; drawn around the artwork's average, not made to reproduce it).
Comma-separated, fields with a line break quoted, CRLF line ends, UTF-8.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.data import schema
from course_utils.data.annotations import shares
from course_utils.data.annotators import SCENARIO_ORDER, counts_from_shares

#: Pieces one annotator saw per scenario (the README).
PIECES = 5


#: Free texts of the ``Other`` option.
_OTHER_TEXTS = (
    "nostalgia",
    "awe",
    "curiosity about how it was made",
    "boredom",
    "confusion, mild",
    "homesickness",
)


#: Share of annotators with emotions who add an ``Other`` line as well.
_EXTRA_OTHER = 0.03


def piece_columns(scope: str, piece: int) -> list[str]:
    """The sample's columns for one piece of one scenario."""
    stem = f"{schema.SCOPES[scope]} piece {piece}"
    extra = (
        [f"{stem}: is painting", f"{stem}: face/body", f"{stem}: rating"]
        if scope == "art"
        else []
    )
    return [f"{stem}: ID", f"{stem}: emotions", *extra]


def header() -> list[str]:
    """The sample file's header: the worker, then each scenario's pieces in the README's order."""
    return ["Worker ID"] + [
        column
        for scope in SCENARIO_ORDER
        for piece in range(1, PIECES + 1)
        for column in piece_columns(scope, piece)
    ]


def allocate(
    rng: np.random.Generator, votes: np.ndarray, panel: np.ndarray
) -> np.ndarray:
    """Who chose what (artworks × annotators × emotions; annotators beyond an artwork's panel choose nothing):
    each emotion's votes go to that many of the artwork's annotators drawn at random, independently of the
    other emotions."""
    keys = rng.random(
        (len(panel), int(panel.max(initial=1)), votes.shape[1])
    )
    outside = np.arange(keys.shape[1])[None, :] >= panel[:, None]
    keys[outside] = np.inf  # never drawn
    rank = keys.argsort(axis=1).argsort(axis=1)
    return rank < votes[:, None, :]


def answers(rng: np.random.Generator, chosen: np.ndarray) -> list[str]:
    """Emotions fields (one per row of ``chosen``): the chosen emotions one per line (``n`` for neutral) in
    random order; ``Other: …`` where none was chosen, and now and then besides."""
    names = ["n" if e == "neutral" else e for e in schema.EMOTIONS]
    keys = np.where(chosen, rng.random(chosen.shape), np.inf)
    order = keys.argsort(
        axis=1
    ).tolist()  # the chosen emotions first, in random order
    many = chosen.sum(axis=1).tolist()
    extra = (rng.random(len(chosen)) < _EXTRA_OTHER).tolist()
    texts = rng.choice(_OTHER_TEXTS, size=len(chosen)).tolist()
    fields = []
    for rank, k, more, text in zip(order, many, extra, texts):
        lines = [names[e] for e in rank[:k]]
        if not lines or more:
            lines.append(f"Other: {text}")
        fields.append("\n".join(lines))
    return fields


def seats(
    rng: np.random.Generator, panel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """How a scenario's answers are dealt to workers: answers listed artwork by artwork (in random order) and
    dealt round the workers, so that none sees an artwork twice or more than :data:`PIECES` artworks.

    Returns the workers' shuffled numbers, where each artwork's answers start in the list, and how many workers
    there are: answer ``a`` of artwork ``i``, at place ``p = start[i] + a``, goes to ``shuffle[p % workers]`` as
    their piece ``p // workers`` (below :data:`PIECES`, as ``workers`` ≥ answers / PIECES). Two answers of one
    artwork lie fewer than ``workers`` places apart, so they never meet at one worker."""
    total = int(panel.sum())
    workers = max(-(-total // PIECES), int(panel.max(initial=1)))
    order = rng.permutation(len(panel))
    start = np.zeros(len(panel), dtype=int)
    start[order] = np.concatenate([[0], np.cumsum(panel[order])[:-1]])
    return rng.permutation(workers), start, workers


def scene_three(
    rng: np.random.Generator, table: pd.DataFrame, artwork: np.ndarray
) -> list[list[str]]:
    """Scenario III's extra answers of each answer's artwork: painting yes/no and face/body (the artwork's; one
    painting answer in twenty the other way) and a rating −3…3 drawn around the artwork's average."""
    painting = table["Is painting"].to_numpy()[artwork]
    flip = rng.random(len(artwork)) < 0.05
    painting = np.where(
        flip, np.where(painting == "yes", "no", "yes"), painting
    )
    rating = np.clip(
        np.rint(
            table["Ave. art rating"].to_numpy(dtype=float)[artwork]
            + rng.normal(0, 1, len(artwork))
        ),
        -3,
        3,
    ).astype(int)
    face = table["Face/body"].to_numpy()[artwork]
    return [[p, f, str(r)] for p, f, r in zip(painting, face, rating)]


def annotator_rows(table: pd.DataFrame, seed: int) -> list[list[str]]:
    """The file's rows (after the header) for an All table: one per annotator."""
    rng = np.random.default_rng([seed, len(table), 3])
    width = len(header())
    lines: dict[int, list[str]] = {}
    first = 1  # after the worker column
    for scope in SCENARIO_ORDER:
        inferred = counts_from_shares(
            shares(table, scope).reset_index(drop=True)
        )
        if len(inferred.unresolved):
            raise ValueError(
                f"artwork {table['ID'].iloc[inferred.unresolved[0]]}: its {scope} shares fit no annotator count"
            )
        panel = inferred.annotators.to_numpy()
        chosen = allocate(rng, inferred.counts.to_numpy(), panel)
        artwork, seat = np.nonzero(
            np.arange(chosen.shape[1]) < panel[:, None]
        )
        fields = [
            [ident, text]
            for ident, text in zip(
                table["ID"].to_numpy()[artwork],
                answers(rng, chosen[artwork, seat]),
            )
        ]
        if scope == "art":
            fields = [
                a + b
                for a, b in zip(fields, scene_three(rng, table, artwork))
            ]
        shuffle, start, workers = seats(rng, panel)
        step = len(piece_columns(scope, 1))
        place = start[artwork] + seat  # each answer's place in the list
        worker = shuffle[place % workers].tolist()
        column = (first + place // workers * step).tolist()  # its piece
        for w, c, values in zip(worker, column, fields):
            lines.setdefault(w, [""] * width)[c : c + step] = values
        first += PIECES * step
    return [
        [str(number + 1), *lines[w][1:]]
        for number, w in enumerate(sorted(lines))
    ]


def write_annotators(path: Path, table: pd.DataFrame, seed: int) -> None:
    """Write the sample's ``WikiArt-annotations.csv`` for an All table (numbers as the All file writes them)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header())
    writer.writerows(annotator_rows(table, seed))
    path.write_bytes(buffer.getvalue().encode("utf-8"))
