"""Runtime settings (SPEC §4): defaults, validation with clear errors, seeding, banner."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from course_utils import chapter
from course_utils.config import device
from course_utils.config import settings as S


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No course variables set, the data folder in a temporary place."""
    for name in ("COURSE_DATA", "COURSE_PROFILE", "COURSE_DATA_DIR", "COURSE_SEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return monkeypatch


def test_defaults_follow_spec(clean_env):
    clean_env.setattr(S, "has_gpu", lambda: False)
    got = S.get_settings()
    assert (got.data, got.profile, got.seed) == ("auto", "quick", 123)
    assert got.data_dir.name == "emotions-in-art"
    clean_env.setattr(S, "has_gpu", lambda: True)
    assert S.get_settings().profile == "full"


def test_values_are_read_and_normalised(clean_env, tmp_path):
    clean_env.setenv("COURSE_DATA", " Sample ")
    clean_env.setenv("COURSE_PROFILE", "SMOKE")
    clean_env.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    clean_env.setenv("COURSE_SEED", "7")
    got = S.get_settings()
    assert got == S.Settings("sample", "smoke", Path(tmp_path / "d"), 7)


@pytest.mark.parametrize(
    "name, value, needle",
    [
        ("COURSE_DATA", "kaggle", "auto, wikiart, sample"),
        ("COURSE_PROFILE", "fast", "smoke, quick, full"),
        ("COURSE_SEED", "abc", "not a whole number"),
        ("COURSE_SEED", "-1", "out of range"),
    ],
)
def test_bad_values_name_the_variable_and_the_allowed_values(clean_env, name, value, needle):
    clean_env.setenv(name, value)
    with pytest.raises(S.SettingsError) as err:
        S.get_settings()
    assert name in str(err.value) and needle in str(err.value)


def test_seed_everything_repeats_numpy_and_keras(clean_env):
    import keras

    device.seed_everything(5)
    a = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    device.seed_everything(5)
    b = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def visible_gpus() -> list:
    """The GPUs TensorFlow sees on this machine (what decides between the two tests below)."""
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def test_detect_device_on_cpu():
    """On a machine without a GPU: the CPU and its core count. Skipped, not passed, where TensorFlow sees a GPU:
    there the CPU answer would be wrong, and `test_detect_device_on_gpu` checks the GPU answer."""
    if visible_gpus():
        pytest.skip("TensorFlow sees a GPU here; the GPU test covers this machine")
    assert device.detect_device() == device.Device("CPU", f"{os.cpu_count()} CPU cores", None, 1)


def test_detect_device_on_gpu():
    """On a machine with a GPU: kind GPU, as many as TensorFlow sees, and the memory nvidia-smi reports."""
    gpus = visible_gpus()
    if not gpus:
        pytest.skip("no GPU visible to TensorFlow here; the CPU test covers this machine")
    found = device.detect_device()
    assert (found.kind, found.count) == ("GPU", len(gpus)) and "CPU" not in found.name
    smi = subprocess.run(
        ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"], capture_output=True, text=True
    )
    if smi.returncode == 0:
        mib = int(smi.stdout.split()[0])
        assert found.memory_gib is not None and abs(found.memory_gib * 1024 - mib) <= 0.05 * 1024


def test_detect_device_reads_the_gpu_name_count_and_memory(monkeypatch):
    """The GPU branch on any machine: two GPUs as TensorFlow would list them, nvidia-smi answering 143771 MiB
    each (an H200); 143771 / 1024 = 140.40 GiB, shown as 140.4. Without nvidia-smi the memory is unknown."""
    import tensorflow as tf

    gpus = [tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(2)]
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda d: {"device_name": "NVIDIA H200"})
    asked = []

    def smi(cmd, **kw):
        asked.append(cmd[0])
        return subprocess.CompletedProcess(cmd, 0, stdout="143771\n143771\n", stderr="")

    monkeypatch.setattr(device.subprocess, "run", smi)
    assert device.detect_device() == device.Device("GPU", "NVIDIA H200", 140.4, 2)
    assert asked == ["nvidia-smi"]

    def no_smi(cmd, **kw):
        raise FileNotFoundError(cmd[0])

    monkeypatch.setattr(device.subprocess, "run", no_smi)
    assert device.detect_device() == device.Device("GPU", "NVIDIA H200", None, 2)


def test_detect_device_names_the_cpu_when_no_gpu_is_seen(monkeypatch):
    """The CPU branch on any machine, a GPU one included: TensorFlow listing no GPU."""
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    monkeypatch.setattr(device.os, "cpu_count", lambda: 6)
    assert device.detect_device() == device.Device("CPU", "6 CPU cores", None, 1)


def test_banner_prints_source_profile_device_seed(clean_env, tmp_path, capsys):
    clean_env.setenv("COURSE_DATA", "sample")
    clean_env.setenv("COURSE_PROFILE", "smoke")
    clean_env.setenv("COURSE_DATA_DIR", str(tmp_path))
    chapter.banner()
    out = capsys.readouterr().out
    for needle in (
        "data source : offline SAMPLE",
        "profile     : smoke",
        "device      :",
        "seed        : 123",
        "not results on WikiArt",
    ):
        assert needle in out


def test_banner_sets_one_number_format_for_every_table(clean_env, tmp_path):
    import pandas as pd

    clean_env.setenv("COURSE_DATA", "sample")
    clean_env.setenv("COURSE_PROFILE", "smoke")
    clean_env.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pd.option_context("display.float_format", None):
        chapter.banner()
        text = pd.DataFrame({"a": [0.0, 0.5], "b": [0.25, 1843328.0]}).to_string()
    assert text.split("\n")[1].split() == ["0", "0.000", "0.250"]
    assert "1,843,328.000" in text


def test_auto_falls_back_to_sample_when_unreachable(clean_env, tmp_path):
    from course_utils.datasets.source import resolve_source

    clean_env.setenv("COURSE_PROFILE", "smoke")
    clean_env.setenv("COURSE_DATA_DIR", str(tmp_path))
    clean_env.setenv("COURSE_ARCHIVE_URL", "http://127.0.0.1:9/WikiArt-Emotions.zip")  # port 9: nothing listens
    source = resolve_source(S.get_settings())
    assert source.is_sample and "cannot be reached" in source.reason
