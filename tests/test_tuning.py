"""The search over the CNN family: the metrics it optimises, trials that all complete, failures that raise,
and a resumed search that does not redo finished trials. Tiny random 32×32 images keep it fast."""

import shutil
import warnings

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from course_utils.config.profiles import budget
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import open_session
from course_utils.training import tuning

N_CLASSES = 3


#: The hyperparameters chapter 11's search space opens, written out by hand.
HYPERPARAMETERS = {
    "conv_blocks",
    "filters",
    "kernel_size",
    "dropout",
    "dense_units",
    "activation",
    "learning_rate",
    "augmentation",
}


@pytest.fixture(scope="module")
def tiny_split():
    """40 random 32×32 images in 3 classes: 30 for training, 10 for validation."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, N_CLASSES, 40).astype("int32")
    ids = [f"{i:024x}" for i in range(40)]
    return Split(x[:30], y[:30], x[30:], y[30:], ids[:30], ids[30:], ["a", "b", "c"])


def hypermodel():
    return tuning.CNNHyperModel((32, 32, 3), N_CLASSES)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streaming_metrics_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, 60)
    y[y == 4] = 3  # class 4 never occurs in the labels (but may be predicted)
    logits = rng.normal(size=(60, 5)).astype("float32")
    pred = logits.argmax(axis=1)
    f1, balanced = tuning.MacroF1(5), tuning.BalancedAccuracy(5)
    for start in range(0, 60, 25):  # in batches, as Keras feeds them
        f1.update_state(y[start : start + 25], logits[start : start + 25])
        balanced.update_state(y[start : start + 25], logits[start : start + 25])
    assert float(f1.result()) == pytest.approx(f1_score(y, pred, average="macro", zero_division=0), abs=1e-6)
    with warnings.catch_warnings():  # scikit-learn warns that class 4 is predicted but never true
        warnings.simplefilter("ignore")
        expected = balanced_accuracy_score(y, pred)
    assert float(balanced.result()) == pytest.approx(expected, abs=1e-6)
    f1.reset_state()
    assert float(f1.result()) == 0.0


def test_macro_f1_of_a_perfect_and_a_constant_classifier():
    perfect, constant = tuning.MacroF1(3), tuning.MacroF1(3)
    y = np.array([0, 0, 1, 2])
    perfect.update_state(y, np.eye(3)[y])
    constant.update_state(y, np.eye(3)[[0, 0, 0, 0]])
    assert float(perfect.result()) == pytest.approx(1.0)
    # class 0: precision 2/4, recall 1 -> F1 2/3; classes 1 and 2: F1 0 -> mean 2/9
    assert float(constant.result()) == pytest.approx(2 / 9)


@pytest.fixture(scope="module")
def searched(tiny_split, tmp_path_factory):
    """One finished search of three trials, the first two drawn at random and the third a Bayesian step, shared
    by the tests that read it (each trial trains a model): (its folder, the hypermodel, the tuner, the number of
    finished trials each time keras-tuner drew a trial's values at random)."""
    folder = tmp_path_factory.mktemp("tuner") / "search"
    model = hypermodel()
    # keras-tuner draws a trial's values with _random_values only for a random start; the Gaussian process
    # proposes the others (populate_space fits it and optimises an upper confidence bound instead)
    drawn = []
    real = tuning.RecordingBayesianOracle._random_values

    def counting(self):
        drawn.append(len(self.trials))
        return real(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tuning.RecordingBayesianOracle, "_random_values", counting)
        tuner = tuning.run_search(model, tiny_split, folder, max_trials=3, epochs=1, initial_points=2)
    return folder, model, tuner, drawn


def copy_of_the_search(searched, tmp_path):
    """A copy of the shared search's folder, for a test that goes on searching in it."""
    folder = tmp_path / "search"
    shutil.copytree(searched[0], folder)
    return folder


def test_search_completes_every_trial(searched):
    _, model, tuner, _ = searched
    assert model.fits == 3
    assert [t.status for t in tuner.oracle.trials.values()] == ["COMPLETED"] * 3
    table = tuning.trials_table(tuner)
    assert list(table.index) == ["0", "1", "2"] and table["score (val macro-F1)"].between(0, 1).all()
    assert HYPERPARAMETERS <= set(table.columns)


def test_a_resumed_search_does_not_redo_finished_trials(searched, tiny_split, tmp_path):
    folder = copy_of_the_search(searched, tmp_path)
    scores = dict(tuning.trials_table(searched[2])["score (val macro-F1)"])
    again = hypermodel()  # a fresh process would start like this: same folder, one more trial allowed
    tuner = tuning.run_search(again, tiny_split, folder, max_trials=4, epochs=1)
    assert again.fits == 1, "the three finished trials must be reloaded, not trained again"
    resumed = tuning.trials_table(tuner)
    assert list(resumed.index) == ["0", "1", "2", "3"] and set(resumed["status"]) == {"COMPLETED"}
    assert dict(resumed["score (val macro-F1)"].loc[["0", "1", "2"]]) == scores


class Interrupted(BaseException):
    """Stands for Ctrl-C or a killed kernel in the middle of a trial."""


class InterruptedOnItsFirstTrial(tuning.CNNHyperModel):
    def fit(self, hp, model, *args, **kwargs):
        if self.fits == 0:
            raise Interrupted()
        return super().fit(hp, model, *args, **kwargs)


def test_an_interrupted_search_continues_with_the_unfinished_trial(searched, tiny_split, tmp_path):
    # the shared search's three finished trials, then a fourth interrupted while it trains
    folder = copy_of_the_search(searched, tmp_path)
    with pytest.raises(Interrupted):
        tuning.run_search(InterruptedOnItsFirstTrial((32, 32, 3), N_CLASSES), tiny_split, folder, 4, 1)
    resumed = hypermodel()
    tuner = tuning.run_search(resumed, tiny_split, folder, max_trials=4, epochs=1)
    assert resumed.fits == 1, "only the interrupted trial runs again"
    assert sorted(tuner.oracle.trials) == ["0", "1", "2", "3"]
    assert {t.status for t in tuner.oracle.trials.values()} == {"COMPLETED"}


class Broken(tuning.CNNHyperModel):
    def fit(self, hp, model, *args, **kwargs):
        raise ValueError("deliberately broken trial")


def test_a_failed_trial_makes_the_search_raise(tiny_split, tmp_path):
    with pytest.raises(tuning.SearchFailed) as info:
        tuning.run_search(Broken((32, 32, 3), N_CLASSES), tiny_split, tmp_path / "search", max_trials=2, epochs=1)
    message = str(info.value)
    assert "2 of 2 trials did not complete" in message
    assert "trial 0 (FAILED)" in message and "deliberately broken trial" in message


@pytest.mark.slow
def test_best_model_retrains_with_the_study_training_code(searched, tiny_split, tmp_path, monkeypatch):
    import keras

    from course_utils.config.settings import Settings
    from course_utils.training import runs

    calls = []
    real_train = runs.train

    def recording_train(*args, **kwargs):
        calls.append(kwargs)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(runs, "train", recording_train)
    session = open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path / "data", seed=123))
    _, model, tuner, _ = searched
    fits = model.fits
    run = tuning.retrain_best(tuner, model, tiny_split, session)  # epochs: the profile's
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.score == tuning.trials_table(tuner)["score (val macro-F1)"].max()
    # trained once, by runs.train (not by the tuner's fit), under the best trial's tag
    assert len(calls) == 1 and model.fits == fits
    assert calls[0]["tag"] == run.info["tag"] == f"tuned-trial{best.trial_id}"
    # compiled as the study compiles: Adam (at the trial's learning rate), sparse categorical cross-entropy on
    # logits, accuracy; trained for the smoke profile's epochs in batches of 32, as the study's models are
    optimizer, loss = run.model.optimizer, run.model.loss
    assert type(optimizer) is keras.optimizers.Adam
    assert float(optimizer.learning_rate) == pytest.approx(best.hyperparameters.get("learning_rate"), rel=1e-6)
    assert type(loss) is keras.losses.SparseCategoricalCrossentropy and loss.get_config()["from_logits"] is True
    assert list(run.history.columns) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "seconds"]
    epochs = budget("smoke").epochs_for("default")
    assert run.epochs == epochs and run.history["epoch"].tolist() == list(range(1, epochs + 1))
    assert run.info["batch_size"] == 32
    assert run.val_logits.shape == (10, N_CLASSES)
    assert run.params == model.architecture(best.hyperparameters).count_params()
    # saved like the study's runs: asked again, it is read back, not trained again
    again = tuning.retrain_best(tuner, model, tiny_split, session)
    assert len(calls) == 1 and again.model is None
    np.testing.assert_array_equal(again.val_logits, run.val_logits)


