"""Data-parallel training with tf.distribute: strategy choice, TF_CONFIG, and a mirrored run on two logical CPU
devices that must compute what one device computes (run in a fresh process: logical devices need TensorFlow
uninitialised, and the other tests' TensorFlow state must stay untouched)."""

import json
import math

import numpy as np
import pytest

from course_utils.training import distributed, processes, strategies

# The package's checks (distributed.run_check, run_worker_check) run as they are, with train() wrapped to keep the
# run and its split: the tests then score the validation logits themselves and compare them with a one-device
# model holding the trained weights, instead of trusting the check's own summary.
REPORT_WITH_THE_RUN = """
import json, sys
from course_utils.training import distributed
kept, strategy_used = [], []
real_train = distributed.train

def keep(*args, **kwargs):
    run = real_train(*args, **kwargs)
    kept.append((args[1], run))
    strategy_used.append(kwargs["strategy"])
    return run

distributed.train = keep

# Inside every training step, note how many replicas the step runs on and how many images this replica got
# (a numpy_function runs when the step runs, once per replica), labelled by the call it belongs to: run_check's
# first one_step (one device), its second (mirrored), or train(). XLA is kept off: it cannot run a numpy_function.
import keras, numpy as np, tensorflow as tf
seen, phase, steps = [], ["train"], []
real_train_step = keras.Sequential.train_step

def watched_train_step(self, data):
    context = tf.distribute.get_replica_context()
    label, replicas = phase[0], context.num_replicas_in_sync

    def note(n):
        seen.append([label, replicas, int(n)])
        return np.int64(0)

    tf.numpy_function(note, [tf.shape(data[0])[0]], tf.int64)
    return real_train_step(self, data)

keras.Sequential.train_step = watched_train_step
real_resolve_jit = keras.Model._resolve_auto_jit_compile
keras.Model._resolve_auto_jit_compile = lambda self: False
real_one_step = distributed.one_step

def watched_one_step(model, x, y, num_classes, weights, strat):
    phase[0] = f"one_step {len(steps)}"
    loss, grads = real_one_step(model, x, y, num_classes, weights, strat)
    steps.append((x, y, weights, grads))
    phase[0] = "train"
    return loss, grads

distributed.one_step = watched_one_step
if sys.argv[1] == "worker":
    report = distributed.run_worker_check("original", 2, 8)
else:
    report = distributed.run_check(2, "original", 2, 8)
split, run = kept[0]
from course_utils.models import cnns

# the gradient of the mirrored step's batch, computed here on one device with a tape (SGD at rate 1: Δw = −g)
x, y, start, distributed_grads = steps[-1]
net = cnns.build("original", x.shape[1:], len(split.class_names))
net.set_weights(start)
with tf.GradientTape() as tape:
    logits = net(x, training=True)
    own_loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
own_grads = [g.numpy() for g in tape.gradient(own_loss, net.trainable_weights)]
report.update(
    seen_in_steps=seen,
    own_loss=float(own_loss),
    own_logits=logits.numpy().tolist(),
    own_labels=[int(v) for v in y],
    own_gradient_relative_difference=distributed.relative_difference(own_grads, distributed_grads),
)
from course_utils.models import cnns
one_device = cnns.build("original", split.x_val.shape[1:], len(split.class_names))
one_device.set_weights(run.model.get_weights())
report.update(
    val_logits=run.val_logits.tolist(),
    val_true=run.val_true.tolist(),
    one_device_logits=one_device.predict(split.x_val, verbose=0).tolist(),
    history={key: [float(v) for v in run.history[key]] for key in ("loss", "val_loss", "val_accuracy")},
)
if sys.argv[1] == "mirrored":
    # In the same process, on the check's own mirrored strategy (its two logical CPUs; a second strategy in one
    # process would reuse its collective keys), unwatched: mirrored training on 17 training and 3 validation
    # images, batches of 16 + 1 and 3 that two replicas cannot split evenly (Keras 3 fails on them; tiny data, as
    # under link rot, makes them). It needs no process of its own.
    keras.Sequential.train_step = real_train_step
    keras.Model._resolve_auto_jit_compile = real_resolve_jit
    from course_utils.training import runs
    from course_utils.datasets.session import open_session
    import traceback
    assert strategy_used[0].num_replicas_in_sync == 2
    try:  # a failure here is reported to its own test, not to the check's
        tiny = runs.train("original", distributed.toy_split(n_train=17, n_val=3), open_session(), epochs=2,
                          batch_size=8, strategy=strategy_used[0], save=False, mixed_precision=False, verbose=0)
        report["uneven"] = {"columns": list(tiny.history.columns), "val_logits": tiny.val_logits.tolist(),
                            "val_accuracy": tiny.history["val_accuracy"].tolist(),
                            "val_loss": tiny.history["val_loss"].tolist()}
    except Exception:
        report["uneven"] = {"error": traceback.format_exc()[-3000:]}
print(json.dumps(report))
"""


