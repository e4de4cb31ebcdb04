"""Which data a run uses: the real WikiArt Emotions where it can be reached, else the offline sample, and where
its files lie."""

from __future__ import annotations

import os
import socket
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from course_utils.config.profiles import budget
from course_utils.config.settings import Settings
from course_utils.data import schema
from course_utils.data.images import image_files
from course_utils.data.lexicon import LEXICON_URL
from course_utils.datasets.prepare import previous_settings, source_stamps


@dataclass(frozen=True)
class Source:
    """Which data a run uses, where it lies, and why it was chosen."""

    name: str  # "wikiart" or "sample"
    root: Path  # holds WikiArt-Emotions/ and images/
    reason: str

    @property
    def is_sample(self) -> bool:
        """True for the offline sample (whose numbers are never WikiArt results)."""
        return self.name == "sample"

    @property
    def archive_dir(self) -> Path:
        """The extracted archive folder."""
        return self.root / schema.ARCHIVE_FOLDER

    @property
    def images_dir(self) -> Path:
        """The folder of downloaded (or painted) images, named by artwork ID."""
        return self.root / "images"

    def describe(self) -> str:
        """One line for the banner."""
        label = (
            "WikiArt Emotions (real data)"
            if self.name == "wikiart"
            else "offline SAMPLE (generated, not WikiArt)"
        )
        return f"{label} — {self.reason}"


def archive_url() -> str:
    """The archive address: COURSE_ARCHIVE_URL (a mirror) or the official one."""

    return (
        os.environ.get("COURSE_ARCHIVE_URL", "").strip()
        or schema.ARCHIVE_URL
    )


def lexicon_url() -> str:
    """The NRC VAD lexicon's address: COURSE_LEXICON_URL (a mirror, or the tests' local server) or the official one."""

    return os.environ.get("COURSE_LEXICON_URL", "").strip() or LEXICON_URL


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether the archive's host accepts a TCP connection (a cheap test before a long download)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection(
            (parts.hostname, port), timeout=timeout
        ):
            return True
    except OSError:
        return False


def sample_root(settings: Settings) -> Path:
    """Where the sample for this profile and seed is cached (its size and signal strength in the name: samples of
    two profiles never share a folder)."""
    spent = budget(settings.profile)
    return settings.data_dir / (
        f"sample-n{spent.sample_size}-signal{spent.sample_signal:g}"
        f"-seed{settings.seed}"
    )


def resolve_source(settings: Settings) -> Source:
    """Decide the data source from COURSE_DATA: ``auto`` uses the real data when cached or reachable.

    Called once per chapter, by :func:`course_utils.datasets.session.open_session`: in ``auto`` mode the answer
    depends on the network at that moment, so everything later reads it from the session.
    """
    real = settings.data_dir / "wikiart"
    if settings.data == "sample":
        return Source("sample", sample_root(settings), "COURSE_DATA=sample")
    if settings.data == "wikiart":
        return Source("wikiart", real, "COURSE_DATA=wikiart")
    if (real / schema.ARCHIVE_FOLDER / schema.ALL_FILE).is_file():
        return Source("wikiart", real, "found in the data folder")
    if reachable(archive_url()):
        return Source("wikiart", real, "the official archive is reachable")
    return Source(
        "sample",
        sample_root(settings),
        "COURSE_DATA=auto and the official archive cannot be reached, so the course falls back to the sample",
    )


def prepared_is_current(out: Path, source: Source) -> bool:
    """Whether class folders were built from this very archive and these pictures, and no image has arrived
    since (a later download may fetch links that failed before; a regenerated sample paints other pictures)."""
    done = previous_settings(out)
    all_file = source.archive_dir / schema.ALL_FILE
    if not done or not all_file.is_file():
        return False
    stamps = source_stamps(source.root)
    if any(done.get(key) != value for key, value in stamps.items()):
        return False
    return not set(image_files(source.images_dir)).intersection(
        done.get("missing", [])
    )


def available(source: Source) -> bool:
    """Whether a source's data can be had now: the sample always (it is generated), the real data when its
    archive is in the data folder or the archive's host answers (a cheap test before hours of work)."""
    return (
        source.is_sample
        or (source.archive_dir / schema.ALL_FILE).is_file()
        or reachable(archive_url())
    )
