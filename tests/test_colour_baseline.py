"""The colour-statistics baseline: features hand-checked on tiny synthetic images (and HSV against ``colorsys``),
then the standardised logistic regression on synthetic splits where colour decides the class and where it says
nothing, its validation-chosen strength, its determinism, and predictions shaped like a CNN's ``Run``."""

import colorsys

import numpy as np
import pandas as pd
import pytest

from course_utils.analysis import metrics, uncertainty
from course_utils.config.settings import Settings
from course_utils.datasets.pipeline import GroupedSplit, Split
from course_utils.datasets.session import open_session
from course_utils.models import colour
from course_utils.training import baselines
from course_utils.training.runs import Run

F = {name: i for i, name in enumerate(colour.FEATURES)}


def plain(rgb, size=4) -> np.ndarray:
    """One image of a single colour."""
    return np.full((1, size, size, 3), rgb, dtype=np.uint8)


def features_of(images) -> dict[str, float]:
    return dict(zip(colour.FEATURES, colour.colour_features(images)[0]))


# --- features ------------------------------------------------------------------------------------------------


def test_hsv_matches_colorsys_pixel_by_pixel():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3000, 3)).astype(np.uint8)
    pixels[:30] = pixels[:30, :1]  # greys
    pixels[30:60, 1] = pixels[30:60, 0]  # red and green tied for the maximum
    pixels[60:90, 2] = pixels[60:90, 1]  # green and blue tied
    ours = colour.rgb_to_hsv(pixels / 255.0)
    expected = np.array([colorsys.rgb_to_hsv(*(p / 255.0)) for p in pixels])
    assert ours == pytest.approx(expected, abs=1e-12)


def test_pure_red_has_hue_zero_and_full_saturation_and_brightness():
    f = features_of(plain((255, 0, 0)))
    assert (f["hue cos"], f["hue sin"], f["hue concentration"]) == pytest.approx((1, 0, 1))
    assert (f["weighted hue cos"], f["weighted hue sin"]) == pytest.approx((1, 0))
    assert f["saturation mean"] == 1 and f["saturation std"] == 0
    assert f["brightness mean"] == 1 and f["brightness std"] == 0
    assert f["hue red"] == 1 and f["saturation high"] == 1 and f["brightness high"] == 1
    assert f["hue yellow"] == f["hue magenta"] == f["saturation low"] == 0
    # colourfulness by hand: R−G = 1 and (R+G)/2 − B = 0.5 everywhere, no spread
    assert f["colourfulness"] == pytest.approx(0.3 * np.hypot(1, 0.5))
    assert f["contrast"] == pytest.approx(0, abs=1e-7)


def test_hue_is_an_angle_on_the_whole_circle():
    cyan = features_of(plain((0, 255, 255)))  # hue 1/2: the opposite of red
    assert (cyan["hue cos"], cyan["hue sin"]) == pytest.approx((-1, 0), abs=1e-6)
    assert cyan["hue cyan"] == 1
    green = features_of(plain((0, 255, 0)))  # hue 1/3: 120°
    assert (green["hue cos"], green["hue sin"]) == pytest.approx((-0.5, np.sqrt(3) / 2), abs=1e-6)
    # half red, half cyan: opposite hues cancel, the concentration is 0
    image = np.concatenate([plain((255, 0, 0)), plain((0, 255, 255))], axis=1)
    f = features_of(image)
    assert f["hue concentration"] == pytest.approx(0, abs=1e-6)
    assert f["hue red"] == f["hue cyan"] == pytest.approx(0.5)
    # hues 0.95 and 0.05 lie close on the circle: their mean direction is red, not green (the linear mean 0.5)
    near = np.concatenate([plain((255, 0, 77)), plain((255, 77, 0))], axis=1)
    f = features_of(near)
    assert f["hue cos"] > 0.9 and f["hue sin"] == pytest.approx(0, abs=1e-6)


def test_grey_has_no_saturation_and_no_weighted_hue():
    f = features_of(plain((128, 128, 128)))
    assert f["saturation mean"] == 0 and f["saturation low"] == 1
    assert f["weighted hue cos"] == f["weighted hue sin"] == f["weighted hue concentration"] == 0
    assert sum(f[f"hue {n}"] for n in colour.HUE_BINS) == 0
    assert f["brightness mean"] == pytest.approx(128 / 255)
    assert f["brightness mid"] == 1  # 0.502 lies in the middle third
    assert f["colourfulness"] == pytest.approx(0, abs=1e-7)


