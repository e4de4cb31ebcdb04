"""The book builds with warnings as errors, executing every chapter (smoke profile, sample data)."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build" / "test-book"


@pytest.fixture(scope="module")
def student_build():
    """Build the student edition once for this module; returns the HTML folder."""
    env = dict(os.environ, COURSE_PROFILE="smoke", COURSE_DATA="sample")
    env.pop("COURSE_EDITION", None)
    res = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "jupyter-book"), "build", str(ROOT), "--path-output", str(BUILD),
         "-W", "-n", "--keep-going"],
        capture_output=True, text=True, env=env, timeout=1500,
    )
    return res, BUILD / "_build" / "html"


@pytest.mark.slow
@pytest.mark.timeout(1600)
def test_book_builds_with_warnings_as_errors(student_build):
    res, html = student_build
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    assert (html / "book" / "intro.html").is_file()
