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
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from course_utils import runner
from course_utils.config.profiles import budget
from course_utils.config.settings import Settings, get_settings
from course_utils.datasets.source import resolve_source

EDITIONS = ("student", "instructor")
#: The note course_utils.runner puts on every failed cell: "cell 23 ('...') stalled after 15 s: why.".
FAILED_CELL = re.compile(
    r"(cell \d+ \(.*?\)) (stalled|failed|timed out) after ([\d,]+ s)(?:: ([^\n]*?\.))?"
)
#: Where the build leaves its summary of chapters that did not run to their end (tools/book.sh prints it last).
FAILURES_FILE = Path("reports") / "failed-chapters.txt"
logger = logging.getLogger(__name__)


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


def failed_chapters(env) -> list[dict]:
    """Chapters this build executed that did not run to their end: page, seconds, cell, how, why, error."""
    failed = []
    for docname, data in sorted(getattr(env, "nb_metadata", {}).items()):
        exec_data = data.get("exec_data") or {}
        if exec_data.get("succeeded", True):
            continue
        found = FAILED_CELL.findall(exec_data.get("traceback") or "")
        cell, how, after, why = (
            found[-1] if found else ("a cell", "failed", "?", "")
        )
        failed.append(
            {
                "page": docname,
                "seconds": exec_data.get("runtime") or 0.0,
                "cell": cell,
                "how": f"{how} after {after}",
                "why": why,
                "error": exec_data.get("error") or "an error",
            }
        )
    return failed


def advice(error: str, profile: str) -> str:
    """What a reader can do about a chapter that failed with ``error``."""
    if error == runner.CellStallError.__name__:
        return "build again: only the chapters that did not run execute again (the rest come from the cache)"
    if error == "CellTimeoutError":
        return (
            f"the cell was still computing at the {profile} profile's ceiling of "
            f"{budget(profile).cell_timeout_s:,} s: this machine is too slow for the {profile} profile"
        )
    return "the cell raised an error: its traceback is above (and in the reports folder beside the pages)"


def summary(failed: list[dict], profile: str) -> str:
    """The end of a failed build's log: each chapter that did not run to its end, and what to do."""
    lines = [
        f"{len(failed)} of the chapters did not run to their end; their pages show the outputs before that:"
    ]
    for f in failed:
        lines.append(
            f"  {f['page']}: {f['cell']} {f['how']} ({f['seconds']:,.0f} s in the chapter)"
        )
        if f["why"]:
            lines.append(f"    why: {f['why']}")
        lines.append(f"    what to do: {advice(f['error'], profile)}")
    if profile != "smoke":
        lines.append(
            "  The whole book in a few minutes: COURSE_PROFILE=smoke bash tools/book.sh"
        )
    return "\n".join(lines) + "\n"


def report_failures(app: Sphinx, exception: Exception | None) -> None:
    """End the build's log with the chapters that did not run to their end, and leave it in a file."""
    failed = failed_chapters(app.env)
    path = Path(app.outdir) / FAILURES_FILE
    if not failed:
        path.unlink(missing_ok=True)
        return
    text = summary(failed, get_settings().profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    logger.info("\n" + text)


def setup(app: Sphinx) -> dict:
    """Register the edition setting (a change rebuilds every page), the watchful runner and the hooks."""
    runner.install()
    app.add_config_value("course_edition", edition(), "env")
    app.connect("config-inited", configure, priority=400)
    app.connect("doctree-resolved", show_solutions)
    app.connect("build-finished", report_failures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
