"""Runtime settings of the course, read in one place (SPEC §4), plus device detection, seeding and the banner.

Every chapter calls :func:`banner` near its top. Nothing here imports TensorFlow at module import time.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

DATA_CHOICES = ("auto", "wikiart", "sample")
PROFILE_CHOICES = ("smoke", "quick", "full")
DEFAULT_SEED = 123
#: The longest one notebook cell may run, per profile, when the book executes the chapters (jupyter-book and the
#: tests): far above the slowest cell measured (benchmarks/README.md), so that only a stalled cell reaches it.
CELL_TIMEOUT_S = {"smoke": 180, "quick": 600, "full": 7200}

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
        raise SettingsError(f"{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")
    return value


def default_data_dir() -> Path:
    """A per-user cache folder (XDG on Linux and macOS alike), so downloads survive across chapters."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "emotions-in-art"


def has_gpu() -> bool:
    """Whether TensorFlow sees a GPU (imports TensorFlow lazily)."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def read_seed() -> int:
    """COURSE_SEED as an integer, with an error that names the bad value."""
    raw = os.environ.get("COURSE_SEED", "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        seed = int(raw)
    except ValueError:
        raise SettingsError(f"COURSE_SEED={raw!r} is not a whole number (e.g. 123)") from None
    if not 0 <= seed < 2**32:
        raise SettingsError(f"COURSE_SEED={seed} is out of range; use 0 … {2**32 - 1}")
    return seed


def get_settings() -> Settings:
    """The settings from the environment; the profile defaults to ``full`` on a GPU and ``quick`` on a CPU."""
    data = _choice("COURSE_DATA", DATA_CHOICES, "auto")
    profile_raw = os.environ.get("COURSE_PROFILE", "").strip()
    if profile_raw:
        profile = _choice("COURSE_PROFILE", PROFILE_CHOICES, "quick")
    else:
        profile = "full" if has_gpu() else "quick"
    data_dir = Path(os.environ.get("COURSE_DATA_DIR", "").strip() or default_data_dir()).expanduser()
    return Settings(data=data, profile=profile, data_dir=data_dir, seed=read_seed())


@dataclass(frozen=True)
class Device:
    """What the chapter trains on."""

    kind: str  # "GPU" or "CPU"
    name: str
    memory_gib: float | None
    count: int


def detect_device() -> Device:
    """The GPU (name, memory, count) when TensorFlow sees one, else the CPU with its core count."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", gpus[0].name)
        memory = None
        try:
            import subprocess

            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=10, check=True,
            ).stdout.split()
            memory = round(int(out[0]) / 1024, 1) if out else None
        except (OSError, subprocess.SubprocessError, ValueError):
            memory = None
        return Device("GPU", name, memory, len(gpus))
    cores = os.cpu_count() or 1
    return Device("CPU", f"{cores} CPU cores", None, 1)


def seed_everything(seed: int | None = None) -> int:
    """Seed Python, NumPy and TensorFlow/Keras together, so a chapter's numbers repeat run after run."""
    import numpy as np

    seed = read_seed() if seed is None else seed
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import keras

    keras.utils.set_random_seed(seed)
    return seed


def in_colab() -> bool:
    """Whether the code runs inside Google Colab."""
    import sys

    return "google.colab" in sys.modules


def banner(settings: Settings | None = None) -> Settings:
    """Print data source, profile, device and seed (every chapter calls this near its top); seed and style all."""
    settings = settings or get_settings()
    from course_utils.data import resolve_source

    source = resolve_source(settings)
    device = detect_device()
    memory = f", {device.memory_gib} GiB" if device.memory_gib else ""
    count = f" ×{device.count}" if device.count > 1 else ""
    seed_everything(settings.seed)
    from course_utils import plots

    plots.use_style()
    if os.environ.get("COURSE_CHECK_FIGURES") == "1":  # set by the tests: a figure without title or labels fails
        plots.check_figures_after_each_cell()
    lines = [
        f"data source : {source.describe()}",
        f"profile     : {settings.profile}",
        f"device      : {device.kind}{count} ({device.name}{memory})",
        f"seed        : {settings.seed}",
        f"data folder : {settings.data_dir}",
    ]
    print("\n".join(lines))
    if source.name == "sample":
        print(
            "NOTE: this run uses the offline SAMPLE dataset generated by course_utils; "
            "its numbers are not results on WikiArt Emotions."
        )
    return settings