def test_brightness_and_contrast_of_a_half_black_half_white_image():
    image = np.concatenate([plain((0, 0, 0)), plain((255, 255, 255))], axis=1)
    f = features_of(image)
    assert f["brightness mean"] == pytest.approx(0.5) and f["brightness std"] == pytest.approx(0.5)
    assert f["contrast"] == pytest.approx(0.5)  # luma 0 and 1 in equal parts
    assert f["brightness low"] == f["brightness high"] == pytest.approx(0.5)


def test_colourfulness_of_red_beside_green_by_hand():
    image = np.concatenate([plain((255, 0, 0)), plain((0, 255, 0))], axis=1)
    # R−G: +1 and −1 (mean 0, std 1); (R+G)/2 − B: 0.5 everywhere (mean 0.5, std 0)
    assert features_of(image)["colourfulness"] == pytest.approx(1 + 0.3 * 0.5, abs=1e-6)


def test_weighted_hue_histogram_sums_to_mean_saturation():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (5, 6, 6, 3)).astype(np.uint8)
    table = colour.feature_table(images, ids=list("abcde"))
    hues = table[[f"hue {n}" for n in colour.HUE_BINS]].sum(axis=1)
    assert hues.to_numpy() == pytest.approx(table["saturation mean"].to_numpy())
    for kind in ("saturation", "brightness"):
        shares = table[[f"{kind} {lv}" for lv in colour.LEVELS]].sum(axis=1)
        assert shares.to_numpy() == pytest.approx(1.0)
    assert list(table.index) == list("abcde") and list(table.columns) == list(colour.FEATURES)


def test_chunks_give_the_same_features_as_one_pass(monkeypatch):
    images = np.random.default_rng(2).integers(0, 256, (7, 5, 5, 3)).astype(np.uint8)
    whole = colour.colour_features(images)
    monkeypatch.setattr(colour, "CHUNK", 2)
    assert colour.colour_features(images) == pytest.approx(whole)
    assert colour.colour_features(images[:0]).shape == (0, len(colour.FEATURES))


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 4, 4, 3), dtype=np.float32), "dtype float32.*uint8"),
        (np.zeros((4, 4, 3), dtype=np.uint8), r"shape \(4, 4, 3\).*\(images, height, width, 3\)"),
        (np.zeros((2, 4, 4, 4), dtype=np.uint8), r"shape \(2, 4, 4, 4\)"),
        (np.zeros((2, 0, 4, 3), dtype=np.uint8), "no pixels"),
    ],
)
def test_bad_images_are_refused_with_what_is_wrong(images, message):
    with pytest.raises(ValueError, match=message):
        colour.colour_features(images)


# --- the baseline --------------------------------------------------------------------------------------------

NAMES = ["Aggressive", "Calm", "Euphoric"]
SHARES = (0.2, 0.3, 0.5)  # the majority class is Euphoric
HUES = (0.0, 1 / 3, 2 / 3)  # red, green, blue


def tinted(y: np.ndarray, rng, informative: bool, size: int = 8) -> np.ndarray:
    """Images whose hue is the class's (informative) or drawn at random,
    with random saturation, brightness and pixel noise."""
    n = len(y)
    hue = np.asarray(HUES)[y] + rng.normal(0, 0.06, n) if informative else rng.random(n)
    sat, val = rng.uniform(0.3, 1, n), rng.uniform(0.3, 1, n)
    base = np.array([colorsys.hsv_to_rgb(h % 1, s, v) for h, s, v in zip(hue, sat, val)])
    noise = rng.normal(0, 0.1, (n, size, size, 3))
    return (np.clip(base[:, None, None, :] + noise, 0, 1) * 255).round().astype(np.uint8)


def synthetic_split(informative: bool, seed: int = 0, sizes=(300, 150, 300), label_noise=0.15) -> GroupedSplit:
    """A three-part split of tinted images; a share of labels is redrawn at random (the annotators' noise)."""
    rng = np.random.default_rng(seed)
    fields = {}
    for part, n in zip(("train", "val", "test"), sizes):
        y = rng.choice(len(NAMES), n, p=SHARES).astype(np.int32)
        images = tinted(y, rng, informative)
        flip = rng.random(n) < label_noise
        y[flip] = rng.choice(len(NAMES), int(flip.sum()), p=SHARES)
        fields |= {f"x_{part}": images, f"y_{part}": y, f"{part}_ids": [f"{part}{i:04d}" for i in range(n)]}
    return GroupedSplit(**fields, class_names=list(NAMES), origin="synthetic")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return open_session(
        Settings(data="sample", profile="smoke", data_dir=tmp_path_factory.mktemp("data"), seed=123)
    )


