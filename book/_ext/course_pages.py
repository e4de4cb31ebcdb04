"""Sphinx extension: how the book's pages read, on any screen.

- The course's CSS and JavaScript (``book/_static``): text outputs that wrap instead of scrolling sideways, and
  sidebar toggles that work (``sidebar-toggles.js``: pydata-sphinx-theme 0.17 binds its handlers to a hidden
  copy of the buttons, pydata/pydata-sphinx-theme#2451).
- Chapter numbers from the file names (``book/05_original_cnn`` → "5. The original CNN") in the heading, and so
  in the page title, the sidebar, the previous/next links and search; the other pages stay unnumbered.
- Exercises numbered as their labels: ``ex-10-2`` is Exercise 10.2 (its solution "Solution to Exercise 10.2"),
  whatever its place in the book, so the number a reader sees is the one the checker names.
- References in one author–year style: the bibliography's labels read as the citations in the text do
  ("Mohammad and Kiritchenko, 2018", "LeCun et al., 1998"); each entry of the list is a ``listitem`` (docutils
  writes ``doc-biblioentry``, a role ARIA deprecated, so the list has no valid items for screen readers).

The numbers are derived when the book is built, so they stay true when chapters are renumbered.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

STATIC = Path(__file__).resolve().parents[1] / "_static"
#: A chapter's page: ``book/`` and the chapter's two digits.
CHAPTER = re.compile(r"(?:.*/)?(\d{2})_[^/]+$")
#: An exercise's label: ``ex-`` + the chapter's two digits + ``-`` + its number in the chapter.
EXERCISE_LABEL = re.compile(r"ex-(\d+)-(\d+)")
#: The pybtex style of the bibliography (``bibtex_default_style``).
BIB_STYLE = "course_author_year"


def chapter_number(docname: str) -> int | None:
    """A chapter's number from its file name (``book/05_original_cnn`` → 5); None for any other page."""
    match = CHAPTER.match(docname)
    return int(match[1]) if match else None


def exercise_number(label: str) -> tuple[int, int] | None:
    """An exercise's number from its label (``ex-10-2`` → (10, 2)); None for another label."""
    match = EXERCISE_LABEL.fullmatch(label)
    return (int(match[1]), int(match[2])) if match else None


class ChapterNumber(SphinxTransform):
    """Put the chapter's number before its title ("5. The original CNN")."""

    default_priority = 200  # while the page is read: the title collector sees the numbered title

    def apply(self, **kwargs) -> None:
        number = chapter_number(self.env.docname)
        section = next(iter(self.document.findall(nodes.section)), None)
        if (
            number is None
            or section is None
            or not isinstance(section[0], nodes.title)
        ):
            return
        title = section[0]
        if not title.astext().startswith(f"{number}. "):
            title.insert(0, nodes.Text(f"{number}. "))


def number_exercises(app: Sphinx, env) -> list[str]:
    """Give every exercise with a label ``ex-NN-k`` the number NN.k (sphinx-exercise shows Sphinx's figure
    numbers); runs after Sphinx has numbered them in reading order."""
    for numbers in env.toc_fignumbers.values():
        for label in numbers.get("exercise", {}):
            number = exercise_number(label)
            if number is not None:
                numbers["exercise"][label] = number
    return []


class AuthorYearLabels(BaseLabelStyle):
    """Bibliography labels as the text cites: "Russell, 1980", "Mohammad and Kiritchenko, 2018",
    "LeCun et al., 1998" (a, b … where two would be equal)."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        repeated = {label for label in labels if labels.count(label) > 1}
        seen: dict[str, int] = {}
        for label in labels:
            if label in repeated:
                seen[label] = seen.get(label, 0) + 1
                label = f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            yield label

    @staticmethod
    def format_label(entry) -> str:
        """One entry's label: its authors' (or editors') last names and its year."""
        people = (
            entry.persons.get("author") or entry.persons.get("editor") or []
        )
        names = [
            " ".join(str(n.render_as("text")) for n in p.rich_last_names)
            for p in people
        ]
        if not names:
            who = entry.fields.get("organization") or entry.fields.get(
                "title", "?"
            )
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """pybtex's unsrt entries, sorted by author and year, with :class:`AuthorYearLabels`."""

    default_label_style = "course_author_year"
    default_sorting_style = "author_year_title"


def accessible_citations(
    app: Sphinx, pagename, templatename, context, doctree
) -> None:
    """Mark each bibliography entry as an item of its list (``role="listitem"``)."""
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace(
            'role="doc-biblioentry"', 'role="listitem"'
        )


def add_static_files(app: Sphinx) -> None:
    """Copy book/_static with the pages and load its CSS and JavaScript on every page."""
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))
    app.add_css_file("course.css")
    app.add_js_file("sidebar-toggles.js")


def setup(app: Sphinx) -> dict:
    """Register the static files, the chapter and exercise numbers and the bibliography's style."""
    register_plugin("pybtex.style.labels", BIB_STYLE, AuthorYearLabels)
    register_plugin("pybtex.style.formatting", BIB_STYLE, AuthorYearStyle)
    app.connect("builder-inited", add_static_files)
    app.connect("html-page-context", accessible_citations)
    app.add_transform(ChapterNumber)
    app.connect("env-get-updated", number_exercises, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
