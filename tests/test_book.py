"""The book: both editions build with warnings as errors, and the rendered pages work in a real browser.

The student edition is built once for this module (executing every chapter, smoke profile, sample data); the
instructor edition reuses its execution cache. Pages are served over http on 127.0.0.1 and checked in headless
Chromium. Each check is a function of (driver, base_url, …) that returns a list of problems, so the negative test
can run the same checks on a deliberately broken copy of the site. What a reader meets on a page (outputs that fit,
readable figures that zoom, quiet pages, numbers, the phone menu, axe-core's accessibility rules) is checked by the
functions of tests/book_reading.py.

Set COURSE_BOOK_TOC to another table of contents to build and check only some pages (e.g. while chapters are in flux).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
import book_reading  # noqa: E402
import nbtool  # noqa: E402

from course_utils.config.profiles import budget  # noqa: E402

BUILD = ROOT / "_build" / "test-book"
INSTRUCTOR_BUILD = ROOT / "_build" / "test-book-instructor"
ARTIFACTS = ROOT / "artifacts"
TOC = Path(os.environ.get("COURSE_BOOK_TOC") or ROOT / "_toc.yml")
PAGES = nbtool.toc_files(TOC)  # docnames in reading order: book/intro, book/01_setting_up, …
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").is_file()]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver")
ERROR_OUTPUTS = "main .output.error, main .output.traceback"
#: Code blocks of a page: chapter cells and the code fences of its text (solutions included), not outputs.
CODE_BLOCKS = 'main .cell_input pre, main div[class*="highlight-"] pre'  # outputs are left out in the page
#: Framework noise that must not reach a rendered output (TensorFlow, absl, Python warnings, CUDA probing).
FRAMEWORK_NOISE = re.compile(
    r"WARNING:(?:tensorflow|absl)|tf\.function retracing|\b(?:User|Deprecation|Future|Runtime)Warning\b"
    r"|oneDNN custom operations|cuda_(?:dnn|blas|fft|platform)|TF-TRT Warning"
)


def builder_paths() -> list[str]:
    """Absolute folders of the machine that built the book: no page may print them."""
    return sorted({ROOT.as_posix(), Path.home().as_posix() + "/"})


def temporary_folder() -> str:
    """The builder's temporary folder: no output may print a path in it (prose may name one: /tmp/wikiart)."""
    return tempfile.gettempdir().rstrip("/") + "/"


EXECUTED = Path(os.environ.get("COURSE_EXECUTED_DIR") or ROOT / "_build" / "executed")
CACHE = ROOT / "_build" / "test-book-cache"


def executed_notebooks_ready() -> bool:
    """Whether nbval saved every chapter of the toc, executed, from its current source (see conftest.py)."""
    import json

    from conftest import source_digest

    for page in NOTEBOOK_PAGES:
        path = EXECUTED / f"{Path(page).name}.ipynb"
        if not path.is_file():
            return False
        stamp = json.loads(path.read_text())["metadata"].get("course_source_sha256")
        if stamp != source_digest(ROOT / f"{page}.ipynb"):
            return False
    return True


#: Chapters with widgets: the README's command executes them itself in every test build (jupyter-book, myst-nb,
#: jupyter-cache, nbclient), the path on which chapter 15 used to stall.
RUNNER_CHECKED = [
    p
    for p in NOTEBOOK_PAGES
    if "ipywidgets" in (ROOT / f"{p}.ipynb").read_text() or "explorer(" in (ROOT / f"{p}.ipynb").read_text()
]


#: Pages executed at every build by design, never taken from the execution cache: the reference-results page reads
#: a file the cache cannot know (book/reference_results.md, book/_ext/reference_page.py).
ALWAYS_EXECUTED = ("book/reference_results",)


def executions(log: str) -> list[str]:
    """The log's lines of pages a build executed itself, but those executed at every build by design."""
    return [
        line
        for line in log.splitlines()
        if "Executing notebook" in line and not any(f"/{page}." in line for page in ALWAYS_EXECUTED)
    ]


def execution_cache() -> Path:
    """A jupyter-cache holding the chapters nbval executed in this run (when all are there and current), except
    the chapters with widgets.

    The book is then built by the README's own command, which finds those chapters in the cache as a rebuild
    would, and executes the others itself.
    """
    import bookexec

    if CACHE.exists():
        shutil.rmtree(CACHE)
    CACHE.mkdir(parents=True)
    if executed_notebooks_ready():
        bookexec.fill(CACHE, EXECUTED, skip={f"{Path(p).name}.ipynb" for p in RUNNER_CHECKED})
    return CACHE


