"""Sphinx extension: the student or the instructor edition of the book, chosen by COURSE_EDITION.

- ``student`` (default): solutions stay collapsed dropdowns (``:class: dropdown``), opened with a click.
- ``instructor``: every solution is shown expanded, the title says "instructor edition", and the notebooks'
  executed outputs are reused from the student build's jupyter-cache (``_build/.jupyter_cache``, or the folder
  named by COURSE_EXECUTION_CACHE), so only notebooks changed since are executed again.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

EDITIONS = ("student", "instructor")


def edition() -> str:
    """The edition to build, from COURSE_EDITION, with an error naming the allowed values."""
    value = os.environ.get("COURSE_EDITION", "").strip().lower() or "student"
    if value not in EDITIONS:
        raise ValueError(f"COURSE_EDITION={value!r} is not allowed; use one of: {', '.join(EDITIONS)}")
    return value


def configure(app: Sphinx, config: Config) -> None:
    """Instructor edition: mark the title and share the student build's execution cache."""
    cache = os.environ.get("COURSE_EXECUTION_CACHE", "").strip()
    if config.course_edition == "instructor":
        config.html_title = f"{config.html_title} (instructor edition)"
        cache = cache or str(Path(app.srcdir) / "_build" / ".jupyter_cache")
    if cache:
        config.nb_execution_cache_path = str(Path(cache).resolve())


def show_solutions(app: Sphinx, doctree, docname: str) -> None:
    """Instructor edition: drop the ``dropdown`` class from every solution so it renders expanded."""
    if app.config.course_edition != "instructor":
        return
    from sphinx_exercise.nodes import solution_node

    for node in doctree.findall(solution_node):
        node["classes"] = [c for c in node["classes"] if c != "dropdown"]


def setup(app: Sphinx) -> dict:
    """Register the edition setting (a change rebuilds every page) and the two hooks."""
    app.add_config_value("course_edition", edition(), "env")
    app.connect("config-inited", configure, priority=400)
    app.connect("doctree-resolved", show_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
