"""Throughput of the image downloader at 1, 4, 8 and 16 workers against a slow local server, as a markdown table.

    .venv/bin/python benchmarks/download.py                      240 images, 50 ms latency per request
    .venv/bin/python benchmarks/download.py --n 400 --latency 0.1 --workers 1 8 32

The server is course_utils.datasets.localserver (the one the tests and chapter 02 use) over a generated sample; each answer
waits ``--latency`` seconds, like a remote host. Every worker count downloads all images into a fresh folder whose
archive is fetched beforehand, so only the image phase (fetch, validate, resize, write) is timed. Speed-ups are
ratios to 1 worker measured in the same run, so they compare like with like on whatever machine runs this.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from course_utils.data.download import download_all
from course_utils.datasets.localserver import serve_sample


def measure(server, folder: Path, workers: int) -> tuple[float, int, int]:
    """Seconds for the image phase, images fetched, and the most requests the server saw at once."""
    download_all(folder, archive_url=server.archive_url, images=False, progress=False)
    server.reset()
    start = time.perf_counter()
    report = download_all(folder, archive_url=server.archive_url, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"{report.failed} images failed at {workers} workers: {report.failures[0].reason}")
    return seconds, report.fetched, server.max_in_flight


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=240, help="images (default 240)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer (default 0.05)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8, 16])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        server = serve_sample(Path(tmp) / "site", n=args.n, seed=123, latency=args.latency)
        try:
            rows = {w: measure(server, Path(tmp) / f"w{w}", w) for w in args.workers}
        finally:
            server.stop()
    base = rows[min(rows)]
    base_rate = base[1] / base[0]
    print(
        f"Downloader throughput: {args.n} images, {args.latency * 1000:.0f} ms latency per request, "
        f"{os.cpu_count()} CPU cores, Python {platform.python_version()} ({sys.platform})\n"
    )
    print("| workers | seconds | images/s | speed-up vs 1 worker | most requests in flight |")
    print("|---:|---:|---:|---:|---:|")
    for workers, (seconds, fetched, in_flight) in rows.items():
        rate = fetched / seconds
        print(f"| {workers} | {seconds:.2f} | {rate:.1f} | {rate / base_rate:.2f}× | {in_flight} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
