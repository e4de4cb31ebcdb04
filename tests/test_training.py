"""Training: epochs per profile, the history, saved runs, reuse without retraining, callbacks, the study's
numbers beside ours (study.py), and a learning check that catches images and labels getting out of step."""

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course_utils.analysis import study
from course_utils.config.settings import Settings
from course_utils.datasets.pipeline import Split, load_split
from course_utils.datasets.session import Session, open_session
from course_utils.training import runs

CLASS_NAMES = [f"class {k}" for k in range(7)]


def tiny_split(seed: int = 0, n_train: int = 24, n_val: int = 8, size: int = 32) -> Split:
    """Random images in memory: enough to run the machinery, not to learn."""
    rng = np.random.default_rng(seed)
    return Split(
        x_train=rng.integers(0, 256, (n_train, size, size, 3), dtype=np.uint8),
        y_train=rng.integers(0, 7, n_train).astype(np.int32),
        x_val=rng.integers(0, 256, (n_val, size, size, 3), dtype=np.uint8),
        y_val=np.array([5, 5, 5, 4, 4, 0, 5, 1][:n_val], dtype=np.int32),
        train_ids=[f"t{i:03d}" for i in range(n_train)],
        val_ids=[f"v{i:03d}" for i in range(n_val)],
        class_names=CLASS_NAMES,
        seed=seed,
    )


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Session:
    return open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path_factory.mktemp("data"), seed=7))


@pytest.fixture(scope="module")
def run(settings):
    """One short saved run of the original CNN on the tiny split."""
    return runs.train("original", tiny_split(), settings, epochs=2, verbose=0)


def test_epochs_per_profile():
    assert runs.epochs_for("original", "full") == 10
    assert {runs.epochs_for(n, "full") for n in ("dropout", "lenet5", "lenet5_relu", "alexnet")} == {15}
    # smoke: enough for the original CNN to leave the majority class on the smoke sample (benchmarks/README.md);
    # LeNet-5 (tanh, augmented) needs more
    assert runs.epochs_for("original", "smoke") == runs.epochs_for("alexnet", "smoke") == 4
    assert runs.epochs_for("lenet5", "smoke") == 6
    assert runs.epochs_for("original", "quick") < runs.epochs_for("original", "full")


def test_history_columns_and_values(run):
    h = run.history
    assert list(h.columns) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "seconds"]
    assert h["epoch"].tolist() == [1, 2] and (h["seconds"] > 0).all()
    assert h[["accuracy", "val_accuracy"]].stack().between(0, 1).all()
    assert run.epochs == 2 and run.params == 4 * 4 * 64 * 128 + 128 + 23584 + 903  # 32×32 input: flatten 4×4×64
    assert run.val_logits.shape == (8, 7) and run.val_pred.shape == (8,)
    assert run.info["profile"] == "smoke" and run.info["seed"] == 7 and run.info["mixed_precision"] is False


def test_saved_run_reads_back(run, settings):
    folder = runs.run_folder("original", settings, run.key)
    assert len(run.key) == 16 and run.info["key"] == run.key
    assert (
        folder
        == settings.data_dir / "runs" / "sample-n240-signal3-seed7" / "smoke" / f"original-seed7-{run.key[:10]}"
    )
    assert (folder / "run.json").is_file()
    loaded = runs.load_run("original", settings, run.key)
    pd.testing.assert_frame_equal(loaded.history, run.history)
    np.testing.assert_allclose(loaded.val_logits, run.val_logits)
    assert loaded.val_ids == run.val_ids and loaded.class_names == CLASS_NAMES and loaded.model is None
    assert (loaded.name, loaded.epochs, loaded.params) == (run.name, run.epochs, run.params)


def test_load_run_of_an_untrained_model_is_none(settings):
    assert runs.load_run("never-trained", settings, "0" * 16) is None


def test_train_or_load_does_not_retrain(run, settings, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("train_or_load trained although a saved run exists")

    monkeypatch.setattr(runs, "train", no_training)
    again = runs.train_or_load("original", tiny_split(), settings, epochs=run.epochs)  # the saved run's settings
    np.testing.assert_allclose(again.val_logits, run.val_logits)


def test_train_or_load_retrains_for_other_validation_images(run, settings, monkeypatch):
    calls = []
    monkeypatch.setattr(runs, "train", lambda *args, **kwargs: calls.append(args) or "trained")
    other = tiny_split()
    other.val_ids = [f"w{i}" for i in range(len(other.val_ids))]
    assert runs.train_or_load("original", other, settings) == "trained" and len(calls) == 1


def cross_entropy(logits, labels) -> np.ndarray:
    """Per-image cross-entropy of integer labels under softmax(logits), in float64 NumPy (log-sum-exp)."""
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=1)
    return np.log(np.exp(z - top[:, None]).sum(axis=1)) + top - z[np.arange(len(z)), np.asarray(labels)]


