"""New heads on the original CNN: targets from hand-made shares, output shapes, losses, saving and reloading,
label sets of the 7 classes, quadrants of the predictors, and the regression / multi-label scores."""

import numpy as np
import pandas as pd
import pytest

from course_utils.analysis import scores
from course_utils.config.settings import Settings
from course_utils.datasets.pipeline import Split
from course_utils.datasets.session import open_session
from course_utils.labels import (
    CLASS_NAMES,
    QUADRANTS,
    label_table,
    shares_frame,
    va_targets,
)
from course_utils.models import cnns
from course_utils.training import heads

# Three hand-made artworks: their targets can be worked out by hand from data/emotions.csv.
SHARES = shares_frame(
    {
        "a" * 24: {
            "happiness": 0.6,
            "sadness": 0.3,
        },  # shares add up to 0.9, so no division: valence 0.48 - 0.21 = 0.27, arousal 0.27 - 0.135 = 0.135
        "b" * 24: {"anger": 0.5, "love": 0.5},  # valence (-0.6 + 0.75) / 2 = 0.075, arousal (0.7 + 0.3) / 2 = 0.5
        "c" * 24: {"neutral": 0.7},  # 0.7 of the way to neutral's point (0, -0.5): (0, -0.35)
    }
)
IDS = list(SHARES.index)


def hand_table() -> pd.DataFrame:
    """A labels.csv-like table of the three artworks: flags, merged flags, class and targets."""
    return pd.concat([label_table(SHARES, 0.4), va_targets(SHARES)], axis=1)


