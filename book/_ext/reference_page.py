"""Sphinx extension: the "Reference results" page is read again whenever its results file changes or is absent.

The page (book/reference_results.md) shows book/reference/results.json when it runs; its front matter executes
it at every read instead of taking it from the execution cache, whose key is the page's code, not the file it
reads. Sphinx reads a page again only when a file it depends on is newer than the page's last reading (or gone),
so this hook names the results file as the page's dependency. The page runs no code a reader would run, and Colab
opens no Markdown file, so it gets no launch button (the theme gives one to every page with a kernel).
"""

from __future__ import annotations

from sphinx.application import Sphinx

from course_utils.analysis.reference_file import REPOSITORY_PATH

#: The page's document name.
PAGE = "book/reference_results"


def note_results_file(app: Sphinx, docname: str, source: list[str]) -> None:
    """While Sphinx reads the page, record the results file (relative to the book's root) as its dependency."""
    if docname == PAGE:
        app.env.note_dependency(REPOSITORY_PATH.as_posix())


def no_launch_button(app: Sphinx, doctree) -> None:
    """Forget the page's kernel once it is read: sphinx-book-theme adds launch buttons to pages with one, and
    Colab's would open the page's Markdown source, which Colab cannot run."""
    if app.env.docname == PAGE:
        app.env.metadata[PAGE].pop("kernelspec", None)


def setup(app: Sphinx) -> dict:
    """Register the hooks (the second after Sphinx has collected the page's metadata)."""
    app.connect("source-read", note_results_file)
    app.connect("doctree-read", no_launch_button, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
