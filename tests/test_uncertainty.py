"""Bootstrap intervals, the paired tests and the per-class table (course_utils.analysis.uncertainty), checked
against hand-worked cases, scikit-learn's definitions, numpy's percentiles of resamples drawn in the test, and
simulated coverage on clustered data (artists whose works share their luck)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from course_utils.analysis.metrics import scores
from course_utils.analysis.uncertainty import (
    METRICS,
    _check_confidence,
    bootstrap_intervals,
    bootstrap_statistic,
    compare,
    compare_over_seeds,
    interval_table,
    mcnemar,
    paired_bootstrap,
    paired_over_seeds,
    paired_statistic,
    per_class,
    point_scores,
    resample_counts,
    statistic_draws,
    with_intervals,
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


def test_paired_verdict_words_each_branch_of_a_paired_test():
    from course_utils.analysis.uncertainty import paired_verdict

    def row(difference, p_value):
        return {"difference": difference, "p_value": p_value}

    assert paired_verdict(row(0.2, 0.01), "A", "B") == "the data support that A is ahead"
    assert paired_verdict(row(-0.2, 0.01), "A", "B") == "the data support that B is ahead"
    assert paired_verdict(row(0.2, 0.30), "A", "B") == "the data do not show a difference"
    assert paired_verdict(row(0.0, 0.01), "A", "B") == "the data do not show a difference"
    # the level is the caller's: p = 0.03 is supported at 0.05, not at 0.01
    assert paired_verdict(row(0.2, 0.03), "A", "B", alpha=0.01) == "the data do not show a difference"


def test_interval_verdict_words_an_interval_above_below_or_across_zero():
    from course_utils.analysis.uncertainty import interval_verdict

    assert interval_verdict(0.01, 0.3, "the mean") == "beats the mean"
    assert interval_verdict(-0.3, -0.01, "the mean") == "does worse than the mean"
    assert interval_verdict(-0.1, 0.2, "the mean") == "is not shown to differ from the mean"
    assert interval_verdict(0.0, 0.2, "the mean") == "is not shown to differ from the mean"


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


# --- the cluster bootstrap over artists ------------------------------------------------------------------------


def _clustered(artists=12, k=3, seed=0):
    """Test images by ``artists`` artists (2-6 works each), labels 0..k-1 mixed within an artist, and a model
    whose luck is shared by an artist's works (right on all of them with the artist's own probability)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 7, artists)
    groups = np.repeat([f"artist {a:02d}" for a in range(artists)], sizes)
    y_true = rng.integers(0, k, groups.size)
    y_true[:k] = np.arange(k)  # every class present
    skill = rng.beta(1, 1, artists)[np.repeat(np.arange(artists), sizes)]
    y_pred = np.where(rng.random(groups.size) < skill, y_true, (y_true + 1) % k)
    return y_true, y_pred, groups


def test_check_confidence_gives_the_two_tails_exactly():
    assert _check_confidence(0.95) == (2.5, 97.5)
    assert _check_confidence(0.9) == pytest.approx((5.0, 95.0))
    with pytest.raises(ValueError, match="confidence"):
        _check_confidence(95)


