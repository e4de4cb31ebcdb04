"""One chapter's session: the settings, the data source and the device, resolved once into a frozen object.

``course_utils.chapter.banner()`` opens it and prints it; the chapter passes it on explicitly to every call that
depends on the run (where data and saved runs lie, the profile's budget, the seed). Nothing later re-reads the
environment or probes the network again, so where a run is saved cannot change halfway through a chapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from course_utils.config.device import Device, detect_device
from course_utils.config.profiles import Budget, budget
from course_utils.config.settings import Settings, get_settings
from course_utils.config.study import IMAGE_SIZE, THRESHOLD
from course_utils.data.download import download_all
from course_utils.data.lexicon import (
    CITATION,
    LexiconError,
    fetch_lexicon,
    lexicon_path,
)
from course_utils.datasets.prepare import prepare
from course_utils.datasets.sample import write_sample
from course_utils.datasets.source import (
    Source,
    archive_url,
    lexicon_url,
    prepared_is_current,
    reachable,
    resolve_source,
)
from course_utils.labels import Coordinates, emotion_coordinates

#: Why the offline sample uses the course's placements, not the lexicon.
SAMPLE_COORDINATES = (
    "the offline sample: its annotators' choices were generated from these "
    "placements, and the lexicon is downloaded only with the real data"
)


@dataclass(frozen=True)
class Session:
    """What one run of a chapter uses: its settings, its data source and its device, fixed once."""

    settings: Settings
    source: Source
    device: Device

    @property
    def profile(self) -> str:
        """``smoke``, ``quick`` or ``full``."""
        return self.settings.profile

    @property
    def seed(self) -> int:
        """The run's seed (COURSE_SEED, else the study's)."""
        return self.settings.seed

    @property
    def data_dir(self) -> Path:
        """The cache folder for downloads, prepared datasets and saved runs."""
        return self.settings.data_dir

    @property
    def budget(self) -> Budget:
        """What this profile may spend (epochs, sample size, trials …)."""
        return budget(self.settings.profile)

    @property
    def is_sample(self) -> bool:
        """True on the offline sample, whose numbers are never WikiArt results."""
        return self.source.is_sample

    def with_seed(self, seed: int) -> Session:
        """The same session with another seed (repeated runs); the sample keeps its own seed and folder."""
        return replace(
            self, settings=replace(self.settings, seed=int(seed))
        )


def open_session(
    settings: Settings | None = None, device: Device | None = None
) -> Session:
    """Resolve the settings (from the environment unless given), the data source and the device, once."""
    settings = settings or get_settings()
    return Session(
        settings, resolve_source(settings), device or detect_device()
    )


def ensure_source(session: Session) -> Source:
    """Make sure the session's data exists (download the real data, or generate the sample); its source."""
    source = session.source
    if source.is_sample:
        write_sample(
            source.root,
            n=session.budget.sample_size,
            seed=session.seed,
            overwrite=False,
            signal=session.budget.sample_signal,
        )
    else:
        download_all(source.root, archive_url=archive_url())
        lexicon_problem(source.root, lexicon_url())
    return source


@lru_cache(maxsize=None)
def lexicon_problem(root: Path, url: str) -> str:
    """Fetch the NRC VAD lexicon into the data folder, trying once per
    process (a chapter calls ensure_source often); why it is not there, or
    "" when it is. The reason is printed the first time."""
    try:
        if not lexicon_path(root).is_file() and not reachable(url):
            raise LexiconError(f"{url} cannot be reached")
        fetch_lexicon(root, url)
    except LexiconError as err:
        print(
            f"{CITATION} not available: {err}. The valence-arousal "
            "coordinates fall back to the course's own placements."
        )
        return str(err)
    return ""


def coordinates(session: Session) -> Coordinates:
    """The valence–arousal coordinates this run's targets use: the NRC VAD
    lexicon with the real data where it could be downloaded, else the
    course's placements, with the reason (print ``describe()``)."""
    source = ensure_source(session)
    if source.is_sample:
        return emotion_coordinates(None, SAMPLE_COORDINATES)
    problem = lexicon_problem(source.root, lexicon_url())
    return emotion_coordinates(
        source.root, f"the lexicon could not be used ({problem})"
    )


def class_folders(
    session: Session,
    scope: str = "art",
    threshold: float = THRESHOLD,
    size: int = IMAGE_SIZE,
) -> Path:
    """The prepared class-folder dataset for this run's data (built once, then reused)."""
    return prepared(
        session,
        f"{scope}-t{threshold:g}-s{size}",
        lambda root, out: prepare(
            root, out, scope=scope, threshold=threshold, size=size
        ),
    )


def prepared(
    session: Session, name: str, build: Callable[[Path, Path], object]
) -> Path:
    """``<data folder>/prepared/<source>-<name>``, made from this run's
    data by ``build(data_root, out)`` (incremental: it keeps what holds)
    when missing or made from other data, else reused."""
    source = ensure_source(session)
    out = session.data_dir / "prepared" / f"{source.root.name}-{name}"
    if not prepared_is_current(out, source):
        build(source.root, out)
    return out
