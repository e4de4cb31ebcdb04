"""What a reader meets on the rendered book, checked in a real browser (tests/test_book.py runs these checks).

Each check is a function of (driver, …) that returns a list of problems, each naming its page, so the negative test
can run it on a deliberately broken copy of the site and ``benchmarks/book_reading.py`` can count them:

- outputs that scroll sideways at 1280 px, output listings over :data:`LONG_OUTPUT_LINES` lines left open;
- figures shrunk more than :data:`MAX_SHRINK` times, or whose smallest font (recorded in the PNG by
  ``course_utils.plots.style``) is read at under :data:`MIN_FONT_PX` pixels; a shrunk figure that does not zoom;
- more than one too-few-images notice on a page, or one printed as a plain warning; checker verdicts printed
  under unanswered exercises;
- the phone menu and outline (390 px) and the desktop sidebar toggle (1280 px);
- chapter numbers in the heading, the title and the sidebar; exercises numbered as their labels;
- axe-core's serious and critical accessibility violations.
"""

from __future__ import annotations

import io
import re
import urllib.parse
from pathlib import Path

from PIL import Image

from course_utils.datasets.coverage import NOTICE_TITLE, WARNING
from course_utils.plots.style import FONT_KEY
from course_utils.show import FOLD_LINES

#: A figure may be shown at half its drawn width, no smaller (its text would be a blur).
MAX_SHRINK = 2.0
#: The smallest text a figure may show, in CSS pixels at the size the page displays it ("about 9 px").
MIN_FONT_PX = 9.0
#: An output with more lines than this is folded (a dropdown, or ``hide-output``) or it buries the page.
LONG_OUTPUT_LINES = FOLD_LINES
#: What a checker prints for an exercise: ``✓ `name`: …`` or ``✗ `name`: …``.
VERDICT = re.compile(r"^[✓✗] `", re.MULTILINE)
#: The viewports: a desktop, and a phone the size of an iPhone 12–15.
DESKTOP, PHONE = (1280, 1400), (390, 844)
#: axe-core impacts that fail the test.
BLOCKING_IMPACTS = ("serious", "critical")
CHAPTER = re.compile(r"book/(\d{2})_")
#: Headless Chromium as the browser tests run it (a window as wide as a desktop's).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
)


