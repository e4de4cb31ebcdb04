"""Bootstrap intervals, the paired tests and the per-class table (course_utils.analysis.uncertainty), checked
against hand-worked cases, scikit-learn's definitions and a simulated coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from course_utils.analysis.metrics import scores
from course_utils.analysis.uncertainty import (
    METRICS,
    bootstrap_intervals,
    mcnemar,
    paired_bootstrap,
    per_class,
    point_scores,
)


def _predictions(n=300, k=4, right=0.6, seed=0):
    """Labels with every class present, and predictions right on about ``right`` of the images."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < right, y_true, rng.integers(0, k, n))
    return y_true, y_pred


def test_point_scores_match_scikit_learn_and_metrics_scores():
    y_true, y_pred = _predictions()
    y_pred[y_pred == 3] = 2  # class 3 never predicted: its F1 is 0 and it still counts in the macro average
    got = point_scores(y_true, y_pred)
    assert got["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert got["balanced accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert got["macro-F1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    reference = scores(y_true, y_pred, ["a", "b", "c", "d"])
    assert {m: reference[m] for m in METRICS} == pytest.approx(got)


def test_point_scores_on_a_class_only_predicted_match_scikit_learn():
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 2, 1, 1, 0])  # class 2 is predicted but absent from the truth
    got = point_scores(y_true, y_pred)
    assert got["accuracy"] == pytest.approx(3 / 5)
    assert got["balanced accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert got["macro-F1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))


def test_bootstrap_intervals_table_contains_the_value_and_is_seeded():
    y_true, y_pred = _predictions()
    table = bootstrap_intervals(y_true, y_pred, resamples=500, seed=7)
    assert list(table.columns) == ["metric", "value", "low", "high"]
    assert list(table["metric"]) == list(METRICS)
    assert (table["low"] <= table["value"]).all() and (table["value"] <= table["high"]).all()
    assert (table["high"] - table["low"] > 0.02).all()  # 300 images: the interval is several points wide
    assert (table["high"] - table["low"] < 0.25).all()
    pd.testing.assert_frame_equal(table, bootstrap_intervals(y_true, y_pred, resamples=500, seed=7))
    assert not table.equals(bootstrap_intervals(y_true, y_pred, resamples=500, seed=8))


def test_bootstrap_interval_narrows_with_more_images():
    small = bootstrap_intervals(*_predictions(n=100), metrics=["accuracy"], resamples=500)
    large = bootstrap_intervals(*_predictions(n=1600), metrics=["accuracy"], resamples=500)
    width = lambda t: float(t["high"].iloc[0] - t["low"].iloc[0])  # noqa: E731
    assert width(large) < width(small) / 2.5  # 16× the images: about a quarter of the width


def test_interval_of_a_constant_metric_collapses():
    y = np.array([0, 1, 2, 1, 0, 2, 2])
    table = bootstrap_intervals(y, y, resamples=200)  # every resample scores 1 on every metric
    assert (table[["value", "low", "high"]] == 1.0).all().all()
    wrong = bootstrap_intervals(y, (y + 1) % 3, metrics=["accuracy"], resamples=200)
    assert wrong[["value", "low", "high"]].iloc[0].tolist() == [0.0, 0.0, 0.0]


def test_bootstrap_interval_covers_a_simulated_binomial_at_its_stated_rate():
    """A model right on each image with probability 0.7, 200 test images: the 95 % interval of its accuracy
    should contain 0.7 in about 95 % of 300 simulated test sets (measured: 96 %). 300 simulations give a
    standard error of about 1.3 points, so the stated tolerance is 0.90–0.99; a 50 % interval, about half as
    wide, would cover about half of them."""
    rng = np.random.default_rng(2024)
    y_true = np.zeros(200, dtype=int)
    covered = 0
    for seed in range(300):
        y_pred = (rng.random(200) >= 0.7).astype(int)  # 0 = right
        row = bootstrap_intervals(y_true, y_pred, metrics=["accuracy"], resamples=400, seed=seed).iloc[0]
        covered += row["low"] <= 0.7 <= row["high"]
    assert 0.90 <= covered / 300 <= 0.99


def test_paired_bootstrap_of_identical_predictions_is_zero_with_p_one():
    y_true, y_pred = _predictions()
    table = paired_bootstrap(y_true, y_pred, y_pred.copy(), resamples=300)
    assert list(table.columns) == ["metric", "difference", "low", "high", "p_value"]
    assert (table[["difference", "low", "high"]] == 0).all().all()
    assert (table["p_value"] == 1.0).all()


