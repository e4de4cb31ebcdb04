"""What a chapter trains on, and how its numbers are made to repeat: the device, seeding, Colab, quiet logs.

:func:`detect_device` names the GPU (model, memory, count) or the CPU's cores; :func:`seed_everything` seeds
Python, NumPy and TensorFlow/Keras together; :func:`quiet_retracing_notice` drops TensorFlow's one notice that
is expected when a chapter builds many models. TensorFlow is imported only inside the functions that need it,
so reading the settings (``course_utils.config.settings``) and the command line never pay for it.
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
from dataclasses import dataclass

import numpy as np


def has_gpu() -> bool:
    """Whether TensorFlow sees a GPU (imports TensorFlow lazily)."""
    import tensorflow as tf  # deferred: TensorFlow takes seconds; importing the settings must not

    return bool(tf.config.list_physical_devices("GPU"))


@dataclass(frozen=True)
class Device:
    """What the chapter trains on."""

    kind: str  # "GPU" or "CPU"
    name: str
    memory_gib: float | None
    count: int


def detect_device() -> Device:
    """The GPU (name, memory, count) when TensorFlow sees one, else the CPU with its core count."""
    import tensorflow as tf  # deferred: TensorFlow takes seconds; importing the settings must not

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", gpus[0].name)
        memory = None
        try:
            out = subprocess.run(
                [
                    "nvidia-smi",
                    "--query-gpu=memory.total",
                    "--format=csv,noheader,nounits",
                ],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.split()
            memory = round(int(out[0]) / 1024, 1) if out else None
        except (OSError, subprocess.SubprocessError, ValueError):
            memory = None
        return Device("GPU", name, memory, len(gpus))
    cores = os.cpu_count() or 1
    return Device("CPU", f"{cores} CPU cores", None, 1)


def seed_everything(seed: int) -> int:
    """Seed Python, NumPy and TensorFlow/Keras together, so a chapter's numbers repeat run after run."""

    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import keras  # deferred: Keras loads TensorFlow (seconds)

    keras.utils.set_random_seed(seed)
    return seed


def in_colab() -> bool:
    """Whether the code runs inside Google Colab."""

    return "google.colab" in sys.modules


#: TensorFlow's notice when one Python function is traced again and again. The course builds a new model per run
#: (five models, repeated seeds, search trials), and every new model traces its own training function once: that
#: is expected, not the "excessive retracing" the notice warns about, so it is dropped. Other warnings still show.
RETRACING_NOTICE = "triggered tf.function retracing"


class _DropRetracingNotice(logging.Filter):
    """Drop only TensorFlow's retracing notice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return RETRACING_NOTICE not in record.getMessage()


def quiet_retracing_notice() -> None:
    """Install the filter on TensorFlow's logger (once): chapters train many models in one kernel."""
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _DropRetracingNotice) for f in logger.filters):
        logger.addFilter(_DropRetracingNotice())