def open_browser(chromium: str, chromedriver: str, profile: str):
    """Headless Chromium with bounded page-load and script timeouts, its profile in the folder ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.set_page_load_timeout(30)
    browser.set_script_timeout(30)
    return browser


def js(driver, script: str, *args):
    """Run a script in the page and return its value."""
    return driver.execute_script(script, *args)


def viewport(driver, size: tuple[int, int], mobile: bool = False) -> None:
    """Give the page a viewport of ``size`` CSS pixels (a phone's when ``mobile``); reload to lay it out anew."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def chapter_number(page: str) -> int | None:
    """A chapter's number from its file name (``book/05_original_cnn`` → 5); None for other pages."""
    match = CHAPTER.match(page)
    return int(match[1]) if match else None


# --- outputs -------------------------------------------------------------------------------------------------


def output_width_problems(driver, page: str) -> list[str]:
    """Output blocks with something that scrolls sideways at 1280 px (text, a table), with its longest line."""
    wide = js(
        driver,
        """
        const scrolls = (el) => el.scrollWidth > el.clientWidth + 1
          && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
        return [...document.querySelectorAll('main .cell_output')]
          .filter(o => o.offsetParent !== null && !o.closest('details:not([open])'))
          .map(o => [o, ...o.querySelectorAll('*')].find(e => e.offsetParent !== null && scrolls(e)))
          .filter(e => e)
          .map(e => e.innerText.split('\\n').reduce((a, b) => a.length >= b.length ? a : b));
        """,
    )
    return [f"{page}: an output scrolls sideways at 1280 px: {line.strip()[:60]!r}…" for line in wide]


def long_output_problems(driver, page: str) -> list[str]:
    """Output listings of more than :data:`LONG_OUTPUT_LINES` lines shown open (not folded)."""
    open_lines = js(
        driver,
        """
        return [...document.querySelectorAll('main .cell_output pre')]
          .filter(p => !p.closest('details:not([open])') && p.offsetParent !== null)
          .map(p => p.textContent.replace(/\\n$/, '').split('\\n'))
          .filter(lines => lines.length > arguments[0])
          .map(lines => [lines.length, lines[0]]);
        """,
        LONG_OUTPUT_LINES,
    )
    return [f"{page}: an output of {n} lines is shown open: {first.strip()[:50]!r}…" for n, first in open_lines]


def notice_problems(driver, page: str) -> list[str]:
    """The too-few-images notice: at most one per page, as an admonition listing what it is about; never a
    plain printed warning."""
    plain = js(
        driver,
        "return [...document.querySelectorAll('main .cell_output')]"
        ".filter(o => o.textContent.includes(arguments[0])).length;",
        WARNING,
    )
    notices = js(
        driver,
        "return [...document.querySelectorAll('main .admonition')]"
        ".filter(a => (a.querySelector('.admonition-title')?.textContent || '').includes(arguments[0]))"
        ".map(a => a.querySelectorAll('li').length);",
        NOTICE_TITLE,
    )
    problems = [f"{page}: {plain} output(s) print {WARNING!r} as plain text"] if plain else []
    if len(notices) > 1:
        problems.append(f"{page}: {len(notices)} too-few-images notices (one per chapter)")
    problems += [f"{page}: a too-few-images notice lists nothing" for items in notices if not items]
    return problems


def checker_output_problems(driver, page: str) -> list[str]:
    """Checker verdicts (``✗ `conv2_params`: Define a variable …``) printed under exercises in the book."""
    verdicts = js(
        driver,
        "const verdict = new RegExp(arguments[0], 'm');"
        "return [...document.querySelectorAll('main .cell_output')].map(o => o.textContent)"
        ".filter(t => verdict.test(t))"
        ".map(t => t.split('\\n').find(line => verdict.test(line)).trim());",
        VERDICT.pattern,
    )
    return [f"{page}: a checker's verdict is printed: {line[:60]!r}" for line in verdicts]


# --- figures -------------------------------------------------------------------------------------------------


def recorded_font_pt(html: Path, base_url: str, src: str) -> float | None:
    """The smallest font a figure's PNG records (course_utils.plots.style.FONT_KEY), None when it records none."""
    path = urllib.parse.urlparse(src).path.removeprefix(urllib.parse.urlparse(base_url).path)
    file = html / urllib.parse.unquote(path).lstrip("/")
    if file.suffix.lower() != ".png" or not file.is_file():
        return None
    with Image.open(io.BytesIO(file.read_bytes())) as image:
        image.load()  # text chunks after the image data are read only now
        value = image.info.get(FONT_KEY)
        dpi = image.info.get("dpi", (72.0, 72.0))[0]
    return None if value is None else float(value) * dpi / 72.0


def figure_problems(driver, base_url: str, html: Path, page: str) -> list[str]:
    """Output figures at 1280 px: shrunk at most :data:`MAX_SHRINK` times, text read at :data:`MIN_FONT_PX` or
    more, every figure saying its font sizes, and a shrunk figure zooming on a click."""
    images = js(
        driver,
        "return [...document.querySelectorAll('main .cell_output img')]"
        ".filter(i => i.offsetParent !== null && i.complete)"
        ".map(i => [i.src, i.naturalWidth, i.getBoundingClientRect().width]);",
    )
    problems = []
    for src, natural, shown in images:
        name = src.rsplit("/", 1)[-1][:16]
        if not shown:
            continue
        shrink = natural / shown
        if shrink > MAX_SHRINK:
            problems.append(f"{page}: figure {name} is shrunk {shrink:.1f}× ({natural} → {shown:.0f} px)")
        font = recorded_font_pt(html, base_url, src)
        if font is None:
            problems.append(f"{page}: figure {name} does not record its font sizes")
        elif font / max(shrink, 1.0) < MIN_FONT_PX:
            problems.append(
                f"{page}: figure {name} shows text at {font / max(shrink, 1.0):.1f} px (under {MIN_FONT_PX:g})"
            )
    if any(natural > shown + 1 for _, natural, shown in images if shown):
        problems += zoom_problems(driver, page)
    return problems


def zoom_problems(driver, page: str) -> list[str]:
    """A click on the first shrunk figure opens it large (the zoom viewer), and Escape closes it."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    image = js(
        driver,
        "return [...document.querySelectorAll('main .cell_output img')]"
        ".find(i => i.offsetParent !== null && i.naturalWidth > i.getBoundingClientRect().width + 1);",
    )
    js(driver, "arguments[0].scrollIntoView({block: 'center'});", image)
    image.click()
    opened = (  # the viewer is a fixed layer over the page: it has no offsetParent, so its box is measured
        "const v = document.querySelector('.viewer-container.viewer-in');"
        "return !!v && v.getBoundingClientRect().width > 0 && getComputedStyle(v).display !== 'none';"
    )
    try:
        WebDriverWait(driver, 5).until(lambda d: js(d, opened))
    except TimeoutException:
        return [f"{page}: a shrunk figure does not zoom on a click"]
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    return []


# --- navigation ----------------------------------------------------------------------------------------------


def _visible_toggle(driver, which: str):
    """The toggle button (``primary`` or ``secondary``) a reader sees, or None."""
    return js(
        driver,
        f"return [...document.querySelectorAll('.{which}-toggle')]"
        ".find(b => b.offsetParent !== null && b.getBoundingClientRect().width > 0) || null;",
    )


def _dialog_links(driver, dialog: str) -> int:
    """How many links an open dialog shows (0 when it is closed)."""
    return js(
        driver,
        f"const d = document.getElementById('{dialog}');"
        "return d && d.open ? [...d.querySelectorAll('a')].filter(a => a.offsetParent !== null).length : 0;",
    )


def _close_dialogs(driver) -> None:
    js(driver, "document.querySelectorAll('dialog[open]').forEach(d => d.close());")


def phone_navigation_problems(driver, base_url: str, page: str) -> list[str]:
    """At 390 px the menu button opens the navigation, and "On this page" the page's outline."""
    import time

    viewport(driver, PHONE, mobile=True)
    try:
        driver.get(f"{base_url}/{page}.html")
        problems = []
        for which, dialog, what in (
            ("primary", "pst-primary-sidebar-modal", "the menu button does not open the navigation"),
            ("secondary", "pst-secondary-sidebar-modal", "'On this page' does not open the outline"),
        ):
            button = _visible_toggle(driver, which)
            if button is None:
                problems.append(f"{page}: at 390 px there is no {which} toggle to tap")
                continue
            button.click()
            time.sleep(0.3)
            if not _dialog_links(driver, dialog):
                problems.append(f"{page}: at 390 px {what}")
            _close_dialogs(driver)
        return problems
    finally:
        viewport(driver, DESKTOP)


def desktop_sidebar_problems(driver, base_url: str, page: str) -> list[str]:
    """At 1280 px ☰ collapses the navigation sidebar and a second click brings it back."""
    import time

    viewport(driver, DESKTOP)
    driver.get(f"{base_url}/{page}.html")
    shown = (  # the theme hides a collapsed sidebar (visibility, opacity, a negative margin): is it on screen?
        "const s = document.getElementById('pst-primary-sidebar'); const r = s.getBoundingClientRect();"
        "const c = getComputedStyle(s);"
        "return c.visibility !== 'hidden' && Number(c.opacity) > 0.1 && r.width > 100 && r.right > 100;"
    )
    button = _visible_toggle(driver, "primary")
    if button is None:
        return [f"{page}: at 1280 px there is no ☰ button"]
    before = js(driver, shown)
    button.click()
    time.sleep(0.6)
    collapsed = js(driver, shown)
    opened = js(driver, "return !!document.querySelector('dialog[open]');")
    _close_dialogs(driver)
    button.click()
    time.sleep(0.6)
    after = js(driver, shown)
    if not (before and not collapsed and not opened and after):
        states = " → ".join("shown" if s else "hidden" for s in (before, collapsed, after))
        return [
            f"{page}: at 1280 px ☰ does not collapse the sidebar ({states}"
            f"{', a dialog opened' if opened else ''})"
        ]
    return []


# --- numbers -------------------------------------------------------------------------------------------------


def chapter_number_problems(driver, page: str) -> list[str]:
    """A chapter's heading, title and sidebar entry start with its number; its exercises are numbered as their
    labels (``ex-10-2`` → Exercise 10.2), their solutions too."""
    number = chapter_number(page)
    if number is None:
        return []
    prefix = f"{number}. "
    problems = []
    heading = js(driver, "const h = document.querySelector('main h1'); return h ? h.textContent : '';").strip()
    if not heading.startswith(prefix):
        problems.append(f"{page}: heading {heading[:40]!r} does not start with {prefix!r}")
    if not driver.title.startswith(prefix):
        problems.append(f"{page}: title {driver.title[:40]!r} does not start with {prefix!r}")
    entry = js(
        driver,
        "const a = document.querySelector('nav.bd-docs-nav a.current, nav.bd-docs-nav li.current > a');"
        "return a ? a.textContent.trim() : '';",
    )
    if not entry.startswith(prefix):
        problems.append(f"{page}: sidebar entry {entry[:40]!r} does not start with {prefix!r}")
    for label, title in js(
        driver,
        "return [...document.querySelectorAll('main .exercise')].map(e => [e.id,"
        " (e.querySelector('.admonition-title')?.textContent || '').trim()]);",
    ):
        match = re.fullmatch(r"ex-(\d+)-(\d+)", label)
        want = f"Exercise {int(match[1])}.{int(match[2])}" if match else "Exercise"
        if not match or not re.match(rf"{re.escape(want)}\b(?!\.)", title):
            problems.append(f"{page}: exercise {label!r} is titled {title[:40]!r}, not {want!r}")
    return problems


# --- accessibility -------------------------------------------------------------------------------------------


def axe_violations(driver) -> list[dict]:
    """axe-core's violations on the loaded page (axe.min.js shipped with axe-selenium-python)."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    return axe.run(options="{resultTypes: ['violations']}")["violations"]


def accessibility_problems(driver, page: str, impacts=BLOCKING_IMPACTS) -> list[str]:
    """axe-core's violations of the given impacts on the loaded page, with the first element of each."""
    return [
        f"{page}: accessibility ({v['impact']}) {v['id']}: {v['help']} — "
        f"{len(v['nodes'])} element(s), e.g. {v['nodes'][0]['target']}"
        for v in axe_violations(driver)
        if v["impact"] in impacts
    ]


def reading_problems(driver, base_url: str, html: Path, page: str, notebook: bool) -> list[str]:
    """Every reading check of one page at 1280 px (the page is loaded here)."""
    viewport(driver, DESKTOP)
    driver.get(f"{base_url}/{page}.html")
    problems = chapter_number_problems(driver, page) + accessibility_problems(driver, page)
    if notebook:
        driver.get(f"{base_url}/{page}.html")
        problems += (
            output_width_problems(driver, page)
            + long_output_problems(driver, page)
            + notice_problems(driver, page)
            + checker_output_problems(driver, page)
            + figure_problems(driver, base_url, html, page)
        )
    return problems