def majority_scores(split, part):
    y = getattr(split, f"y_{part}")
    return metrics.scores(y, metrics.majority_predictions(split.y_train, len(y)), split.class_names)


def test_colour_decides_the_class_and_the_baseline_learns_it(session):
    split = synthetic_split(informative=True)
    run = baselines.colour_baseline(split, session)
    for part in ("val", "test"):
        ours = metrics.scores(getattr(run, f"{part}_true"), getattr(run, f"{part}_pred"), NAMES)
        base = majority_scores(split, part)
        assert ours["accuracy"] > base["accuracy"] + 0.25, part
        assert ours["balanced accuracy"] > 0.75 and ours["macro-F1"] > base["macro-F1"] + 0.5, part


def test_uninformative_colour_does_not_beat_the_majority(session):
    split = synthetic_split(informative=False)
    run = baselines.colour_baseline(split, session)
    ours = metrics.scores(run.test_true, run.test_pred, NAMES)
    base = majority_scores(split, "test")
    assert ours["accuracy"] <= base["accuracy"] + 0.03
    assert ours["balanced accuracy"] < 1 / 3 + 0.06  # chance: a third of each class, give or take sampling


def test_strength_is_chosen_on_validation(session):
    split = synthetic_split(informative=True)
    run = baselines.colour_baseline(split, session)
    search = run.history
    assert list(search["C"]) == sorted(baselines.C_GRID) and search["chosen"].sum() == 1
    best = search.loc[search["val macro-F1"].idxmax()]  # idxmax: the first, i.e. smallest C, on a tie
    assert run.info["C"] == best["C"] == search.loc[search["chosen"], "C"].item()
    # the chosen model's validation macro-F1 in the search is the run's own
    assert metrics.scores(run.val_true, run.val_pred, NAMES)["macro-F1"] == pytest.approx(best["val macro-F1"])
    assert search["converged"].all()


def test_features_are_standardised_on_the_training_part(session):
    split = synthetic_split(informative=True)
    features = baselines.split_colour_features(split)
    run = baselines.linear_run("colour", features, split, session)
    assert run.model[0].mean_ == pytest.approx(features["train"].mean(axis=0))
    # so a feature's unit does not matter: rescaled columns give the same predictions
    scale = np.geomspace(1e-3, 1e3, features["train"].shape[1])
    rescaled = {part: values * scale for part, values in features.items()}
    again = baselines.linear_run("colour", rescaled, split, session)
    assert again.info["C"] == run.info["C"]
    assert again.val_logits == pytest.approx(run.val_logits, abs=1e-3)
    assert (again.test_pred == run.test_pred).all()


def test_same_seed_same_predictions(session):
    split = synthetic_split(informative=True, seed=3)
    first, second = (baselines.colour_baseline(split, session) for _ in range(2))
    assert np.array_equal(first.val_logits, second.val_logits)
    assert np.array_equal(first.test_logits, second.test_logits)
    other = baselines.colour_baseline(split, session.with_seed(7))
    assert other.info["seed"] == 7 and first.info["seed"] == 123


def test_predictions_have_the_shape_of_a_cnn_run(session, tmp_path):
    split = synthetic_split(informative=True)
    run = baselines.colour_baseline(split, session)
    assert isinstance(run, Run)
    assert run.val_logits.shape == (150, 3) and run.test_logits.shape == (300, 3)
    assert run.val_logits.dtype == run.test_logits.dtype == np.float32
    assert run.val_ids == split.val_ids and run.test_ids == split.test_ids
    assert np.array_equal(run.val_true, split.y_val) and np.array_equal(run.test_true, split.y_test)
    assert run.class_names == NAMES and run.params == 3 * len(colour.FEATURES) + 3
    # the class scores are the regression's: their softmax is its probabilities
    probs = run.model.predict_proba(baselines.split_colour_features(split)["val"])
    soft = np.exp(run.val_logits - run.val_logits.max(axis=1, keepdims=True))
    assert soft / soft.sum(axis=1, keepdims=True) == pytest.approx(probs, abs=1e-5)
    # the analysis layer takes it like any run
    table = metrics.metrics_table({"colour": run}, y_train=split.y_train)
    assert table.loc["colour", "accuracy"] == pytest.approx((run.val_pred == split.y_val).mean())
    intervals = uncertainty.interval_table({"colour": (run.test_true, run.test_pred)}, resamples=200)
    assert intervals.loc["colour", "images"] == 300
    # and it saves and reloads like one
    loaded = Run.load(run.save(tmp_path / "colour"))
    assert np.array_equal(loaded.test_logits, run.test_logits) and loaded.info["C"] == run.info["C"]