def tiny_split(n_train=3, size=32) -> Split:
    """Random images carrying the three hand-made artworks' IDs."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n_train, size, size, 3), dtype=np.uint8)
    return Split(
        x_train=x,
        y_train=np.zeros(n_train, np.int32),
        x_val=x[:2],
        y_val=np.zeros(2, np.int32),
        train_ids=IDS[:n_train],
        val_ids=IDS[:2],
        class_names=list(CLASS_NAMES),
    )


def test_targets_from_hand_made_shares():
    split = tiny_split()
    va = heads.va_split(split, hand_table())
    np.testing.assert_allclose(va.y_train, [[0.27, 0.135], [0.075, 0.5], [0.0, -0.35]], atol=1e-6)
    np.testing.assert_allclose(va.y_val, va.y_train[:2])
    assert va.y_train.dtype == np.float32
    assert va.x_train is split.x_train and va.train_ids == split.train_ids  # same images, other targets
    assert split.y_train.dtype == np.int32  # the original split is left alone


def test_multilabel_targets_are_the_merged_flags():
    multi = heads.multilabel_split(tiny_split(), hand_table())
    # a: happiness 0.6 (Euphoric) only at 0.4; b: anger + love (Aggressive, Euphoric); c: neutral (Calm)
    np.testing.assert_array_equal(multi.y_train, [[0, 1, 0], [1, 1, 0], [0, 0, 1]])
    four = heads.multilabel_split(tiny_split(), hand_table(), QUADRANTS)
    assert four.y_train.shape == (3, 4)


def test_targets_name_what_is_missing():
    table = hand_table()
    with pytest.raises(KeyError, match="not in labels.csv"):
        heads.targets(table, ["f" * 24], heads.VA_COLUMNS)
    with pytest.raises(KeyError, match="column"):
        heads.targets(table, IDS, ["dominance"])
    table.loc[IDS[0], "valence"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        heads.targets(table, IDS, heads.VA_COLUMNS)
    with pytest.raises(ValueError, match="neither"):
        heads.label_columns(("Calm", "Euphoric"))


def test_heads_keep_the_original_body_and_change_only_the_output():
    original = cnns.build("original").count_params()
    assert original == cnns.STUDY_PARAMS["original"]  # build(name) is untouched
    regression = heads.va_regression()
    assert regression.output_shape == (None, 2)
    assert regression.count_params() == original - 129 * 5  # 7 -> 2 outputs of the 128-unit layer
    assert heads.multilabel().output_shape == (None, 3)
    assert heads.multilabel(n_labels=4).output_shape == (None, 4)
    body = heads.original_body()
    assert body.output_shape == (None, 128)
    assert [type(layer).__name__ for layer in body.layers] == [
        type(layer).__name__ for layer in cnns.build("original").layers[:-1]
    ]


def test_losses_are_mse_and_binary_cross_entropy_on_logits():
    import keras

    from course_utils.training.runs import compile_model

    x = tiny_split(size=32).x_train
    regression = compile_model(
        heads.va_regression((32, 32, 3)), loss="mean_squared_error", metrics=["mean_absolute_error"]
    )
    y = np.array([[0.3, 0.15], [0.075, 0.5], [0.0, -0.5]], np.float32)
    pred = regression.predict(x, verbose=0)
    loss, mae = regression.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(np.mean((pred - y) ** 2), rel=1e-4)
    assert mae == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-4)

    multi = compile_model(heads.multilabel((32, 32, 3)), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    labels = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 1]], np.float32)
    logits = multi.predict(x, verbose=0).astype(float)
    p = heads.sigmoid(logits)
    expected = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    assert multi.evaluate(x, labels, verbose=0)[0] == pytest.approx(expected, rel=1e-3)


def test_class_names_read_as_label_sets():
    sets = heads.class_label_sets(range(7), CLASS_NAMES)
    assert sets.tolist()[CLASS_NAMES.index("Aggressive + Calm")] == [1, 0, 1]
    assert sets.tolist()[CLASS_NAMES.index("Aggressive + Euphoric + Calm")] == [1, 1, 1]
    assert sets.sum(axis=0).tolist() == [4, 4, 4]  # each label is in four of the seven classes


def test_class_probabilities_add_up_over_the_classes_holding_a_label():
    logits = np.full((2, 7), -30.0)
    logits[0, CLASS_NAMES.index("Euphoric + Calm")] = 30.0
    logits[1] = 0.0  # uniform: each label is in 4 of 7 classes
    probs = heads.class_label_probabilities(logits, CLASS_NAMES)
    np.testing.assert_allclose(probs[0], [0, 1, 1], atol=1e-9)
    np.testing.assert_allclose(probs[1], [4 / 7] * 3)


def test_predicted_quadrants_and_their_hit_rates():
    va_pred = np.array([[0.5, 0.5], [-0.5, -0.5], [-0.5, 0.5]])  # Euphoric, Melancholy -> Calm, Aggressive
    logits = np.full((3, 7), -30.0)
    logits[:, CLASS_NAMES.index("Calm")] = 30.0
    quadrants = heads.predicted_quadrants(va_pred, logits, CLASS_NAMES, np.array([0.2, 0.1]), IDS)
    assert quadrants["regression"].tolist() == ["Euphoric", "Calm", "Aggressive"]
    assert quadrants["7-class CNN"].tolist() == ["Calm"] * 3
    assert quadrants["training mean"].tolist() == ["Euphoric"] * 3
    flags = heads.flags(hand_table(), IDS)  # a: E; b: A, E; c: C
    hits = scores.hit_rates(quadrants, flags)
    assert hits.loc["regression", "among its quadrants"] == pytest.approx(1 / 3)  # only a (Euphoric) is right
    assert hits.loc["7-class CNN", "among its quadrants"] == pytest.approx(1 / 3)  # only c is Calm
    assert hits.loc["training mean", "among its quadrants"] == pytest.approx(2 / 3)  # a and b are Euphoric
    assert hits.loc["training mean", "says Euphoric"] == 1.0
    with pytest.raises(ValueError, match="Melancholy"):
        scores.hit_rates(pd.DataFrame({"x": ["Melancholy"] * 3}, index=IDS), flags)


def test_regression_scores_against_the_training_mean():
    y = np.array([[0.1, 0.2], [0.5, -0.4], [-0.3, 0.6], [0.4, 0.0]])
    table = scores.regression_scores(y, y, train_mean=np.array([0.9, 0.9]))
    assert table.loc["model", "MAE valence"] == 0 and table.loc["model", "R² arousal"] == 1
    assert table.loc["training mean", "R² valence"] < 0  # a constant other than the validation mean
    own = scores.regression_scores(y, y, train_mean=y.mean(axis=0))
    assert own.loc["training mean", "R² valence"] == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match="shapes"):
        scores.regression_scores(y, y[:, :1], y.mean(axis=0))


def test_regression_scores_of_one_image_give_no_r2(recwarn):
    table = scores.regression_scores(np.array([[0.1, 0.2]]), np.array([[0.0, 0.5]]), np.array([0.0, 0.0]))
    assert table.loc["model", "MAE valence"] == pytest.approx(0.1)
    assert table.loc["model", "MAE arousal"] == pytest.approx(0.3)
    assert np.isnan(table.loc["model", "R² valence"]) and np.isnan(table.loc["training mean", "R² arousal"])
    assert not [w for w in recwarn if "R^2" in str(w.message)]


def test_thresholds_and_label_scores_on_a_known_case():
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    probs = np.array([[0.3, 0.9], [0.35, 0.1], [0.1, 0.8], [0.05, 0.2]])
    thresholds = scores.tune_thresholds(y, probs)
    assert thresholds[0] == pytest.approx(0.15)  # the lowest threshold that keeps both positives and no negative
    table = scores.multilabel_scores(y, probs, ["A", "B"], thresholds)
    assert table.loc["A", "F1 at 0.5"] == 0 and table.loc["A", "F1 at threshold"] == 1
    assert table.loc["A", "ROC-AUC"] == 1
    assert np.isnan(
        scores.multilabel_scores(np.array([[1], [1]]), np.array([[0.2], [0.9]]), ["C"]).loc["C", "ROC-AUC"]
    )
    sets = scores.label_set_scores([[1, 0, 1], [0, 1, 0], [1, 1, 0]], [[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    assert sets["exact match"] == pytest.approx(2 / 3) and sets["Hamming loss"] == pytest.approx(1 / 9)
    np.testing.assert_array_equal(
        scores.majority_label_sets(np.array([[1, 0], [1, 1], [0, 0]]), 2), [[1, 0], [1, 0]]
    )
    comparison = scores.label_comparison(np.array(y), {"perfect": y, "none": np.zeros_like(y)}, ["A", "B"])
    assert comparison.loc["perfect", "exact match"] == 1 and comparison.loc["none", "F1 A"] == 0


@pytest.mark.slow
def test_train_or_load_model_saves_then_reloads(tmp_path, monkeypatch):
    import functools

    settings = open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=123))
    va = heads.va_split(tiny_split(), hand_table())
    builder = functools.partial(heads.va_regression, (32, 32, 3))
    run, model = heads.train_or_load_model(
        builder, va, settings, tag="va-test", epochs=1, verbose=0, loss="mean_squared_error"
    )
    assert heads.model_path("va-test", settings, run.key).is_file()
    assert run.val_logits.shape == (2, 2)

    def no_training(*args, **kwargs):
        raise AssertionError("a saved model must be reloaded, not retrained")

    monkeypatch.setattr(heads, "train", no_training)
    again, reloaded = heads.train_or_load_model(
        builder, va, settings, tag="va-test", epochs=1, verbose=0, loss="mean_squared_error"
    )
    np.testing.assert_allclose(
        reloaded.predict(va.x_val, verbose=0), model.predict(va.x_val, verbose=0), atol=1e-5
    )
    np.testing.assert_allclose(again.val_logits, run.val_logits)


def test_label_set_statistics_agree_with_scikit_learn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, (40, 3))
    pred = rng.integers(0, 2, (40, 3))
    pred[:, 2] = 0  # a label never predicted: its F1 is 0, as zero_division=0
    want = scores.label_set_scores(y, pred)
    assert scores.label_macro_f1(y, pred) == pytest.approx(want["macro-F1"])
    assert scores.exact_match(y, pred) == pytest.approx(want["exact match"])
    # no true and no predicted "yes" for the second label: F1 0 there
    assert scores.label_macro_f1([[1, 0], [0, 0]], [[1, 0], [0, 0]]) == pytest.approx(0.5)
    assert scores.label_set_codes([[1, 0, 1], [0, 1, 1], [0, 0, 0]]).tolist() == [5, 3, 0]


def test_label_intervals_bracket_the_value_and_count_the_images():
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [0, 0]] * 5)
    table = scores.label_intervals(y, {"perfect": y, "half": np.tile([[1, 0]], (30, 1))}, resamples=200)
    assert table.loc["perfect", "macro-F1"] == 1 and table.loc["perfect", "exact match low"] == 1
    half = table.loc["half"]
    assert half["exact match"] == pytest.approx(2 / 6)  # the rows [1, 0]: 2 of each 6
    assert half["exact match low"] < half["exact match"] < half["exact match high"]
    assert half["images"] == 30


def test_compare_label_sets_by_hand():
    """A is right on every row, B on none of the first 20 rows and all of the last 10: exact match differs by
    20/30, McNemar sees 20 discordant rows all for A; the identical pair shows no difference."""
    y = np.array([[1, 0, 1]] * 30)
    a = y.copy()
    b = y.copy()
    b[:20] = [0, 1, 0]
    table = scores.compare_label_sets(y, a, b, resamples=300)
    assert table.loc["exact match", "difference"] == pytest.approx(20 / 30)
    # A: F1 1, 0 (the middle label is never true nor predicted), 1; B: 2·10 / (2·10 + 20) = 0.5, 0, 0.5
    assert table.loc["macro-F1", "difference"] == pytest.approx(2 / 3 - 1 / 3)
    exact = table.loc["exact match (McNemar)"]
    assert exact["difference"] == pytest.approx(20 / 30) and exact["p_value"] == pytest.approx(2 * 0.5**20)
    assert table.loc["exact match", "p_value"] == pytest.approx(2 / 301)  # no resample at or below 0
    same = scores.compare_label_sets(y, a, a, resamples=50)
    assert (same["difference"] == 0).all() and (same["p_value"] == 1).all()
    from course_utils.analysis.uncertainty import reading

    assert "the data support that A is ahead" in reading(table.loc[["exact match"]], "A", "B")
    with pytest.raises(ValueError, match="need equal"):
        scores.compare_label_sets(y, a[:3], b)


def test_regression_intervals_by_hand_and_the_baseline():
    y = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    pred = y + np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])  # valence off by 1, arousal exact
    table = scores.regression_intervals(y, pred, train_mean=y.mean(axis=0), seed=1)
    valence = table.loc[("model", "valence")]
    assert valence.loc["RMSE", "value"] == pytest.approx(1.0) and valence.loc["MAE", "value"] == pytest.approx(1.0)
    assert valence.loc["R²", "value"] == pytest.approx(1 - 4 / 5)  # squared error 4, around the mean 5
    assert table.loc[("model", "arousal", "R²"), "value"] == pytest.approx(1.0)
    assert table.loc[("training mean", "valence", "R²"), "value"] == pytest.approx(0.0)
    assert np.isnan(table.loc[("training mean", "valence", "Pearson r"), "value"])
    assert (table["low"].dropna() <= table["value"].dropna() + 1e-12).all()
    assert (table["artworks"] == 4).all()
    text = scores.interval_text(table)
    assert text.loc[("training mean", "valence"), "Pearson r"] == "undefined"
    gap = scores.baseline_gap(y, pred, y.mean(axis=0), seed=1)
    # valence: RMSE 1 vs the mean's sqrt(5/4); arousal: 0 vs sqrt(5)
    assert gap.loc["valence", "value"] == pytest.approx(1 - np.sqrt(5 / 4))
    assert gap.loc["arousal", "value"] == pytest.approx(-np.sqrt(5.0)) and gap.loc["arousal", "high"] < 0


def test_paired_hits_reads_like_compare():
    a = np.array([1] * 30 + [0] * 10)
    b = np.array([0] * 30 + [1] * 10)
    table = scores.paired_hits(a, b, seed=1)
    assert list(table.index) == ["hit rate", "hit rate (McNemar)"]
    assert table.loc["hit rate", "difference"] == pytest.approx(0.5)
    assert table.loc["hit rate (McNemar)", "p_value"] < 0.01  # 30 against 10 discordant
    same = scores.paired_hits(a, a, seed=1)
    assert (same["p_value"] == 1).all()


def test_kept_epoch_is_the_lowest_validation_loss():
    assert heads.kept_epoch(pd.DataFrame({"val_loss": [0.5, 0.3, 0.4, 0.3]})) == 2
