"""Data-parallel training with tf.distribute: strategy choice, TF_CONFIG, and a mirrored run on two logical CPU
devices that must compute what one device computes (run in a fresh process: logical devices need TensorFlow
uninitialised, and the other tests' TensorFlow state must stay untouched)."""

import json
import math

import pytest

from course_utils.training import distributed, processes, strategies


@pytest.fixture(scope="module")
def mirrored():
    """One mirrored check on two logical CPUs (smoke sample, original CNN, 2 epochs, 8 images per replica)."""
    return distributed.mirrored_check(devices=2, model="original", epochs=2, batch_size=8)


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
        strategies.logical_cpus(2)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        strategies.logical_cpus(0)


def test_strategy_kinds(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="'several'"):
        strategies.strategy("several")
    with pytest.raises(RuntimeError, match="TF_CONFIG"):
        strategies.strategy("multiworker")
    assert strategies.strategy("default").num_replicas_in_sync == 1
    assert strategies.strategy("auto").num_replicas_in_sync == 1  # one CPU device, no GPU, no TF_CONFIG


def test_tf_config_describes_the_cluster_and_this_worker():
    config = json.loads(strategies.tf_config(["a:2222", "b:2222"], 1))
    assert config == {"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="index 2"):
        strategies.tf_config(["a:2222", "b:2222"], 2)


def test_linear_learning_rate_scaling():
    assert strategies.scaled_learning_rate(1e-3, 4) == pytest.approx(4e-3)
    with pytest.raises(ValueError, match="got 0"):
        strategies.scaled_learning_rate(1e-3, 0)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes on 127.0.0.1 as one MultiWorkerMirroredStrategy cluster (toy data, 2 epochs)."""
    return distributed.multiworker_check(workers=2, model="original", epochs=2, batch_size=8)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_workers_form_one_cluster_and_a_step_matches_one_device(cluster):
    assert [w["worker"] for w in cluster] == [0, 1]
    assert all(w["replicas"] == 2 and w["global_batch"] == 16 for w in cluster)
    for w in cluster:
        assert w["first_step_loss_workers"] == pytest.approx(w["first_step_loss_single"], abs=1e-5)
        assert w["gradient_relative_difference"] < 1e-4


@pytest.mark.slow
def test_two_workers_train_the_same_model_through_train(cluster):
    first, second = cluster
    assert first["train_loss"] == second["train_loss"] and all(math.isfinite(v) for v in first["train_loss"])
    assert first["weights_checksum"] == second["weights_checksum"]  # the replicas stayed equal
    assert first["val_predictions"] == 16
    assert first["val_accuracy"][-1] == pytest.approx(first["val_accuracy_from_predictions"], abs=1e-9)


def one_epoch(custom: bool, class_weight=None):
    """One epoch of SGD on the toy split from fixed weights, by Keras's fit or the custom loop; history, weights."""
    import keras
    import tensorflow as tf

    from course_utils.models import cnns

    split = distributed.toy_split()
    keras.utils.set_random_seed(1)
    net = cnns.build("original", split.x_train.shape[1:], 3)
    net.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train_ds, val_ds = split.datasets(16, shuffle=False)
    if custom:
        history, times = strategies.fit_custom(
            net, train_ds, val_ds, 1, tf.distribute.get_strategy(), class_weight
        )
        assert len(times) == 1 and times[0] > 0
    else:
        history = net.fit(
            train_ds, validation_data=val_ds, epochs=1, verbose=0, class_weight=class_weight, shuffle=False
        ).history
    return history, net.get_weights()


def test_the_custom_loop_computes_what_fit_computes_on_one_device():
    fit_history, fit_weights = one_epoch(custom=False)
    loop_history, loop_weights = one_epoch(custom=True)
    assert distributed.relative_difference(fit_weights, loop_weights) < 1e-5
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert loop_history[key][0] == pytest.approx(fit_history[key][0], rel=1e-4), key


def test_the_custom_loop_weights_classes_like_fit():
    weights = {0: 3.0, 1: 0.5, 2: 1.0}
    fit_history, fit_weights = one_epoch(custom=False, class_weight=weights)
    loop_history, loop_weights = one_epoch(custom=True, class_weight=weights)
    assert distributed.relative_difference(fit_weights, loop_weights) < 1e-5
    assert loop_history["loss"][0] == pytest.approx(fit_history["loss"][0], rel=1e-4)


def test_train_switches_to_the_custom_loop_for_multiple_workers(monkeypatch, tmp_path):
    import tensorflow as tf

    from course_utils.config.settings import Settings
    from course_utils.datasets.session import open_session
    from course_utils.training import runs

    monkeypatch.setattr(strategies, "is_multiworker", lambda strat: True)  # the cluster itself is tested above
    settings = open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=123))
    split, one = distributed.toy_split(), tf.distribute.get_strategy()
    run = runs.train("original", split, settings, epochs=2, batch_size=16, strategy=one, save=False, verbose=0)
    assert list(run.history.columns) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"]
    assert len(run.val_logits) == len(split.y_val) and run.history["seconds"].gt(0).all()
    with pytest.raises(ValueError, match="no callbacks"):
        runs.train("original", split, settings, epochs=1, strategy=one, save=False, callbacks=[object()])


MEMBER = (
    "import os, sys, time\n"
    "role = os.environ['ROLE']\n"
    "print('hello from', role)\n"
    "if role == 'bad':\n"
    "    print('boom', file=sys.stderr)\n"
    "    sys.exit(3)\n"
    "time.sleep(float(os.environ.get('WAIT', '0')))\n"
)


def test_run_together_returns_every_members_output():
    import os
    import sys

    envs = {name: dict(os.environ, ROLE=name) for name in ("a", "b")}
    assert processes.run_together([sys.executable, "-c", MEMBER], envs, timeout=60) == {
        "a": "hello from a\n",
        "b": "hello from b\n",
    }


def test_one_failed_member_stops_the_cluster_and_is_named_first():
    import os
    import sys
    import time

    envs = {"waiting": dict(os.environ, ROLE="waiting", WAIT="60"), "bad": dict(os.environ, ROLE="bad")}
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"(?s)^bad of .* failed \(exit 3\):\nboom"):
        processes.run_together([sys.executable, "-c", MEMBER], envs, timeout=60)
    assert time.monotonic() - start < 30  # the waiting member was stopped, not waited for
