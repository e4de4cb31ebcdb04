"""Transfer learning offline: the model builds with random weights, the weight choice falls back without a network
(every path exercised with monkeypatch, nothing is downloaded), freezing and unfreezing, and reloading saved runs."""

import socket

import numpy as np
import pandas as pd
import pytest

from course_utils.config.settings import Settings
from course_utils.datasets.session import Session, open_session
from course_utils.training import transfer
from course_utils.training.runs import Run


def settings_for(tmp_path, profile="quick") -> Session:
    return open_session(Settings(data="sample", profile=profile, data_dir=tmp_path, seed=123))


def no_network(*args, **kwargs):
    raise AssertionError("this path must not touch the network")


def test_model_builds_offline_with_random_weights():
    model = transfer.transfer_model("mobilenetv3small", (64, 64, 3), 7, weights=None)
    assert model.output_shape == (None, 7)
    assert transfer.trainable_params(model) == 576 * 7 + 7  # only the new head learns while frozen
    backbone = model.layers[1]
    assert not backbone.trainable
    assert type(backbone.layers[1]).__name__ == "Rescaling"  # the backbone's own preprocessing is inside the model
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3)).astype("float32")
    assert model.predict(images, verbose=0).shape == (2, 7)


def test_unfreeze_opens_the_top_of_the_backbone_but_not_batch_norm():
    from keras import layers

    model = transfer.transfer_model("mobilenetv3small", (64, 64, 3), 7, weights=None)
    frozen = transfer.trainable_params(model)
    transfer.unfreeze(model, 0.7)
    partly = transfer.trainable_params(model)
    transfer.unfreeze(model, 0.0)
    whole = transfer.trainable_params(model)
    assert frozen < partly < whole < model.count_params()  # batch-norm statistics and scales stay frozen
    backbone = model.layers[1]
    assert not any(layer.trainable for layer in backbone.layers if isinstance(layer, layers.BatchNormalization))


def test_unknown_backbone_is_named():
    with pytest.raises(ValueError, match="unknown backbone 'resnet50'.*mobilenetv3small"):
        transfer.backbone("resnet50")


def test_smoke_profile_takes_random_weights_without_the_network(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "reachable", no_network)
    monkeypatch.setattr(transfer, "backbone", no_network)
    choice = transfer.choose_weights("mobilenetv3small", settings_for(tmp_path, "smoke"))
    assert choice.weights is None and choice.label == "random" and "RANDOM" in choice.note


def test_unreachable_server_falls_back_to_random_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "cached_weights", lambda name: None)
    monkeypatch.setattr(transfer, "reachable", lambda url, timeout=3.0: False)
    monkeypatch.setattr(transfer, "backbone", no_network)
    choice = transfer.choose_weights("mobilenetv3small", settings_for(tmp_path))
    assert choice.weights is None and "unreachable" in choice.note and "RANDOM" in choice.note


def test_failed_download_falls_back_to_random_weights(tmp_path, monkeypatch):
    def failing_download(name, input_shape, weights):
        assert weights == "imagenet" and socket.getdefaulttimeout() == 30.0  # bounded wait while downloading
        raise Exception("URL fetch failure on https://storage.googleapis.com/…: None -- timed out")

    monkeypatch.setattr(transfer, "cached_weights", lambda name: None)
    monkeypatch.setattr(transfer, "reachable", lambda url, timeout=3.0: True)
    monkeypatch.setattr(transfer, "backbone", failing_download)
    before = socket.getdefaulttimeout()
    choice = transfer.choose_weights("mobilenetv3small", settings_for(tmp_path))
    assert choice.weights is None and "failed" in choice.note and "timed out" in choice.note
    assert socket.getdefaulttimeout() == before  # the timeout is restored


def test_downloaded_or_cached_weights_are_used(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "cached_weights", lambda name: None)
    monkeypatch.setattr(transfer, "reachable", lambda url, timeout=3.0: True)
    monkeypatch.setattr(transfer, "backbone", lambda name, input_shape, weights: object())
    assert transfer.choose_weights("efficientnetb0", settings_for(tmp_path)).weights == "imagenet"
    monkeypatch.setattr(transfer, "cached_weights", lambda name: tmp_path / "weights.h5")
    monkeypatch.setattr(transfer, "reachable", no_network)
    choice = transfer.fetch_weights("mobilenetv3small")
    assert choice.weights == "imagenet" and "cache" in choice.note


def test_cached_weights_are_found_where_keras_downloads_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert transfer.cached_weights("efficientnetb0") is None
    weights = tmp_path / "keras" / "models" / "efficientnetb0_notop.h5"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"h5")
    assert transfer.cached_weights("efficientnetb0") == weights
    assert transfer.cached_weights("mobilenetv3small") is None
    with pytest.raises(ValueError, match="'resnet50'"):
        transfer.cached_weights("resnet50")


def test_offline_quick_profile_falls_back_to_random_weights_without_stubbing_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(transfer, "reachable", lambda url, timeout=3.0: False)
    choice = transfer.choose_weights("mobilenetv3small", settings_for(tmp_path, "quick"))
    assert choice.weights is None and "unreachable" in choice.note


def fake_run(tag, epochs) -> Run:
    history = pd.DataFrame(
        {"epoch": np.arange(1, epochs + 1), "accuracy": 0.5, "loss": 1.0, "val_accuracy": 0.5, "val_loss": 1.0}
    )
    return Run(
        name=tag,
        history=history,
        seconds=1.0,
        epochs=epochs,
        params=10,
        class_names=["a", "b"],
        val_true=np.array([0, 1]),
        val_logits=np.eye(2, dtype=np.float32),
        val_ids=["x", "y"],
        info={"tag": tag},
    )


def test_saved_stages_are_reloaded_and_their_curves_join(tmp_path, monkeypatch):
    from course_utils.datasets.pipeline import Split
    from course_utils.training import runs

    settings = settings_for(tmp_path, "smoke")
    choice = transfer.WeightChoice(None, "test")
    keys = ("a" * 16, "b" * 16)
    monkeypatch.setattr(transfer, "stage_keys", lambda *args: keys)
    for tag, epochs, key in zip(transfer.stage_tags("mobilenetv3small", choice), (2, 3), keys):
        saved = fake_run(tag, epochs)
        saved.info["key"] = key
        saved.save(runs.run_folder(tag, settings, key))
    monkeypatch.setattr(transfer, "train", no_network)
    split = Split(
        np.zeros((2, 64, 64, 3), np.uint8),
        np.array([0, 1]),
        np.zeros((2, 64, 64, 3), np.uint8),
        np.array([0, 1]),
        ["x", "y"],
        ["x", "y"],
        ["a", "b"],
    )
    runs = transfer.fit_transfer(split, settings, choice=choice)
    assert (runs.frozen.epochs, runs.finetuned.epochs) == (2, 3)
    curves = transfer.stage_histories(runs)
    assert curves["frozen backbone"]["epoch"].tolist() == [1, 2]
    assert curves["fine-tuned"]["epoch"].tolist() == [2, 3, 4, 5]  # starts where stage 1 ended
