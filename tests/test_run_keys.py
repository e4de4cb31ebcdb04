"""Saved runs that cannot go stale (issue 17): a run is reused only when everything that shaped it matches —
the model's architecture, the split (source, scope, threshold, IDs, targets), profile, seed and the training
settings — and a student who edits a model gets a new run."""

import dataclasses

import keras
import numpy as np
import pandas as pd
import pytest

from course_utils.config.settings import Settings
from course_utils.datasets.pipeline import GroupedSplit, Split
from course_utils.datasets.session import open_session
from course_utils.training import runs

NAMES = [f"class {k}" for k in range(3)]


def split(seed: int = 0, origin: str = "sample-art-t0.4-s125", test: bool = True) -> Split:
    """Tiny random images; with a test part when ``test``."""
    rng = np.random.default_rng(seed)

    def part(n, prefix):
        return (
            rng.integers(0, 256, (n, 16, 16, 3), dtype=np.uint8),
            rng.integers(0, 3, n).astype(np.int32),
            [f"{prefix}{i}" for i in range(n)],
        )

    (xt, yt, it), (xv, yv, iv), (xs, ys, is_) = part(12, "t"), part(6, "v"), part(5, "s")
    common = dict(
        x_train=xt, y_train=yt, x_val=xv, y_val=yv, train_ids=it, val_ids=iv, class_names=NAMES, origin=origin
    )
    if not test:
        return Split(**common)
    return GroupedSplit(**common, x_test=xs, y_test=ys, test_ids=is_)


def small(units: int = 4):
    """A builder of a tiny classifier (``units`` hidden units)."""

    def small_cnn():
        return keras.Sequential(
            [
                keras.Input((16, 16, 3)),
                keras.layers.Rescaling(1 / 255),
                keras.layers.Flatten(),
                keras.layers.Dense(units, activation="relu"),
                keras.layers.Dense(3),
            ]
        )

    return small_cnn


@pytest.fixture
def session(tmp_path):
    return open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=7))


def key(session, build=None, data=None, **settings):
    build = build or small()
    return runs.run_key(build, data or split(), session, **runs.key_settings(build, session, **settings))


def test_the_same_run_has_the_same_key_even_after_keras_renumbers_its_layers(session):
    first = key(session)
    small()()  # builds another model: Keras numbers the next layers' names on
    assert key(session) == first and len(first) == 16


def test_an_edited_model_gets_a_new_key(session):
    assert key(session, build=small(5)) != key(session, build=small(4))


def test_split_scope_threshold_profile_seed_and_settings_are_in_the_key(session, tmp_path):
    base = key(session)
    other_ids = split()
    other_ids.val_ids = [f"w{i}" for i in range(6)]
    relabelled = dataclasses.replace(split(), y_test=np.zeros(5, np.int32))
    assert key(session, data=other_ids) != base
    assert key(session, data=relabelled) != base  # the test part's targets count too
    assert key(session, data=split(origin="sample-image-t0.4-s125")) != base  # another label scope
    assert key(session, data=split(origin="sample-art-t0.5-s125")) != base  # another threshold
    assert key(session.with_seed(8)) != base
    quick = open_session(Settings(data="sample", profile="quick", data_dir=tmp_path, seed=7))
    assert key(quick) != base
    assert key(session, epochs=3) != base
    assert key(session, class_weight={0: 1.0, 1: 2.0, 2: 1.0}) != base
    assert key(session, learning_rate=1e-4) != base
    assert key(session, callbacks=runs.standard_callbacks(early_stopping=2)) != key(
        session, callbacks=runs.standard_callbacks(early_stopping=3)
    )
    assert key(session, depends_on="abc") != base
    # the profile's default number of epochs and the same number written out are the same run
    assert key(session, epochs=runs.epochs_for("small_cnn", "smoke")) == base


def test_a_callbacks_state_after_training_does_not_change_the_key(session):
    stopping = runs.standard_callbacks(early_stopping=2)
    before = key(session, callbacks=stopping)
    stopping[0].wait, stopping[0].best = 5, 0.25  # what training leaves in it
    assert key(session, callbacks=stopping) == before


@pytest.mark.slow
def test_train_or_load_reuses_only_an_equal_key_and_keeps_both_runs(session, monkeypatch):
    data = split()
    first = runs.train_or_load(small(), data, session, epochs=1, verbose=0)
    assert first.test_logits.shape == (5, 3) and first.test_ids == data.test_ids
    np.testing.assert_array_equal(first.test_true, data.y_test)
    edited = runs.train_or_load(small(6), data, session, epochs=1, verbose=0)
    assert edited.key != first.key
    folders = sorted(p.name for p in runs.runs_dir(session).iterdir())
    assert folders == sorted(f"small_cnn-seed7-{r.key[:10]}" for r in (first, edited))

    def no_training(*args, **kwargs):
        raise AssertionError("trained although an equal saved run exists")

    monkeypatch.setattr(runs, "train", no_training)
    again = runs.train_or_load(small(), data, session, epochs=1, verbose=0)
    np.testing.assert_array_equal(again.test_logits, first.test_logits)
    assert again.key == first.key and again.model is None


def fake_run(data, val_ids, k) -> runs.Run:
    return runs.Run(
        name="original",
        history=pd.DataFrame({"epoch": [1]}),
        seconds=1.0,
        epochs=1,
        params=1,
        class_names=NAMES,
        val_true=data.y_val,
        val_logits=np.zeros((len(val_ids), 3), np.float32),
        val_ids=val_ids,
        info={"key": k},
        test_true=data.y_test,
        test_logits=np.zeros((5, 3), np.float32),
        test_ids=data.test_ids,
    )


def test_a_saved_run_with_other_images_under_the_same_key_is_not_reused(session, monkeypatch):
    """The second check: a run folder whose predictions were made on other validation images is retrained."""
    data = split()
    k = key(session, data=data)
    fake = fake_run(data, [f"other{i}" for i in range(6)], k)
    fake.save(runs.run_folder("small_cnn", session, k))
    assert runs.load_run("small_cnn", session, k) is not None and not runs.matches(fake, data)
    calls = []
    monkeypatch.setattr(runs, "train", lambda *a, **kw: calls.append(kw) or "trained")
    assert runs.train_or_load(small(), data, session) == "trained" and calls[0]["key"] == k


def test_study_runs_reads_a_matching_run_and_retrains_one_on_other_validation_images(session, monkeypatch):
    data = split()
    monkeypatch.setattr(runs.cnns, "build", lambda name, shape, k: small()())
    k = runs.run_key(runs.builder("original", data), data, session, **runs.key_settings("original", session))
    trained = []
    monkeypatch.setattr(
        runs, "train", lambda name, d, s, **kw: trained.append(kw["key"]) or fake_run(d, d.val_ids, kw["key"])
    )
    fake_run(data, data.val_ids, k).save(runs.run_folder("original", session, k))
    read = runs.study_runs(data, session, names=["original"])["original"]
    assert trained == [] and read.key == k
    fake_run(data, ["elsewhere"] * 6, k).save(runs.run_folder("original", session, k))
    runs.study_runs(data, session, names=["original"])
    assert trained == [k]


def test_a_run_without_a_test_part_says_so():
    run = runs.Run("m", None, 1.0, 1, 1, NAMES, np.zeros(1), np.zeros((1, 3)), ["v"])
    with pytest.raises(ValueError, match="no test predictions"):
        run.test_pred