def test_interval_is_numpys_2_5_and_97_5_percentiles_of_the_artist_resamples():
    """The resamples' cluster counts come from the package (its seeded draw: all resamples for accuracy, those
    that hold every class for balanced accuracy); everything else is computed here: each resample's accuracy and
    balanced accuracy from per-artist sums, then numpy's 2.5th and 97.5th percentiles. A 90 % interval (5th,
    95th) would be narrower and fail."""
    y_true, y_pred, groups = _clustered()
    y_true[(y_true == 2) & (groups != groups[-1])] = 1
    y_true[-1] = 2  # class 2: the last artist's alone, lost by about a third of the resamples
    plain = resample_counts(groups, resamples=500, seed=3)
    counts = resample_counts(groups, classes=y_true, resamples=500, seed=3)
    artists = np.unique(groups)
    assert plain.shape == counts.shape == (500, artists.size)
    assert (counts.sum(axis=1) == artists.size).all()  # as many artists drawn as there are
    assert plain.mean() == pytest.approx(1, abs=0.02)  # each artist drawn once per resample on average
    right = np.array([(y_true == y_pred)[groups == a].sum() for a in artists])
    size = np.array([(groups == a).sum() for a in artists])
    per_class_n = np.array([[((groups == a) & (y_true == c)).sum() for c in range(3)] for a in artists])
    per_class_right = np.array(
        [[((groups == a) & (y_true == c) & (y_pred == c)).sum() for c in range(3)] for a in artists]
    )
    assert ((counts @ per_class_n) > 0).all()  # class-aware: every resample holds every class
    assert not ((plain @ per_class_n) > 0).all()  # unconditioned, some resamples lose a class
    accuracy = (plain @ right) / (plain @ size)
    balanced = ((counts @ per_class_right) / (counts @ per_class_n)).mean(axis=1)
    table = bootstrap_intervals(y_true, y_pred, groups=groups, resamples=500, seed=3).set_index("metric")
    for metric, draws in (("accuracy", accuracy), ("balanced accuracy", balanced)):
        low, high = np.percentile(draws, [2.5, 97.5])
        assert low < table.loc[metric, "value"] < high  # inside already: the widening rule plays no part
        assert (table.loc[metric, "low"], table.loc[metric, "high"]) == pytest.approx((low, high), abs=1e-12)


def test_the_cluster_bootstrap_keeps_each_artists_works_together():
    """Artist A: 3 works, all right; artist B: 1 work, wrong. Drawing two artists gives AA (accuracy 6/6), AB
    (3/4) or BB (0/2), with chances 1/4, 1/2, 1/4; resampling images would also give 1/4, 2/4 and other values."""
    right = np.array([1.0, 1.0, 1.0, 0.0])
    groups = np.array(["A", "A", "A", "B"])
    draws = statistic_draws(np.mean, right, groups=groups, resamples=2_000, seed=0)
    values, freq = np.unique(draws, return_counts=True)
    assert values.tolist() == [0.0, 0.75, 1.0]
    assert freq / draws.size == pytest.approx([0.25, 0.5, 0.25], abs=0.03)
    images = statistic_draws(np.mean, right, resamples=2_000, seed=0)
    assert set(np.unique(images).tolist()) == {0.0, 0.25, 0.5, 0.75, 1.0}
    # the confusion-matrix path draws the same: accuracy 0 and 1 both in the outer 2.5 %
    y_true = np.zeros(4, dtype=int)
    row = bootstrap_intervals(y_true, 1 - right.astype(int), groups=groups, metrics=["accuracy"], seed=0).iloc[0]
    assert (row["value"], row["low"], row["high"]) == (0.75, 0.0, 1.0)
    stat = bootstrap_statistic(np.mean, right, groups=groups, seed=0)
    assert (stat["low"], stat["high"]) == (0.0, 1.0)


def _simulated_coverage(confidence=0.95, simulations=400, artists=40, resamples=400):
    """How often the interval of accuracy holds the true 0.6, over ``simulations`` test sets of ``artists``
    artists (1 + Poisson(7) works each) whose works share the artist's chance of being right (Beta with mean 0.6
    and intra-artist correlation 0.3): the cluster bootstrap's rate and the image bootstrap's."""
    rng = np.random.default_rng(2026)
    rho, mean = 0.3, 0.6
    a, b = mean * (1 - rho) / rho, (1 - mean) * (1 - rho) / rho
    covered = {"artists": 0, "images": 0}
    for k in range(simulations):
        sizes = 1 + rng.poisson(7, artists)
        groups = np.repeat(np.arange(artists), sizes)
        right = rng.random(groups.size) < rng.beta(a, b, artists)[groups]
        y_true, y_pred = np.zeros(groups.size, dtype=int), (~right).astype(int)
        for name, g in (("artists", groups), ("images", None)):
            row = bootstrap_intervals(
                y_true, y_pred, groups=g, metrics=["accuracy"], resamples=resamples, confidence=confidence, seed=k
            ).iloc[0]
            covered[name] += row["low"] <= mean <= row["high"]
    return {name: n / simulations for name, n in covered.items()}


