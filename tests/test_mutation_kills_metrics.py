"""Hand-worked cases for course_utils.analysis.metrics that the other tests left open (mutants that survived
benchmarks/mutation.py): weights, index names, exact messages, labels given as floats or small unsigned ints.
TensorFlow-free: a run is a namespace with the attributes the metrics read."""

import math
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from course_utils.analysis import metrics as ev

NAMES = ["A", "B", "C"]


def run(y_true, y_pred, name="model", info=None, ids=None, seconds=2.5, params=7):
    """What metrics read of a training run."""
    return SimpleNamespace(
        name=name,
        info={"tag": name} if info is None else info,
        val_true=np.asarray(y_true),
        val_pred=np.asarray(y_pred),
        val_ids=ids or [f"id{i}" for i in range(len(y_true))],
        class_names=NAMES,
        seconds=seconds,
        params=params,
    )


def exactly(message: str) -> str:
    """A pattern that matches only the whole message."""
    return "^" + re.escape(message) + "$"


def test_study_rmse_works_on_unsigned_labels_and_weights():
    # uint8 labels: 0 - 1 would wrap round to 255 without the cast to float
    y_true, y_pred = np.array([0, 2], np.uint8), np.array([1, 2], np.uint8)
    assert ev.study_rmse(y_true, y_pred) == pytest.approx(math.sqrt(0.5))
    assert ev.study_rmse(y_true, y_pred, [3, 1]) == pytest.approx(math.sqrt(0.75))


def test_scores_honour_sample_weights():
    # class 0: recall 3/4 by weight (1/2 unweighted); class 1: recall 1; squared errors 0, 1, 0 weighted 3, 1, 1
    s = ev.scores([0, 0, 1], [0, 1, 1], NAMES[:2], sample_weight=[3, 1, 1])
    assert s["accuracy"] == pytest.approx(4 / 5)
    assert s["balanced accuracy"] == pytest.approx((3 / 4 + 1) / 2)
    assert s["study RMSE"] == pytest.approx(math.sqrt(1 / 5))
    assert s["recall: A"] == pytest.approx(3 / 4)


def test_scores_are_silent_on_a_one_class_or_foreign_prediction():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ev.scores([0, 0], [1, 1], NAMES[:2])  # y_pred holds a class y_true lacks
        t = ev.scores([0, 0], [0, 0], NAMES[:2])  # a single label everywhere
    assert s["accuracy"] == 0.0 and t["accuracy"] == 1.0


def test_messages_are_exact():
    with pytest.raises(ValueError, match=exactly("scores need at least one validation image; got none")):
        ev.scores([], [], NAMES)
    with pytest.raises(
        ValueError, match=exactly("majority_class needs at least one training label; got an empty array")
    ):
        ev.majority_class([])
    with pytest.raises(ValueError, match=exactly("metrics_table needs at least one run; got none")):
        ev.metrics_table([])
    with pytest.raises(
        ValueError,
        match=exactly("metrics_table(baselines=True) needs y_train, the training labels (split.y_train)"),
    ):
        ev.metrics_table([run([0], [0])])
    other = [run([0], [0], "a"), run([0], [0], "b", ids=["elsewhere"])]
    with pytest.raises(
        ValueError, match=exactly("runs ['b'] use another validation set than 'a'; make one table per split")
    ):
        ev.metrics_table(other, y_train=[0])
    with pytest.raises(ValueError, match=exactly("permutation [0, 2] is not a reordering of 0 … 1")):
        ev.rmse_under_relabelling([0], [0], [0, 2])
    with pytest.raises(ValueError, match=exactly("a class index is beyond the permutation's 2 entries")):
        ev.rmse_under_relabelling([2], [0], [1, 0])  # index 2 == len: refused, not an IndexError


def test_labels_given_as_whole_floats_are_cast_to_class_indices():
    floats = [0.0, 1.0, 1.0]
    for call in (
        lambda: ev.majority_class(floats),
        lambda: ev.class_distribution({"train": np.array(floats)}, NAMES),
        lambda: ev.stratified_predictions(np.array(floats), 2, 3),
        lambda: ev.example_orderings(NAMES, np.array(floats)),
    ):
        # the cast to int accepts them (bincount would refuse floats)
        call()
    assert ev.majority_class(floats) == 1
    assert ev.rmse_under_relabelling(np.array(floats), np.array([1.0, 1.0, 0.0]), [1, 0]) == pytest.approx(
        math.sqrt(2 / 3)
    )


