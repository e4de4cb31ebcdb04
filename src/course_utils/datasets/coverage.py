"""How many artworks, and how many images, a number rests on: the course's guard against link rot.

WikiArt's image links of 2018 are largely dead today: a reader may get the annotations of all 4,105 artworks but
only a few hundred images. So every chapter says early how many artworks it has per class and how many of them have
an image (:func:`class_coverage` returns the counts, :func:`print_coverage` says them), and warns plainly where a
number rests on too few images (:func:`few_images_warning` and :func:`split_warnings` return the warnings,
:func:`warn_few_images` shows them). Analysis returns data; only ``print_coverage`` and ``warn_*`` print.

In a notebook the warnings are shown, not printed (:func:`show_warnings`): the first time a chapter warns, as its
one notice (an admonition titled :data:`NOTICE_TITLE` listing what rests on too few images, in HTML that Colab
and the book both show); after that each warning is one quiet line, so a page does not read like an error log.
Elsewhere (a script, the tests) they are printed as plain text, wrapped to the page.
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from course_utils.config.study import THRESHOLD
from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.data.images import image_files
from course_utils.labels import CLASS_NAMES, label_table

#: A class (or group) with fewer images than this in a set gets a warning: its recall or accuracy is an anecdote.
MIN_CLASS_IMAGES = 5

#: Printed warnings wrap at the width of the rendered page's code blocks.
WIDTH = 76


#: A group (style, category …) with fewer images than this gets a warning: its accuracy's interval is very wide.
MIN_GROUP_IMAGES = 10


#: A score computed from fewer images than this gets a warning (one image moves it by more than 2 points).
MIN_SET_IMAGES = 50


#: The row of the coverage table that counts the artworks without a class (left out of the 7 classes).
NO_CLASS = "no class (left out)"


#: The heading of the coverage statement (tests look for it).
COVERAGE_HEADING = "artworks per class"


#: How every warning of this module begins (tests look for it).
WARNING = "WARNING (too few images)"


#: The title of the notice a chapter shows once where its numbers rest on too few images.
NOTICE_TITLE = "Too few images"


#: How a warning after the chapter's notice begins: one quiet line.
AGAIN = "Few images here too:"

#: Whether this kernel (one chapter) has shown its notice.
_notice_shown = False


def coverage_counts(
    classes: pd.Series,
    has_image: pd.Series,
    class_names: Sequence[str] = CLASS_NAMES,
) -> pd.DataFrame:
    """Per class, and a last row for the artworks without a class: annotated artworks and those with an image.

    ``classes`` holds each artwork's class name (NA: no class); ``has_image`` whether it has an image (same index;
    an artwork it does not list has none).
    """
    named = classes.astype(object).where(classes.notna(), NO_CLASS)
    unknown = sorted(set(named) - set(class_names) - {NO_CLASS})
    if unknown:
        raise ValueError(
            f"unknown class name(s) {unknown}; the classes are {list(class_names)}"
        )
    has = (
        has_image.reindex(named.index)
        .astype("boolean")
        .fillna(False)
        .astype(bool)
    )
    rows = [*class_names, NO_CLASS]
    table = pd.DataFrame(
        {
            "artworks": named.value_counts().reindex(rows, fill_value=0),
            "with an image": named[has]
            .value_counts()
            .reindex(rows, fill_value=0),
        }
    )
    table.index.name = "class"
    return table.astype(int)


def image_ids(images_dir: str | Path) -> set[str]:
    """The artwork IDs that have an image file in a folder of images named by ID (hidden files do not count)."""
    return set(image_files(images_dir))


def image_paths(
    images_dir: str | Path, ids, limit: int | None = None
) -> dict[str, Path]:
    """The image files of those artworks (in the order given) that have one: an artwork whose link died has none."""
    files = image_files(images_dir)
    found = {str(i): files[str(i)] for i in ids if str(i) in files}
    return dict(list(found.items())[:limit]) if limit is not None else found


def class_coverage(
    source, scope: str = "art", threshold: float = THRESHOLD
) -> pd.DataFrame:
    """The coverage of a data source (:class:`course_utils.datasets.source.Source`): classes from its annotations, images
    from its images folder; the counts of :func:`coverage_counts`."""

    table = read_table(Path(source.archive_dir) / schema.ALL_FILE)
    classes = label_table(shares(table, scope), threshold)["class"]
    have = image_ids(source.images_dir)
    return coverage_counts(
        classes,
        pd.Series(classes.index.isin(list(have)), index=classes.index),
    )


def few_images(
    counts: Mapping[str, int], minimum: int = MIN_CLASS_IMAGES
) -> dict[str, int]:
    """The entries (classes, groups, labels) with fewer than ``minimum`` images, in their order."""
    return {
        str(name): int(n) for name, n in dict(counts).items() if n < minimum
    }


def plural_of(word: str) -> str:
    """The plural of the few nouns the warnings use: class → classes, category → categories, label → labels."""
    if word.endswith(("s", "x", "ch", "sh")):
        return f"{word}es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{word[:-1]}ies"
    return f"{word}s"


def few_images_warning(
    counts: Mapping[str, int],
    minimum: int = MIN_CLASS_IMAGES,
    kind: str = "class",
    images: str = "images",
    plural: str | None = None,
) -> str:
    """A plain warning naming each entry with fewer than ``minimum`` images ("" when there is none).

    ``kind`` says what the entries are (class, category, label …) and ``images`` what is counted
    (e.g. "validation images").
    """
    counts = dict(counts)
    few = few_images(counts, minimum)
    if not few:
        return ""
    kinds = plural or plural_of(kind)
    listed = ", ".join(f"{name} {n}" for name, n in few.items())
    if len(counts) == 1:
        which = f"the only {kind} has"
    elif len(few) == len(counts):
        which = f"all {len(counts)} {kinds} have"
    else:
        which = f"{len(few)} of the {len(counts)} {kinds} {'have' if len(few) > 1 else 'has'}"
    return (
        f"{WARNING}: {which} fewer than {minimum} {images} ({listed}); "
        f"any number about {'them' if len(few) > 1 else 'it'} rests on too few images to mean much."
    )


def set_size_warning(
    n: int, minimum: int = MIN_SET_IMAGES, images: str = "validation images"
) -> str:
    """A plain warning when a score is computed from fewer than ``minimum`` images ("" otherwise)."""
    if n >= minimum:
        return ""
    if n == 0:
        return f"{WARNING}: there are no {images}, so no score can be computed from them."
    step = 100 / n
    return (
        f"{WARNING}: the scores rest on only {n} {images} (fewer than {minimum}); one image more or less "
        f"right moves an accuracy by {step:.0f} percentage points."
    )


def class_counts_of(y, class_names: Sequence[str]) -> dict[str, int]:
    """Images per class in a set of integer labels (every class listed, 0 where it has none)."""
    y = np.asarray(y, dtype=int).reshape(-1)
    return dict(
        zip(
            class_names,
            np.bincount(y, minlength=len(class_names))[
                : len(class_names)
            ].tolist(),
        )
    )


def split_warnings(
    y,
    class_names: Sequence[str],
    images: str = "validation images",
    min_class: int = MIN_CLASS_IMAGES,
    min_total: int = MIN_SET_IMAGES,
) -> list[str]:
    """The warnings for a set of labels: too few images in all, and classes with too few (empty list: none)."""
    warnings = [
        set_size_warning(len(np.asarray(y).reshape(-1)), min_total, images),
        few_images_warning(
            class_counts_of(y, class_names), min_class, "class", images
        ),
    ]
    return [w for w in warnings if w]


def print_warning(warning: str) -> None:
    """Show one warning (:func:`show_warnings`)."""
    show_warnings([warning])


def _plain(warning: str) -> str:
    """A warning without its ``WARNING (too few images):`` opening, as a sentence."""
    text = warning.removeprefix(WARNING).lstrip(": ").strip()
    return text[:1].upper() + text[1:]


def notice_html(warnings: Sequence[str]) -> str:
    """The chapter's notice: an admonition (the theme's classes, so the book styles it) listing the warnings."""
    items = "".join(f"<li>{html.escape(_plain(w))}</li>" for w in warnings)
    return (
        '<div class="admonition warning">'
        f'<p class="admonition-title"><strong>{NOTICE_TITLE}</strong></p>'
        "<p>Some numbers in this chapter rest on too few images to mean much:</p>"
        f"<ul>{items}</ul></div>"
    )


def again_html(warnings: Sequence[str]) -> str:
    """A warning after the chapter's notice: one quiet line."""
    text = " ".join(_plain(w) for w in warnings)
    return f"<p><em>{AGAIN}</em> {html.escape(text)}</p>"