def build(out: Path, instructor: bool = False) -> subprocess.CompletedProcess:
    """Build the book into ``out`` with the README's command (smoke profile, sample data, warnings as errors)."""
    env = dict(os.environ, COURSE_PROFILE="smoke", COURSE_DATA="sample", COURSE_EXECUTION_CACHE=str(CACHE))
    env.pop("MPLBACKEND", None)  # the kernels must use the inline backend, or the book would have no figures
    env.pop("COURSE_EDITION", None)
    if TOC != ROOT / "_toc.yml":
        env["COURSE_BOOK_TOC"] = str(TOC)
    command = ["bash", str(ROOT / "tools" / "book.sh"), "--out", str(out)] + (
        ["--instructor"] if instructor else []
    )
    shutil.rmtree(
        out, ignore_errors=True
    )  # a fresh build: Sphinx would not even read pages unchanged since the last
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=1500)


@pytest.fixture(scope="module")
def student_build():
    """Build the student edition once for this module; returns the result and the HTML folder."""
    execution_cache()
    return build(BUILD), BUILD / "_build" / "html"


@pytest.fixture(scope="module")
def instructor_build(student_build):
    """Build the instructor edition from the student build's executed notebooks (nothing runs twice)."""
    res = build(INSTRUCTOR_BUILD, instructor=True)
    return res, INSTRUCTOR_BUILD / "_build" / "html"


def built(build_fixture) -> Path:
    """The HTML folder of a build, failing with the build's log when it did not succeed."""
    res, html = build_fixture
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return html


# --- the builds ----------------------------------------------------------------------------------------------


def solution_classes(html: Path) -> list[list[str]]:
    """The CSS classes of every solution block on the pages of the table of contents."""
    found = []
    for page in PAGES:
        text = (html / f"{page}.html").read_text()
        found += [cls.split() for cls in re.findall(r'<div class="([^"]*\bsolution\b[^"]*)"', text)]
    return found


