"""course_utils.runner: the book's runner tells a stalled cell from a computing one, on the README's own path.

A stall is simulated in the kernel itself: a cell replaces the kernel's ``session.send`` so that the reply to the
next cell is never sent (the kernel still reports itself idle), which is what the runner sees when a reply is
lost. The limits are shortened for the tests; the ceiling stays far above every cell here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils import runner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bookexec  # noqa: E402

#: A cell that makes the kernel keep back the reply to every cell after ``kernel.withhold = True``.
WITHHOLD = """\
kernel = get_ipython().kernel
send = kernel.session.send


def held_send(stream, msg_type, content=None, *args, **kwargs):
    if msg_type == "execute_reply" and getattr(kernel, "withhold", False):
        return {"content": content}  # what the kernel reads back; nothing is sent
    return send(stream, msg_type, content, *args, **kwargs)


kernel.session.send = held_send"""
#: A cell that keeps one CPU busy for about ``s`` seconds without printing anything.
BUSY = "import time\nstart = time.process_time()\nwhile time.process_time() - start < {s}:\n    pass"
CEILING = 600


def chapter(tmp_path: Path, *sources: str, name: str = "99_chapter.ipynb") -> Path:
    """A chapter-like notebook (a title, then code cells) written to ``tmp_path``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")] + [nbformat.v4.new_code_cell(s) for s in sources]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_install_points_jupyter_caches_runner_at_the_watchful_client():
    from jupyter_cache.executors import utils

    runner.install()
    assert utils.executenb is runner.execute  # single_nb_execution, which myst-nb calls, looks it up there


@pytest.mark.slow
def test_a_cell_that_computes_past_the_quiet_limit_runs_to_its_end(tmp_path):
    path = chapter(tmp_path, BUSY.format(s=6), "print('done')")
    result = bookexec.execute(path, timeout=CEILING, quiet_after_s=2, stall_after_s=2)
    assert result.err is None, bookexec.describe(path, result)
    assert result.nb.cells[-1].outputs[0]["text"] == "done\n"


@pytest.mark.slow
def test_a_reply_withheld_while_the_kernel_is_idle_fails_within_seconds_naming_the_cell(tmp_path):
    path = chapter(tmp_path, WITHHOLD, "kernel.withhold = True", "print('never')")
    started = time.monotonic()
    result = bookexec.execute(path, timeout=CEILING, stall_after_s=2)
    assert isinstance(result.err, runner.CellStallError)
    assert time.monotonic() - started < 60  # the kernel's start and stop included; the ceiling is 600 s
    message = bookexec.describe(path, result)
    assert message.startswith("99_chapter.ipynb: cell 2 ('kernel.withhold = True') stalled"), message
    assert "reported idle" in message


@pytest.mark.slow
def test_a_kernel_that_says_nothing_and_does_nothing_stalls(tmp_path):
    path = chapter(tmp_path, "x = 1", "import time\ntime.sleep(120)")
    result = bookexec.execute(path, timeout=CEILING, quiet_after_s=2)
    assert isinstance(result.err, runner.CellStallError)
    assert bookexec.failed_cell(result) == (2, "import time")
    assert "sent nothing" in str(result.err)


@pytest.mark.slow
def test_a_sleeping_cell_that_keeps_printing_is_not_a_stall(tmp_path):
    path = chapter(tmp_path, "import time\nfor i in range(6):\n    print(i, flush=True)\n    time.sleep(1)")
    result = bookexec.execute(path, timeout=CEILING, quiet_after_s=3)
    assert result.err is None, bookexec.describe(path, result)


@pytest.mark.slow
def test_the_ceiling_still_stops_a_cell_and_names_it(tmp_path):
    path = chapter(tmp_path, "x = 1", BUSY.format(s=60))
    result = bookexec.execute(path, timeout=3)
    assert type(result.err).__name__ == "CellTimeoutError"
    assert bookexec.describe(path, result).startswith("99_chapter.ipynb: cell 2 ('import time') timed out")
    assert "cell 2 ('import time') timed out after" in result.err.__notes__[0]


# --- the README's command ----------------------------------------------------------------------------------


def environment_is_current() -> bool:
    """Whether tools/setup.sh would find .venv current (the hash it stamps), so that it installs nothing."""
    import hashlib

    files = ["requirements.txt", "requirements-dev.txt", "tools/colab-constraints.txt", "pyproject.toml"]
    want = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in files)).hexdigest()
    stamp = ROOT / ".venv" / ".requirements-stamp"
    return stamp.is_file() and stamp.read_text().strip() == want


