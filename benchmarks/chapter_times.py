"""Wall time of every chapter under one or more profiles, on the offline sample, as a markdown table.

    .venv/bin/python benchmarks/chapter_times.py                       smoke and quick, every chapter in book/
    .venv/bin/python benchmarks/chapter_times.py --profiles full       on a GPU: the study's settings
    .venv/bin/python benchmarks/chapter_times.py --chapters 01 05 --out -

Chapters run in reading order in fresh kernels (COURSE_DATA=sample), through the book build's runner
(tools/bookexec.py), which also reports a chapter whose runner stalled; one fresh data folder per profile, as a
student who runs the course from the start: the first chapter includes generating the sample, later chapters
reuse the runs that earlier ones saved. The table goes to book/_generated/chapter_times.md, which the instructor
guide includes, so rerunning this script is all it takes to refresh the guide.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bookexec  # noqa: E402

from course_utils.config.profiles import budget  # noqa: E402

OUT = ROOT / "book" / "_generated" / "chapter_times.md"


def chapters(wanted: list[str]) -> list[Path]:
    """The chapter notebooks, in reading order, optionally only those whose number is in ``wanted``."""
    found = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if not wanted or p.name[:2] in {w.zfill(2) for w in wanted}]


def chapter_name(path: Path) -> str:
    """How the book names a chapter: its number and the title of its first heading ("5. The original CNN")."""
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"]).splitlines()[0] if cells else path.stem
    return f"{int(path.name[:2])}. {first.lstrip('# ').strip()}"


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernels started inside (they inherit them), then restore them."""
    saved = {k: os.environ.get(k) for k in (*values, "MPLBACKEND", "COURSE_CHECK_FIGURES")}
    os.environ.pop("MPLBACKEND", None)  # the kernels draw with the inline backend, as in the book
    os.environ.pop("COURSE_CHECK_FIGURES", None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_chapter(path: Path, profile: str, data_dir: Path, timeout: int) -> tuple[float, str]:
    """Execute one chapter as the book build does; its wall seconds and "ok", the error's name or a stall."""
    with environment(COURSE_DATA="sample", COURSE_PROFILE=profile, COURSE_DATA_DIR=str(data_dir)):
        result = bookexec.execute(path, timeout=timeout)
    stalled = bookexec.stalls(result.nb)
    status = type(result.err).__name__ if result.err else f"stalled {stalled}" if stalled else "ok"
    return result.time, status


def machine() -> str:
    """The CPU (model and cores) and whether TensorFlow sees a GPU."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        lines = cpuinfo.read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), model)
    from course_utils.config.device import detect_device

    device = detect_device()
    gpu = f"; GPU: {device.name}" if device.kind == "GPU" else ""
    return f"{os.cpu_count()} CPU cores ({model}){gpu}"


def table(rows: dict[str, dict[str, tuple[float, str]]], profiles: list[str]) -> str:
    """The markdown table: one row per chapter, one column per profile (seconds, or the error)."""
    header = ["chapter", *[f"`{p}` (s)" for p in profiles]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, times in rows.items():
        cells = [f"{times[p][0]:.0f}" if times[p][1] == "ok" else f"failed ({times[p][1]})" for p in profiles]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    total = [f"{sum(t[p][0] for t in rows.values()):.0f}" for p in profiles]
    lines.append("| " + " | ".join(["**all chapters**", *total]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Time the chapters and write (or print) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", nargs="+", default=["smoke", "quick"], choices=["smoke", "quick", "full"])
    parser.add_argument("--chapters", nargs="*", default=[], help="chapter numbers (default: all in book/)")
    parser.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds per cell (default: the book build's limit for the profile)",
    )
    parser.add_argument("--out", default=str(OUT), help="markdown file to write, or - for standard output")
    args = parser.parse_args(argv)

    paths = chapters(args.chapters)
    if not paths:
        parser.error(f"no chapter notebooks match {args.chapters} in {ROOT / 'book'}")
    rows: dict[str, dict[str, tuple[float, str]]] = {chapter_name(p): {} for p in paths}
    for profile in args.profiles:
        with tempfile.TemporaryDirectory(prefix=f"chapter-times-{profile}-") as data_dir:
            for path in paths:
                limit = args.timeout or budget(profile).cell_timeout_s
                rows[chapter_name(path)][profile] = run_chapter(path, profile, Path(data_dir), limit)
                seconds, status = rows[chapter_name(path)][profile]
                print(f"{profile:5} {path.stem}: {seconds:.0f} s ({status})", file=sys.stderr)
    about = machine()
    text = (
        f"Measured on {date.today():%Y-%m-%d} with {about}, on the offline sample, by "
        f"`python benchmarks/chapter_times.py --profiles {' '.join(args.profiles)}`.\n\n"
        + table(rows, args.profiles)
        + "\n"
    )
    if args.out == "-":
        print(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0 if all(s == "ok" for t in rows.values() for _, s in t.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