def test_paired_bootstrap_finds_a_clearly_better_model_and_is_antisymmetric():
    y_true, worse = _predictions(n=400, right=0.4, seed=1)
    better = worse.copy()
    better[:150] = y_true[:150]  # right on 150 more images (where the worse one was not already)
    ab = paired_bootstrap(y_true, better, worse, resamples=999, seed=3).set_index("metric")
    gained = np.sum(better == y_true) - np.sum(worse == y_true)
    assert ab.loc["accuracy", "difference"] == pytest.approx(gained / 400)
    assert (ab["low"] > 0).all()
    assert ab["p_value"].tolist() == pytest.approx([2 / 1000] * 3)  # the smallest p 999 resamples give
    ba = paired_bootstrap(y_true, worse, better, resamples=999, seed=3).set_index("metric")
    assert ba["difference"].to_numpy() == pytest.approx(-ab["difference"].to_numpy())
    assert ba["low"].to_numpy() == pytest.approx(-ab["high"].to_numpy())
    assert ba["p_value"].to_numpy() == pytest.approx(ab["p_value"].to_numpy())


def test_two_models_equally_accurate_on_different_images_show_no_difference():
    y_true = np.arange(300) % 3
    wrong = (y_true + 1) % 3
    a = np.where(np.arange(300) < 150, y_true, wrong)  # right on the first half
    b = np.where(np.arange(300) >= 150, y_true, wrong)  # right on the second half
    row = paired_bootstrap(y_true, a, b, metrics=["accuracy"], resamples=999).iloc[0]
    assert row["difference"] == 0 and row["low"] < 0 < row["high"]
    assert row["p_value"] > 0.5
    test = mcnemar(y_true, a, b)
    assert (test["a_only"], test["b_only"], test["p_value"]) == (150, 150, 1.0)
    assert test["low"] < 0 < test["high"]


def test_mcnemar_hand_worked_cases():
    y_true = np.arange(20) % 3
    same = mcnemar(y_true, y_true, y_true)
    assert same["difference"] == 0 and same["p_value"] == 1.0 and same["low"] == same["high"] == 0.0
    # A right on every image; B wrong on the first 10: ten discordant pairs, all for A. Exact two-sided
    # binomial p = 2 · (1/2)^10 = 2/1024.
    b = y_true.copy()
    b[:10] = (b[:10] + 1) % 3
    ten = mcnemar(y_true, y_true, b)
    assert (ten["a_only"], ten["b_only"], ten["images"]) == (10, 0, 20)
    assert ten["p_value"] == pytest.approx(2 / 1024)
    assert ten["difference"] == pytest.approx(0.5)
    # Clopper–Pearson for 10 of 10 at 95 %: [0.025^(1/10), 1] ≈ [0.6915, 1]; on the scale of 10/20 images.
    assert ten["low"] == pytest.approx(0.5 * (2 * 0.025**0.1 - 1), abs=1e-9)
    assert ten["high"] == pytest.approx(0.5)
    flipped = mcnemar(y_true, b, y_true)
    assert flipped["difference"] == -0.5 and flipped["p_value"] == ten["p_value"]
    assert flipped["low"] == pytest.approx(-ten["high"]) and flipped["high"] == pytest.approx(-ten["low"])


def test_mcnemar_counts_only_discordant_images():
    y_true = np.zeros(10, dtype=int)
    a = np.array([0, 0, 0, 1, 1, 0, 1, 0, 0, 1])  # right on 0,1,2,5,7,8
    b = np.array([0, 1, 1, 1, 1, 0, 0, 0, 2, 2])  # right on 0,5,6,7
    out = mcnemar(y_true, a, b)
    assert (out["a_only"], out["b_only"]) == (3, 1)  # A alone: 1, 2, 8; B alone: 6
    assert out["difference"] == pytest.approx(0.2)
    assert out["p_value"] == pytest.approx(10 / 16)  # P(X<=1 or X>=3), X ~ Bin(4, 1/2) = (1+4+4+1)/16


