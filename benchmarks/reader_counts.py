"""What a reader meets on a built book, counted: the browser test's reading checks (tests/book_reading.py) run on
every page of an HTML folder, their problems counted by kind, and axe-core's violations counted by impact.

    .venv/bin/python benchmarks/reader_counts.py _build/test-book/_build/html
    .venv/bin/python benchmarks/reader_counts.py HTML --toc _toc.yml --screenshots docs/screenshots \\
        --shots book/05_original_cnn book/10_evaluating_honestly book/12_looking_inside

Run it on a build before and after a change to the book's look (tests/test_book.py builds one into
_build/test-book). ``--screenshots`` saves each page in ``--shots`` at 1280 and 390 px.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

#: Each kind of problem, by a phrase its message contains.
KINDS = {
    "output scrolls sideways at 1280 px": "scrolls sideways at 1280",
    "long output shown open": "is shown open",
    "plain too-few-images warning (outputs)": "as plain text",
    "more than one notice on a page": "too-few-images notices",
    "checker verdict printed": "checker's verdict",
    "figure shrunk over 2×": "is shrunk",
    "figure text under 9 px": "shows text at",
    "figure without a font record": "does not record its font",
    "shrunk figure does not zoom": "does not zoom",
    "no number in heading/title/sidebar": "does not start with",
    "exercise not numbered as its label": "is titled",
    "phone menu or outline dead (390 px)": "at 390 px",
    "desktop ☰ does not collapse": "does not collapse",
}


def kind_of(problem: str) -> str:
    """The kind of a problem message (or "other")."""
    return next((kind for kind, phrase in KINDS.items() if phrase in problem), "other")


def count(html: Path, pages: list[str], shots: list[str], screenshots: Path | None) -> dict:
    """Run the checks on every page; returns the problems by kind, axe's violations by impact, and all problems."""
    import book_reading as br
    from test_book import serve

    kinds: collections.Counter = collections.Counter()
    impacts: collections.Counter = collections.Counter()
    glued: dict[str, int] = {}
    problems: list[str] = []
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, serve(html) as base_url:
        driver = br.open_browser(chromium, shutil.which("chromedriver"), profile)
        try:
            for page in pages:
                notebook = br.chapter_number(page) is not None
                found = br.reading_problems(driver, base_url, html, page, notebook)
                found = [p for p in found if "accessibility" not in p]
                br.viewport(driver, br.DESKTOP)  # axe on the page as loaded, as the browser test runs it
                driver.get(f"{base_url}/{page}.html")
                glued[page] = br.js(driver, "return document.querySelectorAll('main .pasted-text').length;")
                for violation in br.axe_violations(driver):
                    impacts[violation["impact"]] += 1
                if notebook:
                    found += br.phone_navigation_problems(driver, base_url, page)
                    found += br.desktop_sidebar_problems(driver, base_url, page)
                problems += found
                kinds.update(kind_of(p) for p in found)
            if screenshots:
                screenshots.mkdir(parents=True, exist_ok=True)
                for page in shots:
                    for size, mobile in ((br.DESKTOP, False), (br.PHONE, True)):
                        br.viewport(driver, size, mobile)
                        driver.get(f"{base_url}/{page}.html")
                        name = f"{Path(page).name}-{size[0]}px.png"
                        driver.save_screenshot(str(screenshots / name))
                        print(f"saved {screenshots / name}")
                br.viewport(driver, br.DESKTOP)
        finally:
            driver.quit()
    return {"kinds": kinds, "impacts": impacts, "glued": glued, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    """Count the reading problems of a built book and print them as tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, help="the built book's HTML folder")
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml", help="the pages to check, in order")
    parser.add_argument("--screenshots", type=Path, help="save screenshots of the --shots pages here")
    parser.add_argument("--shots", nargs="*", default=[], help="pages to photograph (book/05_original_cnn …)")
    parser.add_argument("--list", action="store_true", help="print every problem too")
    args = parser.parse_args(argv)
    import nbtool

    pages = [p for p in nbtool.toc_files(args.toc) if (args.html / f"{p}.html").is_file()]
    result = count(args.html, pages, args.shots, args.screenshots)
    print(f"{len(pages)} pages of {args.html}\n")
    print("| problem | count |\n|---|---:|")
    for kind in [*KINDS, "other"]:
        print(f"| {kind} | {result['kinds'][kind]} |")
    print("\n| axe-core violations (rules × pages) by impact | count |\n|---|---:|")
    for impact in ("critical", "serious", "moderate", "minor"):
        print(f"| {impact} | {result['impacts'][impact]} |")
    glued = result["glued"]
    quoting = sum(1 for n in glued.values() if n)
    print(f"\n| numbers glued into the prose (`{{glue:text}}`) | {sum(glued.values())} on {quoting} pages |")
    if args.list:
        print("\n" + "\n".join(re.sub(r"\s+", " ", p) for p in result["problems"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