def small_book(tmp_path: Path, stalls: bool) -> Path:
    """A copy of the repository's book machinery with two pages: an intro and one chapter that stalls or not.

    The tools, the environment and the Sphinx extension are the repository's own (links), so ``tools/book.sh``
    runs as the README says, with its setup finding the environment current.
    """
    if not environment_is_current():  # setup.sh would install the copy's package over the shared environment
        pytest.fail("the environment is older than requirements.txt or pyproject.toml: run bash tools/setup.sh")
    repo = tmp_path / "repo"
    (repo / "book").mkdir(parents=True)
    for name in [".venv", "tools", "requirements.txt", "requirements-dev.txt", "pyproject.toml", "_config.yml"]:
        (repo / name).symlink_to(ROOT / name)
    for name in ["_ext", "references.bib"]:
        (repo / "book" / name).symlink_to(ROOT / "book" / name)
    (repo / "book" / "intro.md").write_text("# A small book\n\nOne chapter.\n")
    sources = [WITHHOLD, "kernel.withhold = True"] if stalls else ["print(6 * 7)"]
    chapter(repo / "book", *sources, name="01_chapter.ipynb")
    (repo / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01_chapter\n  - file: book/02_chapter\n"
    )
    chapter(repo / "book", "print('second chapter')", name="02_chapter.ipynb")
    return repo


def book_command(repo: Path) -> subprocess.CompletedProcess:
    """``bash tools/book.sh`` in ``repo`` (smoke profile, sample data, a cache of its own)."""
    env = dict(
        os.environ,
        COURSE_PROFILE="smoke",
        COURSE_DATA="sample",
        COURSE_EXECUTION_CACHE=str(repo / "cache"),
    )
    env.pop("MPLBACKEND", None)
    return subprocess.run(
        ["bash", "tools/book.sh"], cwd=repo, capture_output=True, text=True, env=env, timeout=900
    )


@pytest.mark.slow
def test_the_book_command_stops_a_stalled_chapter_fast_builds_the_rest_and_says_what_to_do(tmp_path):
    repo = small_book(tmp_path, stalls=True)
    started = time.monotonic()
    res = book_command(repo)
    took = time.monotonic() - started
    log = res.stdout + res.stderr
    assert res.returncode != 0, log[-3000:]
    assert took < 300, f"the stalled chapter held the build {took:.0f} s (its ceiling is 1,800 s)"
    end = res.stderr[res.stderr.index("1 of the chapters did not run to their end") :]  # the last lines
    assert "  book/01_chapter: cell 2 ('kernel.withhold = True') stalled after" in end, log[-3000:]
    assert "why: the kernel reported idle" in end and "what to do: build again" in end
    assert end.rstrip().endswith("book: the pages that were built: open _build/html/index.html"), end
    second = (repo / "_build" / "html" / "book" / "02_chapter.html").read_text()
    assert "second chapter" in second  # the rest of the book was executed and built


def test_the_summary_says_what_to_do_for_each_kind_of_failure():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import course_edition

    trace = "CellTimeoutError: ...\ncell 7 ('search.run()') timed out after 3,600 s\n"
    failed = [{"page": "book/11_tuning", "seconds": 3700.0, "error": "CellTimeoutError"}]
    parsed = course_edition.FAILED_CELL.findall(trace)[-1]
    assert parsed[:3] == ("cell 7 ('search.run()')", "timed out", "3,600 s")
    failed[0].update(cell=parsed[0], how=f"{parsed[1]} after {parsed[2]}", why=parsed[3])
    failed.append(
        {"page": "book/05_x", "seconds": 9.0, "cell": "cell 3 ('1 / 0')", "how": "failed after 0 s", "why": ""}
        | {"error": "CellExecutionError"}
    )
    text = course_edition.summary(failed, "quick")
    assert "book/11_tuning: cell 7 ('search.run()') timed out after 3,600 s (3,700 s in the chapter)" in text
    assert "ceiling of 3,600 s: this machine is too slow for the quick profile" in text
    assert "book/05_x: cell 3 ('1 / 0') failed after 0 s" in text and "raised an error" in text
    assert text.rstrip().endswith("COURSE_PROFILE=smoke bash tools/book.sh")


@pytest.mark.slow
def test_the_book_command_prints_where_the_book_is(tmp_path):
    res = book_command(small_book(tmp_path, stalls=False))
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert res.stdout.rstrip().endswith("book: open _build/html/index.html")
