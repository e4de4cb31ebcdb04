"""Error analysis: confident mistakes with the annotators' shares, and errors per group."""

import numpy as np
import pandas as pd
import pytest

from course_utils.analysis import errors
from course_utils.data.schema import EMOTIONS
from course_utils.labels import CLASS_NAMES

C = list(CLASS_NAMES)


def labels_table(rows: dict[str, dict]) -> pd.DataFrame:
    """Artworks with the given shares (others 0) and metadata."""
    frame = pd.DataFrame(0.0, index=list(rows), columns=[f"share {e}" for e in EMOTIONS])
    for ident, row in rows.items():
        for emotion, share in row.get("shares", {}).items():
            frame.loc[ident, f"share {emotion}"] = share
    frame["Style"] = [r.get("style", "Modern Art") for r in rows.values()]
    frame["Category"] = [r.get("category", "Cubism") for r in rows.values()]
    frame["Face/body"] = [r.get("face", "none") for r in rows.values()]
    frame["Ave. art rating"] = [r.get("rating", 0.5) for r in rows.values()]
    return frame


def one_hot(indices, confidence):
    probs = np.full((len(indices), len(C)), 0.0)
    for k, (i, p) in enumerate(zip(indices, confidence)):
        probs[k] = (1 - p) / (len(C) - 1)
        probs[k, i] = p
    return probs


LABELS = labels_table(
    {
        # Calm by trust (0.5); the model says Aggressive; anger at 0.33: the annotators nearly agreed
        "a": {"shares": {"trust": 0.5, "anger": 0.33}, "style": "Modern Art", "rating": -1},
        # Euphoric; predicted Aggressive with no annotator support for anger
        "b": {"shares": {"love": 0.6}, "style": "Renaissance Art", "face": "face", "rating": 2},
        # right: Aggressive
        "c": {"shares": {"anger": 0.7}, "style": "Renaissance Art", "rating": 0.2},
        # neutral alone counts for Calm; next to fear at 0.45 it does not
        "d": {"shares": {"neutral": 0.5, "fear": 0.45}, "category": "Baroque", "face": "body", "rating": 1.5},
    }
)


def test_quadrant_shares_take_the_largest_emotion_and_neutral_only_alone():
    shares = errors.quadrant_shares(LABELS)
    assert shares.loc["a"].to_dict() == pytest.approx({"Aggressive": 0.33, "Euphoric": 0.0, "Calm": 0.5})
    # fear is Aggressive in the study's grouping; neutral 0.5 is dropped beside it
    assert shares.loc["d", "Calm"] == 0.0
    alone = errors.quadrant_shares(labels_table({"n": {"shares": {"neutral": 0.5, "fear": 0.3}}}))
    assert alone.loc["n", "Calm"] == 0.5


def prediction():
    y_true = [C.index("Calm"), C.index("Euphoric"), C.index("Aggressive"), C.index("Aggressive")]
    y_pred = [C.index("Aggressive"), C.index("Aggressive"), C.index("Aggressive"), C.index("Aggressive + Calm")]
    probs = one_hot(y_pred, [0.9, 0.6, 0.8, 0.7])
    return errors.prediction_table(probs, y_true, list(LABELS.index), C, LABELS)


def test_prediction_table_marks_mistakes_confidence_and_annotator_support():
    table = prediction()
    assert table["correct"].tolist() == [False, False, True, False]
    assert table["confidence"].tolist() == pytest.approx([0.9, 0.6, 0.8, 0.7])
    assert table.loc["a", "p(true)"] == pytest.approx(0.1 / 6)
    # support of a two-quadrant prediction is its weaker quadrant's share: d has Calm 0 (neutral dropped)
    assert table["predicted support"].tolist() == pytest.approx([0.33, 0.0, 0.7, 0.0])
    assert table["near threshold"].tolist() == [True, False, True, False]


def test_confident_mistakes_per_class_most_confident_first():
    mistakes = errors.confident_mistakes(prediction(), per_class=1)
    assert list(mistakes.index) == ["a", "d", "b"]
    assert "c" not in mistakes.index


def test_error_breakdown_counts_rates_and_near_threshold_share():
    table = prediction()
    style = errors.error_breakdown(table, LABELS, "Style")
    assert style.loc["Modern Art", ["n", "errors"]].tolist() == [2, 2]
    assert style.loc["Renaissance Art", ["n", "errors"]].tolist() == [2, 1]
    assert style.loc["Renaissance Art", "error rate"] == pytest.approx(0.5)
    assert style.loc["Modern Art", "near threshold"] == pytest.approx(0.5)
    lo, hi = style.loc["Renaissance Art", ["error low", "error high"]]
    assert 0 < lo < 0.5 < hi < 1
    rating = errors.error_breakdown(table, LABELS, "Rating")
    assert rating["n"].to_dict() == {"0 to 1": 1, "1 and above": 2, "below 0": 1}
    face = errors.error_breakdown(table, LABELS, "Face or body")
    assert face["n"].to_dict() == {"face or body": 2, "none": 2}
    assert set(errors.all_breakdowns(table, LABELS)) == {"Style", "Category", "Face or body", "Rating"}
    with pytest.raises(ValueError, match="unknown grouping"):
        errors.error_breakdown(table, LABELS, "Artist")


def test_prediction_table_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="probs of shape"):
        errors.prediction_table(np.zeros((2, 7)), [0, 1, 2], ["a", "b", "c"], C, LABELS)
    with pytest.raises(ValueError, match="not in labels"):
        errors.prediction_table(np.ones((1, 7)) / 7, [0], ["zz"], C, LABELS)
