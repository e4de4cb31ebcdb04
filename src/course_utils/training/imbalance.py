"""Imbalance handled in training: class weights and resampling.

:func:`balanced_class_weights` gives Keras's ``class_weight`` dictionary
with scikit-learn's ``"balanced"`` weights (every class weighs the same in
total). :func:`oversample` copies the training images of the smaller
classes, drawn at random with a seed, until every class present in
training has as many images as the largest: it returns a new split whose
training IDs (with the copies repeated) differ from the original's, so a
run trained on it gets its own key. Validation and test parts are left
exactly as they were.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from course_utils.config.study import SEED
from course_utils.datasets.pipeline import Split


def balanced_class_weights(y_train) -> dict[int, float]:
    """``{class index: weight}`` for the classes present in training:
    images ÷ (classes present × images of the class)."""
    from sklearn.utils.class_weight import (  # deferred: slow import
        compute_class_weight,
    )

    y_train = np.asarray(y_train, dtype=int)
    if y_train.size == 0:
        raise ValueError("class weights need training labels; got none")
    present = np.unique(y_train)
    weights = compute_class_weight("balanced", classes=present, y=y_train)
    return {int(c): float(w) for c, w in zip(present, weights)}


def oversample_indices(y_train, seed: int = SEED) -> np.ndarray:
    """Indices into the training part: every image once, then, for each
    smaller class, copies drawn at random (with replacement, seeded) until
    each class present has as many as the largest one."""
    y = np.asarray(y_train, dtype=int)
    if y.size == 0:
        raise ValueError("oversampling needs training labels; got none")
    counts = np.bincount(y)
    target = int(counts.max())
    rng = np.random.default_rng(seed)
    extra = [
        rng.choice(np.flatnonzero(y == c), size=target - n, replace=True)
        for c, n in enumerate(counts)
        if 0 < n < target
    ]
    return np.concatenate([np.arange(y.size), *extra]).astype(int)


def oversample(split: Split, seed: int = SEED) -> Split:
    """A copy of ``split`` whose training part is oversampled to the size
    of its largest class (:func:`oversample_indices`); the other parts,
    and any further fields (a test part), are unchanged."""
    index = oversample_indices(split.y_train, seed)
    return dataclasses.replace(
        split,
        x_train=split.x_train[index],
        y_train=np.asarray(split.y_train)[index],
        train_ids=[split.train_ids[i] for i in index],
    )