def test_per_class_marks_small_classes_instead_of_ranking_them():
    names = ["big", "tiny", "mid", "none"]
    y_true = np.array([0] * 10 + [1] * 3 + [2] * 6)
    y_pred = np.array([0] * 9 + [2] + [1, 0, 0] + [2] * 3 + [0] * 3)
    table = per_class(y_true, y_pred, names)
    assert list(table["class"]) == ["big", "mid", "tiny", "none"]  # ranked first, then the marked, in order
    assert table["few images"].tolist() == [False, False, True, True]
    assert table["rank"].tolist()[:2] == [1, 2] and table["rank"].isna().tolist() == [False, False, True, True]
    row = table.set_index("class")
    assert row.loc["big", "images"] == 10 and row.loc["big", "recall"] == pytest.approx(0.9)
    assert row.loc["big", "precision"] == pytest.approx(9 / 14)
    assert row.loc["tiny", "recall"] == pytest.approx(1 / 3)  # reported, but not ranked
    assert row.loc["mid", "F1"] == pytest.approx(2 * 3 / (6 + 4))
    assert row[["recall", "precision", "F1"]].loc["none"].isna().all()
    assert per_class(y_true, y_pred, names, min_images=3)["rank"].notna().sum() == 3


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="at least one image"):
        bootstrap_intervals([], [])
    with pytest.raises(ValueError, match="different lengths"):
        paired_bootstrap([0, 1], [0, 1], [0])
    with pytest.raises(ValueError, match="unknown metrics"):
        bootstrap_intervals([0, 1], [0, 1], metrics=["RMSE"])
    with pytest.raises(ValueError, match="confidence"):
        mcnemar([0, 1], [0, 1], [1, 1], confidence=95)
    with pytest.raises(ValueError, match="class indices"):
        per_class([0, 3], [0, 1], ["a", "b"])


def test_interval_table_has_each_metric_with_its_interval_and_reads_like_the_bootstrap():
    from course_utils.analysis.uncertainty import interval_table, with_intervals

    y_true, good = _predictions(right=0.8, seed=1)
    _, poor = _predictions(right=0.3, seed=2)
    table = interval_table({"good": (y_true, good), "poor": (y_true, poor)}, seed=5)
    one = bootstrap_intervals(y_true, good, seed=5).set_index("metric")
    for m in METRICS:
        assert table.loc["good", m] == pytest.approx(one.loc[m, "value"])
        assert (table.loc["good", f"{m} low"], table.loc["good", f"{m} high"]) == pytest.approx(
            (one.loc[m, "low"], one.loc[m, "high"])
        )
        assert (table[f"{m} low"] <= table[m]).all() and (table[m] <= table[f"{m} high"]).all()
    assert table["images"].tolist() == [300, 300]
    shown = with_intervals(table)
    acc = table.loc["good"]
    assert shown.loc["good", "accuracy"] == (
        f"{acc['accuracy']:.3f} [{acc['accuracy low']:.2f}, {acc['accuracy high']:.2f}]"
    )


def test_compare_finds_the_better_model_and_reading_says_so_only_when_supported():
    from course_utils.analysis.uncertainty import compare, reading

    y_true, good = _predictions(n=400, right=0.85, seed=3)
    _, poor = _predictions(n=400, right=0.35, seed=4)
    table = compare(y_true, good, poor, seed=0)
    assert list(table.index) == [*METRICS, "accuracy (McNemar)"]
    assert (table["difference"] > 0.3).all() and (table["p_value"] < 0.01).all()
    assert table.loc["accuracy (McNemar)", "difference"] == pytest.approx(
        accuracy_score(y_true, good) - accuracy_score(y_true, poor)
    )
    text = reading(table, "good", "poor")
    assert text.count("the data support that good is ahead") == 4
    same = reading(compare(y_true, good, good, seed=0), "good", "copy")
    assert same.count("the data do not show a difference") == 4 and "+0.000" in same


def test_bootstrap_statistic_of_a_mean_matches_the_normal_interval():
    from course_utils.analysis.uncertainty import bootstrap_statistic

    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, 2_000)
    got = bootstrap_statistic(np.mean, x, resamples=2_000, seed=1)
    half = 1.96 * x.std() / np.sqrt(x.size)  # ≈ 0.088
    assert got["value"] == pytest.approx(x.mean())
    assert got["low"] == pytest.approx(x.mean() - half, abs=0.015)
    assert got["high"] == pytest.approx(x.mean() + half, abs=0.015)
    # pairs are resampled together: the RMSE of predictions equal to the truth is 0 in every resample
    rmse = bootstrap_statistic(lambda t, p: float(np.sqrt(np.mean((t - p) ** 2))), x, x.copy())
    assert rmse == {"value": 0.0, "low": 0.0, "high": 0.0}
    with pytest.raises(ValueError, match="equal, non-zero lengths"):
        bootstrap_statistic(np.mean, x, x[:3])
