"""The README's book command from a fresh clone on a machine kept busy by another process.

    .venv/bin/python benchmarks/loaded_build.py                 # clone HEAD, keep every core busy, build
    .venv/bin/python benchmarks/loaded_build.py --busy 0        # the same build on an otherwise idle machine

Clones the repository (its committed HEAD) into a fresh folder, starts ``--busy`` competing processes that each
keep one core busy for the whole build (plain Python loops at normal priority, like a laptop doing something
else), and runs ``bash tools/book.sh`` there exactly as README.md shows it, with an empty data folder. Prints
whether it finished, its exit code and wall time (setup included), the CPU time the build got, the load
average, and each chapter's execution time as the build logged it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, markdown

#: What a competing process runs: one core kept busy until it is stopped.
BURNER = "while True:\n    pass\n"


def burners(count: int) -> list[subprocess.Popen]:
    """Start ``count`` processes that each keep one core busy."""
    return [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(count)]


def chapter_times(log: str) -> dict[str, float]:
    """Seconds each chapter took to execute, from myst-nb's log lines."""
    found = re.findall(r"(book/[\w.-]+)\.ipynb: Executed notebook in ([0-9.]+) seconds", log)
    return {name: float(seconds) for name, seconds in found}


def build(clone: Path, data_dir: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """The README's command in ``clone``: its result, wall seconds and the CPU seconds of its processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "PYTHONPATH", "VIRTUAL_ENV"))}
    env["COURSE_DATA_DIR"] = str(data_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(["bash", "tools/book.sh"], cwd=clone, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Clone, load the machine, build, and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=os.cpu_count(), help="competing processes (default: cores)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to clone (default: a new temp folder)")
    parser.add_argument("--log", type=Path, default=None, help="also write the build's output here")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="loaded-build-"))
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True)
    load_before = os.getloadavg()[0]
    competing = burners(args.busy)
    try:
        result, wall, cpu = build(clone, workdir / "data")
        load_after = os.getloadavg()[0]
    finally:
        for process in competing:
            process.kill()
            process.wait()
    log = result.stdout + result.stderr
    if args.log:
        args.log.write_text(log)
    last = (result.stdout.strip().splitlines() or [""])[-1]
    print(f"Commit {commit.stdout.strip()}, {os.cpu_count()} cores, {args.busy} competing busy process(es)")
    print()
    print(
        markdown(
            [
                {
                    "exit": result.returncode,
                    "wall time with setup (s)": round(wall),
                    "CPU time of the build (s)": round(cpu),
                    "share of one core the build got": f"{cpu / wall:.2f}",
                    "load average before / after": f"{load_before:.1f} / {load_after:.1f}",
                    "chapters executed": len(chapter_times(log)),
                    "last line": last,
                }
            ]
        )
    )
    print()
    times = chapter_times(log)
    print(markdown([{"chapter": name, "seconds": round(s)} for name, s in times.items()]))
    if result.returncode != 0:
        print("\nThe build failed; its last lines:\n" + "\n".join(log.splitlines()[-40:]))
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