def test_cluster_bootstrap_covers_near_95_percent_where_the_image_bootstrap_under_covers():
    """Measured with this test's seeds: over artists 0.955, over images 0.730; a 90 % interval over artists 0.890
    (2,000 simulations: 0.950 and 0.713). The image bootstrap ignores that an artist's works share their luck
    (design effect about 1 + 7 · 0.3 ≈ 3, so its intervals are about 1/√3 as wide as they should be). The band
    0.915-0.975 lies three standard errors (0.011 at 400 simulations) around 0.95, and the 90 % interval fails
    it."""
    rates = _simulated_coverage()
    assert 0.915 <= rates["artists"] <= 0.975, rates
    assert rates["images"] <= 0.85, rates


def test_an_estimate_is_always_inside_its_interval_on_random_small_inputs():
    """150 random small test sets (2-12 images, 1-4 classes, 1-6 artists or none, constant predictors and rare
    classes among them, 30 resamples so that skewed resampling distributions are common): every interval holds
    its estimate, for single models, paired differences, repeats over seeds and any statistic, including the
    square of a zero mean, whose resamples nearly all lie above it (without the widening rule it fails there).
    """
    rng = np.random.default_rng(11)
    for case in range(150):
        n = int(rng.integers(2, 13))
        k = int(rng.integers(1, 5))
        y_true = rng.integers(0, k, n)
        y_true[-1] = k - 1  # the last class present at least once: often a rare one
        pred_a = np.full(n, rng.integers(0, k)) if case % 3 == 0 else rng.integers(0, k, n)
        pred_b = rng.integers(0, k, n)
        g = rng.integers(0, int(rng.integers(1, 7)), n) if case % 2 else None
        small = {"resamples": 30, "seed": case}
        one = bootstrap_intervals(y_true, pred_a, groups=g, **small)
        assert (one["low"] <= one["value"]).all() and (one["value"] <= one["high"]).all(), (case, one)
        two = paired_bootstrap(y_true, pred_a, pred_b, groups=g, **small)
        assert (two["low"] <= two["difference"]).all() and (two["difference"] <= two["high"]).all(), case
        seeds = paired_over_seeds([(y_true, pred_a, pred_b, g), (y_true, pred_b, pred_a, g)], **small)
        assert (seeds["low"] <= seeds["difference"]).all() and (seeds["difference"] <= seeds["high"]).all(), case
        stat = bootstrap_statistic(lambda t, p: np.max(t - p), y_true, pred_a, groups=g, **small)
        assert stat["low"] <= stat["value"] <= stat["high"], (case, stat)
        # adversarial: the square of a mean that is 0; almost every resample's square lies above it
        x = rng.normal(size=n)
        x -= x.mean()
        square = bootstrap_statistic(lambda v: np.mean(v) ** 2, x, groups=g, **small)
        assert square["low"] <= square["value"] <= square["high"], (case, square)


def test_the_widening_rule_reaches_an_estimate_below_every_resample():
    """The square of a mean that is exactly 0 (21 evenly spaced values from -1 to 1): the estimate is 0, and a
    resample's square is 0 only if its mean is exactly 0 again, which no one of these 1,000 resamples is. The
    percentile interval lies above the estimate; the rule widens it down to 0 and keeps its 97.5th percentile."""
    x = np.linspace(-1, 1, 21)
    draws = statistic_draws(lambda v: np.mean(v) ** 2, x, seed=5)
    got = bootstrap_statistic(lambda v: np.mean(v) ** 2, x, seed=5)
    assert got["value"] < 1e-30 and np.percentile(draws, 2.5) > 1e-6
    assert got["low"] == got["value"]
    assert got["high"] == pytest.approx(np.percentile(draws, 97.5))


