"""Chapter 03 on a copy of the archive as they circulate (on GitHub, for example): only the data files, no
README.txt. A local server serves such a copy, and a made-up stand-in of the NRC VAD lexicon, and the chapter runs
with ``COURSE_DATA=wikiart`` pointed at it through the book's own runner (tools/bookexec.py). It must run to its end,
show the course's own wording of the categories with a note saying the archive had no README, and name the
lexicon its coordinates come from."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest

from course_utils.config.profiles import budget
from course_utils.data import schema
from course_utils.data.lexicon import CITATION
from course_utils.datasets.localserver import sample_server, write_standin_lexicon

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bookexec  # noqa: E402
from chapter_statements import output_text  # noqa: E402

CHAPTER = ROOT / "book" / "03_reisenzein_mood_model.ipynb"


def drop_readme(zip_path: Path) -> None:
    """Rewrite an archive zip without its README.txt, as the copies that hold only the data files are."""
    with zipfile.ZipFile(zip_path) as zf:
        kept = [(info, zf.read(info)) for info in zf.infolist() if not info.filename.endswith(schema.README_FILE)]
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in kept:
            zf.writestr(info, data)


@pytest.mark.slow
def test_chapter_03_shows_the_course_wording_for_an_archive_without_its_readme(tmp_path, monkeypatch):
    with sample_server(tmp_path / "site", n=120, seed=123) as server:
        drop_readme(server.root / schema.ARCHIVE_NAME)
        write_standin_lexicon(server.root)
        env = {
            "COURSE_DATA": "wikiart",
            "COURSE_ARCHIVE_URL": server.archive_url,
            "COURSE_LEXICON_URL": server.lexicon_url,
            "COURSE_PROFILE": "smoke",
            "COURSE_DATA_DIR": str(tmp_path / "data"),
            "COURSE_CHECK_FIGURES": "1",
        }
        for key, value in env.items():  # the kernel inherits the test's environment
            monkeypatch.setenv(key, value)
        result = bookexec.execute(CHAPTER, timeout=budget("smoke").cell_timeout_s)
    if result.err is not None:
        pytest.fail(re.sub(r"\x1b\[[0-9;]*m", "", bookexec.describe(CHAPTER, result)), pytrace=False)
    extracted = tmp_path / "data" / "wikiart" / schema.ARCHIVE_FOLDER
    assert (extracted / schema.ALL_FILE).is_file() and not (extracted / schema.README_FILE).exists()
    shown = "\n".join(output_text(c) for c in result.nb.cells if c.cell_type == "code")
    assert "wording: the course's own wording" in shown
    assert "note: this copy of the archive has no README.txt" in shown
    assert f"valence-arousal coordinates: {CITATION}" in shown  # the stand-in, served as the lexicon is
    print(f"{CHAPTER.name}: ran in {result.time:.1f} s")