def test_distributed_role_follows_keras_tuner_environment(monkeypatch):
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert tuning.distributed_role() == "single"
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "10.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    assert tuning.distributed_role() == "chief"
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner1")
    assert tuning.distributed_role() == "tuner1"


def test_search_space_covers_the_cnn_family():
    space = tuning.space_table(hypermodel())
    assert set(space.index) == HYPERPARAMETERS
    assert space.loc["learning_rate", "values"].endswith("(log)")


def test_a_search_past_its_random_starts_takes_a_bayesian_step(searched, tmp_path):
    _, _, tuner, drawn = searched  # three trials, two of them random starts (the fixture counts the draws)
    assert drawn == [0, 1], "only the first two trials may be drawn at random"
    assert tuner.oracle.proposed_by == {"0": "random start", "1": "random start", "2": "Bayesian step"}
    assert tuning.proposals(tuner) == {"random starts": 2, "Bayesian steps": 1}
    assert tuning.proposals(tuner) == tuning.start_plan(3, 2)
    assert list(tuning.trials_table(tuner)["proposed by"]) == ["random start", "random start", "Bayesian step"]
    # the record is saved with the oracle: a reloaded search still knows it, and keeps its 2 random starts
    reloaded = tuning.make_tuner(hypermodel(), copy_of_the_search(searched, tmp_path), 3, initial_points=None)
    assert reloaded.oracle.proposed_by == tuner.oracle.proposed_by and reloaded.oracle.initial_points() == 2


def test_keras_tuner_default_makes_a_short_search_a_random_search(tmp_path):
    # keras-tuner's default: 3 random starts per hyperparameter; the space has 8 of them
    assert tuning.default_initial_points(hypermodel()) == 3 * len(HYPERPARAMETERS) == 24
    default = tuning.make_tuner(hypermodel(), tmp_path / "default", 30, initial_points=None)
    assert default.oracle.initial_points() == 24
    assert tuning.make_tuner(hypermodel(), tmp_path / "ours", 30).oracle.initial_points() == tuning.INITIAL_POINTS
    assert tuning.start_plan(8, 24) == {"random starts": 8, "Bayesian steps": 0}
    assert tuning.start_plan(30, 24) == {"random starts": 24, "Bayesian steps": 6}
    assert tuning.start_plan(30, tuning.INITIAL_POINTS) == {"random starts": 10, "Bayesian steps": 20}