def test_a_constant_predictor_is_exact_and_its_balanced_accuracy_never_drifts():
    """Six classes, one of them by a single artist (the adversarial case behind chapter 10's 0.167 [0.17, 0.20]):
    always answering class 0 scores 1/6 balanced accuracy on all images and in every resample (averaging only
    over the classes a resample holds, as before, gave 1/5 without the rare class). A model right on every image
    scores 1 in every resample: each holds the rare class (a resample without it would count its recall as 0)."""
    y_true, _, groups = _clustered(artists=12, k=5, seed=4)
    y_true = np.append(y_true, [5, 5])
    groups = np.append(groups, ["rare artist", "rare artist"])
    always = np.zeros_like(y_true)
    drifting = bootstrap_intervals(y_true, always, groups=groups, seed=1).set_index("metric")
    assert drifting.loc["balanced accuracy", ["value", "low", "high"]].tolist() == pytest.approx([1 / 6] * 3)
    perfect = bootstrap_intervals(y_true, y_true, groups=groups, seed=1)
    assert (perfect[["value", "low", "high"]] == 1.0).all().all()
    exact = bootstrap_intervals(y_true, always, groups=groups, exact=True).set_index("metric")
    share = float(np.mean(y_true == 0))
    assert exact["value"].tolist() == pytest.approx([share, 1 / 6, 2 * share / (1 + share) / 6])
    assert (exact["low"] == exact["value"]).all() and (exact["high"] == exact["value"]).all()
    assert drifting.loc["accuracy", "low"] < share < drifting.loc["accuracy", "high"]  # not exact unless told
    with pytest.raises(ValueError, match="constant predictor"):
        bootstrap_intervals(y_true, np.arange(y_true.size) % 2, exact=True)
    table = interval_table(
        {"model": (y_true, (y_true + (groups == "rare artist")) % 6), "always 0": (y_true, always)},
        groups=groups,
        exact=["always 0"],
    )
    assert table["exact"].tolist() == [False, True]
    shown = with_intervals(table)
    assert shown.loc["always 0", "balanced accuracy"] == "0.167 (exact)"
    assert shown.loc["model", "accuracy"].endswith("]") and "(exact)" not in shown.loc["model", "accuracy"]
    with pytest.raises(ValueError, match="no row"):
        interval_table({"model": (y_true, always)}, exact=["baseline"])


