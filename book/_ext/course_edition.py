"""Sphinx extension: the student or the instructor edition of the book, chosen by COURSE_EDITION.

- ``student`` (default): solutions stay collapsed dropdowns (``:class: dropdown``), opened with a click.
- ``instructor``: every solution is shown expanded, the title says "instructor edition", and the notebooks'
  executed outputs are reused from the student build's jupyter-cache, so only notebooks changed since run again.

Execution follows the runtime settings: the jupyter-cache is one folder per data source, profile and seed
(``_build/.jupyter_cache/<source>-<profile>-seed<seed>``, or the folder named by COURSE_EXECUTION_CACHE), so a
build on the real data never reuses outputs computed on the sample; a cell may run at most the profile's
``CELL_TIMEOUT_S`` (a stalled cell fails the build, which names the chapter and shows the cell).
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

from course_utils.config.profiles import budget
from course_utils.config.settings import Settings, get_settings
from course_utils.datasets.source import resolve_source

EDITIONS = ("student", "instructor")


def edition() -> str:
    """The edition to build, from COURSE_EDITION, with an error naming the allowed values."""
    value = (
        os.environ.get("COURSE_EDITION", "").strip().lower() or "student"
    )
    if value not in EDITIONS:
        raise ValueError(
            f"COURSE_EDITION={value!r} is not allowed; use one of: {', '.join(EDITIONS)}"
        )
    return value


def execution_cache(srcdir: Path, settings: Settings) -> Path:
    """The jupyter-cache for this build's settings (both editions share it; COURSE_EXECUTION_CACHE wins)."""
    named = os.environ.get("COURSE_EXECUTION_CACHE", "").strip()
    if named:
        return Path(named).resolve()
    key = f"{resolve_source(settings).name}-{settings.profile}-seed{settings.seed}"
    return Path(srcdir) / "_build" / ".jupyter_cache" / key


def configure(app: Sphinx, config: Config) -> None:
    """Mark the instructor edition's title; execute with the settings' cache and the profile's cell limit."""
    settings = get_settings()
    if config.course_edition == "instructor":
        config.html_title = f"{config.html_title} (instructor edition)"
    config.nb_execution_cache_path = str(
        execution_cache(Path(app.srcdir), settings)
    )
    config.nb_execution_timeout = budget(settings.profile).cell_timeout_s
    config.nb_execution_show_tb = True


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
