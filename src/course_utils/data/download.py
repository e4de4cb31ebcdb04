"""The real data: the checked archive, then every artwork's image, resized, fetched in parallel.

Layout of the output folder: ``WikiArt-Emotions.zip``, ``WikiArt-Emotions/`` (extracted), ``images/<ID>.jpg``
(SIZE × SIZE RGB) and ``failures.csv``. Resumable: each image is written whole through a temporary file and a
rename, so an interrupted run loses nothing and a rerun asks only for images it does not have. Artworks whose
images are gone for good (HTTP 404 and other client errors) are remembered in ``failures.csv`` and not asked
for again unless ``retry_failed``; every other failure is tried again on the next run.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from course_utils.config.paths import shown_path
from course_utils.config.study import IMAGE_SIZE
from course_utils.data import schema
from course_utils.data.annotations import load_annotations
from course_utils.data.archive import fetch_archive, sweep_stale
from course_utils.data.fetch import (
    MAX_WORKERS,
    Fetcher,
    FetchError,
    HttpPolicy,
)
from course_utils.data.files import write_atomic
from course_utils.data.images import (
    RESIZE_POLICIES,
    ImageError,
    open_validated,
    resize,
    save_atomic,
)

FAILURES_FILE = "failures.csv"


IMAGES_DIR = "images"


FAILURE_COLUMNS = ("ID", "URL", "reason", "permanent")


@dataclass(frozen=True)
class Failure:
    """An artwork without an image, and why; ``permanent`` ones are not asked for again by default."""

    ident: str
    url: str
    reason: str
    permanent: bool = False
    network: bool = field(
        default=False, compare=False
    )  # the host did not answer properly (not written out)


@dataclass
class DownloadReport:
    """What a download did: images fetched now, already there, and the failures (also in failures.csv)."""

    root: Path
    archive_dir: Path
    images_dir: Path
    total: int = 0  # artworks considered (all, or the first --limit)
    fetched: int = 0
    kept: int = 0
    skipped: int = 0  # known permanent failures not asked for again
    failures: list[Failure] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    stopped: str = ""  # why the run stopped early, if it did

    @property
    def failed(self) -> int:
        """Artworks without an image after this run."""
        return len(self.failures)

    @property
    def failures_csv(self) -> Path:
        """The failure list of this run."""
        return self.root / FAILURES_FILE

    def summary(self) -> str:
        """Two lines for the command line and the chapter: what happened, and where the failures are."""
        if not self.total:
            return f"archive checked and extracted to {shown_path(self.archive_dir)} (images not requested)"
        known = (
            f", {self.skipped} of them known from an earlier run and not asked again"
            if self.skipped
            else ""
        )
        lines = [
            f"{self.total} artworks: {self.fetched} images fetched now, {self.kept} already there, "
            f"{self.failed} failed{known}",
            f"{self.requests} requests ({self.retries} retries) in {self.seconds:.1f} s; "
            f"failures listed in {shown_path(self.failures_csv)}",
        ]
        if self.stopped:
            lines.append(
                f"stopped early: {self.stopped}; run again later to resume"
            )
        return "\n".join(lines)


def download_all(
    out: str | os.PathLike,
    archive_url: str = schema.ARCHIVE_URL,
    images: bool = True,
    workers: int = 8,
    size: int = IMAGE_SIZE,
    limit: int | None = None,
    policy: str = "squash",
    progress: bool = True,
    *,
    http: HttpPolicy | None = None,
    retry_failed: bool = False,
    give_up_after: int = 50,
) -> DownloadReport:
    """Fetch and check the archive, extract it safely, then fetch every ``Image URL`` as ``images/<ID>.jpg``.

    ``give_up_after`` network failures in a row (the host is down, or this machine is offline) stop the run
    instead of trying thousands of URLs; what was fetched is kept.
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(
            f"workers must be 1 … {MAX_WORKERS} (the image hosts rate-limit heavy clients), got {workers}"
        )
    if size < 1 or (limit is not None and limit < 1) or give_up_after < 1:
        raise ValueError(
            f"size ({size}), limit ({limit}) and give_up_after ({give_up_after}) must be at least 1"
        )
    if policy not in RESIZE_POLICIES:
        raise ValueError(
            f"unknown resize policy {policy!r}; use one of: {', '.join(RESIZE_POLICIES)}"
        )
    start = time.monotonic()
    out = Path(out)
    fetcher = Fetcher(http)
    archive_dir = fetch_archive(archive_url, out, fetcher)
    report = DownloadReport(out, archive_dir, out / IMAGES_DIR)
    if images:
        table = load_annotations(archive_dir, "all")
        if limit is not None:
            table = table.head(limit)
        report.images_dir.mkdir(parents=True, exist_ok=True)
        sweep_stale(
            report.images_dir, ".*"
        )  # temporary files of an interrupted run
        todo = plan(
            table,
            report,
            {} if retry_failed else read_failures(out / FAILURES_FILE),
        )
        fetch_images(
            todo,
            report,
            fetcher,
            size,
            policy,
            workers,
            progress,
            give_up_after,
        )
        write_failures(out / FAILURES_FILE, report.failures)
    report.requests, report.retries = fetcher.requests, fetcher.retries
    report.seconds = time.monotonic() - start
    return report


