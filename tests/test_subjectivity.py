"""Subjectivity helpers on hand-made cases: soft targets, agreement, calibration (ECE) and metrics per group."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from course_utils.analysis import subjectivity as sj
from course_utils.data import schema
from course_utils.datasets.pipeline import Split
from course_utils.labels import CLASS_NAMES, shares_frame
from course_utils.plots import style, subjectivity_plots


def shares(**rows: dict) -> pd.DataFrame:
    """A share table (20 emotion columns, zeros unless given), one row per keyword: id={emotion: share}."""
    return shares_frame(rows)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- soft targets ---------------------------------------------------------------------------------------------


def test_soft_target_of_the_docstring_example():
    targets = sj.threshold_soft_targets(shares(a={"anger": 0.4, "happiness": 0.333}))
    expected = dict.fromkeys(CLASS_NAMES, 0.0) | {"Aggressive": 2 / 3, "Aggressive + Euphoric": 1 / 3}
    assert targets.loc["a"].to_dict() == pytest.approx(expected)


def test_soft_targets_sum_to_one_and_stay_one_hot_far_from_every_threshold():
    values = shares(
        far={"happiness": 0.9},  # Euphoric at every threshold
        split={"sadness": 0.42, "love": 0.31},  # Calm at .3/.35/.4; Euphoric + Calm at .3 only
        never={"anger": 0.1},  # no quadrant at any threshold
    )
    targets = sj.threshold_soft_targets(values)
    assert list(targets.columns) == list(CLASS_NAMES)
    assert targets.loc["far", "Euphoric"] == 1.0
    assert targets.loc["split", "Euphoric + Calm"] == pytest.approx(1 / 3)
    assert targets.loc["split", "Calm"] == pytest.approx(2 / 3)
    assert targets.loc[["far", "split"]].sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0])
    assert targets.loc["never"].isna().all()
    assert sj.is_soft(targets.loc[["far", "split"]]).tolist() == [False, True]


def test_soft_target_with_one_threshold_is_the_hard_label():
    targets = sj.threshold_soft_targets(shares(x={"fear": 0.5, "trust": 0.4}), thresholds=(0.4,))
    assert targets.loc["x", "Aggressive + Calm"] == 1.0
    with pytest.raises(ValueError, match="thresholds is empty"):
        sj.threshold_soft_targets(shares(x={}), thresholds=())


def tiny_split() -> Split:
    x = np.zeros((3, 4, 4, 3), dtype=np.uint8)
    return Split(x[:2], np.array([5, 4]), x[2:], np.array([0]), ["e", "c"], ["a"], list(CLASS_NAMES))


def test_soft_split_keeps_images_and_ids_and_replaces_labels():
    values = shares(e={"happiness": 0.9}, c={"trust": 0.9}, a={"anger": 0.4, "love": 0.3})
    soft = sj.soft_split(tiny_split(), sj.threshold_soft_targets(values))
    assert soft.y_train.shape == (2, 7) and soft.y_val.shape == (1, 7) and soft.y_train.dtype == np.float32
    assert soft.y_train.argmax(axis=1).tolist() == [5, 4]
    assert soft.y_val[0, 0] == pytest.approx(2 / 3)  # A + E at 0.3; A at 0.35 and 0.4; none above
    assert soft.train_ids == ["e", "c"] and soft.val_ids == ["a"] and soft.x_train.shape == (2, 4, 4, 3)


def test_soft_split_names_the_artwork_without_a_target():
    values = shares(e={"happiness": 0.9}, c={"trust": 0.9}, a={"anger": 0.1})
    with pytest.raises(ValueError, match="artwork a has no class"):
        sj.soft_split(tiny_split(), sj.threshold_soft_targets(values))
    with pytest.raises(ValueError, match="no soft target for artwork a"):
        sj.soft_split(tiny_split(), sj.threshold_soft_targets(values.drop(index="a")))


# --- agreement ------------------------------------------------------------------------------------------------


def test_entropy_in_bits():
    values = shares(
        one={"love": 0.7},
        two={"love": 0.5, "fear": 0.5},
        four={"love": 0.2, "fear": 0.2, "trust": 0.2, "shame": 0.2},
        none={},
    )
    entropy = sj.emotion_entropy(values)
    assert entropy[["one", "two", "four"]].tolist() == pytest.approx([0.0, 1.0, 2.0])
    assert math.isnan(entropy["none"])


def test_near_threshold_and_class_flips():
    values = shares(
        lost={"anger": 0.4},  # Aggressive at .35 and .40, nothing at .45
        changed={"anger": 0.5, "happiness": 0.36},  # A + E at .35, A at .40 and .45
        gained={"happiness": 0.37},  # Euphoric at .35 only
        steady={"trust": 0.9},
    )
    assert sj.near_threshold(values).tolist() == [True, True, True, False]
    flips = sj.class_flips(values)
    assert flips.loc[0.35].to_dict() == {
        "labelled": 4,
        "same class": 2,
        "other class": 1,
        "newly labelled": 1,
        "no longer labelled": 0,
    }
    assert flips.loc[0.45].to_dict() == {
        "labelled": 2,
        "same class": 2,
        "other class": 0,
        "newly labelled": 0,
        "no longer labelled": 1,
    }
    with pytest.raises(ValueError, match="reference threshold 0.5"):
        sj.class_flips(values, reference=0.5)


def test_scope_agreement_identical_and_independent_scopes():
    art = shares(a={"anger": 0.5, "love": 0.1}, b={"anger": 0.1, "love": 0.5}, c={"anger": 0.6}, d={"love": 0.6})
    table = pd.concat(
        [
            art.set_axis(schema.emotion_columns("art"), axis=1),
            art.set_axis(schema.emotion_columns("image"), axis=1),
        ],
        axis=1,
    )
    same = sj.scope_agreement(table, "image")
    assert same.loc["anger", "kappa"] == pytest.approx(1.0) and same.loc["anger", "correlation"] == pytest.approx(
        1
    )
    assert math.isnan(same.loc["fear", "kappa"])  # never present in either scope
    assert same.loc["love", "present (art)"] == 2
    flipped = table.copy()  # the image scope swaps anger and love: presence always disagrees
    flipped[schema.emotion_column("image", "anger")] = art["love"].to_numpy()
    flipped[schema.emotion_column("image", "love")] = art["anger"].to_numpy()
    assert sj.scope_agreement(flipped, "image").loc["anger", "kappa"] == pytest.approx(-1.0)


# --- calibration ----------------------------------------------------------------------------------------------


def test_perfectly_calibrated_predictions_have_zero_ece():
    probs = np.tile([0.8, 0.2], (10, 1))
    y = np.array([0] * 8 + [1] * 2)  # right 8 times out of 10 at confidence 0.8
    assert sj.expected_calibration_error(probs, y) == pytest.approx(0.0)


def test_all_confident_and_wrong():
    probs = np.tile([0.9, 0.1], (6, 1))
    assert sj.expected_calibration_error(probs, np.ones(6, dtype=int)) == pytest.approx(0.9)
    assert sj.expected_calibration_error(np.tile([1.0, 0.0], (3, 1)), np.ones(3, dtype=int)) == pytest.approx(1.0)


def test_ece_weights_bins_by_count():
    probs = np.array([[0.95, 0.05]] * 5 + [[0.65, 0.35]] * 5)
    y = np.array([0] * 5 + [1] * 5)  # the confident half is always right, the other always wrong
    table = sj.reliability_table(probs, y, bins=10)
    assert table["n"].tolist() == [0] * 6 + [5, 0, 0, 5]
    assert table.loc[9, "accuracy"] == 1.0 and table.loc[6, "confidence"] == pytest.approx(0.65)
    assert np.isnan(table.loc[0, "accuracy"])
    assert sj.expected_calibration_error(probs, y, bins=10) == pytest.approx(0.5 * 0.05 + 0.5 * 0.65)
    assert sj.expected_calibration_error(probs, y, bins=1) == pytest.approx(abs(0.5 - 0.8))


def test_reliability_table_rejects_bad_shapes():
    with pytest.raises(ValueError, match="probs must be"):
        sj.reliability_table(np.ones(3), [0, 1, 0])
    with pytest.raises(ValueError, match="bins must be at least 1"):
        sj.reliability_table(np.ones((2, 2)) / 2, [0, 1], bins=0)


def test_softmax_and_summary():
    probs = sj.softmax([[0.0, 0.0], [np.log(3), 0.0]])
    assert probs == pytest.approx(np.array([[0.5, 0.5], [0.75, 0.25]]))
    summary = sj.calibration_summary({"m": probs}, [0, 0])
    assert summary.loc["m", "accuracy"] == 1.0
    assert summary.loc["m", "mean confidence"] == pytest.approx(0.625)
    assert summary.loc["m", "log loss"] == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)


def test_validation_probabilities_refuse_another_split():
    class FakeRun:
        val_ids, val_logits, name, info = ["x"], np.zeros((1, 7)), "original", {}

    with pytest.raises(ValueError, match="trained on another split"):
        sj.validation_probabilities(FakeRun(), tiny_split())
    FakeRun.val_ids = ["a"]
    assert sj.validation_probabilities(FakeRun(), tiny_split()) == pytest.approx(np.full((1, 7), 1 / 7))


def test_test_probabilities_come_from_the_test_part_of_the_same_split():
    class FakeRun:
        name, info = "original", {}
        val_ids, val_logits = ["a"], np.zeros((1, 2))
        test_ids, test_logits = ["t1", "t2"], np.log(np.array([[1.0, 3.0], [1.0, 1.0]]))

    class TestSplit:
        val_ids, test_ids = ["a"], ["t1", "t2"]

    assert sj.part_probabilities(FakeRun(), TestSplit(), "test") == pytest.approx(
        np.array([[0.25, 0.75], [0.5, 0.5]])
    )
    TestSplit.test_ids = ["t2", "t1"]  # the same images in another order are another split's test part
    with pytest.raises(ValueError, match="2 test images vs 2"):
        sj.part_probabilities(FakeRun(), TestSplit(), "test")
    with pytest.raises(ValueError, match="part must be"):
        sj.part_probabilities(FakeRun(), TestSplit(), "train")
    with pytest.raises(ValueError, match="has no 'test' part"):
        sj.part_probabilities(FakeRun(), tiny_split(), "test")


# --- groups ---------------------------------------------------------------------------------------------------


def test_group_metrics_on_a_constructed_table():
    y_true = [0, 0, 1, 1, 2, 2]
    y_pred = [0, 0, 1, 0, 1, 1]
    groups = ["a", "a", "a", "a", "b", "b"]
    table = sj.group_metrics(y_true, y_pred, groups)
    assert table.loc["a", "n"] == 4 and table.loc["b", "n"] == 2
    assert table.loc["a", "accuracy"] == 0.75 and table.loc["b", "accuracy"] == 0.0
    # group a: class 0 F1 = 0.8 (P 2/3, R 1), class 1 F1 = 2/3 (P 1, R 1/2)
    assert table.loc["a", "macro-F1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert table.loc["b", "macro-F1"] == 0.0
    assert table.loc["a", "majority share"] == 0.5 and table.loc["b", "majority share"] == 1.0
    assert table.loc["b", "accuracy low"] == 0.0 and 0 < table.loc["b", "accuracy high"] < 1


def test_wilson_interval_known_values():
    assert sj.wilson_interval(0, 10) == pytest.approx((0.0, 3.8416 / 13.8416), abs=1e-4)
    low, high = sj.wilson_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(1 - 3.8416 / 13.8416, abs=1e-4)
    assert all(math.isnan(v) for v in sj.wilson_interval(0, 0))
    with pytest.raises(ValueError, match="k=5, n=3"):
        sj.wilson_interval(5, 3)


def test_bias_groups_and_ranking_exposure():
    labels = pd.DataFrame(
        {
            "Style": ["Modern Art", "Renaissance Art", "Contemporary Art,Modern Art"],
            "Category": ["Cubism,Fauvism", "Mannerism", "Abstract Art,Minimalism"],
            "Face/body": ["body", "none", "face"],
        },
        index=["p", "q", "r"],
    )
    groups = sj.bias_groups(labels)
    assert groups.loc["p"].tolist() == ["Modern Art", "Cubism", "face or body"]
    assert groups.loc["q", "Face or body"] == "none"
    # two styles: grouped under the first listed one, like two categories
    assert groups.loc["r"].tolist() == ["Contemporary Art", "Abstract Art", "face or body"]
    assert sj.style_group("Modern Art,Post Renaissance Art") == "Modern Art"
    mix = sj.class_mix(pd.Series(["Calm", "Euphoric", "Calm", None]), pd.Series(["x", "x", "y", "y"]))
    assert mix.loc["x"].to_dict() == {"artworks": 2, "Calm": 0.5, "Euphoric": 0.5}
    assert mix.loc["y"].to_dict() == {"artworks": 1, "Calm": 1.0, "Euphoric": 0.0}
    exposure = sj.ranking_exposure([0.9, 0.8, 0.1, 0.2], ["x", "x", "y", "y"], k=2)
    assert exposure.loc["x"].tolist() == [0.5, 1.0] and exposure.loc["y"].tolist() == [0.5, 0.0]
    with pytest.raises(ValueError, match="k must lie in 1…4"):
        sj.ranking_exposure([1, 2, 3, 4], list("abcd"), k=5)


# --- figures --------------------------------------------------------------------------------------------------


def test_figures_have_titles_and_labelled_axes():
    values = shares(a={"anger": 0.4, "love": 0.2}, b={"love": 0.6}, c={"trust": 0.45, "fear": 0.3})
    probs = sj.softmax(np.random.default_rng(0).normal(size=(12, 7)))
    y = np.arange(12) % 7
    table = sj.group_metrics(y, probs.argmax(1), ["u", "v"] * 6)
    art = values.set_axis(schema.emotion_columns("art"), axis=1)
    both = pd.concat([art, values.set_axis(schema.emotion_columns("image"), axis=1)], axis=1)
    ratings = pd.Series([0.5, 1.0, -0.5], index=list("abc"))
    classes = pd.Series(["Aggressive", "Euphoric", "Calm"], index=list("abc"))
    figures = [
        subjectivity_plots.plot_share_histogram(values),
        subjectivity_plots.plot_entropy(sj.emotion_entropy(values), pd.Series([1, 1, 2], index=list("abc"))),
        subjectivity_plots.plot_scope_agreement({"image vs art": sj.scope_agreement(both, "image")}),
        subjectivity_plots.plot_reliability(
            {"hard": sj.reliability_table(probs, y), "soft": sj.reliability_table(probs, y)}
        ),
        subjectivity_plots.plot_group_accuracy({"Style": table, "Face or body": table}),
        subjectivity_plots.plot_group_confusions(y, probs.argmax(1), ["u", "v"] * 6),
        subjectivity_plots.plot_rating_by_class(
            ratings, {"true": classes, "predicted": classes.iloc[::-1].set_axis(list("abc"))}
        ),
    ]
    for fig in figures:
        assert style.check_figure(fig) == []


# --- training with soft targets -------------------------------------------------------------------------------


def soft_and_hard_runs(tmp_path):
    """The original CNN trained 10 epochs on soft targets, and on the same targets' most likely classes (hard labels).
    The images are dark or bright (grey 60 or 190, noise σ = 30, 16×16 pixels); dark ones have the target DARK,
    bright ones BRIGHT: 32 for training and 16 for validation, alternating."""
    import dataclasses

    from course_utils.config.settings import Settings
    from course_utils.datasets.session import open_session
    from course_utils.models import cnns
    from course_utils.training import runs

    rng = np.random.default_rng(0)
    bright = np.arange(48) % 2 == 1
    level = np.where(bright, 190, 60)[:, None, None, None]
    x = np.clip(rng.normal(level, 30, (48, 16, 16, 3)), 0, 255).astype(np.uint8)
    ids = [f"s{k:02d}" for k in range(48)]
    targets = pd.DataFrame([BRIGHT if b else DARK for b in bright], index=ids, columns=list(CLASS_NAMES))
    split = Split(x[:32], np.zeros(32, int), x[32:], np.zeros(16, int), ids[:32], ids[32:], list(CLASS_NAMES))
    soft = sj.soft_split(split, targets)
    hard = dataclasses.replace(split, y_train=np.where(bright[:32], 6, 0), y_val=np.where(bright[32:], 6, 0))
    session = open_session(Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=1))
    common = dict(epochs=10, batch_size=8, save=False, verbose=0)
    soft_run = runs.train(
        lambda: cnns.original((16, 16, 3), 7),
        soft,
        session,
        loss=sj.soft_loss(),
        metrics=sj.soft_metrics(),
        **common,
    )
    hard_run = runs.train(lambda: cnns.original((16, 16, 3), 7), hard, session, **common)
    return soft, soft_run, hard_run, bright[32:]


DARK = [0.6, 0.3, 0.1, 0, 0, 0, 0]  # soft targets over the 7 classes, in CLASS_NAMES order
BRIGHT = [0, 0, 0, 0, 0.2, 0, 0.8]


def log_softmax(logits) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def kl_divergence(targets, logits) -> np.ndarray:
    """Per row: KL(target ‖ softmax(logits)) = Σ t·(log t − log p), terms with t = 0 left out."""
    t = np.asarray(targets, dtype=np.float64)
    log_t = np.log(np.where(t > 0, t, 1.0))
    return np.sum(np.where(t > 0, t * (log_t - log_softmax(logits)), 0.0), axis=1)


def test_kl_divergence_by_hand():
    # target (1/2, 1/2) against probabilities (1/4, 3/4): 1/2 log 2 + 1/2 log(2/3)
    assert kl_divergence([[0.5, 0.5]], [[0.0, np.log(3)]]) == pytest.approx(
        [0.5 * np.log(2) + 0.5 * np.log(2 / 3)]
    )
    assert kl_divergence([[1.0, 0.0]], [[2.0, 2.0]]) == pytest.approx([np.log(2)])


@pytest.mark.slow
def test_keras_learns_soft_targets(tmp_path):
    soft, run, hard_run, bright = soft_and_hard_runs(tmp_path)
    assert run.val_logits.shape == (16, 7) and run.val_true.shape == (16, 7)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(run.history.columns)
    assert np.isfinite(run.history[["loss", "val_loss"]].to_numpy()).all()
    # the loss Keras reports is the cross-entropy to the soft target: entropy of the target plus the KL divergence
    entropy = -np.sum(np.where(soft.y_val > 0, soft.y_val * np.log(np.where(soft.y_val > 0, soft.y_val, 1)), 0), 1)
    kl = kl_divergence(soft.y_val, run.val_logits)
    assert run.history["val_loss"].iloc[-1] == pytest.approx(np.mean(entropy + kl), rel=1e-4)
    assert run.history["val_loss"].iloc[-1] < run.history["val_loss"].iloc[0] - 0.5
    # the predicted distribution is the target's, class by class, not a one-hot guess of its most likely class
    probs = sj.softmax(run.val_logits)
    print(
        f"soft targets: mean predicted distribution, dark {np.round(probs[~bright].mean(0), 2).tolist()}, "
        f"bright {np.round(probs[bright].mean(0), 2).tolist()}; KL {kl.mean():.3f}"
    )
    np.testing.assert_allclose(probs[~bright].mean(axis=0), DARK, atol=0.1)
    np.testing.assert_allclose(probs[bright].mean(axis=0), BRIGHT, atol=0.1)
    assert kl.mean() < 0.1
    # trained on the hard labels instead, the same model misses the targets' spread by far more
    hard_kl = kl_divergence(soft.y_val, hard_run.val_logits)
    assert hard_kl.mean() > 10 * kl.mean() and hard_kl.mean() > 0.5
    assert sj.softmax(hard_run.val_logits)[~bright, 0].mean() > 0.8  # the hard run puts most on class 0


def test_ece_in_numpy_matches_the_reliability_table():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(4), size=200)
    y = rng.integers(0, 4, 200)
    for bins in (1, 5, 10):
        assert sj.expected_calibration_error(probs, y, bins) == pytest.approx(
            sj.ece_of(sj.reliability_table(probs, y, bins))
        )
    with pytest.raises(ValueError, match="probs must be"):
        sj.expected_calibration_error(np.ones(3), [0, 1, 0])


def test_soft_split_drops_classes_the_split_leaves_out_and_renormalises():
    values = shares(e={"happiness": 0.9}, c={"trust": 0.9}, a={"anger": 0.4, "love": 0.3})
    targets = sj.threshold_soft_targets(values)
    six = [name for name in CLASS_NAMES if name != "Aggressive + Euphoric + Calm"]
    x = np.zeros((3, 4, 4, 3), dtype=np.uint8)
    split = Split(x[:2], np.array([4, 3]), x[2:], np.array([0]), ["e", "c"], ["a"], six)
    targets.loc["a"] = [0.5, 0.0, 0.25, 0.25, 0.0, 0.0, 0.0]  # a quarter on the class left out
    soft = sj.soft_split(split, targets)
    assert soft.y_train.shape == (2, 6)
    assert soft.y_val[0].tolist() == pytest.approx([2 / 3, 0, 1 / 3, 0, 0, 0])
    with pytest.raises(ValueError, match="lack the split's classes"):
        sj.soft_split(split, targets.drop(columns="Calm"))


def test_test_probabilities_refuse_another_test_part():
    class FakeRun:
        test_ids, test_logits, name, info = ["x"], np.zeros((1, 3)), "original", {}

    class WithTest:
        test_ids = ["t"]

    with pytest.raises(ValueError, match="other test images"):
        sj.test_probabilities(FakeRun(), WithTest())
    with pytest.raises(ValueError, match="other test images"):
        sj.test_probabilities(FakeRun(), tiny_split())  # no test part at all
    FakeRun.test_ids = ["t"]
    assert sj.test_probabilities(FakeRun(), WithTest()) == pytest.approx(np.full((1, 3), 1 / 3))


def test_split_like_follows_the_artists_of_the_given_split(tmp_path):
    """Another scope's class folders (hand-made: six artworks by three artists, one artwork by an artist the
    first split does not hold, one in a class it leaves out) are cut along the first split's artists."""
    from PIL import Image

    from course_utils.datasets.pipeline import GroupedSplit

    classes = ["Calm", "Euphoric"]
    labels = {
        "w1": ("ann", "Calm"),
        "w2": ("ann", "Euphoric"),
        "w3": ("bob", "Calm"),
        "w4": ("cat", "Euphoric"),
        "w5": ("dan", "Calm"),  # an artist the first split does not hold: left out
        "w6": ("bob", "Aggressive"),  # a class the first split leaves out: counted in dropped
    }
    for ident, (_, cls) in labels.items():
        (tmp_path / cls).mkdir(exist_ok=True)
        Image.new("RGB", (8, 8), (10, 20, 30)).save(tmp_path / cls / f"{ident}.png")
    pd.DataFrame(
        {"ID": list(labels), "Artist": [a for a, _ in labels.values()], "class": [c for _, c in labels.values()]}
    ).to_csv(tmp_path / "labels.csv", index=False)
    x = np.zeros((1, 4, 4, 3), dtype=np.uint8)
    first = GroupedSplit(
        x,
        np.array([0]),
        x,
        np.array([0]),
        ["w1"],
        ["w3"],
        classes,
        x_test=x,
        y_test=np.array([1]),
        test_ids=["w4"],
    )  # ann trains, bob validates, cat tests
    like = sj.split_like(first, tmp_path)
    assert like.train_ids == ["w1", "w2"] and like.val_ids == ["w3"] and like.test_ids == ["w4"]
    assert like.y_train.tolist() == [0, 1] and like.y_test.tolist() == [1]
    assert like.x_train.shape == (2, 4, 4, 3)  # the first split's image size
    assert like.dropped == {"Aggressive": 1} and like.class_names == classes
    with pytest.raises(ValueError, match="artist-grouped split"):
        sj.split_like(tiny_split(), tmp_path)
