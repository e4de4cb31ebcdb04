"""Exercises of chapter 04, "Merging into seven classes"."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from course_utils.exercises import (
    Exercise,
    Wrong,
    check_number,
    check_text,
    expect_text,
    same_text,
)
from course_utils.exercises.build_it import BuildIt, Case, Mistake
from course_utils.labels import (
    CLASS_NAMES,
    MERGED,
    QUADRANTS,
    class_names_of,
    merge_melancholy,
)


def folder_names() -> list[str]:
    """The 7 class folders as a directory loader lists them, built from the quadrants rather than read from
    ``CLASS_NAMES`` (which the solution reads): every non-empty set of Aggressive, Euphoric and Calm, named in that
    order and joined by " + ", sorted alphabetically."""
    sets = [
        [q for bit, q in enumerate(MERGED) if mask >> bit & 1]
        for mask in range(1, 2 ** len(MERGED))
    ]
    return sorted(" + ".join(quadrants) for quadrants in sets)


def _check_class(answer: Any) -> None:
    """The class of the artwork that is sad, happy and a little angry."""
    value = same_text(expect_text(answer, "a class name"))
    if "melancholy" in value:
        raise Wrong(
            "Melancholy is no class of its own: the study merges it into Calm "
            "before naming classes."
        )
    if "aggressive" in value:
        raise Wrong(
            "anger has 0.3, below the 0.4 threshold, so Aggressive is not "
            "among the quadrants."
        )
    check_text(
        answer,
        "Euphoric + Calm",
        "class name",
        choices=CLASS_NAMES,
        mistakes={
            "Calm + Euphoric": "Right quadrants, wrong order: class names "
            "list them as Aggressive, Euphoric, Calm (see CLASS_NAMES).",
            "Euphoric": "sadness (0.5) is present too; its quadrant, "
            "Melancholy, becomes Calm.",
            "Calm": "happiness has exactly 0.4, and a share equal to the "
            "threshold counts: Euphoric is present too.",
        },
        otherwise="{value} is a class, but not this artwork's: list the "
        "quadrants of its present emotions.",
    )


def _check_index(answer: Any) -> None:
    """The class index a directory loader gives Euphoric."""
    check_number(
        answer,
        folder_names().index("Euphoric"),
        "a class index",
        whole=True,
        mistakes={
            6: "Class indices count from 0, not from 1.",
            0: "Index 0 goes to the first name in alphabetical order, which "
            "is Aggressive.",
        },
        otherwise="{value} is not it: the loader sorts the folder names "
        "alphabetically and counts from 0.",
    )


EXERCISES = {
    "ex-04-1": Exercise(
        "artwork_class",
        "a class name (text)",
        _check_class,
        "`label_table(artwork, 0.4)` has a `class` column.",
        "from course_utils.labels import label_table, shares_frame\n"
        "\n"
        'votes = {"sadness": 0.5, "happiness": 0.4, "anger": 0.3}\n'
        'artwork = shares_frame({"a": votes})\n'
        "# sadness (merged into Calm) and happiness count: 'Euphoric + Calm'\n"
        'artwork_class = label_table(artwork, 0.4)["class"].iloc[0]',
        why="sadness (Melancholy, merged into Calm) and happiness (exactly at "
        "0.4) count; anger (0.3) does not.",
    ),
    "ex-04-2": Exercise(
        "euphoric_index",
        "a whole number",
        _check_index,
        "`CLASS_NAMES` is in the loader's order; a tuple has an `index` method.",
        "from course_utils.labels import CLASS_NAMES\n"
        "\n"
        'euphoric_index = CLASS_NAMES.index("Euphoric")  # 5',
        why="The loader sorts the 7 folder names and counts from 0: Euphoric "
        "comes sixth, after the four Aggressive names and Calm.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-04-1": [
        ("Euphoric + Melancholy", "merges it into Calm"),
        ("Calm + Euphoric", "wrong order"),
        ("Aggressive + Euphoric + Calm", "below the 0.4"),
        ("Euphoric", "sadness"),
        (7, "Expected a class name"),
        ("calm", "exactly 0.4"),
        ("Happy", "not one of the class names"),
        ("Aggressive + Calm", "below the 0.4"),
    ],
    "ex-04-2": [
        (6, "from 0"),
        (0, "Aggressive"),
        ("5", "leave out the quotes"),
        (5.5, "not a whole number"),
        (3, "not it"),
    ],
}


# --- build it: the seven-class merge (ex-04-3) ------------------------------------------------------------------


def _flag_sets(rng: np.random.Generator) -> list[Case]:
    """All 16 sets of quadrant flags, in an order drawn from ``rng``; the edge cases named."""
    cases = []
    for values in itertools.product([False, True], repeat=len(QUADRANTS)):
        flags = dict(zip(QUADRANTS, values))
        note = ""
        if not any(values):
            note = "no quadrant at all"
        elif flags["Melancholy"] and not flags["Calm"]:
            note = "Melancholy without Calm"
        elif sum(values) >= 3:
            note = f"{sum(values)} quadrants"
        cases.append(Case((flags,), note))
    return [cases[i] for i in rng.permutation(len(cases))]


def _package_class(flags: dict) -> str | None:
    """The class the package names for one artwork's quadrant flags (None: no class)."""
    frame = pd.DataFrame([flags], columns=list(QUADRANTS)).astype(bool)
    name = class_names_of(merge_melancholy(frame)).iloc[0]
    return None if pd.isna(name) else str(name)


