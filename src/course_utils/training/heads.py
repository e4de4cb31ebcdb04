"""New outputs on the original CNN: valence–arousal regression and multi-label quadrants (chapters 13–15).

The study's original CNN ends in 7 exclusive classes. Its body (rescaling, three conv–pool blocks, the 128-unit
dense layer) is reused unchanged here and only the last layer is swapped: two linear outputs for the
valence–arousal point, or one sigmoid logit per quadrant. The targets come from ``labels.csv``
(:func:`course_utils.datasets.prepare.read_labels`) and replace the class indices of a
:class:`~course_utils.datasets.pipeline.Split`.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import pandas as pd
from keras import layers

from course_utils.config.study import INPUT_SHAPE
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import Session
from course_utils.labels import MERGED, QUADRANTS, quadrant_of_point
from course_utils.models import cnns
from course_utils.training.runs import (
    epochs_for,
    key_settings,
    load_run,
    matches,
    run_folder,
    run_key,
    standard_callbacks,
    train,
)

#: The two regression targets, columns of ``labels.csv``.
VA_COLUMNS = ("valence", "arousal")


#: Tags of the saved runs, so that later chapters reuse the models of earlier ones.
VA_TAG = "va_regression"


MULTILABEL_TAG = "multilabel"

#: Early stopping of the regression: epochs without a lower validation
#: loss before it stops; the weights of the best epoch are kept.
VA_PATIENCE = 2


def multilabel_tag(n_labels: int) -> str:
    """The run tag of a multi-label model with this many labels (3 merged or 4 quadrants)."""
    return f"{MULTILABEL_TAG}{n_labels}"


def original_body(input_shape=INPUT_SHAPE):
    """The original CNN without its 7-class layer: pixels in, the 128
    features of its dense layer out."""

    full = cnns.original(input_shape)
    return keras.Sequential(
        [keras.Input(input_shape), *full.layers[:-1]], name="original_body"
    )


def with_head(input_shape, units: int, name: str, output_name: str):
    """The original CNN's body topped by a new linear float32 layer of
    ``units`` outputs (read as values or logits)."""

    body = original_body(input_shape)
    return keras.Sequential(
        [
            keras.Input(input_shape),
            *body.layers,
            layers.Dense(units, dtype="float32", name=output_name),
        ],
        name=name,
    )


def va_regression(input_shape=INPUT_SHAPE):
    """The original CNN with two linear outputs: the artwork's valence and
    arousal."""
    return with_head(
        input_shape, len(VA_COLUMNS), VA_TAG, "valence_arousal"
    )


def multilabel(input_shape=INPUT_SHAPE, n_labels: int = len(MERGED)):
    """The original CNN with one logit per quadrant label (sigmoid,
    independent): several moods may hold at once."""
    return with_head(input_shape, n_labels, MULTILABEL_TAG, "label_logits")


def label_columns(labels: Sequence[str] = MERGED) -> list[str]:
    """The ``labels.csv`` columns of a label set: the merged flags for 3 labels, the raw flags for all 4."""
    if tuple(labels) == MERGED:
        return [f"merged {q}" for q in MERGED]
    if tuple(labels) == QUADRANTS:
        return list(QUADRANTS)
    raise ValueError(
        f"label set {tuple(labels)} is neither {MERGED} nor {QUADRANTS}"
    )


def targets(
    table: pd.DataFrame, ids: Sequence[str], columns: Sequence[str]
) -> np.ndarray:
    """The rows of ``labels.csv`` for these artwork IDs (in order), as a float32 array; names IDs it lacks."""
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise KeyError(
            f"{len(missing)} artwork(s) not in labels.csv, e.g. {missing[:3]}"
        )
    absent = [c for c in columns if c not in table.columns]
    if absent:
        raise KeyError(
            f"column(s) {absent} not in labels.csv; it has {list(table.columns)[:12]} …"
        )
    values = (
        table.loc[list(ids), list(columns)]
        .astype(float)
        .to_numpy(dtype=np.float32)
    )
    if np.isnan(values).any():
        raise ValueError(
            f"labels.csv has missing {list(columns)} for some of these artworks"
        )
    return values


def with_targets(
    split: Split, table: pd.DataFrame, columns: Sequence[str]
) -> Split:
    """The same images and split with other targets (e.g. valence and arousal) instead of the class index."""
    return dataclasses.replace(
        split,
        y_train=targets(table, split.train_ids, columns),
        y_val=targets(table, split.val_ids, columns),
        **(
            {"y_test": targets(table, split.test_ids, columns)}
            if hasattr(split, "test_ids")
            else {}
        ),
    )


def va_split(split: Split, table: pd.DataFrame) -> Split:
    """The split with each artwork's valence–arousal point as its target."""
    return with_targets(split, table, VA_COLUMNS)


def multilabel_split(
    split: Split, table: pd.DataFrame, labels: Sequence[str] = MERGED
) -> Split:
    """The split with one 0/1 target per quadrant label."""
    return with_targets(split, table, label_columns(labels))


