"""Runtime settings (SPEC §4): defaults, validation with clear errors, seeding, banner."""

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


def test_detect_device_on_cpu():
    found = device.detect_device()
    assert found.kind in ("CPU", "GPU") and found.count >= 1 and found.name


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


def test_auto_falls_back_to_sample_when_unreachable(clean_env, tmp_path):
    from course_utils.datasets.source import resolve_source

    clean_env.setenv("COURSE_PROFILE", "smoke")
    clean_env.setenv("COURSE_DATA_DIR", str(tmp_path))
    clean_env.setenv("COURSE_ARCHIVE_URL", "http://127.0.0.1:9/WikiArt-Emotions.zip")  # port 9: nothing listens
    source = resolve_source(S.get_settings())
    assert source.is_sample and "cannot be reached" in source.reason
