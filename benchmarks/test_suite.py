"""Wall time of the test suite (``bash tools/test.sh``, or any command given after ``--``), as a markdown table.

    .venv/bin/python benchmarks/test_suite.py                      the whole suite, as CI runs it
    .venv/bin/python benchmarks/test_suite.py -- .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_labels.py

The command's own output goes to the terminal; the table follows, with pytest's summary line when there is one.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import time

import common  # noqa: F401  (puts src/ on the path)
from common import ROOT, load, markdown

SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed|errors?|skipped|deselected)\b.* in [\d.]+s\b.*?)\s*=*$")


def run(command: list[str]) -> tuple[float, int, str, float]:
    """Run the command in the repository; its wall seconds, exit code, pytest summary and CPU seconds of children."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    summary = ""
    for line in proc.stdout:
        sys.stdout.write(line)
        match = SUMMARY.search(line.strip())
        if match:
            summary = match.group(1)
    code = proc.wait()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, code, summary, cpu


def main(argv: list[str] | None = None) -> int:
    """Time the command and print the table; exits with the command's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="*", help="the command to time (after --); default: bash tools/test.sh")
    args = parser.parse_args(argv)
    command = args.command or ["bash", "tools/test.sh"]
    start_load = load()
    seconds, code, summary, cpu = run(command)
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M')}; load average at start {start_load}, at the end {load()}.\n"
    )
    print(
        markdown(
            [
                {
                    "command": f"`{shlex.join(command)}`",
                    "wall time": f"{seconds / 60:.1f} min ({seconds:.0f} s)",
                    "CPU time of all processes": f"{cpu / 60:.1f} min",
                    "exit code": code,
                    "pytest summary": summary or "(none)",
                }
            ]
        )
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