def _joined(flags: dict, order, merge: bool = True, empty=None):
    """The names of the flagged quadrants in ``order`` joined with " + " (``empty`` when there are none)."""
    flags = dict(flags)
    if merge:
        flags["Calm"] = flags["Calm"] or flags.pop("Melancholy")
    names = [q for q in order if flags.get(q)]
    return " + ".join(names) if names else empty


CLASS_NAME = BuildIt(
    name="class_name",
    what="a function class_name(flags) that returns an artwork's class name (or None)",
    reference=_package_class,
    package="labels.class_names_of(merge_melancholy(...))",
    cases=_flag_sets,
    mistakes=[
        Mistake(
            lambda flags: _joined({**flags, "Melancholy": False}, MERGED),
            "Melancholy is merged into Calm before the class is named: an artwork flagged "
            "Melancholy counts as Calm.",
        ),
        Mistake(
            lambda flags: _joined(flags, QUADRANTS, merge=False),
            "Melancholy is no class of its own: it is merged into Calm (Calm or Melancholy "
            "gives Calm) before the class is named.",
        ),
        Mistake(
            lambda flags: _joined(flags, sorted(MERGED)),
            "Right quadrants, wrong order: a class name lists them as Aggressive, Euphoric, "
            "Calm (labels.MERGED), not alphabetically.",
        ),
        Mistake(
            lambda flags: _joined(flags, MERGED, empty=""),
            "An artwork without any quadrant has no class: return None, not an empty text.",
        ),
    ],
)

EXERCISES["ex-04-3"] = Exercise(
    "class_name",
    CLASS_NAME.what,
    CLASS_NAME,
    "First merge: Calm is flagged when Calm or Melancholy is. Then keep the "
    "names of labels.MERGED (Aggressive, Euphoric, Calm, in that order) that "
    'are flagged and join them with " + "; no name at all is None.',
    "from course_utils.labels import MERGED\n"
    "\n"
    "\n"
    "def class_name(flags):\n"
    "    merged = dict(flags)\n"
    '    merged["Calm"] = flags["Calm"] or flags["Melancholy"]\n'
    "    names = [q for q in MERGED if merged[q]]\n"
    '    return " + ".join(names) if names else None',
    why="Melancholy folds into Calm, and a class names the merged quadrants "
    "in the order Aggressive, Euphoric, Calm: 3 quadrants give 7 non-empty "
    "sets, the 7 classes.",
)

WRONG_ANSWERS["ex-04-3"] = [
    ("Euphoric + Calm", "define it with `def`"),
    (lambda: "Calm", "cannot be called with 1 argument(s)"),
    (lambda flags: flags["Sad"], "raised KeyError"),
    (lambda flags: "Calm", "gives 'Calm', but the package's"),
]
