"""Every chapter survives link rot: the real data's annotations with most of their image links dead.

WikiArt's image URLs of 2018 are largely dead for a reader today (254 of 4,105 images could be fetched in one try).
Here a local server (:mod:`course_utils.datasets.localserver`) stands in for the archive's site, WikiArt's image hosts
and the NRC VAD lexicon's site (with a made-up lexicon):
it serves a generated sample with ``DEAD_SHARE`` of its image links answering 404. Every chapter of ``_toc.yml``
then runs with ``COURSE_DATA=wikiart`` pointed at that server, in a fresh data folder (one per pytest-xdist worker),
through the machinery ``jupyter-book build`` uses (tools/bookexec.py: the calls myst-nb makes), and must not stall.

Each chapter must run to its end, say early how many artworks it has per class (and how many have an image), and,
where it computes numbers from the images, warn plainly that they rest on too few images.
Chapters 01–10 are tested here, 11–17 in ``test_link_rot_late.py``: two files (and two xdist groups), so that
``pytest -n 2`` runs them on both workers under ``--dist loadfile`` as under ``--dist loadgroup``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from course_utils.config.profiles import budget
from course_utils.datasets import coverage
from course_utils.datasets.localserver import serve_sample, write_standin_lexicon

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bookexec  # noqa: E402
import nbtool  # noqa: E402

#: Share of the image links that answer 404 (WikiArt today: about 94 %).
DEAD_SHARE = 0.92
#: Artworks in the served archive (the smoke profile's sample size).
SAMPLE_N = 240
#: A cell that runs longer than this fails its chapter: the book build's limit for the profile.
CELL_TIMEOUT = budget("smoke").cell_timeout_s
#: Chapters in reading order, as the book builds them.
CHAPTERS = [ROOT / f"{entry}.ipynb" for entry in nbtool.toc_files() if (ROOT / f"{entry}.ipynb").is_file()]
#: Chapters that compute numbers from the images (scores, per-class or per-group results): they must warn.
IMAGE_NUMBERS = {f"{n:02d}" for n in range(5, 17)}
#: Calls that load a chapter's data; the coverage statement must follow within two code cells.
LOADERS = ("ensure_source(", "class_folders(", "load_split(")
#: Chapter 02 downloads the images itself: its statement follows that download, not its first data call.
LOAD_CALLS = {"02": ("download_all(out",)}
#: The first chapter of the second file (and xdist group): the two halves take about the same time.
LATE = "11"
_SITE: dict = {}  # the site of this process, once started


def chapter_params(late: bool) -> list:
    """The chapters of one half, each marked with its xdist group."""
    return [
        pytest.param(p, marks=pytest.mark.xdist_group("link-rot-late" if late else "link-rot"))
        for p in CHAPTERS
        if (p.name[:2] >= LATE) == late
    ]


@pytest.fixture(scope="session")
def rotten_site(tmp_path_factory, pytestconfig):
    """A local archive site whose image links are mostly dead, and a fresh data folder: one per process (xdist
    worker), shared by both files; the server stops when the session ends."""
    if not _SITE:
        server = serve_sample(
            tmp_path_factory.mktemp("rotten-site") / "site", n=SAMPLE_N, seed=123, dead_share=DEAD_SHARE
        )
        write_standin_lexicon(server.root)  # the NRC VAD lexicon's site, with a made-up lexicon
        pytestconfig.add_cleanup(server.stop)
        _SITE["site"] = server, tmp_path_factory.mktemp("rotten-data")
    return _SITE["site"]


def output_text(cell) -> str:
    """Everything a code cell showed: streams, plain-text results and error messages."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "\n".join(parts)


def check_chapter(path: Path, rotten_site, monkeypatch) -> None:
    """Run one chapter against the rotten site and check it ran to its end, said its coverage and warned."""
    server, data_dir = rotten_site
    env = {
        "COURSE_DATA": "wikiart",
        "COURSE_ARCHIVE_URL": server.archive_url,
        "COURSE_LEXICON_URL": server.lexicon_url,
        "COURSE_PROFILE": "smoke",
        "COURSE_DATA_DIR": str(data_dir),
        "COURSE_CHECK_FIGURES": "1",
    }
    for key, value in env.items():  # the kernel inherits the test's environment
        monkeypatch.setenv(key, value)
    result = bookexec.execute(path, timeout=CELL_TIMEOUT)
    if result.err is not None:
        pytest.fail(re.sub(r"\x1b\[[0-9;]*m", "", bookexec.describe(path, result)), pytrace=False)
    # nbclient lets a cell whose reply it missed pass after its time limit: the kernel's idle time shows it
    assert not bookexec.stalls(result.nb), (
        f"{path.name}: the runner stalled after cell(s) {bookexec.stalls(result.nb)}"
    )
    nb, seconds = result.nb, result.time
    texts = [output_text(c) if c.cell_type == "code" else "" for c in nb.cells]
    print(f"{path.name}: ran in {seconds:.1f} s")
    number = path.name[:2]

    said = [i for i, text in enumerate(texts) if coverage.COVERAGE_HEADING in text]
    assert said, f"{path.name} never says how many artworks it has per class (coverage.print_coverage)"
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    calls = LOAD_CALLS.get(number, LOADERS)
    loads = next(i for i in code if any(call in nb.cells[i].source for call in calls))
    assert said[0] <= code[min(code.index(loads) + 2, len(code) - 1)], (
        f"{path.name} says its artworks per class only in cell {said[0]}, long after loading its data "
        f"(cell {loads})"
    )
    if number in IMAGE_NUMBERS:
        warned = [i for i, text in enumerate(texts) if coverage.WARNING in text and i > said[0]]
        assert warned, (
            f"{path.name} computes numbers from {int(DEAD_SHARE * 100)} %-dead links' leftovers but "
            f"never warns that they rest on too few images"
        )


@pytest.mark.slow
@pytest.mark.parametrize("path", chapter_params(late=False), ids=lambda p: p.stem)
def test_chapter_survives_link_rot(path, rotten_site, monkeypatch):
    check_chapter(path, rotten_site, monkeypatch)


def test_both_files_cover_every_chapter():
    assert len(chapter_params(False)) + len(chapter_params(True)) == len(CHAPTERS) >= 17


def test_the_server_rots_a_fixed_share(rotten_site):
    server, _ = rotten_site
    names = sorted(p.name for p in (server.root / "images").iterdir())
    dead = [n for n in names if server.is_dead(n)]
    assert abs(len(dead) / len(names) - DEAD_SHARE) < 0.05
    assert dead == [n for n in names if server.is_dead(n)]  # the same links every time


if __name__ == "__main__":  # pragma: no cover - handy for running one chapter by hand
    raise SystemExit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