def class_label_sets(
    class_index: np.ndarray,
    class_names: Sequence[str],
    labels: Sequence[str] = MERGED,
) -> np.ndarray:
    """A 0/1 matrix (artworks × labels) from 7-class indices: "Aggressive + Calm" is Aggressive and Calm."""
    members = np.array(
        [
            [label in name.split(" + ") for label in labels]
            for name in class_names
        ],
        dtype=int,
    )
    return members[np.asarray(class_index, dtype=int)]


def class_label_probabilities(
    logits: np.ndarray,
    class_names: Sequence[str],
    labels: Sequence[str] = MERGED,
) -> np.ndarray:
    """Each label's probability under a 7-class model: the summed softmax of the classes that contain it."""
    logits = np.asarray(logits, dtype=float)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return probs @ class_label_sets(
        np.arange(len(class_names)), class_names, labels
    )


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Probabilities from independent logits."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=float)))


def merge_quadrant(quadrants: np.ndarray) -> np.ndarray:
    """Quadrant names with Melancholy folded into Calm, as the study's classes do."""
    return np.where(
        np.asarray(quadrants) == "Melancholy", "Calm", quadrants
    )


def model_path(tag: str, session: Session, key: str) -> Path:
    """Where a saved run keeps its Keras model."""

    return run_folder(tag, session, key) / "model.keras"


def train_or_load_model(
    builder, split: Split, session: Session, tag: str = VA_TAG, **kwargs
):
    """``(run, model)``: the saved run and model of this data, profile and seed, or train and save both."""

    key = run_key(
        builder,
        split,
        session,
        **key_settings(builder, session, tag=tag, **kwargs),
    )
    run, path = load_run(tag, session, key), model_path(tag, session, key)
    if matches(run, split) and path.is_file():
        run.model = keras.models.load_model(path)
        return run, run.model
    run = train(
        builder, split, session, tag=tag, save_model=True, key=key, **kwargs
    )
    return run, run.model


def fit_va_regression(split: Split, session: Session, **kwargs):
    """Train (or reload) the valence–arousal regression: MSE loss, MAE
    metric, the original CNN's epochs at most, stopped early on the
    validation loss (the best epoch's weights kept)."""

    kwargs.setdefault("epochs", epochs_for("original", session.profile))
    kwargs.setdefault(
        "callbacks", standard_callbacks(early_stopping=VA_PATIENCE)
    )
    builder = functools.partial(va_regression, split.x_train.shape[1:])
    return train_or_load_model(
        builder,
        split,
        session,
        tag=VA_TAG,
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
        **kwargs,
    )


def fit_multilabel(split: Split, session: Session, **kwargs):
    """Train (or reload) the multi-label model: binary cross-entropy on
    logits, one output per label."""

    kwargs.setdefault("epochs", epochs_for("original", session.profile))
    builder = functools.partial(
        multilabel, split.x_train.shape[1:], split.y_train.shape[1]
    )
    return train_or_load_model(
        builder,
        split,
        session,
        tag=multilabel_tag(split.y_train.shape[1]),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.BinaryAccuracy(
                threshold=0.0, name="binary_accuracy"
            )
        ],
        **kwargs,
    )


def flags(
    table: pd.DataFrame, ids: Sequence[str], labels: Sequence[str] = MERGED
) -> pd.DataFrame:
    """The quadrant flags of these artworks, one boolean column per label (named by the quadrant)."""
    frame = table.loc[list(ids), label_columns(labels)].astype(bool)
    frame.columns = list(labels)
    return frame


def kept_epoch(history: pd.DataFrame) -> int:
    """The epoch (from 1) whose weights early stopping kept: the lowest
    validation loss (the first on ties)."""
    return int(np.argmin(history["val_loss"].to_numpy())) + 1


def predicted_quadrants(
    va_pred: np.ndarray,
    class_logits: np.ndarray,
    class_names: Sequence[str],
    train_mean: np.ndarray,
    ids: Sequence[str],
) -> pd.DataFrame:
    """One (merged) quadrant per artwork from the regression, the 7-class
    CNN and the training-mean baseline.

    The regression's is the quadrant its point lies in; the classifier's is
    the quadrant its classes give the most probability to (summed over the
    classes containing it); the baseline's is the training mean's quadrant.
    """

    va_pred = np.asarray(va_pred, dtype=float)
    regression = merge_quadrant(
        quadrant_of_point(va_pred[:, 0], va_pred[:, 1])
    )
    classifier = np.array(MERGED)[
        class_label_probabilities(class_logits, class_names).argmax(axis=1)
    ]
    baseline = merge_quadrant(
        quadrant_of_point(*np.asarray(train_mean, dtype=float))
    )
    return pd.DataFrame(
        {
            "regression": regression,
            "7-class CNN": classifier,
            "training mean": baseline,
        },
        index=pd.Index(list(ids), name="ID"),
    )
