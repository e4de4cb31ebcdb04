"""Transfer learning (chapter 16): a Keras Applications backbone pretrained on ImageNet, frozen, then fine-tuned.

The backbone brings its own preprocessing inside the model (MobileNetV3 and EfficientNet rescale raw 0–255
pixels themselves), so it takes the same uint8 images as the study's CNNs. ImageNet weights are downloaded by
Keras on first use. Where they cannot be fetched (offline, or a build without internet) and in the ``smoke`` profile (the tests),
the backbone starts from random weights instead, and :func:`choose_weights` says so in its note: a run without
ImageNet weights shows the procedure, not the benefit of transfer learning.
"""

from __future__ import annotations

import os
import socket
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from keras import layers

from course_utils.config.profiles import budget
from course_utils.config.study import INPUT_SHAPE, NUM_CLASSES
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import Session
from course_utils.datasets.source import reachable
from course_utils.training.runs import (
    key_settings,
    load_run,
    matches,
    run_key,
    train,
)

#: Supported backbones: Keras Applications class and the file its ImageNet weights (without top) come in.
BACKBONES = {
    "mobilenetv3small": (
        "MobileNetV3Small",
        "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
    ),
    "efficientnetb0": ("EfficientNetB0", "efficientnetb0_notop.h5"),
}


#: Where Keras downloads the weights from.
WEIGHTS_HOST = "https://storage.googleapis.com"


#: Epochs of the (frozen, fine-tuning) stages per profile.


#: Fine-tuning moves pretrained weights only a little: ten times below Adam's default rate.
FINE_TUNE_RATE = 1e-4


#: Fine-tuning unfreezes the backbone from this fraction of its depth on (its last 30 %: the most specific layers).
FINE_TUNE_FROM = 0.7


@dataclass(frozen=True)
class WeightChoice:
    """Which initial weights the backbone gets, and why (printed by the chapter)."""

    weights: str | None  # "imagenet" or None (random initialisation)
    note: str

    @property
    def label(self) -> str:
        """A short name for tags and tables."""
        return self.weights or "random"


def check_backbone(name: str) -> str:
    """The backbone key, or an error listing the supported ones."""
    if name not in BACKBONES:
        raise ValueError(
            f"unknown backbone {name!r}; use one of: {', '.join(BACKBONES)}"
        )
    return name


def backbone(
    name: str = "mobilenetv3small",
    input_shape=INPUT_SHAPE,
    weights: str | None = None,
):
    """A Keras Applications feature extractor without its ImageNet classifier, average-pooled to one vector."""

    cls, _ = BACKBONES[check_backbone(name)]
    return getattr(keras.applications, cls)(
        input_shape=tuple(input_shape),
        include_top=False,
        weights=weights,
        pooling="avg",
    )


def keras_cache_dirs() -> list[Path]:
    """Where Keras keeps downloads: ``$KERAS_HOME`` or ``~/.keras``, and ``/tmp/.keras`` when home is read-only."""
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return [Path(home), Path(tempfile.gettempdir()) / ".keras"]


def cached_weights(name: str) -> Path | None:
    """The ImageNet weight file in the Keras cache (``<cache>/models``), or None if not downloaded yet."""
    file = BACKBONES[check_backbone(name)][1]
    return next(
        (
            d / "models" / file
            for d in keras_cache_dirs()
            if (d / "models" / file).is_file()
        ),
        None,
    )