def plan(
    table, report: DownloadReport, known: dict[str, Failure]
) -> list[tuple[str, str]]:
    """The (ID, URL) pairs to request; counts the images already there and the known permanent failures."""
    todo = []
    for ident, url in zip(table["ID"], table["Image URL"]):
        report.total += 1
        if (report.images_dir / f"{ident}.jpg").is_file():
            report.kept += 1
        elif not isinstance(url, str) or not url.strip():
            report.failures.append(
                Failure(ident, "", "no Image URL in the annotations", True)
            )
        elif (
            ident in known
            and known[ident].permanent
            and known[ident].url == url
        ):
            report.failures.append(known[ident])
            report.skipped += 1
        else:
            todo.append((ident, url))
    return todo


def fetch_one(
    fetcher: Fetcher,
    ident: str,
    url: str,
    target: Path,
    size: int,
    policy: str,
) -> Failure | None:
    """Fetch, validate, resize and save one image; a Failure saying why not, or None."""
    try:
        image = open_validated(fetcher.get(url), "response")
        save_atomic(resize(image, size, policy), target)
    except FetchError as err:
        return Failure(
            ident, url, str(err), err.permanent, network=not err.permanent
        )
    except ImageError as err:
        return Failure(ident, url, str(err))
    return None


def fetch_images(
    todo: list[tuple[str, str]],
    report: DownloadReport,
    fetcher: Fetcher,
    size: int,
    policy: str,
    workers: int,
    progress: bool,
    give_up_after: int,
) -> None:
    """Run :func:`fetch_one` over ``todo`` with at most ``workers`` requests in flight, with a progress bar."""

    stop = threading.Event()

    def work(ident: str, url: str) -> Failure | None:
        if stop.is_set():
            return Failure(ident, url, f"not tried: {report.stopped}")
        return fetch_one(
            fetcher,
            ident,
            url,
            report.images_dir / f"{ident}.jpg",
            size,
            policy,
        )

    streak = 0
    bar = tqdm(
        total=len(todo),
        desc="images",
        unit="img",
        disable=not progress or not todo,
    )
    executor = ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="download"
    )
    try:
        futures = [executor.submit(work, ident, url) for ident, url in todo]
        for future in as_completed(futures):
            failure = future.result()
            bar.update()
            if failure is None:
                report.fetched += 1
                streak = 0
                continue
            report.failures.append(failure)
            streak = streak + 1 if failure.network else 0
            if streak >= give_up_after and not stop.is_set():
                report.stopped = f"{streak} requests in a row failed with network or server errors"
                stop.set()
    except BaseException:
        fetcher.cancelled.set()  # Ctrl-C: let in-flight requests end, start no new ones
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        bar.close()
    report.failures.sort(key=lambda f: f.ident)


def read_failures(path: Path) -> dict[str, Failure]:
    """The failures of the previous run by ID ({} when there was none)."""
    if not path.is_file():
        return {}
    try:
        with open(path, newline="") as f:
            return {
                row["ID"]: Failure(
                    row["ID"],
                    row["URL"],
                    row["reason"],
                    row.get("permanent") == "yes",
                )
                for row in csv.DictReader(f)
            }
    except (
        KeyError,
        csv.Error,
        UnicodeDecodeError,
    ):  # edited by hand beyond recognition: ask for everything
        return {}


def write_failures(path: Path, failures: list[Failure]) -> None:
    """Rewrite failures.csv with this run's failures (ID, URL, reason, permanent), atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FAILURE_COLUMNS)
    for f in failures:
        writer.writerow(
            [f.ident, f.url, f.reason, "yes" if f.permanent else "no"]
        )
    write_atomic(path, buf.getvalue())


def failures_table(report: DownloadReport):
    """The failures as a DataFrame (for display), one row per artwork without an image."""

    return pd.DataFrame(
        [[f.ident, f.url, f.reason, f.permanent] for f in report.failures],
        columns=FAILURE_COLUMNS,
    )