def _notebook_display():
    """IPython's ``display`` where a notebook kernel runs this code, else None."""
    try:
        from IPython import (
            get_ipython,  # deferred: only notebooks have IPython (not a dependency)
        )
        from IPython.display import (
            display,  # deferred: only notebooks have IPython (not a dependency)
        )
    except ImportError:
        return None
    shell = get_ipython()
    return display if getattr(shell, "kernel", None) is not None else None


def show_warnings(warnings: Sequence[str]) -> None:
    """Show warnings: in a notebook the first ones as the chapter's notice, later ones as a quiet line (plain
    text beside the HTML); elsewhere printed, wrapped to the width of the rendered page."""
    global _notice_shown
    warnings = [w for w in warnings if w]
    if not warnings:
        return
    display = _notebook_display()
    if display is None:
        for warning in warnings:
            print(
                textwrap.fill(
                    warning,
                    WIDTH,
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
        return
    first = not _notice_shown
    _notice_shown = True
    plain = [_plain(w) for w in warnings]
    text = (f"{NOTICE_TITLE}: " if first else f"{AGAIN} ") + " ".join(plain)
    shown = notice_html(warnings) if first else again_html(warnings)
    display(
        {"text/html": shown, "text/plain": textwrap.fill(text, WIDTH)},
        raw=True,
    )


def warn_few_images(
    y,
    class_names: Sequence[str],
    images: str = "validation images",
    min_class: int = MIN_CLASS_IMAGES,
    min_total: int = MIN_SET_IMAGES,
) -> list[str]:
    """Print the warnings of :func:`split_warnings` (where a score rests on too few images); returns them."""
    warnings = split_warnings(y, class_names, images, min_class, min_total)
    show_warnings(warnings)
    return warnings


def warn_small_groups(
    counts: Mapping[str, int],
    minimum: int = MIN_GROUP_IMAGES,
    kind: str = "group",
    images: str = "validation images",
    plural: str | None = None,
) -> str:
    """Print :func:`few_images_warning` for groups (styles, categories, labels …) when there is one; returns it."""
    warning = few_images_warning(counts, minimum, kind, images, plural)
    show_warnings([warning])
    return warning


def coverage_statement(
    counts: pd.DataFrame,
    data_name: str = "this run's data",
    minimum: int = MIN_CLASS_IMAGES,
    warn: bool = True,
) -> str:
    """The coverage in plain words: annotated artworks, how many have an image, both per class, and (``warn``)
    a warning for each class with fewer than ``minimum`` images."""
    total, with_image = (
        int(counts["artworks"].sum()),
        int(counts["with an image"].sum()),
    )
    share = with_image / total if total else 0.0
    width = max(len(str(name)) for name in counts.index) + 2
    lines = [
        f"{data_name}: {total:,} annotated artworks, {with_image:,} of them ({share:.1%}) with an image.",
        f"{COVERAGE_HEADING} (with an image / annotated):",
    ]
    lines += [
        f"  {str(name):<{width}}{row['with an image']:>6,} / {row['artworks']:,}"
        for name, row in counts.iterrows()
    ]
    warning = class_warning(counts, minimum)
    if warning and warn:
        lines.append(warning)
    return "\n".join(lines)


def class_warning(
    counts: pd.DataFrame, minimum: int = MIN_CLASS_IMAGES
) -> str:
    """The warning for the classes of a coverage table with fewer than ``minimum`` images ("" when none)."""
    classes = counts.drop(index=NO_CLASS, errors="ignore")["with an image"]
    return few_images_warning(classes.to_dict(), minimum, "class", "images")


def data_label(source) -> str:
    """How the statements name a data source: the real data, or the sample (never mistaken for WikiArt)."""
    return (
        "the offline SAMPLE (not WikiArt)"
        if source.is_sample
        else "WikiArt Emotions"
    )


def print_coverage(
    source, scope: str = "art", threshold: float = THRESHOLD
) -> pd.DataFrame:
    """Say how many artworks a data source has per class and how many of them have an image; returns the counts."""
    counts = class_coverage(source, scope, threshold)
    print(coverage_statement(counts, data_label(source), warn=False))
    show_warnings([class_warning(counts)])
    return counts