@pytest.mark.slow
@pytest.mark.timeout(1600)
def test_book_builds_with_warnings_as_errors(student_build):
    html = built(student_build)
    log = student_build[0].stdout
    if executed_notebooks_ready():  # the README's command found every other chapter nbval ran in its cache
        assert len(executions(log)) == len(RUNNER_CHECKED)
    assert (html / "book" / "intro.html").is_file()
    classes = solution_classes(html)
    assert classes and all("dropdown" in c for c in classes), "student edition: every solution is a dropdown"


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNER_CHECKED)
def test_the_books_runner_ran_the_widget_chapters_without_a_stall(student_build, page):
    # a stall lets the cell pass once its time limit has run out, so the chapter's time would hold the whole limit
    built(student_build)
    match = re.search(
        rf"{re.escape(page)}\.ipynb: Executed notebook in ([0-9.]+) seconds", student_build[0].stdout
    )
    assert match, f"the build did not execute {page} itself"
    assert float(match[1]) < budget("smoke").cell_timeout_s, (
        f"{page} took the whole cell limit: the runner stalled"
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_instructor_edition_shows_solutions(instructor_build):
    html = built(instructor_build)
    classes = solution_classes(html)
    assert classes and not any("dropdown" in c for c in classes), "instructor edition: no solution is collapsed"
    assert "(instructor edition)" in (html / "book" / "intro.html").read_text()
    res, _ = instructor_build
    assert not executions(res.stdout), "the instructor build reuses the student build's executed notebooks"


# --- checks in the browser (each returns a list of problems) -------------------------------------------------


def expected_colab_url(page: str) -> str:
    """The Colab launch link Jupyter Book emits for a notebook page, from _config.yml's repository."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    owner_repo = repo["url"].removeprefix("https://github.com/").strip("/")
    book_path = repo.get("path_to_book", "").strip("/")
    path = f"{book_path}/{page}" if book_path else page
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    return f"{colab}/github/{owner_repo}/blob/{repo.get('branch', 'main')}/{path}.ipynb"


def http_status(url: str) -> int:
    """The HTTP status of a GET request."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def js(driver, script: str):
    """Run a script in the page and return its value."""
    return driver.execute_script(script)


def page_problems(driver, base_url: str, page: str, solutions_shown: bool = False) -> list[str]:
    """Everything wrong with one page of the book: loading, title, alt text, error outputs, Colab link, exercises."""
    url = f"{base_url}/{page}.html"
    status = http_status(url)
    if status != 200:
        return [f"{page}: HTTP {status}"]
    driver.get(url)
    problems = []
    heading = js(driver, "const h = document.querySelector('main h1'); return h ? h.innerText : '';")
    heading = heading.replace("#", "").strip()
    if not heading or "404" in driver.title or not driver.title.startswith(heading):
        problems.append(f"{page}: title {driver.title!r} does not start with the page heading {heading!r}")
    for src in js(
        driver,
        "return [...document.querySelectorAll('main img')]"
        ".filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src);",
    ):
        problems.append(f"{page}: image without alt text: {src}")
    if js(
        driver, f"return document.querySelectorAll('{ERROR_OUTPUTS}').length;"
    ) or "Traceback (most recent call last)" in js(driver, "return document.body.innerText;"):
        problems.append(f"{page}: shows an error output or a traceback")
    if page in NOTEBOOK_PAGES:
        problems += notebook_page_problems(driver, page, solutions_shown)
    return problems


def code_width_problems(driver, page: str) -> list[str]:
    """Code blocks wider than their box at 1280 px (the reader would have to scroll sideways)."""
    wide = js(
        driver,
        f"return [...document.querySelectorAll('{CODE_BLOCKS}')]"
        ".filter(p => !p.closest('.cell_output') && p.offsetParent !== null)"
        ".filter(p => p.scrollWidth > p.clientWidth + 1)"
        ".map(p => p.innerText.split('\\n').reduce((a, b) => a.length >= b.length ? a : b));",
    )
    return [f"{page}: code block scrolls sideways at 1280 px: {line.strip()[:60]!r}…" for line in wide]


def output_problems(driver, page: str) -> list[str]:
    """Framework warnings and the builder's absolute paths in a chapter's outputs (or anywhere on its page)."""
    outputs = js(driver, "return [...document.querySelectorAll('main .cell_output')].map(o => o.textContent);")
    problems = [
        f"{page}: framework warning in an output: {m.group(0)!r}"
        for text in outputs
        for m in [FRAMEWORK_NOISE.search(text)]
        if m
    ]
    text = js(driver, "return document.querySelector('main').textContent;")
    problems += [f"{page}: shows the builder's path {path!r}" for path in builder_paths() if path in text]
    problems += [f"{page}: an output shows a temporary path" for out in outputs if temporary_folder() in out]
    return problems


def notebook_page_problems(driver, page: str, solutions_shown: bool) -> list[str]:
    """A chapter's Colab link to its own notebook, its exercises with solutions collapsed (or shown), code that
    fits the page, and outputs without framework warnings or the builder's paths."""
    problems = code_width_problems(driver, page) + output_problems(driver, page)
    links = js(
        driver,
        "return [...document.querySelectorAll('a')].map(a => a.href)"
        ".filter(h => h.includes('colab.research.google.com'));",
    )
    if expected_colab_url(page) not in links:
        problems.append(f"{page}: no Colab link to {expected_colab_url(page)} (found {links})")
    if not js(driver, "return document.querySelectorAll('main .exercise').length;"):
        problems.append(f"{page}: no exercise block")
    shown = js(
        driver,
        "return [...document.querySelectorAll('main .solution')].map(s => {"
        "  const body = s.querySelector(':scope > :not(.admonition-title)');"
        "  return !!body && getComputedStyle(body).visibility !== 'hidden' && body.offsetHeight > 0;"
        "});",
    )
    if not shown:
        problems.append(f"{page}: no solution block")
    elif any(s != solutions_shown for s in shown):
        problems.append(f"{page}: solutions should be {'shown' if solutions_shown else 'collapsed'}: {shown}")
    return problems + glued_number_problems(driver, page)


#: A number a chapter's Markdown quotes from its run (myst-nb renders each as a ``span.pasted-text``).
GLUED_NUMBER = re.compile(r"\{glue:text\}`")


def glued_numbers(page: str) -> int:
    """How many numbers the chapter's Markdown quotes with ``{glue:text}`` (tests/test_notebooks.py checks that
    every chapter from 05 on quotes some)."""
    cells = json.loads((ROOT / f"{page}.ipynb").read_text())["cells"]
    return sum(len(GLUED_NUMBER.findall("".join(c["source"]))) for c in cells if c["cell_type"] == "markdown")


def glued_number_problems(driver, page: str) -> list[str]:
    """The numbers the prose quotes are on the page, none of them empty: a chapter's readings show their numbers."""
    shown = js(
        driver, "return [...document.querySelectorAll('main .pasted-text')].map(s => s.textContent.trim());"
    )
    problems = []
    if len(shown) < glued_numbers(page):
        problems.append(f"{page}: the prose shows {len(shown)} of its {glued_numbers(page)} glued numbers")
    problems += [f"{page}: a glued number is empty" for text in shown if not text]
    return problems


def search_problems(driver, base_url: str, word: str, page: str) -> list[str]:
    """The search page, run in the browser, lists ``page`` among the results for ``word``."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/search.html?q={word}")
    finished = "const h = document.querySelector('#search-results h2'); return h?.innerText === 'Search Results';"
    try:
        WebDriverWait(driver, 20).until(lambda d: js(d, finished))
    except TimeoutException:
        return [f"search for {word!r} did not finish"]
    hrefs = js(driver, "return [...document.querySelectorAll('#search-results li a')].map(a => a.href);")
    if not any(f"/{page}.html" in href for href in hrefs):
        return [f"search for {word!r} does not list {page}"]
    return []


def navigation_problems(driver, base_url: str, pages: list[str]) -> list[str]:
    """The left navigation of the first page links every other page of the table of contents."""
    driver.get(f"{base_url}/{pages[0]}.html")
    links = js(
        driver, "return [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.href.split('#')[0]);"
    )
    return [f"navigation does not list {page}" for page in pages[1:] if f"{base_url}/{page}.html" not in links]


#: Chapters whose pages the reading checks photograph at 1280 and 390 px (when in the table of contents).
SCREENSHOT_PAGES = ("book/05_original_cnn", "book/10_evaluating_honestly", "book/12_looking_inside")


def site_problems(
    driver, base_url: str, html: Path, solutions_shown: bool = False, pages: list[str] = PAGES
) -> list[str]:
    """Every check on each of ``pages`` (by default every page of the table of contents; book_reading's checks
    too), the phone menu and the desktop sidebar of the first chapter, plus navigation and search."""
    problems = []
    for page in pages:
        problems += page_problems(driver, base_url, page, solutions_shown)
        problems += book_reading.reading_problems(driver, base_url, html, page, page in NOTEBOOK_PAGES)
    for page in NOTEBOOK_PAGES[:1]:
        problems += book_reading.phone_navigation_problems(driver, base_url, page)
        problems += book_reading.desktop_sidebar_problems(driver, base_url, page)
    book_reading.viewport(driver, book_reading.DESKTOP)
    problems += navigation_problems(driver, base_url, PAGES)
    if NOTEBOOK_PAGES:
        word = max(re.findall(r"[A-Za-z]+", chapter_title(NOTEBOOK_PAGES[0])), key=len)
        problems += search_problems(driver, base_url, word, NOTEBOOK_PAGES[0])
    return problems


def chapter_title(page: str) -> str:
    """The ``# Title`` of a chapter notebook."""
    import json

    cells = json.loads((ROOT / f"{page}.ipynb").read_text())["cells"]
    return "".join(cells[0]["source"]).splitlines()[0].lstrip("# ")


# --- browser fixtures ----------------------------------------------------------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """No request log in the test output."""


@contextlib.contextmanager
def serve(html: Path):
    """Serve a folder over http on 127.0.0.1 (a random free port) in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver():
    """Headless Chromium with bounded page-load and script timeouts."""
    if not (CHROMEDRIVER and Path(CHROMIUM).exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are required in CI (tools/setup.sh installs them)")
        pytest.skip("chromium/chromedriver not installed: run tools/setup.sh as root")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        browser = book_reading.open_browser(CHROMIUM, CHROMEDRIVER, profile)
        try:
            yield browser
        finally:
            browser.quit()


# --- browser tests -------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_every_page_works_in_a_browser(student_build, driver):
    """Each page loads with its title, alt text on every image, no error output; chapters link to Colab and have
    exercises with collapsed solutions; the navigation lists every page; search finds a chapter."""
    html = built(student_build)
    with serve(html) as base_url:
        assert site_problems(driver, base_url, html) == []
        ARTIFACTS.mkdir(exist_ok=True)
        for page in PAGES[:1] + NOTEBOOK_PAGES[:1]:
            driver.get(f"{base_url}/{page}.html")
            driver.save_screenshot(str(ARTIFACTS / f"{Path(page).name}.png"))
        for page in [p for p in SCREENSHOT_PAGES if p in PAGES]:
            for size, mobile in ((book_reading.DESKTOP, False), (book_reading.PHONE, True)):
                book_reading.viewport(driver, size, mobile)
                driver.get(f"{base_url}/{page}.html")
                driver.save_screenshot(str(ARTIFACTS / f"{Path(page).name}-{size[0]}px.png"))
        book_reading.viewport(driver, book_reading.DESKTOP)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_instructor_edition_shows_solutions_in_a_browser(instructor_build, driver):
    with serve(built(instructor_build)) as base_url:
        problems = [
            p for page in NOTEBOOK_PAGES for p in page_problems(driver, base_url, page, solutions_shown=True)
        ]
        assert problems == []
        if NOTEBOOK_PAGES:
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / f"{Path(NOTEBOOK_PAGES[0]).name}-instructor.png"))


def unreadable_outputs(page_html: str) -> str:
    """Outputs and figures the reading checks must notice: a table wider than the column, 40 lines left open, a
    plain too-few-images warning and a checker's verdict, two notices (one empty), a figure shown at 40 px, a
    picture that records no font, and faint text."""
    figure = re.search(r'<img alt="[^"]*" src="(\.\./_images/[^"]+\.png)"', page_html)[1]
    lines = "\n".join(f"line {i}" for i in range(40))
    notice = '<div class="admonition warning"><p class="admonition-title">Too few images</p>{}</div>'
    return (
        '<div class="cell_output docutils container"><div class="output text_html" style="overflow-x:auto">'
        f'<table><tr><td style="white-space:nowrap">{"wide " * 80}</td></tr></table></div></div>'
        '<div class="cell_output docutils container"><div class="output stream highlight-myst-ansi">'
        f"<pre>{lines}</pre></div></div>"
        '<div class="cell_output docutils container"><div class="output stream highlight-myst-ansi">'
        "<pre>WARNING (too few images): 2 of the 7 classes have fewer than 5 images\n"
        "✗ `x`: Define a variable named `x` first.</pre></div></div>"
        + notice.format("<ul><li>Calm 2</li></ul>")
        + notice.format("<p>nothing listed</p>")
        + f'<div class="cell_output docutils container"><img alt="a tiny figure" src="{figure}" style="width:40px">'
        '<img alt="a logo" src="../_static/images/logo_colab.png"></div>'
        '<p style="color:#d8d8d8;background:#ffffff">faint text</p>'
    )


def break_site(html: Path, chapter: str, last_page: str) -> None:
    """Damage a copy of the site in the ways the checks must notice."""
    page = html / f"{chapter}.html"
    text = page.read_text()
    broken_output = (
        '<div class="cell_output docutils container"><div class="output traceback highlight-ipythontb">'
        "<pre>Traceback (most recent call last):\nValueError: boom</pre></div></div>"
    )
    noisy_output = (
        '<div class="cell_output docutils container"><div class="output stream highlight-myst-ansi">'
        f"<pre>WARNING:tensorflow:5 out of the last 5 calls triggered tf.function retracing\n"
        f"saved in {ROOT / '_build'}\nfailures in {tempfile.gettempdir()}/demo-x1/failures.csv</pre></div></div>"
    )
    wide_code = (
        '<div class="cell_input docutils container"><div class="highlight-ipython3 notranslate">'
        f'<div class="highlight"><pre>x = {"1 + " * 60}1</pre></div></div></div>'
    )
    text = text.replace(
        '<article class="bd-article">',
        f'<article class="bd-article"><img src="../_static/broken.png">{broken_output}{noisy_output}{wide_code}',
        1,
    )
    text = text.replace(
        '<article class="bd-article">', f'<article class="bd-article">{unreadable_outputs(text)}', 1
    )
    text = re.sub(r'<script src="[^"]*(?:viewer\.min|sidebar-toggles)\.js[^"]*"></script>', "", text)
    text = re.sub(r"(<h1>|<title>)\d+\. ", r"\1", text)
    text = re.sub(r"Exercise \d+\.1\b", "Exercise 30", text)
    text = text.replace(expected_colab_url(chapter), expected_colab_url("book/elsewhere"))
    text = text.replace('class="solution dropdown admonition"', 'class="solution admonition"')
    page.write_text(text)
    quoting = next(p for p in NOTEBOOK_PAGES if glued_numbers(p))
    (html / f"{quoting}.html").write_text(
        (html / f"{quoting}.html").read_text().replace('<span class="pasted-text">', "<span>", 1)
    )
    first = html / f"{PAGES[0]}.html"
    head, nav = first.read_text().split('class="bd-links bd-docs-nav"', 1)
    link = os.path.relpath(page, first.parent)
    first.write_text(
        head + 'class="bd-links bd-docs-nav"' + nav.replace(f'href="{link}"', 'href="elsewhere.html"', 1)
    )
    (html / f"{last_page}.html").unlink()
    (html / "searchindex.js").write_text(
        'Search.setIndex({"docnames": [], "filenames": [], "terms": {}, '
        '"titles": [], "titleterms": {}, "objects": {}, "objnames": {}, '
        '"objtypes": {}, "envversion": {}, "alltitles": {}, "indexentries": {}})'
    )


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_checks_catch_a_broken_site(student_build, driver, tmp_path):
    """The same checks report a missing page, an image without alt text, a traceback, a wrong Colab link,
    solutions left open, a page missing from the navigation, a search that finds nothing, a code block that
    scrolls sideways, a TensorFlow warning in an output and the builder's absolute path; and what a reader meets:
    an output that scrolls sideways or runs 40 lines open, a plain warning, notices, a checker's verdict, a
    shrunk figure with tiny text or none recorded that does not zoom, a chapter or exercise without its number,
    a dead phone menu and desktop toggle, and an accessibility violation."""
    if not NOTEBOOK_PAGES:
        pytest.skip("no chapter in the table of contents")
    chapter, last = NOTEBOOK_PAGES[0], PAGES[-1]
    quoting = next(p for p in NOTEBOOK_PAGES if glued_numbers(p))
    html = tmp_path / "html"
    shutil.copytree(built(student_build), html)
    break_site(html, chapter, last)
    damaged = [PAGES[0], chapter, quoting, last]  # the other pages pass in the test above
    with serve(html) as base_url:
        problems = "\n".join(site_problems(driver, base_url, html, pages=damaged))
    for expected in (
        f"{quoting}: the prose shows {glued_numbers(quoting) - 1} of its {glued_numbers(quoting)} glued numbers",
        f"{last}: HTTP 404",
        f"{chapter}: image without alt text",
        f"{chapter}: shows an error output",
        f"{chapter}: no Colab link to {expected_colab_url(chapter)}",
        f"{chapter}: solutions should be collapsed",
        f"navigation does not list {chapter}",
        f"{chapter}: code block scrolls sideways",
        f"{chapter}: framework warning in an output",
        f"{chapter}: an output shows a temporary path",
        f"{chapter}: shows the builder's path {ROOT.as_posix()!r}",
        "search for ",
        f"{chapter}: an output scrolls sideways at 1280 px",
        f"{chapter}: an output of 40 lines is shown open",
        f"{chapter}: 1 output(s) print 'WARNING (too few images)' as plain text",
        "too-few-images notices (one per chapter)",
        f"{chapter}: a too-few-images notice lists nothing",
        f"{chapter}: a checker's verdict is printed: '✗ `x`",
        "is shrunk",
        "shows text at",
        "does not record its font sizes",
        f"{chapter}: a shrunk figure does not zoom on a click",
        f"{chapter}: heading",
        f"{chapter}: title",
        "is titled 'Exercise 30",
        f"{chapter}: at 390 px the menu button does not open the navigation",
        f"{chapter}: at 390 px 'On this page' does not open the outline",
        f"{chapter}: at 1280 px ☰ does not collapse the sidebar",
        f"{chapter}: accessibility (serious) color-contrast",
    ):
        assert expected in problems, f"not reported: {expected!r}\nreported:\n{problems}"
