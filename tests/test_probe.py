"""The linear probe offline: without ImageNet weights it runs on random ones and says so (or refuses when asked),
its embeddings are saved and read back, and its predictions have the shape of a CNN's run. Nothing is
downloaded: the smoke profile takes random weights without the network, and a tiny stand-in backbone (the
mean colour of each image) keeps most tests fast; one slow test embeds with the real MobileNetV3Small."""

import numpy as np
import pytest
from test_colour_baseline import NAMES, synthetic_split

from course_utils.analysis import metrics
from course_utils.config.settings import Settings
from course_utils.datasets.session import open_session
from course_utils.training import probe, transfer
from course_utils.training.runs import Run


def no_network(*args, **kwargs):
    raise AssertionError("this path must not touch the network")


def mean_colour(name, input_shape, weights):
    """A stand-in backbone: each image's mean R, G and B (a model Keras can fingerprint and predict with)."""
    import keras

    inputs = keras.Input(tuple(input_shape))
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs), name=f"mean_{name}")


@pytest.fixture
def session(tmp_path):
    return open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=123))


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(transfer, "reachable", no_network)
    monkeypatch.setattr(transfer, "backbone", mean_colour)


def test_without_imagenet_weights_the_probe_says_it_is_random(session, offline, capsys):
    split = synthetic_split(informative=True, sizes=(90, 45, 45))
    result = probe.linear_probe(split, session)
    printed = capsys.readouterr().out
    assert not result.pretrained and result.choice.weights is None
    assert result.label == "random-weights probe (mobilenetv3small), not a pretrained one"
    assert result.label in printed and "RANDOM" in printed
    assert result.run.info["weights"] == "random" and "RANDOM" in result.run.info["weights note"]
    assert result.run.info["tag"] == "probe-mobilenetv3small-random"


def test_the_probe_refuses_random_weights_when_pretrained_ones_are_required(session, offline):
    split = synthetic_split(informative=True, sizes=(30, 15, 15))
    with pytest.raises(RuntimeError, match="no pretrained weights for the linear probe: smoke profile.*RANDOM"):
        probe.linear_probe(split, session, require_pretrained=True)


def test_a_pretrained_probe_is_labelled_as_one(session, offline):
    split = synthetic_split(informative=True, sizes=(30, 15, 15))
    choice = transfer.WeightChoice("imagenet", "ImageNet weights of mobilenetv3small from the Keras cache")
    result = probe.linear_probe(split, session, choice=choice, require_pretrained=True, verbose=False)
    assert result.pretrained and result.label == "linear probe on ImageNet mobilenetv3small"
    assert result.run.info["tag"] == "probe-mobilenetv3small-imagenet"


def test_predictions_have_the_shape_of_a_cnn_run_and_learn_the_colour(session, offline):
    split = synthetic_split(informative=True)
    run = probe.linear_probe(split, session, verbose=False).run
    assert isinstance(run, Run) and run.params == 3 * 3 + 3  # 3 mean colours → 3 classes
    assert run.val_logits.shape == (150, 3) and run.test_logits.shape == (300, 3)
    assert run.val_ids == split.val_ids and run.test_ids == split.test_ids
    majority = metrics.majority_predictions(split.y_train, len(split.y_test))
    ours = metrics.scores(run.test_true, run.test_pred, NAMES)
    assert ours["macro-F1"] > metrics.scores(split.y_test, majority, NAMES)["macro-F1"] + 0.4


def test_embeddings_are_saved_and_read_back(session, offline, monkeypatch):
    split = synthetic_split(informative=True, sizes=(60, 30, 30))
    first = probe.linear_probe(split, session, verbose=False).run
    assert first.info["embeddings"] == "computed"
    saved = list(session.data_dir.rglob("embeddings.npz"))
    assert len(saved) == 1 and "probe-mobilenetv3small-random" in str(saved[0])
    with np.load(saved[0]) as data:  # the stand-in's embedding is each image's mean colour
        assert data["val"] == pytest.approx(split.x_val.mean(axis=(1, 2)), abs=1e-3)
        assert data["test_ids"].tolist() == split.test_ids
    monkeypatch.setattr(probe, "embed", no_network)
    second = probe.linear_probe(split, session, verbose=False).run
    assert second.info["embeddings"] == "read from the saved file"
    assert np.array_equal(first.test_logits, second.test_logits)
    # another split (other pixels) is embedded anew, not read from the old file
    other = synthetic_split(informative=True, sizes=(60, 30, 30), seed=5)
    with pytest.raises(AssertionError, match="must not touch the network"):
        probe.linear_probe(other, session, verbose=False)


def test_an_unknown_backbone_is_named(session, monkeypatch):
    monkeypatch.setattr(transfer, "reachable", no_network)
    split = synthetic_split(informative=True, sizes=(30, 15, 15))
    with pytest.raises(ValueError, match="unknown backbone 'resnet50'"):
        probe.linear_probe(split, session, "resnet50")


@pytest.mark.slow
def test_random_mobilenet_embeddings_repeat_with_the_seed(session, monkeypatch):
    monkeypatch.setattr(transfer, "reachable", no_network)
    split = synthetic_split(informative=True, sizes=(24, 12, 12))
    split.x_train, split.x_val, split.x_test = (
        np.repeat(np.repeat(x, 4, axis=1), 4, axis=2) for x in (split.x_train, split.x_val, split.x_test)
    )  # 32 × 32, MobileNetV3's smallest input
    choice = transfer.choose_weights("mobilenetv3small", session)
    first, reused = probe.split_embeddings(split, session, "mobilenetv3small", choice)
    assert not reused and first["train"].shape == (24, 576) and first["test"].shape == (12, 576)
    for path in session.data_dir.rglob("embeddings.npz"):
        path.unlink()
    again, reused = probe.split_embeddings(split, session, "mobilenetv3small", choice)
    # random weights shrink the activations layer by layer (about 1e-11 here): compare relative to the scale
    scale = np.abs(first["val"]).max()
    assert scale > 0 and np.allclose(first["val"], again["val"], rtol=0, atol=1e-4 * scale)
    assert not reused
    other, _ = probe.split_embeddings(split, session.with_seed(7), "mobilenetv3small", choice)
    assert not np.allclose(first["val"], other["val"], rtol=0, atol=0.1 * scale)  # other random weights