def test_a_split_without_test_part_and_a_class_absent_from_training(session):
    grouped = synthetic_split(informative=True, sizes=(120, 60, 10))
    keep = grouped.y_train != 0  # no Aggressive painting to train on
    split = Split(
        x_train=grouped.x_train[keep],
        y_train=grouped.y_train[keep],
        x_val=grouped.x_val,
        y_val=grouped.y_val,
        train_ids=[i for i, k in zip(grouped.train_ids, keep) if k],
        val_ids=grouped.val_ids,
        class_names=list(NAMES),
    )
    run = baselines.colour_baseline(split, session)
    assert run.val_logits.shape == (60, 3) and (run.val_logits[:, 0] == baselines.ABSENT).all()
    assert 0 not in run.val_pred and run.test_ids == [] and run.test_logits.size == 0
    with pytest.raises(ValueError, match="no test predictions"):
        run.test_pred


def test_two_classes(session):
    split = synthetic_split(informative=True, sizes=(100, 50, 50))
    for part in ("train", "val", "test"):
        y = getattr(split, f"y_{part}")
        y[y == 0] = 1  # Aggressive painted red joins Calm: two classes left
    run = baselines.colour_baseline(split, session)
    assert run.val_logits.shape == (50, 3)
    features = baselines.split_colour_features(split)["val"]
    assert np.array_equal(run.val_pred, run.model.predict(features))


def test_balanced_class_weights_predict_the_rare_class_more_often(session):
    split = synthetic_split(informative=True, label_noise=0.6)
    plain_run = baselines.colour_baseline(split, session, c_grid=(0.01,))
    weighted = baselines.colour_baseline(split, session, class_weight="balanced", c_grid=(0.01,))
    assert weighted.model[-1].class_weight == "balanced" and weighted.info["class_weight"]
    rare = (weighted.test_pred == 0).sum(), (plain_run.test_pred == 0).sum()
    assert rare[0] > rare[1]
    as_dict = baselines.colour_baseline(split, session, class_weight={0: 1.0, 1: 1.0, 2: 1.0}, c_grid=(0.01,))
    assert np.array_equal(as_dict.test_pred, plain_run.test_pred)  # equal weights change nothing


def test_bad_input_is_named(session):
    split = synthetic_split(informative=True, sizes=(60, 30, 30))
    features = baselines.split_colour_features(split)
    with pytest.raises(ValueError, match="no features for the 'test' part"):
        baselines.linear_run("x", {k: features[k] for k in ("train", "val")}, split, session)
    short = features | {"val": features["val"][:-1]}
    with pytest.raises(ValueError, match=r"features\['val'\] of shape \(29, 24\).*\(30, features\)"):
        baselines.linear_run("x", short, split, session)
    narrow = features | {"test": features["test"][:, :3]}
    with pytest.raises(ValueError, match=r"features\['test'\] has 3 columns, the training part 24"):
        baselines.linear_run("x", narrow, split, session)
    holes = {k: v.copy() for k, v in features.items()}
    holes["train"][4, 2] = np.nan
    with pytest.raises(ValueError, match=r"features\['train'\] holds 1 missing.*row 4, column 2"):
        baselines.linear_run("x", holes, split, session)
    with pytest.raises(ValueError, match="class_weight='even'"):
        baselines.colour_baseline(split, session, class_weight="even")
    with pytest.raises(ValueError, match="weights must be positive"):
        baselines.colour_baseline(split, session, class_weight={0: -1})
    with pytest.raises(ValueError, match="c_grid"):
        baselines.colour_baseline(split, session, c_grid=(0.0, 1.0))
    split.y_train[:] = 2
    with pytest.raises(ValueError, match=r"1 class\(es\) \[2\]: a classifier needs at least two"):
        baselines.colour_baseline(split, session)


def test_search_table_records_a_solver_that_did_not_converge(session, monkeypatch):
    split = synthetic_split(informative=True, sizes=(60, 30, 30))
    monkeypatch.setattr(baselines, "MAX_ITER", 1)
    run = baselines.colour_baseline(split, session, c_grid=(100.0,))
    assert isinstance(run.history, pd.DataFrame) and not run.history["converged"].any()