def cross_entropy(logits, labels) -> np.ndarray:
    """Per-image cross-entropy of integer labels under softmax(logits), in float64 NumPy (log-sum-exp)."""
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=1)
    return np.log(np.exp(z - top[:, None]).sum(axis=1)) + top - z[np.arange(len(z)), np.asarray(labels)]


def test_cross_entropy_by_hand():
    assert cross_entropy([[0.0, np.log(3)], [5.0, 5.0]], [0, 1]) == pytest.approx([np.log(4), np.log(2)])


def assert_validation_scored_in_order(report: dict, y_val) -> None:
    """The run's validation logits are the trained model's, image by image, and its last logged accuracy and loss
    are theirs: recomputed here from the logits and the labels."""
    logits = np.array(report["val_logits"])
    assert report["val_true"] == list(y_val) and logits.shape[0] == len(y_val)
    np.testing.assert_allclose(logits, report["one_device_logits"], rtol=1e-4, atol=1e-4)
    history = report["history"]
    assert history["val_accuracy"][-1] == pytest.approx(
        np.mean(logits.argmax(axis=1) == np.asarray(y_val)), abs=1e-6
    )
    assert history["val_loss"][-1] == pytest.approx(cross_entropy(logits, y_val).mean(), rel=1e-4)
    assert all(math.isfinite(v) for v in history["loss"] + history["val_loss"])


@pytest.fixture(scope="module")
def mirrored():
    """One mirrored check on two logical CPUs (smoke sample, original CNN, 2 epochs, 8 images per replica), then
    mirrored training on 17 images in the same process (``report["uneven"]``)."""
    import os
    import sys

    out = processes.run_together(
        [sys.executable, "-c", REPORT_WITH_THE_RUN, "mirrored"], {"the mirrored check": dict(os.environ)}, 300
    )["the mirrored check"]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_logical_devices_give_two_replicas_and_a_doubled_global_batch(mirrored):
    assert mirrored["replicas"] == 2 and mirrored["run_replicas"] == 2
    assert len(mirrored["devices"]) == 2 and all("CPU" in d for d in mirrored["devices"])
    # train(batch_size=8) on 2 replicas feeds 8 images to each: 16 per step. Counted steps show it: an epoch of n
    # images takes ceil(n / 16) steps (a last batch of 1 image, which 2 replicas cannot share, would be dropped)
    n = mirrored["train_images"]
    assert n % 16 != 1 and math.ceil(n / 16) != math.ceil(n / 8)  # the count tells 16 from 8 images per step
    assert mirrored["steps_per_epoch"] == math.ceil(n / 16)


@pytest.mark.slow
def test_a_mirrored_step_matches_a_single_device_step(mirrored):
    assert mirrored["first_step_loss_mirrored"] == pytest.approx(mirrored["first_step_loss_single"], abs=1e-5)
    # averaged over the two halves of the batch, the gradient equals the whole batch's gradient up to rounding
    assert mirrored["gradient_relative_difference"] < 1e-4


@pytest.mark.slow
def test_inside_the_mirrored_step_two_replicas_each_get_half_the_batch(mirrored):
    """As the step itself sees it (not as the check reports it): run_check's one-device step runs once on all 16
    images, its mirrored step on each of 2 replicas with 8, and train() on 2 replicas with at most 8 each."""
    seen = {}
    for label, replicas, images in mirrored["seen_in_steps"]:
        seen.setdefault(label, []).append((replicas, images))
    assert seen["one_step 0"] == [(1, 16)]
    assert seen["one_step 1"] == [(2, 8), (2, 8)]
    assert {replicas for replicas, _ in seen["train"]} == {2}
    assert max(images for _, images in seen["train"]) == 8