def test_macro_f1_averages_over_the_same_classes_in_every_resample():
    """Three classes, the model right everywhere except one image of the last artist, which it calls class 3 (a
    class no image has). On all images macro-F1 averages four classes (scikit-learn's definition: true or
    predicted). A resample without that artist scores 1, 1, 1 and 0 for the absent class: 0.75, not 1; with it,
    less. So no resample exceeds 0.75, and a third of them lack the artist: the interval tops out at 0.75."""
    y_true, _, groups = _clustered(seed=8)
    y_pred = y_true.copy()
    y_pred[-1] = 3
    row = bootstrap_intervals(y_true, y_pred, groups=groups, metrics=["macro-F1"], seed=2).iloc[0]
    assert row["value"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert row["value"] < 0.75
    assert row["high"] == pytest.approx(0.75)


def test_a_class_aware_bootstrap_that_cannot_hold_every_class_says_so():
    """Twenty classes, each by its own artist: a resample of 20 artists holds all 20 with chance 20!/20^20
    (about 2e-8), so the redraws give up with a clear error instead of looping."""
    labels = np.arange(20)
    with pytest.raises(ValueError, match="too few clusters"):
        resample_counts(labels, classes=labels, resamples=10)
    with pytest.raises(ValueError, match="too few clusters"):
        bootstrap_intervals(labels, labels, groups=labels, metrics=["macro-F1"], resamples=10)
    accuracy = bootstrap_intervals(labels, labels, groups=labels, metrics=["accuracy"], resamples=10)
    assert accuracy[["value", "low", "high"]].iloc[0].tolist() == [1.0, 1.0, 1.0]  # no class condition
    with pytest.raises(ValueError, match="missing cluster"):
        bootstrap_intervals([0, 1], [0, 1], groups=np.array(["a", None], dtype=object))


def test_interval_table_takes_artists_for_all_rows_or_one_row():
    y_true, y_pred, groups = _clustered(seed=2)
    shared = interval_table({"m": (y_true, y_pred)}, groups=groups, seed=4)
    own = interval_table({"m": (y_true, y_pred, groups)}, seed=4)
    pd.testing.assert_frame_equal(shared, own)
    assert (shared.loc["m", "images"], shared.loc["m", "clusters"]) == (y_true.size, 12)
    direct = bootstrap_intervals(y_true, y_pred, groups=groups, seed=4).set_index("metric")
    assert shared.loc["m", "macro-F1 high"] == direct.loc["macro-F1", "high"]
    with pytest.raises(ValueError, match="one cluster"):
        bootstrap_intervals(y_true, y_pred, groups=groups[:-1])


def test_clustered_mcnemar_by_hand():
    """Three artists: A alone right on 5 works of the first and 5 of the second, B alone on 2 of the third
    (plus concordant works). Unclustered, the exact test gives p = 2 · P(X <= 2), X ~ Bin(12, 1/2) =
    2 · 79/4096 ≈ 0.039; clustered, d = (5, 5, -2): X² = 8² / (25 + 25 + 4) = 64/54, p ≈ 0.276."""
    from scipy.stats import chi2, norm

    groups = np.repeat(["x", "y", "z"], [7, 6, 4])
    y_true = np.zeros(17, dtype=int)
    a = np.ones(17, dtype=int)
    b = np.ones(17, dtype=int)
    a[[0, 1, 2, 3, 4, 7, 8, 9, 10, 11]] = 0  # A alone right: 5 in x, 5 in y
    b[[13, 14]] = 0  # B alone right: 2 in z
    a[5] = b[5] = 0  # both right once in x
    plain = mcnemar(y_true, a, b)
    assert (plain["a_only"], plain["b_only"]) == (10, 2)
    assert plain["p_value"] == pytest.approx(2 * 79 / 4096)
    clustered = mcnemar(y_true, a, b, groups=groups)
    assert clustered["difference"] == pytest.approx(8 / 17)
    assert clustered["p_value"] == pytest.approx(chi2.sf(64 / 54, 1))
    assert clustered["p_value"] == pytest.approx(0.2763, abs=1e-4)
    half = norm.ppf(0.975) * np.sqrt(54) / 17
    assert (clustered["low"], clustered["high"]) == pytest.approx((8 / 17 - half, 8 / 17 + half))
    assert clustered["low"] < 0 < clustered["high"]  # p > 0.05: the interval holds 0
    # one image per artist: the asymptotic McNemar, (b - c)² / (b + c)
    singles = mcnemar(y_true, a, b, groups=np.arange(17))
    assert singles["p_value"] == pytest.approx(chi2.sf((10 - 2) ** 2 / 12, 1))
    table = compare(y_true, a, b, groups=groups, resamples=200)
    assert table.loc["accuracy (McNemar)", "test"] == "McNemar clustered"
    assert table.loc["accuracy", "test"] == "paired cluster bootstrap"


def test_paired_statistic_gives_the_bootstrap_p_value_of_any_difference():
    x = np.arange(40.0)
    got = paired_statistic(lambda a, b: np.mean(a) - np.mean(b), x + 5, x, resamples=199)
    assert (got["value"], got["low"], got["high"]) == pytest.approx((5.0, 5.0, 5.0))
    assert got["p_value"] == pytest.approx(2 / 200)  # no resample at or below 0


# --- repeats over seeds -------------------------------------------------------------------------------------------


def test_over_seeds_mean_and_spread_by_hand_and_one_seed_is_the_paired_bootstrap():
    """Ten images; B always wrong; A right on 1, 2 and 3 of them at seeds 0-2: differences 0.1, 0.2, 0.3, mean
    0.2, standard deviation 0.1."""
    y_true = np.zeros(10, dtype=int)
    wrong = np.ones(10, dtype=int)
    runs = [np.where(np.arange(10) < s + 1, 0, 1) for s in range(3)]
    table = paired_over_seeds([(y_true, a, wrong, None) for a in runs], metrics=["accuracy"], resamples=300)
    assert table.loc["accuracy", "difference"] == pytest.approx(0.2)
    assert table.loc["accuracy", "sd"] == pytest.approx(0.1)
    assert table.loc["accuracy", "seeds"] == 3
    y, a, groups = _clustered(seed=5)
    b = np.roll(a, 3)
    one = paired_over_seeds([(y, a, b, groups)], seed=9).drop(columns=["sd", "seeds", "test"])
    direct = paired_bootstrap(y, a, b, groups=groups, seed=9).set_index("metric")
    pd.testing.assert_frame_equal(one, direct, check_names=False)


def test_over_seeds_resamples_the_seeds():
    """One artist (so the artists add nothing) and three seeds whose A − B is 0.1, 0.2 and 0.3: the resampled
    mean of three seeds drawn with replacement is 0.1 with chance 1/27 ≈ 3.7 % and 0.3 likewise, so the 95 %
    interval runs from 0.1 to 0.3. Without resampling the seeds it would be the single point 0.2."""
    y_true = np.zeros(10, dtype=int)
    wrong = np.ones(10, dtype=int)
    runs = [np.where(np.arange(10) < s + 1, 0, 1) for s in range(3)]
    one_artist = np.zeros(10, dtype=int)
    row = paired_over_seeds(
        [(y_true, a, wrong, one_artist) for a in runs], metrics=["accuracy"], resamples=2_000
    ).loc["accuracy"]
    assert (row["low"], row["high"]) == pytest.approx((0.1, 0.3))
    assert row["test"] == "paired bootstrap over seeds and clusters"


def test_seeds_on_the_same_images_share_the_artists_draw():
    """Three seeds with identical predictions on the same test images: the seeds add nothing, and since the same
    artists' luck touches every seed, the interval is the one-seed interval. Independent artist draws per seed
    would average three draws and narrow it by about √3."""
    y, a, groups = _clustered(artists=15, seed=6)
    b = np.roll(a, 5)
    same = paired_over_seeds([(y, a, b, groups)] * 3, seed=2)
    one = paired_bootstrap(y, a, b, groups=groups, seed=2).set_index("metric")
    assert same["low"].to_numpy() == pytest.approx(one["low"].to_numpy())
    assert same["high"].to_numpy() == pytest.approx(one["high"].to_numpy())


def test_compare_over_seeds_reads_runs_and_baselines_and_checks_them():
    from types import SimpleNamespace

    y, a, groups = _clustered(seed=7)
    ids = [f"id{i}" for i in range(y.size)]
    artists = dict(zip(ids, groups))
    run = SimpleNamespace(test_ids=ids, test_true=y, test_pred=a)
    other = SimpleNamespace(test_ids=ids, test_true=y, test_pred=np.roll(a, 2))
    always = np.zeros(y.size, dtype=int)
    table = compare_over_seeds([run, run], [always, always], artists, seed=1)
    direct = paired_over_seeds([(y, a, always, groups)] * 2, seed=1)
    pd.testing.assert_frame_equal(table, direct)
    assert "the data" in "\n".join(
        __import__("course_utils.analysis.uncertainty", fromlist=["reading"]).reading(table, "A", "B").splitlines()
    )
    assert compare_over_seeds([run], [other], None).loc["accuracy", "test"].endswith("images")
    with pytest.raises(ValueError, match="different test images"):
        compare_over_seeds([run], [SimpleNamespace(test_ids=ids[::-1], test_true=y, test_pred=a)], artists)
    with pytest.raises(ValueError, match="no artist"):
        compare_over_seeds([run], [always], {})
    with pytest.raises(ValueError, match="one of each per seed"):
        compare_over_seeds([run, run], [always], artists)


def test_headline_comparisons_repeat_over_at_least_three_seeds_outside_smoke():
    from course_utils.config.profiles import budget

    assert budget("smoke").seeds == 1  # the suite's world: one seed keeps every chapter to seconds
    assert budget("quick").seeds >= 3 and budget("full").seeds >= 5
