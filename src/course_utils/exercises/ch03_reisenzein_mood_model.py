"""Exercises of chapter 03, "Reisenzein's mood model"."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.data.schema import EMOTIONS
from course_utils.exercises import Exercise, Wrong, names
from course_utils.exercises.build_it import BuildIt, Case, Mistake
from course_utils.labels import QUADRANTS, quadrant_of_point


def _check_present(answer: Any) -> None:
    """The emotions present at 40 % in the chapter's hand-made artwork."""
    chosen = names(answer, EMOTIONS, "20 emotions")
    if "neutral" in chosen:
        raise Wrong(
            "neutral reaches 40 % here, but it counts only when no other emotion does."
        )
    if "sadness" in chosen:
        raise Wrong("sadness has 0.35, below the 0.4 threshold.")
    if "happiness" not in chosen:
        raise Wrong(
            "happiness has exactly 0.4, and a share equal to the threshold counts (≥, not >)."
        )
    if chosen != {"happiness", "love"}:
        raise Wrong(
            f"Not quite: compare each share with 0.4; {sorted(chosen)} is not the set that reaches it."
        )


def _check_quadrants(answer: Any) -> None:
    """The study's quadrants of the artwork that feels shy and afraid."""
    chosen = names(answer, QUADRANTS, "four quadrants")
    if "Melancholy" in chosen:
        raise Wrong(
            "Our plane puts shyness among the unpleasant feelings, but the study's grouping (the one "
            "quadrant_flags uses) puts shyness in Calm."
        )
    if chosen == {"Calm"}:
        raise Wrong(
            "fear has 0.45, which reaches the 0.4 threshold: its quadrant counts too."
        )
    if chosen == {"Aggressive"}:
        raise Wrong(
            "shyness has 0.5 and counts: every present emotion adds its quadrant."
        )
    if chosen != {"Aggressive", "Calm"}:
        raise Wrong(
            f"Not quite: {sorted(chosen)}; find each present emotion's quadrant in the study's grouping."
        )


EXERCISES = {
    "ex-03-1": Exercise(
        "present",
        "a list of emotion names",
        _check_present,
        "Use `presence(artwork, 0.4)` and keep the columns that are True; remember the neutral rule.",
        "from course_utils.labels import presence, shares_frame\n"
        "\n"
        'votes = {"happiness": 0.4, "love": 0.6, "sadness": 0.35,\n'
        '         "neutral": 0.5}\n'
        'artwork = shares_frame({"my artwork": votes})\n'
        "row = presence(artwork, 0.4).iloc[0]\n"
        "present = sorted(row[row].index)  # ['happiness', 'love']",
        why="love (0.6) and happiness (exactly 0.4) reach the threshold; "
        "neutral counts only when nothing else does.",
    ),
    "ex-03-2": Exercise(
        "quadrants",
        "a list of quadrant names",
        _check_quadrants,
        "`quadrant_flags(presence(artwork, 0.4))` gives one True/False column per quadrant.",
        "from course_utils.labels import (\n"
        "    presence,\n"
        "    quadrant_flags,\n"
        "    shares_frame,\n"
        ")\n"
        "\n"
        'votes = {"shyness": 0.5, "fear": 0.45, "disgust": 0.2}\n'
        'artwork = shares_frame({"shy and afraid": votes})\n'
        "flags = quadrant_flags(presence(artwork, 0.4)).iloc[0]\n"
        "quadrants = sorted(flags[flags].index)  # ['Aggressive', 'Calm']",
        why="fear (0.45) is Aggressive and shyness (0.5) is Calm in the "
        "study's grouping; disgust (0.2) stays below 0.4.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-03-1": [
        (["happiness", "love", "neutral"], "only when no other"),
        (["love"], "equal to the threshold"),
        (["happiness", "love", "sadness"], "below the 0.4"),
        ("love", "single text"),
        (["joy"], "not one of"),
        ([0.4, 0.6], "(text)"),
        (5, "Expected a list"),
    ],
    "ex-03-2": [
        (["Aggressive", "Melancholy"], "puts shyness in Calm"),
        (["Calm"], "fear has 0.45"),
        (["Aggressive"], "shyness has 0.5"),
        (["Aggressive", "Calm", "Euphoric"], "Not quite"),
    ],
}


# --- build it: the quadrant of a point (ex-03-3) ----------------------------------------------------------------


def _points(rng: np.random.Generator) -> list[Case]:
    """Points on the axes first (0 counts as pleasant and as aroused), then 40 random points of the plane."""
    edges = [
        Case((0.0, 0.0), "the origin"),
        Case((0.0, -0.5), "a point on the arousal axis: valence 0"),
        Case((-0.4, 0.0), "a point on the valence axis: arousal 0"),
        Case((0.0, 0.6), "a point on the arousal axis: valence 0"),
        Case((0.7, 0.0), "a point on the valence axis: arousal 0"),
    ]
    points = rng.uniform(-1, 1, size=(40, 2)).round(3)
    return edges + [Case((float(v), float(a))) for v, a in points]


def _strict(valence: float, arousal: float) -> str:
    """The plane read with > instead of ≥: a point on an axis falls on the wrong side."""
    if arousal > 0:
        return "Euphoric" if valence > 0 else "Aggressive"
    return "Calm" if valence > 0 else "Melancholy"


def _quiet_swapped(valence: float, arousal: float) -> str:
    """The two quiet quadrants named the wrong way round."""
    name = str(quadrant_of_point(valence, arousal))
    return {"Calm": "Melancholy", "Melancholy": "Calm"}.get(name, name)


QUADRANT = BuildIt(
    name="quadrant",
    what="a function quadrant(valence, arousal) that returns the name of a quadrant",
    reference=quadrant_of_point,
    package="labels.quadrant_of_point",
    cases=_points,
    mistakes=[
        Mistake(
            _strict,
            "A point on an axis belongs to the pleasant (valence ≥ 0) and the aroused "
            "(arousal ≥ 0) side: compare with >=, not >.",
        ),
        Mistake(
            lambda valence, arousal: quadrant_of_point(arousal, valence),
            "Valence and arousal are swapped: valence (pleasant or not) is the first "
            "argument and the horizontal axis, arousal the second and the vertical one.",
        ),
        Mistake(
            _quiet_swapped,
            "Calm and Melancholy are swapped: quiet and pleasant is Calm, quiet and "
            "unpleasant is Melancholy.",
        ),
    ],
)

EXERCISES["ex-03-3"] = Exercise(
    "quadrant",
    QUADRANT.what,
    QUADRANT,
    "Look at arousal first: aroused (arousal >= 0) is Aggressive or "
    "Euphoric, quiet is Melancholy or Calm; valence >= 0 then picks the "
    "pleasant one of the two.",
    "def quadrant(valence, arousal):\n"
    "    # 0 counts as pleasant and as aroused: >=, not >\n"
    "    if arousal >= 0:\n"
    '        return "Euphoric" if valence >= 0 else "Aggressive"\n'
    '    return "Calm" if valence >= 0 else "Melancholy"',
    why="Arousal picks the upper or lower half of the plane and valence "
    "its right or left side; a point on an axis counts as pleasant and "
    "aroused, as the package's quadrant_of_point reads it.",
)

WRONG_ANSWERS["ex-03-3"] = [
    ("Calm", "define it with `def`"),
    (lambda valence: "Calm", "cannot be called with 2 argument(s)"),
    (
        lambda valence, arousal: valence / arousal,
        "raised ZeroDivisionError",
    ),
    (lambda valence, arousal: "Calm", "gives 'Calm', but the package's"),
]