def test_cross_entropy_by_hand():
    # two classes, logits (0, log 3): probabilities 1/4 and 3/4
    assert cross_entropy([[0.0, np.log(3)]], [0]) == pytest.approx([np.log(4)])
    assert cross_entropy([[0.0, np.log(3)], [5.0, 5.0]], [1, 0]) == pytest.approx([np.log(4 / 3), np.log(2)])


def overfitting_split() -> Split:
    """Validation loss that first falls, then rises: every training image is labelled class 0, and the validation
    images are 8 of them labelled 0, 0, 0, 1 (twice). Training drives P(class 0) from 1/7 towards 1; the validation
    loss -(3/4 log p + 1/4 log((1 - p)/6)) is lowest at p = 3/4 and grows again beyond it."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (24, 32, 32, 3), dtype=np.uint8)
    return Split(
        x_train=x,
        y_train=np.zeros(24, np.int32),
        x_val=x[:8],
        y_val=np.array([0, 0, 0, 1] * 2, np.int32),
        train_ids=[f"t{i:03d}" for i in range(24)],
        val_ids=[f"v{i:03d}" for i in range(8)],
        class_names=CLASS_NAMES,
        seed=0,
    )


@pytest.mark.slow
def test_early_stopping_stops_and_restores_the_best_epochs_weights(tmp_path, settings):
    import keras

    patience, allowed = 2, 10
    callbacks = runs.standard_callbacks(early_stopping=patience, checkpoint_dir=tmp_path / "ckpt")
    assert [type(c).__name__ for c in callbacks] == ["EarlyStopping", "ModelCheckpoint"]
    split = overfitting_split()
    result = runs.train("original", split, settings, epochs=allowed, callbacks=callbacks, save=False, verbose=0)
    val_loss = result.history["val_loss"].to_numpy()
    best = int(val_loss.argmin())  # 0-based epoch with the lowest validation loss
    print(f"early stopping: val_loss per epoch {np.round(val_loss, 4).tolist()}, best epoch {best + 1}")
    # it stopped: `patience` epochs without improvement after the best one, far fewer than the 10 allowed
    assert len(val_loss) == result.epochs == best + 1 + patience < allowed
    assert 0 < best < len(val_loss) - 1  # the loss fell, then rose: restoring the best weights changes the model
    assert val_loss[-1] > val_loss[best] + 0.05
    # the returned model is the best epoch's: its predictions score that epoch's validation loss, not the last one's
    restored = cross_entropy(result.val_logits, split.y_val).mean()
    assert restored == pytest.approx(val_loss[best], abs=1e-4)
    assert abs(restored - val_loss[-1]) > 0.05
    # the checkpoint holds the same (best) model
    saved = keras.models.load_model(tmp_path / "ckpt" / "best.keras")
    np.testing.assert_allclose(saved.predict(split.x_val, verbose=0), result.val_logits, rtol=1e-5, atol=1e-5)


def test_standard_callbacks_options():
    assert runs.standard_callbacks() == []
    assert [type(c).__name__ for c in runs.standard_callbacks(early_stopping=3)] == ["EarlyStopping"]
    stopping = runs.standard_callbacks(early_stopping=3)[0]
    assert (stopping.patience, stopping.monitor, stopping.restore_best_weights) == (3, "val_loss", True)
    with pytest.raises(ValueError, match="early_stopping=0"):
        runs.standard_callbacks(early_stopping=0)


@pytest.mark.slow
def test_runs_over_seeds_differ_by_seed_repeat_by_seed_and_are_reused(tmp_path, monkeypatch):
    session = open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=7))
    one, two = runs.runs_over_seeds("original", tiny_split(), session, [1, 2], epochs=1)
    assert [r.info["seed"] for r in (one, two)] == [1, 2]
    assert [runs.run_folder("original", session.with_seed(s), r.key).name for s, r in ((1, one), (2, two))] == [
        f"original-seed1-{one.key[:10]}",
        f"original-seed2-{two.key[:10]}",
    ]
    assert one.key != two.key  # the seed is part of the key
    # another seed, another run: other initial weights, so other trained weights and other validation logits
    w1, w2 = one.model.get_weights()[0], two.model.get_weights()[0]
    assert np.abs(w1 - w2).max() > 0.01
    assert np.abs(one.val_logits - two.val_logits).max() > 0.01
    # the same seed again (trained anew, not read back): the same run
    again = runs.train("original", tiny_split(), session.with_seed(1), epochs=1, save=False, verbose=0)
    np.testing.assert_allclose(again.val_logits, one.val_logits, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(again.model.get_weights()[0], w1, rtol=1e-6, atol=1e-6)

    # asked again, the saved runs are read back, not trained
    def no_training(*args, **kwargs):
        raise AssertionError("runs_over_seeds trained although saved runs exist")

    monkeypatch.setattr(runs, "train", no_training)
    read = runs.runs_over_seeds("original", tiny_split(), session, [1, 2], epochs=1)
    for saved, trained in zip(read, (one, two)):
        np.testing.assert_array_equal(saved.val_logits, trained.val_logits)
        assert saved.model is None and saved.info["seed"] == trained.info["seed"]


# --- the study's numbers beside ours --------------------------------------------------------------------------------


def fake_run(history: dict, val_true, val_pred, name: str = "original") -> runs.Run:
    """A Run with a given history and predictions (logits with the predicted class highest)."""
    logits = np.eye(7)[np.asarray(val_pred)]
    history = pd.DataFrame({"epoch": np.arange(1, len(history["loss"]) + 1), **history})
    return runs.Run(
        name=name,
        history=history,
        seconds=1.0,
        epochs=len(history),
        params=5,
        class_names=CLASS_NAMES,
        val_true=np.asarray(val_true),
        val_logits=logits,
        val_ids=[str(i) for i in range(len(val_true))],
    )


class Source:
    name, is_sample = "sample", True


def test_majority_share():
    assert study.majority_share([5, 5, 5, 4]) == 0.75
    with pytest.raises(ValueError, match="empty"):
        study.majority_share([])


def test_curve_reading_sees_overfitting():
    overfit = {
        "accuracy": [0.5, 0.7, 0.9],
        "loss": [1.5, 1.0, 0.4],
        "val_accuracy": [0.5, 0.5, 0.45],
        "val_loss": [1.3, 1.2, 1.6],
    }
    text = study.curve_reading(pd.DataFrame({"epoch": [1, 2, 3], **overfit}))
    assert "lowest after epoch 2" in text and "overfits" in text and "memorises" in text
    assert "tentative" not in text
    still = {"accuracy": [0.4, 0.5], "loss": [1.5, 1.4], "val_accuracy": [0.45, 0.5], "val_loss": [1.4, 1.3]}
    text = study.curve_reading(pd.DataFrame({"epoch": [1, 2], **still}))
    assert "no overfitting yet" in text and "memorises" not in text and "tentative" in text
    noisy = {
        "accuracy": [0.4, 0.5, 0.5],
        "loss": [1.5, 1.4, 1.3],
        "val_accuracy": [0.5, 0.5, 0.5],
        "val_loss": [1.4, 1.3, 1.35],
    }
    text = study.curve_reading(pd.DataFrame({"epoch": [1, 2, 3], **noisy}))
    assert "noise than overfitting" in text and "overfits" not in text


def test_baseline_reading_and_comparison():
    history = {"accuracy": [0.6], "loss": [1.0], "val_accuracy": [0.5], "val_loss": [1.1]}
    run = fake_run(history, val_true=[5, 5, 5, 4], val_pred=[5, 5, 5, 5])
    text = study.baseline_reading(run, Source())
    assert "offline sample (not WikiArt)" in text and "barely differs from the 0.750" in text
    assert "'class 5'" in text
    table = study.comparison(run, Source())
    assert list(table.index) == ["this run", "the study (report and code)"]
    assert table.loc["this run", "validation accuracy"] == 0.75
    assert table.loc["this run", "study RMSE (class indices)"] == 0.5  # one error of 1 in 4: sqrt(1/4)
    assert table.loc["the study (report and code)", "study RMSE (class indices)"] == 1.98
    assert table.loc["the study (report and code)", "parameters"] == 1_867_815


def test_curve_facts_are_the_numbers_and_words_of_the_reading():
    history = {
        "accuracy": [0.5, 0.7, 0.9],
        "loss": [1.5, 1.0, 0.4],
        "val_accuracy": [0.5, 0.55, 0.45],
        "val_loss": [1.3, 1.2, 1.6],
    }
    facts = study.curve_facts(pd.DataFrame({"epoch": [1, 2, 3], **history}))
    assert (facts.epochs, facts.best_epoch) == (3, 2)
    assert (facts.training_accuracy, facts.validation_accuracy, facts.gap) == (0.9, 0.45, 0.45)
    assert facts.verdict.startswith("Validation loss was lowest after epoch 2") and "overfits" in facts.verdict
    assert str(facts).endswith(facts.verdict) and "(a gap of +0.450)" in str(facts)


def test_compared_reads_differences_under_close_as_none():
    assert study.compared(0.5, 0.5 + study.CLOSE) == "larger than"
    assert study.compared(0.5, 0.5 - study.CLOSE) == "smaller than"
    assert study.compared(0.5, 0.52) == "about the same as"
    assert study.compared(0.52, 0.5) == "about the same as"


def test_baseline_facts_verdict_in_each_direction():
    history = {"accuracy": [0.6], "loss": [1.0], "val_accuracy": [0.5], "val_loss": [1.1]}
    truth = [5, 5, 4, 4, 4]  # majority class 4: a share of 0.6
    cases = {
        "beats": [5, 5, 4, 4, 4],  # 1.0
        "barely differs from": [4, 4, 4, 4, 4],  # 0.6
        "falls below": [4, 4, 5, 5, 4],  # 0.2
    }
    for verdict, pred in cases.items():
        facts = study.baseline_facts(fake_run(history, val_true=truth, val_pred=pred), Source())
        assert facts.verdict == verdict, (pred, facts)
        assert (facts.share, facts.majority, facts.images) == (0.6, "class 4", 5)
    assert facts.accuracy == 0.2 and facts.margin == -0.4
    assert facts.data == "the offline sample (not WikiArt)"


def test_data_words_name_the_sample_as_no_wikiart():
    class WikiArt:
        name, is_sample = "wikiart", False

    assert study.data_words(Source()) == "the offline sample (not WikiArt)"
    assert study.data_words(WikiArt()) == "WikiArt Emotions"


# --- the learning check ------------------------------------------------------------------------------------------

LEARNING_N = 800  # artworks in the sample; about 655 get a class
LEARNING_SIZE = 32  # pixels: small enough to train in seconds, large enough for the sample's palettes and strokes
LEARNING_EPOCHS = 8
LEARNING_MARGIN = 0.08  # measured over seeds 1–7 and 123: +0.107 … +0.183; shuffled labels: +0.000


@pytest.mark.slow
def test_the_original_cnn_learns_more_than_the_majority_class():
    """On the sample, the original CNN must beat "always the most frequent class" clearly: images and labels
    that got out of step (a wrong order, a shuffle of one without the other) leave it at the majority share."""
    from course_utils.datasets.prepare import prepare
    from course_utils.datasets.sample import write_sample

    root = Path(os.environ["COURSE_DATA_DIR"]) / f"learning-check-n{LEARNING_N}-seed123"
    write_sample(root / "data", n=LEARNING_N, seed=123, overwrite=False)
    if not (root / "classes" / "prepare.json").is_file():
        prepare(root / "data", root / "classes")
    start = time.perf_counter()
    split = load_split(root / "classes", seed=123, stratified=True, image_size=LEARNING_SIZE)
    settings = open_session(Settings(data="sample", profile="smoke", data_dir=root, seed=123))
    result = runs.train("original", split, settings, epochs=LEARNING_EPOCHS, save=False, verbose=0)
    share = study.majority_share(split.y_val)
    accuracy = float(result.history["val_accuracy"].iloc[-1])
    print(
        f"learning check: validation accuracy {accuracy:.3f}, majority share {share:.3f}, "
        f"{len(split.y_val)} validation images, {time.perf_counter() - start:.1f} s"
    )
    assert accuracy >= share + LEARNING_MARGIN, (
        f"validation accuracy {accuracy:.3f} is not clearly above the majority share {share:.3f}: "
        "are images and labels still in step?"
    )


@pytest.mark.slow
def test_plain_keras_and_runs_train_give_the_same_history(run, settings):
    """Chapter 05's plain Keras (seed, compile, fit on the split's tf.data pipelines) trains what runs.train trains:
    same seed, same split, same settings, the same history epoch by epoch (on a CPU, where train uses float32)."""
    import keras

    from course_utils.models import cnns

    split = tiny_split()
    keras.utils.set_random_seed(settings.seed)
    model = cnns.build("original", split.x_train.shape[1:], len(split.class_names))
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train_ds, val_ds = split.datasets(batch_size=32)
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=0).history
    assert run.info["mixed_precision"] is False
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history[key], run.history[key], rtol=1e-4, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(model.predict(split.x_val, verbose=0), run.val_logits, rtol=1e-4, atol=1e-5)
    keras.utils.set_random_seed(settings.seed + 1)
    other = cnns.build("original", split.x_train.shape[1:], len(split.class_names))
    other.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss = other.fit(train_ds, epochs=1, verbose=0).history["loss"][0]
    assert not np.isclose(loss, run.history["loss"][0], rtol=1e-4), "another seed gives another history"
