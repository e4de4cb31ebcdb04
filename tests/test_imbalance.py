"""Imbalance handled in training: balanced class weights and oversampling to the largest class (chapter 10)."""

import numpy as np
import pytest

from course_utils.datasets.pipeline import GroupedSplit, Split
from course_utils.training.imbalance import balanced_class_weights, oversample, oversample_indices

Y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 3])  # class 2 has no training image


def split_of(y, grouped=False):
    n = len(y)
    x = np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1) * np.ones((1, 2, 2, 3), dtype=np.uint8)
    common = dict(
        x_train=x,
        y_train=np.asarray(y),
        x_val=x[:2],
        y_val=np.array([0, 1]),
        train_ids=[f"id{i}" for i in range(n)],
        val_ids=["v0", "v1"],
        class_names=["a", "b", "c", "d"],
        origin="folder",
    )
    if grouped:
        return GroupedSplit(
            **common,
            x_test=x[:3],
            y_test=np.array([0, 1, 3]),
            test_ids=["t0", "t1", "t2"],
            dropped={"e": 2},
        )
    return Split(**common)


def test_balanced_weights_by_hand():
    # 9 images, 3 classes present: 9 / (3 · 6) = 0.5, 9 / (3 · 2) = 1.5, 9 / (3 · 1) = 3
    assert balanced_class_weights(Y) == pytest.approx({0: 0.5, 1: 1.5, 3: 3.0})
    with pytest.raises(ValueError, match="got none"):
        balanced_class_weights([])


def test_oversampled_indices_balance_the_classes_present_and_keep_every_image():
    index = oversample_indices(Y, seed=1)
    counts = np.bincount(Y[index], minlength=4)
    assert counts.tolist() == [6, 6, 0, 6], "every class present reaches the largest; an absent one stays absent"
    assert index[: len(Y)].tolist() == list(range(len(Y))), "every original image comes first, once"
    assert len(index) == 18
    assert (Y[index[len(Y) :]] != 0).all(), "the largest class gets no copies"


def test_oversampling_is_seeded():
    a, b, c = (oversample_indices(np.array([0] * 20 + [1] * 5), seed=s) for s in (3, 3, 4))
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist(), "another seed draws other copies"


def test_oversampled_split_changes_training_only_and_its_fingerprint():
    split = split_of(Y, grouped=True)
    over = oversample(split, seed=0)
    assert isinstance(over, GroupedSplit) and over.dropped == {"e": 2}
    assert np.bincount(over.y_train).tolist() == [6, 6, 0, 6]
    # the images travel with their labels and IDs
    for x, y, i in zip(over.x_train, over.y_train, over.train_ids):
        k = int(i.removeprefix("id"))
        assert y == Y[k] and (x == split.x_train[k]).all()
    for part in ("x_val", "y_val", "val_ids", "x_test", "y_test", "test_ids"):
        assert np.array_equal(np.asarray(getattr(over, part)), np.asarray(getattr(split, part))), part
    assert over.fingerprint() != split.fingerprint(), "a run on the oversampled split gets its own key"
    assert split.y_train.tolist() == Y.tolist(), "the original split is left as it was"


def test_an_already_balanced_split_is_unchanged():
    split = split_of([0, 1, 0, 1])
    assert oversample(split).fingerprint() == split.fingerprint()