def test_relabelling_accepts_the_largest_index_and_an_all_zero_class():
    assert ev.rmse_under_relabelling([0, 0], [0, 0], [0]) == 0.0
    assert ev.rmse_under_relabelling([0, 1], [1, 1], [1, 0]) == pytest.approx(math.sqrt(0.5))


def test_baseline_scores_average_the_seeded_draws():
    y_train, y_val = [0, 0, 1, 2], [0, 1, 2, 0]
    got = ev.baseline_scores(y_train, y_val, NAMES, seed=3, draws=3)
    draws = [ev.scores(y_val, ev.stratified_predictions(y_train, 4, 3, 3 + i), NAMES) for i in range(3)]
    want = np.mean([d["accuracy"] for d in draws])
    assert got["baseline: stratified random (mean of 3)"]["accuracy"] == pytest.approx(want)
    assert "baseline: stratified random (mean of 50)" in ev.baseline_scores(y_train, y_val, NAMES)


def test_metrics_table_rows_labels_and_baseline_costs():
    runs = [run([0, 1], [0, 0], name="n1", info={"tag": "t1"}), run([0, 1], [1, 1], name="n2", info={})]
    table = ev.metrics_table(runs, y_train=[0, 0, 1])
    assert table.index.name == "model"
    assert list(table.index) == [
        "baseline: always A",
        "baseline: stratified random (mean of 50)",
        "t1",
        "n2",
    ]
    assert table.loc["baseline: always A", "training seconds"] == 0.0
    assert table.loc["baseline: always A", "parameters"] == 0
    assert table.loc["t1", "training seconds"] == 2.5 and table.loc["t1", "parameters"] == 7
    assert list(ev.predictions_of(runs)) == ["t1", "n2"]


def test_index_names_of_the_tables():
    preds = {"m": (np.array([0, 1]), np.array([0, 1]))}
    orders = {"same": NAMES}
    assert ev.relabelling_table(preds, NAMES, orders).index.name == "model"
    assert ev.class_distribution({"t": np.array([0])}, NAMES).index.name == "class"
    summary = ev.seed_summary({"m": [run([0, 1], [0, 1]), run([0, 1], [0, 0])]})
    assert summary.index.name == "model"


def test_class_distribution_shares_of_one_and_of_three():
    table = ev.class_distribution({"one": np.array([1]), "three": np.array([0, 1, 2])}, NAMES)
    assert table["one (share)"].tolist() == [0.0, 1.0, 0.0]
    assert table["three (share)"].tolist() == [0.333, 0.333, 0.333]


def test_example_orderings_break_ties_by_class_order_and_shuffle_with_the_seed():
    names = ["A", "B", "C", "D"]
    # counts 1, 1, 2, 2: C and D first, then A and B, each pair in class order
    orders = ev.example_orderings(names, [0, 1, 2, 2, 3, 3], seed=5)
    assert orders["largest class first"] == ["C", "D", "A", "B"]
    assert orders["shuffled (seed 5)"] == [names[i] for i in np.random.default_rng(5).permutation(4)]


def test_split_gap_names_its_metric_index():
    per_seed = ev.scores_by_seed(
        {
            "x": [SimpleNamespace(test_true=np.array([0, 1]), test_pred=np.array([0, 1]), class_names=NAMES)],
            "y": [SimpleNamespace(test_true=np.array([0, 1]), test_pred=np.array([0, 0]), class_names=NAMES)],
        },
        [1],
    )
    assert ev.split_gap(per_seed, "x", "y").index.name == "metric"


def test_confusion_counts_are_floats_and_an_empty_row_is_nan_without_a_warning():
    assert ev.confusion([0, 1], [0, 0], 2, normalize=None).dtype.kind == "f"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shares = ev.confusion([0, 0], [0, 1], 2)
    assert shares[0].tolist() == [0.5, 0.5] and np.isnan(shares[1]).all()


def test_majority_gap_edges_messages_and_names():
    assert ev.differs_from_majority([1, 1], [0, 0, 1], margin=1.0)  # every answer differs: a margin of 1 is met
    with pytest.raises(ValueError, match=exactly("margin must lie in (0, 1], got 1.5")):
        ev.differs_from_majority([1], [0], margin=1.5)
    with pytest.raises(ValueError, match=exactly("majority_gap needs at least one prediction; got none")):
        ev.majority_gap([], [0])
    with pytest.raises(ValueError, match=exactly("majority_gaps needs at least one model; got none")):
        ev.majority_gaps({}, [0])
    gaps = ev.majority_gaps({"m": [0, 1]}, [0])
    assert gaps.name == "share of predictions not the majority class" and gaps["m"] == 0.5
