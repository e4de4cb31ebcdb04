"""Honest evaluation: metrics on hand-made predictions, the baselines, the tables, the RMSE's dependence on how
the classes are numbered, and the figures."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_utils.analysis import metrics as ev
from course_utils.labels import CLASS_NAMES  # noqa: E402
from course_utils.plots import metric_plots
from course_utils.training.runs import Run  # noqa: E402

EUPHORIC = CLASS_NAMES.index("Euphoric")  # 5 in the study's alphabetical order
CALM = CLASS_NAMES.index("Calm")  # 4
# Eight validation images: half Euphoric, two Calm, two Aggressive; a "model" that always answers Euphoric.
Y_TRUE = np.array([5, 5, 5, 5, 4, 4, 0, 0])
ALWAYS_EUPHORIC = np.full(8, EUPHORIC)


def fake_run(y_true, y_pred, tag="model", n_classes=7, seconds=1.5, params=1000, ids=None) -> Run:
    """A Run whose validation logits predict ``y_pred``."""
    logits = np.eye(n_classes, dtype=np.float32)[np.asarray(y_pred)]
    ids = ids or [f"{i:024x}" for i in range(len(y_true))]
    return Run(
        name=tag,
        history=pd.DataFrame({"epoch": [1]}),
        seconds=seconds,
        epochs=1,
        params=params,
        class_names=list(CLASS_NAMES[:n_classes]),
        val_true=np.asarray(y_true),
        val_logits=logits,
        val_ids=ids,
        info={"tag": tag},
    )


def test_scores_of_always_euphoric():
    s = ev.scores(Y_TRUE, ALWAYS_EUPHORIC, CLASS_NAMES)
    assert s["accuracy"] == pytest.approx(0.5)
    assert s["balanced accuracy"] == pytest.approx(1 / 3)  # recall 1, 0, 0 over the three classes present
    assert s["macro-F1"] == pytest.approx(2 / 9)  # Euphoric: precision 1/2, recall 1 -> 2/3; others 0
    assert s["study RMSE"] == pytest.approx(math.sqrt((2 * 1 + 2 * 25) / 8))
    assert s["recall: Euphoric"] == 1.0 and s["recall: Calm"] == 0.0 and s["recall: Aggressive"] == 0.0
    assert math.isnan(s["recall: Aggressive + Calm"]), "a class without validation images has no recall"


def test_scores_of_a_mixed_classifier():
    s = ev.scores([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["a", "b", "c"])
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["balanced accuracy"] == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    assert s["macro-F1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert [s["recall: a"], s["recall: b"], s["recall: c"]] == pytest.approx([0.5, 1.0, 0.5])
    assert s["study RMSE"] == pytest.approx(math.sqrt(5 / 6))


def test_scores_of_one_or_two_validation_images(recwarn):
    # link rot can leave a validation set of one image: every score is still defined, quietly
    one = ev.scores([5], [5], CLASS_NAMES)
    assert one["accuracy"] == one["balanced accuracy"] == one["macro-F1"] == 1.0 and one["study RMSE"] == 0.0
    assert one["recall: Euphoric"] == 1.0 and math.isnan(one["recall: Calm"])
    wrong = ev.scores([5, 5], [4, 5], CLASS_NAMES)  # Euphoric: precision 1, recall 1/2 -> F1 2/3; Calm: F1 0
    assert wrong["accuracy"] == 0.5 and wrong["macro-F1"] == pytest.approx((2 / 3 + 0) / 2)
    assert wrong["study RMSE"] == pytest.approx(math.sqrt(1 / 2))
    assert not [w for w in recwarn if "single label" in str(w.message) or "not in y_true" in str(w.message)]
    with pytest.raises(ValueError, match="at least one validation image"):
        ev.scores([], [], CLASS_NAMES)


def test_baselines_and_confusion_with_empty_classes():
    # training: Euphoric 2, Calm 1; validation: one Aggressive image, a class never seen in training
    table = ev.baseline_scores([5, 5, 4], [0], CLASS_NAMES, draws=4)
    assert table["baseline: always Euphoric"]["accuracy"] == 0.0
    matrix = ev.confusion([0], [5], 7)
    assert matrix[0, 5] == 1.0 and np.isnan(matrix[1:]).all()  # rows of classes without images: NaN, not 0


def test_renaming_classes_changes_the_rmse_but_not_accuracy_or_macro_f1():
    swap = list(range(7))
    swap[0], swap[EUPHORIC] = EUPHORIC, 0  # Aggressive and Euphoric trade indices: a mere renaming
    before = ev.study_rmse(Y_TRUE, ALWAYS_EUPHORIC)
    after = ev.rmse_under_relabelling(Y_TRUE, ALWAYS_EUPHORIC, swap)
    assert before == pytest.approx(math.sqrt(52 / 8)) and after == pytest.approx(math.sqrt(82 / 8))
    assert ev.rmse_under_relabelling(Y_TRUE, ALWAYS_EUPHORIC, list(range(7))) == pytest.approx(before)
    renamed = [CLASS_NAMES[swap.index(i)] for i in range(7)]  # the class names in their new numbering
    perm = np.array(swap)
    old, new = (
        ev.scores(Y_TRUE, ALWAYS_EUPHORIC, CLASS_NAMES),
        ev.scores(perm[Y_TRUE], perm[ALWAYS_EUPHORIC], renamed),
    )
    for metric in ("accuracy", "balanced accuracy", "macro-F1"):
        assert new[metric] == pytest.approx(old[metric])


def test_renaming_can_reverse_which_model_looks_better():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    near = np.array([1, 1, 2, 2, 1, 1])  # never right, but always one index away
    right_or_far = np.array([0, 2, 1, 1, 2, 0])  # four right, two far off
    table = ev.relabelling_table(
        {"near": (y_true, near), "right_or_far": (y_true, right_or_far)},
        ["a", "b", "c"],
        {"abc": ["a", "b", "c"], "bac": ["b", "a", "c"]},
    )
    assert table.loc["near", "abc"] < table.loc["right_or_far", "abc"], "alphabetically, 'never right' wins"
    assert table.loc["near", "bac"] > table.loc["right_or_far", "bac"], "renumbered, the ranking flips"
    assert (
        ev.scores(y_true, right_or_far, ["a", "b", "c"])["accuracy"]
        > ev.scores(y_true, near, ["a", "b", "c"])["accuracy"]
    )


def test_relabelling_rejects_what_is_not_a_permutation():
    with pytest.raises(ValueError, match=r"\[0, 0, 1\] is not a reordering"):
        ev.rmse_under_relabelling([0, 1], [1, 2], [0, 0, 1])
    with pytest.raises(ValueError, match="does not hold exactly the classes"):
        ev.relabelling_table({"m": ([0], [1])}, ["a", "b"], {"bad": ["a", "a"]})


def test_example_orderings_are_reorderings_of_the_classes():
    orders = ev.example_orderings(CLASS_NAMES, Y_TRUE)
    assert orders["alphabetical (the study)"] == list(CLASS_NAMES)
    assert orders["largest class first"][:2] == ["Euphoric", "Aggressive"]  # 4 Euphoric, then a 2-2 tie, stable
    assert orders["alphabetical, Calm called Serene"] == [
        "Aggressive",
        "Aggressive + Euphoric",
        "Aggressive + Euphoric + Calm",
        "Aggressive + Calm",
        "Euphoric",
        "Euphoric + Calm",
        "Calm",
    ]
    perms = [[names.index(c) for c in CLASS_NAMES] for names in orders.values()]
    rmses = {ev.rmse_under_relabelling(Y_TRUE, ALWAYS_EUPHORIC, p) for p in perms}
    assert len(rmses) > 1, "the same predictions score differently under the numberings"
    assert all(sorted(o) == sorted(CLASS_NAMES) for o in orders.values())


def test_baselines_on_a_constructed_case():
    y_train = np.array([5] * 6 + [4] * 3 + [0])
    assert ev.majority_class(y_train) == EUPHORIC
    assert (ev.majority_predictions(y_train, 4) == EUPHORIC).all()
    draws = ev.stratified_predictions(y_train, 20_000, 7, seed=1)
    assert np.bincount(draws, minlength=7)[[0, 4, 5]] / 20_000 == pytest.approx([0.1, 0.3, 0.6], abs=0.01)
    assert (
        ev.stratified_predictions(y_train, 50, 7, seed=3) == ev.stratified_predictions(y_train, 50, 7, 3)
    ).all()
    base = ev.baseline_scores(y_train, Y_TRUE, CLASS_NAMES, draws=400)
    majority = base["baseline: always Euphoric"]
    assert majority["accuracy"] == pytest.approx(0.5) and majority["balanced accuracy"] == pytest.approx(1 / 3)
    random = base["baseline: stratified random (mean of 400)"]
    # expected accuracy of guessing by training shares: 0.5·0.6 + 0.25·0.3 + 0.25·0.1 = 0.4
    assert random["accuracy"] == pytest.approx(0.4, abs=0.03)
    # expected balanced accuracy: the mean of the training shares of the classes present, (0.6 + 0.3 + 0.1) / 3
    assert random["balanced accuracy"] == pytest.approx(1 / 3, abs=0.03)


def test_majority_class_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        ev.majority_class([])


def test_majority_gap_counts_the_answers_that_are_not_the_majority_class():
    y_train = np.array([5] * 6 + [4] * 3 + [0])  # Euphoric is the majority
    assert ev.majority_gap(ALWAYS_EUPHORIC, y_train) == 0.0  # the baseline itself
    # 20 answers, one Calm: 1/20 = 0.05, exactly the margin; none: below it
    one_calm = np.array([EUPHORIC] * 19 + [CALM])
    assert ev.majority_gap(one_calm, y_train) == pytest.approx(0.05)
    assert ev.differs_from_majority(one_calm, y_train, margin=0.05)
    assert not ev.differs_from_majority(np.full(20, EUPHORIC), y_train)
    assert not ev.differs_from_majority(one_calm, y_train, margin=0.06)
    # right or wrong does not matter: a model answering Calm everywhere differs on every image
    assert ev.majority_gap(np.full(8, CALM), y_train) == 1.0
    gaps = ev.majority_gaps({"baseline-like": ALWAYS_EUPHORIC, "two Calm of 8": [5, 5, 4, 5, 5, 4, 5, 5]}, y_train)
    assert gaps.to_dict() == {"baseline-like": 0.0, "two Calm of 8": 0.25}
    assert ev.MAJORITY_MARGIN == 0.05


def test_majority_gap_refuses_empty_input_and_odd_margins():
    y_train = np.array([5, 5, 4])
    with pytest.raises(ValueError, match="at least one prediction"):
        ev.majority_gap([], y_train)
    with pytest.raises(ValueError, match="margin must lie in"):
        ev.differs_from_majority([5], y_train, margin=0)
    with pytest.raises(ValueError, match="at least one model"):
        ev.majority_gaps({}, y_train)


def test_metrics_table_puts_baselines_beside_the_models():
    y_train = np.array([5] * 6 + [4] * 3 + [0])
    runs = {
        "always Euphoric": fake_run(Y_TRUE, ALWAYS_EUPHORIC, seconds=3.0, params=42),
        "perfect": fake_run(Y_TRUE, Y_TRUE),
    }
    table = ev.metrics_table(runs, y_train=y_train, draws=20)
    assert list(table.index) == [
        "baseline: always Euphoric",
        "baseline: stratified random (mean of 20)",
        "always Euphoric",
        "perfect",
    ]
    assert list(table.columns[:4]) == ev.HEADLINE
    assert {f"recall: {c}" for c in CLASS_NAMES} | {"training seconds", "parameters", "baseline"} <= set(
        table.columns
    )
    assert table.loc["perfect", "accuracy"] == 1.0 and table.loc["perfect", "study RMSE"] == 0.0
    assert table.loc["always Euphoric", "macro-F1"] == pytest.approx(
        table.loc["baseline: always Euphoric", "macro-F1"]
    )
    assert table.loc["always Euphoric", ["training seconds", "parameters"]].tolist() == [3.0, 42]
    assert table["baseline"].tolist() == [True, True, False, False]
    listed = ev.metrics_table(
        [fake_run(Y_TRUE, Y_TRUE, tag="x"), fake_run(Y_TRUE, Y_TRUE, tag="y")], baselines=False
    )
    assert list(listed.index) == ["x", "y"], "a list of runs is labelled by each run's tag"


def test_metrics_table_refuses_baselines_it_cannot_compute():
    run = fake_run(Y_TRUE, ALWAYS_EUPHORIC)
    with pytest.raises(ValueError, match="needs y_train"):
        ev.metrics_table([run])
    other = fake_run(Y_TRUE, ALWAYS_EUPHORIC, ids=[f"{i + 100:024x}" for i in range(8)])
    with pytest.raises(ValueError, match="another validation set"):
        ev.metrics_table({"a": run, "b": other}, y_train=Y_TRUE)


def test_seed_summary_gives_mean_and_spread():
    runs = [fake_run(Y_TRUE, ALWAYS_EUPHORIC), fake_run(Y_TRUE, Y_TRUE)]
    table = ev.seed_summary({"m": runs})
    assert table.loc["m", ("accuracy", "mean")] == pytest.approx(0.75)
    assert table.loc["m", ("accuracy", "std")] == pytest.approx(np.std([0.5, 1.0], ddof=1))
    assert table.loc["m", ("runs", "n")] == 2


def test_class_distribution_counts_and_shares():
    table = ev.class_distribution({"val": Y_TRUE}, CLASS_NAMES)
    assert table.loc["Euphoric", "val (images)"] == 4 and table.loc["Euphoric", "val (share)"] == 0.5


def test_confusion_rows_are_shares_of_the_true_class():
    matrix = ev.confusion(Y_TRUE, ALWAYS_EUPHORIC, 7)
    assert matrix[EUPHORIC, EUPHORIC] == 1.0 and matrix[CALM, EUPHORIC] == 1.0
    assert np.isnan(matrix[1]).all(), "no validation images of class 1: its row stays empty"
    assert ev.confusion(Y_TRUE, ALWAYS_EUPHORIC, 7, normalize=None)[CALM, EUPHORIC] == 2
    with pytest.raises(ValueError, match="normalize='all'"):
        ev.confusion(Y_TRUE, ALWAYS_EUPHORIC, 7, normalize="all")


def test_plots_have_titles_labels_and_baseline_lines():
    import matplotlib.pyplot as plt

    run = fake_run(Y_TRUE, ALWAYS_EUPHORIC, tag="always Euphoric")
    ax = metric_plots.plot_confusion(run).axes[0]
    assert ax.get_title() == "always Euphoric" and ax.get_xlabel() == "predicted class"
    assert ax.get_yticklabels()[EUPHORIC].get_text() == "Eup (n=4)"
    fig = metric_plots.plot_confusions({"a": run, "b": (Y_TRUE, Y_TRUE)}, CLASS_NAMES)
    assert [a.get_title() for a in fig.axes[:2]] == ["a", "b"]
    table = ev.metrics_table({"a": run}, y_train=np.array([5, 5, 4]), draws=5)
    ax = metric_plots.plot_comparison(table, "balanced accuracy").axes[0]
    assert len(ax.patches) == 1 and len(ax.lines) == 2, "one bar per model, one line per baseline"
    assert ax.get_ylabel() == "balanced accuracy"
    with pytest.raises(ValueError, match="'nope' is not a column"):
        metric_plots.plot_comparison(table, "nope")
    assert ev.short_name("Aggressive + Euphoric + Calm") == "Agg+Eup+Cal"
    plt.close("all")


def run_on_test(y_true, y_pred, n_classes=3) -> Run:
    """A Run whose *test* logits predict ``y_pred``."""
    run = fake_run([0], [0], n_classes=n_classes)
    run.test_true = np.asarray(y_true)
    run.test_logits = np.eye(n_classes, dtype=np.float32)[np.asarray(y_pred)]
    run.test_ids = [f"t{i}" for i in range(len(y_true))]
    return run


def test_scores_by_seed_and_the_gap_between_two_splits():
    truth = [0, 0, 1, 2]
    random_runs = [run_on_test(truth, [0, 0, 1, 2]), run_on_test(truth, [0, 0, 1, 1])]  # accuracy 1, 3/4
    grouped_runs = [run_on_test(truth, [0, 0, 0, 0]), run_on_test(truth, [0, 1, 1, 1])]  # accuracy 1/2, 1/2
    per_seed = ev.scores_by_seed({"random": random_runs, "grouped": grouped_runs}, [5, 6])
    assert per_seed.loc[("random", 6), "accuracy"] == pytest.approx(0.75)
    assert per_seed.loc[("grouped", 5), "balanced accuracy"] == pytest.approx(1 / 3)
    assert per_seed["test images"].tolist() == [4] * 4
    gap = ev.split_gap(per_seed, "random", "grouped")
    # accuracy: random 1, 0.75 (mean 0.875); grouped 0.5, 0.5; gaps 0.5, 0.25 -> mean 0.375, sd 0.25/sqrt(2)
    assert gap.loc["accuracy", "random mean"] == pytest.approx(0.875)
    assert gap.loc["accuracy", "grouped sd"] == pytest.approx(0.0)
    assert gap.loc["accuracy", "gap mean"] == pytest.approx(0.375)
    assert gap.loc["accuracy", "gap sd"] == pytest.approx(0.25 / math.sqrt(2))
    assert (gap["seeds"] == 2).all()
    one = ev.split_gap(per_seed.drop(index=6, level="seed"), "random", "grouped")
    assert one.loc["accuracy", "gap mean"] == pytest.approx(0.5) and math.isnan(one.loc["accuracy", "gap sd"])
    with pytest.raises(ValueError, match="2 runs for 1 seeds"):
        ev.scores_by_seed({"random": random_runs}, [5])
    with pytest.raises(ValueError, match="different seeds"):
        ev.split_gap(per_seed.drop(index=("grouped", 6)), "random", "grouped")


def test_split_gap_figure_has_a_bar_per_split_and_metric():
    import matplotlib.pyplot as plt

    truth = [0, 0, 1, 2]
    per_seed = ev.scores_by_seed(
        {"random": [run_on_test(truth, truth)], "grouped": [run_on_test(truth, [0, 0, 0, 0])]}, [1]
    )
    fig = metric_plots.plot_split_gap(per_seed, title="gap")
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 3 and ax.get_title() == "gap" and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["random (1 seed(s))", "grouped (1 seed(s))"]
    plt.close(fig)
    with pytest.raises(ValueError, match="not columns"):
        metric_plots.plot_split_gap(per_seed, metrics=["nope"])
