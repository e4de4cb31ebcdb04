"""Mixed precision (``mixed_float16``), the default on every Colab GPU, run on the CPU: the policy switch, a
training run through ``train()`` that computes in float16 but keeps float32 logits and still learns, and the
custom training loop's loss scaling (``optimizer.scale_loss``) checked against plain float32 SGD.

On a CPU, TensorFlow runs float16 convolutions on slow fallback kernels (the sample's 8-epoch learning check of
test_training.py took 2.4 s in float32 and 84 s in mixed_float16 on the 2-core test machine), so the data here are
tiny: 16×16 images.
"""

import numpy as np
import pytest

from course_utils.config.settings import Settings
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import open_session
from course_utils.training import distributed, runs, strategies

LEARNING_MARGIN = (
    0.08  # as the float32 learning check (test_training.py): validation accuracy over the majority share
)


@pytest.fixture(autouse=True)
def float32_afterwards():
    """Every test leaves Keras's global policy as it found it (float32), also when it fails."""
    import keras

    yield
    keras.mixed_precision.set_global_policy("float32")


def test_use_mixed_precision_switches_the_global_policy(monkeypatch):
    import keras

    assert runs.use_mixed_precision(True) is True
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert runs.use_mixed_precision(False) is False
    assert keras.mixed_precision.global_policy().name == "float32"
    # None: on exactly when a GPU is present
    monkeypatch.setattr(runs, "has_gpu", lambda: True)
    assert runs.use_mixed_precision() is True and keras.mixed_precision.global_policy().name == "mixed_float16"
    monkeypatch.setattr(runs, "has_gpu", lambda: False)
    assert runs.use_mixed_precision() is False and keras.mixed_precision.global_policy().name == "float32"


def grey_levels_split(n_train: int = 60, n_val: int = 60, size: int = 16, seed: int = 0) -> Split:
    """Three classes of noisy grey images, class k around grey level 70 + 60·k (noise σ = 50): learnable in a few
    epochs, not at once. Classes are dealt in turn (0, 1, 2, 0, …), then shuffled."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = np.arange(n) % 3
    rng.shuffle(y)
    x = np.clip(rng.normal(70 + 60 * y[:, None, None, None], 50, (n, size, size, 3)), 0, 255).astype(np.uint8)
    ids = [f"g{i:03d}" for i in range(n)]
    return Split(
        x[:n_train],
        y[:n_train].astype(np.int32),
        x[n_train:],
        y[n_train:].astype(np.int32),
        ids[:n_train],
        ids[n_train:],
        ["dark", "middle", "bright"],
        seed,
    )


@pytest.mark.slow
def test_train_under_mixed_float16_keeps_float32_logits_and_learns(tmp_path):
    import keras

    split = grey_levels_split()
    counts = np.bincount(split.y_val, minlength=3)
    assert counts.tolist() == [20, 20, 20]  # so the majority class scores 20 / 60
    share = 1 / 3
    session = open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=1))
    run = runs.train(
        "original", split, session, epochs=4, batch_size=16, mixed_precision=True, save=False, verbose=0
    )
    net = run.model
    assert run.info["mixed_precision"] is True
    assert keras.mixed_precision.global_policy().name == "float32"  # train() switched the policy back
    # the convolutions computed in float16 on float32 weights; the logits layer and the model's output are float32
    conv = [layer for layer in net.layers if isinstance(layer, keras.layers.Conv2D)]
    assert conv and all(layer.compute_dtype == "float16" and layer.variable_dtype == "float32" for layer in conv)
    assert net.layers[-1].name == "logits" and net.layers[-1].compute_dtype == "float32"
    assert net.predict(split.x_val[:4], verbose=0).dtype == np.float32  # before train()'s own cast to float32
    assert isinstance(net.optimizer, keras.optimizers.LossScaleOptimizer)
    assert np.isfinite(run.history[["loss", "val_loss"]].to_numpy()).all()
    assert np.isfinite(run.val_logits).all()
    accuracy = float(np.mean(run.val_logits.argmax(axis=1) == split.y_val))
    assert accuracy == pytest.approx(run.history["val_accuracy"].iloc[-1], abs=1e-6)
    print(f"mixed_float16: validation accuracy {accuracy:.3f}, majority share {share:.3f}")
    assert accuracy >= share + LEARNING_MARGIN


def one_sgd_epoch(policy: str, custom: bool):
    """One epoch of SGD (rate 0.01) under a dtype policy, from fixed initial weights, by Keras's fit or the custom
    loop; returns the history, the initial and final weights, and the optimizer."""
    import keras
    import tensorflow as tf

    from course_utils.models import cnns

    keras.mixed_precision.set_global_policy(policy)
    try:
        split = distributed.toy_split(n_train=32, n_val=8, size=16)
        keras.utils.set_random_seed(1)
        net = cnns.build("original", split.x_train.shape[1:], 3)
        start = net.get_weights()
        net.compile(
            optimizer=keras.optimizers.SGD(0.01),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        train_ds, val_ds = split.datasets(16, shuffle=False)
        if custom:
            history, _ = strategies.fit_custom(net, train_ds, val_ds, 1, tf.distribute.get_strategy())
        else:
            history = net.fit(train_ds, validation_data=val_ds, epochs=1, verbose=0, shuffle=False).history
        return history, start, net.get_weights(), net.optimizer
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
def test_the_custom_loop_scales_the_loss_under_mixed_float16_and_updates_as_float32_does():
    import keras

    reference, start, after32, _ = one_sgd_epoch("float32", custom=False)
    history, start16, after16, optimizer = one_sgd_epoch("mixed_float16", custom=True)
    assert all(np.array_equal(a, b) for a, b in zip(start, start16))  # the same initial weights
    # the loss was scaled up by 2**15 before the gradient (an unscaled float16 gradient can underflow) and no step
    # was skipped for an overflow (the scale halves then)
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(optimizer.dynamic_scale) == 2.0**15
    # ... and unscaled again before the update: each weight moved as plain float32 SGD moved it, up to float16
    # rounding. Without the scaling the updates were 2**15 times too small, without the unscaling 2**15 too large:
    # a relative difference near 1 or far above it.
    update16 = [b - a for a, b in zip(start, after16)]
    update32 = [b - a for a, b in zip(start, after32)]
    difference = distributed.relative_difference(update32, update16)
    print(f"custom loop under mixed_float16: updates differ from float32 SGD's by {difference:.4f} (relative)")
    assert difference < 0.2  # measured: 0.069 (16×16 toy images, one epoch)
    assert np.isfinite(history["loss"]).all()
    assert history["loss"][0] == pytest.approx(reference["loss"][0], rel=1e-2)
    assert history["val_accuracy"][0] == pytest.approx(reference["val_accuracy"][0], abs=1 / 8 + 1e-9)
