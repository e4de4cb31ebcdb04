"""Every chapter that reads the images survives link rot: the real data's annotations with most image links dead.

WikiArt's image URLs of 2018 are largely dead for a reader today (254 of 4,105 images could be fetched in one try).
Here a local server (:mod:`course_utils.datasets.localserver`) stands in for the archive's site, WikiArt's image hosts
and the NRC VAD lexicon's site (with a made-up lexicon):
it serves a generated sample with ``DEAD_SHARE`` of its image links answering 404. The chapters of ``_toc.yml``
then run with ``COURSE_DATA=wikiart`` pointed at that server, in a fresh data folder (one per pytest-xdist worker),
through the machinery ``jupyter-book build`` uses (tools/bookexec.py: the calls myst-nb makes), and must not stall.

Each chapter must run to its end, say early how many artworks it has per class (and how many have an image), and,
where it computes numbers from the images, warn plainly that they rest on too few images
(tests/chapter_statements.py). The kernels run TensorFlow's functions eagerly (:func:`eager_kernels`): on a few
dozen images tracing a model's steps costs more than running them, and what these runs test is how the chapters'
code copes with few images; every chapter also runs with its functions traced, on the sample, under nbval.

Two chapters run only on the sample, under nbval (``ONCE``): after that run, conftest.py checks their coverage
statement on its outputs, as for every chapter. Chapter 03 reads nothing but the annotations, the same table on
both sites. Chapter 18 reads the images only in package code whose few-image paths are tested directly: the
mirrored check's first batch (tests/test_distribute.py::test_the_first_step_batch_is_what_the_replicas_can_share),
mirrored training on 17 images (tests/test_distribute.py::test_mirrored_training_survives_batches_the_replicas_
cannot_split_evenly), a search on 30 images (tests/test_tuning.py), ``Split.datasets`` on a few images
(tests/test_pipeline.py::test_a_few_images_still_split_and_empty_classes_stay_named); its three multi-process checks
would otherwise run three times in the suite.
Chapters 01–10 are tested here, 11–18 in ``test_link_rot_late.py``: two files (and two xdist groups), so that
``pytest -n 2`` runs them on both workers under ``--dist loadfile`` as under ``--dist loadgroup``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from chapter_statements import IMAGE_NUMBERS, statement_problems

from course_utils.config.profiles import budget
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
#: Chapters that run only on the sample (see the module's docstring for why, and what checks their few-image paths).
ONCE = {"03", "18"}
#: The first chapter of the second file (and xdist group): the two halves take about the same time.
LATE = "11"
#: What every kernel of these runs executes first (an IPython startup file).
EAGER_STARTUP = "import tensorflow as _tf\n\n_tf.config.run_functions_eagerly(True)\ndel _tf\n"
#: How each chapter's kernel is stopped once its last cell has run: at once, as nbval stops its kernels, instead
#: of a shutdown request that a kernel which imported TensorFlow takes about 3 s to honour (the book build's way;
#: what these runs test ends with the chapter's last reply).
STOP = {"shutdown_kernel": "immediate"}
_SITE: dict = {}  # the site of this process, once started


def chapter_params(late: bool) -> list:
    """The chapters of one half that run on the rotten site, each marked with its xdist group."""
    return [
        pytest.param(p, marks=pytest.mark.xdist_group("link-rot-late" if late else "link-rot"))
        for p in CHAPTERS
        if (p.name[:2] >= LATE) == late and p.name[:2] not in ONCE
    ]


@pytest.fixture(scope="session")
def rotten_site(tmp_path_factory, pytestconfig):
    """A local archive site whose image links are mostly dead, a fresh data folder, and an IPython folder whose
    startup file makes TensorFlow run eagerly: one per process (xdist worker), shared by both files; the server
    stops when the session ends."""
    if not _SITE:
        server = serve_sample(
            tmp_path_factory.mktemp("rotten-site") / "site", n=SAMPLE_N, seed=123, dead_share=DEAD_SHARE
        )
        write_standin_lexicon(server.root)  # the NRC VAD lexicon's site, with a made-up lexicon
        pytestconfig.add_cleanup(server.stop)
        _SITE["site"] = (
            server,
            tmp_path_factory.mktemp("rotten-data"),
            eager_kernels(tmp_path_factory.mktemp("ipython")),
        )
    return _SITE["site"]


def eager_kernels(folder: Path) -> Path:
    """An IPYTHONDIR whose default profile runs TensorFlow's functions eagerly in every kernel started with it."""
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-eager.py").write_text(EAGER_STARTUP)
    return folder


def check_chapter(path: Path, rotten_site, monkeypatch) -> None:
    """Run one chapter against the rotten site and check it ran to its end, said its coverage and warned."""
    server, data_dir, ipython_dir = rotten_site
    env = {
        "COURSE_DATA": "wikiart",
        "COURSE_ARCHIVE_URL": server.archive_url,
        "COURSE_LEXICON_URL": server.lexicon_url,
        "COURSE_PROFILE": "smoke",
        "COURSE_DATA_DIR": str(data_dir),
        "COURSE_CHECK_FIGURES": "1",
        "IPYTHONDIR": str(ipython_dir),
    }
    for key, value in env.items():  # the kernel inherits the test's environment
        monkeypatch.setenv(key, value)
    result = bookexec.execute(path, timeout=CELL_TIMEOUT, **STOP)
    if result.err is not None:
        pytest.fail(re.sub(r"\x1b\[[0-9;]*m", "", bookexec.describe(path, result)), pytrace=False)
    # nbclient lets a cell whose reply it missed pass after its time limit: the kernel's idle time shows it
    assert not bookexec.stalls(result.nb), (
        f"{path.name}: the runner stalled after cell(s) {bookexec.stalls(result.nb)}"
    )
    print(f"{path.name}: ran in {result.time:.1f} s")
    problems = statement_problems(result.nb, path.name, warnings=path.name[:2] in IMAGE_NUMBERS)
    assert not problems, "; ".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("path", chapter_params(late=False), ids=lambda p: p.stem)
def test_chapter_survives_link_rot(path, rotten_site, monkeypatch):
    check_chapter(path, rotten_site, monkeypatch)


def test_both_files_cover_every_chapter_but_those_run_once():
    assert len(chapter_params(False)) + len(chapter_params(True)) == len(CHAPTERS) - len(ONCE)
    assert len(CHAPTERS) >= 17 and ONCE <= {p.name[:2] for p in CHAPTERS}
    assert not ONCE & IMAGE_NUMBERS, "a chapter that must warn about few images runs on the rotten site"


def test_the_kernels_run_eagerly(rotten_site, monkeypatch, tmp_path):
    """The startup file is what the kernels run first: a chapter run with it sees eager functions."""
    import nbformat

    monkeypatch.setenv("IPYTHONDIR", str(rotten_site[2]))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import tensorflow as tf\n\nprint(tf.config.functions_run_eagerly())")]
    path = tmp_path / "eager.ipynb"
    nbformat.write(nb, path)
    result = bookexec.execute(path, timeout=CELL_TIMEOUT, **STOP)
    assert result.err is None and result.nb.cells[0].outputs[0]["text"].strip() == "True"


def test_the_server_rots_a_fixed_share(rotten_site):
    server, *_ = rotten_site
    names = sorted(p.name for p in (server.root / "images").iterdir())
    dead = [n for n in names if server.is_dead(n)]
    assert abs(len(dead) / len(names) - DEAD_SHARE) < 0.05
    assert dead == [n for n in names if server.is_dead(n)]  # the same links every time


if __name__ == "__main__":  # pragma: no cover - handy for running one chapter by hand
    raise SystemExit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