@contextmanager
def socket_timeout(seconds: float):
    """Let no download wait longer than ``seconds`` for the network (Keras uses urllib without a timeout)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def fetch_weights(
    name: str, input_shape=INPUT_SHAPE, timeout: float = 30.0
) -> WeightChoice:
    """Make sure the ImageNet weights are in the Keras cache; fall back to
    random weights if they cannot be."""

    if cached_weights(name):
        return WeightChoice(
            "imagenet", f"ImageNet weights of {name} from the Keras cache"
        )
    if not reachable(WEIGHTS_HOST, timeout=3.0):
        return WeightChoice(
            None,
            f"ImageNet weights cannot be downloaded ({WEIGHTS_HOST} is "
            "unreachable): "
            f"{name} starts from RANDOM weights, so this run shows the "
            "procedure only",
        )
    try:
        with socket_timeout(timeout):
            backbone(name, input_shape, "imagenet")
    except (
        Exception
    ) as err:  # Keras wraps every download failure in a plain Exception
        return WeightChoice(
            None,
            f"downloading the ImageNet weights of {name} failed "
            f"({type(err).__name__}: "
            f"{err}): it starts from RANDOM weights, so this run shows the "
            "procedure only",
        )
    return WeightChoice(
        "imagenet", f"ImageNet weights of {name}, downloaded by Keras"
    )


def choose_weights(
    name: str, session: Session, input_shape=INPUT_SHAPE
) -> WeightChoice:
    """ImageNet weights where they can be had; random ones in the ``smoke`` profile (fast and offline)."""
    if session.profile == "smoke":
        return WeightChoice(
            None,
            f"smoke profile: {name} starts from RANDOM weights (no download), "
            "so this run shows the procedure, not the benefit of ImageNet",
        )
    return fetch_weights(name, input_shape)


def transfer_model(
    name: str = "mobilenetv3small",
    input_shape=INPUT_SHAPE,
    num_classes: int = NUM_CLASSES,
    weights: str | None = None,
):
    """Backbone (frozen, run in inference mode) + dropout + a 7-logit layer:
    only the new head learns at first."""

    base = backbone(name, input_shape, weights)
    base.trainable = False
    inputs = keras.Input(input_shape)
    x = base(
        inputs, training=False
    )  # batch-norm statistics stay ImageNet's, also when fine-tuning
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, dtype="float32", name="logits")(x)
    return keras.Model(inputs, outputs, name=f"transfer_{name}")


def unfreeze(model, trainable_from: float = 0.0):
    """Let the backbone learn (from a fraction of its depth on), keeping its
    batch-norm layers frozen."""

    base = next(layer for layer in model.layers if hasattr(layer, "layers"))
    base.trainable = True
    start = int(len(base.layers) * trainable_from)
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start and not isinstance(
            layer, layers.BatchNormalization
        )
    return model


def trainable_params(model) -> int:
    """The number of weights the optimiser may change."""

    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


@dataclass
class TransferRuns:
    """The two stages of one transfer-learning run and the weight choice behind them."""

    frozen: object  # training.Run
    finetuned: object  # training.Run
    choice: WeightChoice


def stage_tags(name: str, choice: WeightChoice) -> tuple[str, str]:
    """Run tags of the two stages (the initial weights are part of the tag)."""
    return (
        f"transfer-{name}-{choice.label}-frozen",
        f"transfer-{name}-{choice.label}-finetuned",
    )


def stage_keys(
    frozen_backbone,
    split: Split,
    session: Session,
    tags: tuple[str, str],
    epochs: tuple[int, int],
) -> tuple[str, str]:
    """The run keys of both stages; the fine-tuned stage's names the
    frozen one it starts from."""
    frozen_key = run_key(
        frozen_backbone,
        split,
        session,
        **key_settings(
            frozen_backbone, session, epochs=epochs[0], tag=tags[0]
        ),
    )
    tuned_key = run_key(
        frozen_backbone,
        split,
        session,
        **key_settings(
            frozen_backbone,
            session,
            epochs=epochs[1],
            tag=tags[1],
            learning_rate=FINE_TUNE_RATE,
            depends_on=frozen_key,
        ),
        fine_tune_from=FINE_TUNE_FROM,
    )
    return frozen_key, tuned_key


def fit_transfer(
    split: Split,
    session: Session,
    name: str = "mobilenetv3small",
    choice: WeightChoice | None = None,
    epochs: tuple[int, int] | None = None,
    verbose: int = 2,
) -> TransferRuns:
    """Train the new head on the frozen backbone, then fine-tune the
    backbone at a low rate (or reload both)."""

    input_shape = split.x_train.shape[1:]
    choice = choice or choose_weights(name, session, input_shape)
    tags = stage_tags(name, choice)
    frozen_epochs, tune_epochs = (
        epochs or budget(session.profile).transfer_epochs
    )

    def frozen_backbone():
        return transfer_model(
            name, input_shape, len(split.class_names), choice.weights
        )

    frozen_key, tuned_key = stage_keys(
        frozen_backbone, split, session, tags, (frozen_epochs, tune_epochs)
    )
    saved = [
        load_run(tag, session, key)
        for tag, key in zip(tags, (frozen_key, tuned_key))
    ]
    if all(matches(run, split) for run in saved):
        return TransferRuns(saved[0], saved[1], choice)

    frozen = train(
        frozen_backbone,
        split,
        session,
        epochs=frozen_epochs,
        tag=tags[0],
        verbose=verbose,
        key=frozen_key,
    )

    def fine_tuned():
        return unfreeze(frozen.model, FINE_TUNE_FROM)

    tuned = train(
        fine_tuned,
        split,
        session,
        epochs=tune_epochs,
        tag=tags[1],
        learning_rate=FINE_TUNE_RATE,
        verbose=verbose,
        depends_on=frozen_key,
        key=tuned_key,
    )
    return TransferRuns(frozen, tuned, choice)


def stage_histories(runs: TransferRuns) -> dict:
    """Both stages' histories for ``plots.training_curves``: fine-tuning numbered on, starting where stage 1 ended."""

    frozen = runs.frozen.history
    tuned = runs.finetuned.history.copy()
    tuned["epoch"] = tuned["epoch"] + len(frozen)
    return {
        "frozen backbone": frozen,
        "fine-tuned": pd.concat([frozen.tail(1), tuned], ignore_index=True),
    }
