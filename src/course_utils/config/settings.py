"""The four runtime settings, read from the environment in one place and validated: ``COURSE_DATA``,
``COURSE_PROFILE``, ``COURSE_DATA_DIR`` and ``COURSE_SEED`` (:class:`Settings`, :func:`get_settings`).

A value the course does not know raises :class:`SettingsError` naming the allowed ones. The repository's address
lives here too (:data:`REPOSITORY_URL`). Chapters do not read the settings themselves: ``chapter.banner()``
opens a :class:`course_utils.datasets.session.Session` that holds them. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from course_utils.config.device import has_gpu
from course_utils.config.profiles import PROFILES
from course_utils.config.study import SEED

DATA_CHOICES = ("auto", "wikiart", "sample")


PROFILE_CHOICES = PROFILES


#: The public repository of the course: the one place its address lives
#: (Colab links, the Colab install cell and the launch buttons are derived from it).
REPOSITORY_URL = "https://github.com/emotions-in-art/emotions-in-art"


REPOSITORY_BRANCH = "main"


class SettingsError(ValueError):
    """A runtime setting has a value the course does not know."""


@dataclass(frozen=True)
class Settings:
    """The four runtime settings, validated."""

    data: str
    profile: str
    data_dir: Path
    seed: int


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    """Read an environment variable that must be one of ``allowed``; fail naming the allowed values."""
    value = os.environ.get(name, "").strip().lower() or default
    if value not in allowed:
        raise SettingsError(
            f"{name}={value!r} is not allowed; use one of: {', '.join(allowed)}"
        )
    return value


def default_data_dir() -> Path:
    """A per-user cache folder (XDG on Linux and macOS alike), so downloads survive across chapters."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "emotions-in-art"


def read_seed() -> int:
    """COURSE_SEED as an integer, with an error that names the bad value."""
    raw = os.environ.get("COURSE_SEED", "").strip()
    if not raw:
        return SEED
    try:
        seed = int(raw)
    except ValueError:
        raise SettingsError(
            f"COURSE_SEED={raw!r} is not a whole number (e.g. 123)"
        ) from None
    if not 0 <= seed < 2**32:
        raise SettingsError(
            f"COURSE_SEED={seed} is out of range; use 0 … {2**32 - 1}"
        )
    return seed


def get_settings() -> Settings:
    """The settings from the environment; the profile defaults to ``full`` on a GPU and ``quick`` on a CPU."""
    data = _choice("COURSE_DATA", DATA_CHOICES, "auto")
    profile_raw = os.environ.get("COURSE_PROFILE", "").strip()
    if profile_raw:
        profile = _choice("COURSE_PROFILE", PROFILE_CHOICES, "quick")
    else:
        profile = "full" if has_gpu() else "quick"
    data_dir = Path(
        os.environ.get("COURSE_DATA_DIR", "").strip() or default_data_dir()
    ).expanduser()
    return Settings(
        data=data, profile=profile, data_dir=data_dir, seed=read_seed()
    )