@pytest.mark.slow
def test_the_mirrored_gradient_is_the_one_computed_here(mirrored):
    """The mirrored step's gradient equals the one this test computes with a tape on one device, for the same
    16 images and weights; the loss also equals the cross-entropy worked out here in NumPy from the logits."""
    assert mirrored["own_gradient_relative_difference"] < 1e-4
    worked = cross_entropy(mirrored["own_logits"], mirrored["own_labels"]).mean()
    assert mirrored["own_loss"] == pytest.approx(worked, rel=1e-5)
    assert mirrored["first_step_loss_mirrored"] == pytest.approx(worked, abs=1e-5)


@pytest.mark.slow
def test_mirrored_training_learns_and_predicts_in_order(mirrored):
    assert mirrored["train_loss"][-1] < mirrored["train_loss"][0]
    assert mirrored["val_predictions"] == mirrored["val_images"] == len(mirrored["val_true"])
    # predictions gathered from both replicas come back in the validation set's order
    assert_validation_scored_in_order(mirrored, mirrored["val_true"])


@pytest.mark.slow
def test_mirrored_training_survives_batches_the_replicas_cannot_split_evenly(mirrored):
    # Keras 3 fails on a batch two replicas cannot split evenly; tiny data (link rot) makes such batches
    out = mirrored["uneven"]
    assert "error" not in out, out.get("error")
    assert out["columns"] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "seconds"]
    logits, y_val = np.array(out["val_logits"]), distributed.toy_split(n_train=17, n_val=3).y_val
    assert logits.shape == (3, 3)  # every validation image predicted
    assert all(np.isfinite(out["val_loss"]))
    # Keras scored the last epoch on the same model: its accuracy and loss follow from the logits, in order
    assert out["val_accuracy"][-1] == pytest.approx(np.mean(logits.argmax(axis=1) == y_val), abs=1e-6)
    assert out["val_loss"][-1] == pytest.approx(cross_entropy(logits, y_val).mean(), rel=1e-4)


@pytest.mark.parametrize(
    "n_train, per_replica, replicas, images",
    [(190, 8, 2, 16), (17, 8, 2, 16), (15, 8, 2, 14), (7, 8, 4, 4)],
)
def test_the_first_step_batch_is_what_the_replicas_can_share(n_train, per_replica, replicas, images):
    """run_check's compared step: a global batch, or with few training images (dead links: 15 of the smoke
    sample's) the most images every replica can get as many of."""
    assert distributed.first_step_batch(n_train, per_replica, replicas) == images


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
    import os
    import sys

    addresses = [f"127.0.0.1:{port}" for port in processes.free_ports(2)]
    envs = {
        f"worker {i}": dict(
            os.environ,
            TF_CONFIG=strategies.tf_config(addresses, i),
            CUDA_VISIBLE_DEVICES="",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        for i in range(2)
    }
    outputs = processes.run_together([sys.executable, "-c", REPORT_WITH_THE_RUN, "worker"], envs, 300)
    return [json.loads(out.strip().splitlines()[-1]) for out in outputs.values()]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_workers_form_one_cluster_and_a_step_matches_one_device(cluster):
    assert [w["worker"] for w in cluster] == [0, 1]
    assert all(w["replicas"] == 2 for w in cluster)
    for w in cluster:
        # one step on 16 images shared by the two workers: the loss and gradient one device computes on all 16
        assert w["first_step_loss_workers"] == pytest.approx(w["first_step_loss_single"], abs=1e-5)
        assert w["gradient_relative_difference"] < 1e-4


@pytest.mark.slow
def test_two_workers_train_the_same_model_through_train(cluster):
    first, second = cluster
    assert first["train_loss"] == second["train_loss"] and all(math.isfinite(v) for v in first["train_loss"])
    assert first["weights_checksum"] == second["weights_checksum"]  # the replicas stayed equal
    y_val = distributed.toy_split().y_val  # 16 images, labelled in this process
    assert len(y_val) == 16 and first["val_predictions"] == 16
    for worker in cluster:
        assert_validation_scored_in_order(worker, y_val.tolist())


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
