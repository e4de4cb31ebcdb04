"""Data-parallel training with tf.distribute: strategy choice, TF_CONFIG, and a mirrored run on two logical CPU
devices that must compute what one device computes (run in a fresh process: logical devices need TensorFlow
uninitialised, and the other tests' TensorFlow state must stay untouched)."""

import json
import math

import pytest

from course_utils import distribute


@pytest.fixture(scope="module")
def mirrored():
    """One mirrored check on two logical CPUs (smoke sample, original CNN, 2 epochs, 8 images per replica)."""
    return distribute.mirrored_check(devices=2, model="original", epochs=2, batch_size=8)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_logical_devices_give_two_replicas_and_a_doubled_global_batch(mirrored):
    assert mirrored["replicas"] == 2 and mirrored["run_replicas"] == 2
    assert len(mirrored["devices"]) == 2 and all("CPU" in d for d in mirrored["devices"])
    assert mirrored["global_batch"] == 2 * mirrored["per_replica_batch"] == 16
    # train() fed 16 images per step (8 per replica), so an epoch has ceil(n / 16) steps, not ceil(n / 8)
    assert mirrored["steps_per_epoch"] == math.ceil(mirrored["train_images"] / 16)


@pytest.mark.slow
def test_a_mirrored_step_matches_a_single_device_step(mirrored):
    assert mirrored["first_step_loss_mirrored"] == pytest.approx(mirrored["first_step_loss_single"], abs=1e-5)
    # averaged over the two halves of the batch, the gradient equals the whole batch's gradient up to rounding
    assert mirrored["gradient_relative_difference"] < 1e-4


@pytest.mark.slow
def test_mirrored_training_learns_and_predicts_in_order(mirrored):
    losses = mirrored["train_loss"] + mirrored["val_loss"]
    assert all(math.isfinite(v) for v in losses)
    assert mirrored["train_loss"][-1] < mirrored["train_loss"][0]
    assert mirrored["val_predictions"] == mirrored["val_images"]
    # predictions gathered from both replicas come back in the validation set's order
    assert mirrored["val_accuracy_from_predictions"] == pytest.approx(mirrored["val_accuracy_keras"], abs=1e-6)


def test_logical_cpus_after_tensorflow_started_names_the_problem():
    import tensorflow as tf

    tf.config.list_logical_devices("CPU")  # initialises TensorFlow in this process
    with pytest.raises(RuntimeError, match="already initialised"):
        distribute.logical_cpus(2)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        distribute.logical_cpus(0)


def test_strategy_kinds(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="'several'"):
        distribute.strategy("several")
    with pytest.raises(RuntimeError, match="TF_CONFIG"):
        distribute.strategy("multiworker")
    assert distribute.strategy("default").num_replicas_in_sync == 1
    assert distribute.strategy("auto").num_replicas_in_sync == 1  # one CPU device, no GPU, no TF_CONFIG


def test_tf_config_describes_the_cluster_and_this_worker():
    config = json.loads(distribute.tf_config(["a:2222", "b:2222"], 1))
    assert config == {"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="index 2"):
        distribute.tf_config(["a:2222", "b:2222"], 2)


def test_linear_learning_rate_scaling():
    assert distribute.scaled_learning_rate(1e-3, 4) == pytest.approx(4e-3)
    with pytest.raises(ValueError, match="got 0"):
        distribute.scaled_learning_rate(1e-3, 0)
