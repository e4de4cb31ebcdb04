"""A decision rule moved on validation (logit adjustment), on hand-made logits (chapter 10)."""

import math

import numpy as np
import pytest

from course_utils.analysis.decisions import (
    adjusted_logits,
    adjusted_predictions,
    choose_strength,
    class_prior,
    strength_table,
)

# Three classes; training shares 0.8 / 0.1 / 0.1 (add-one smoothing: counts 7, 0, 0 -> (8, 1, 1) / 10).
PRIOR = np.array([0.8, 0.1, 0.1])
# Validation: the model always puts class 0 ahead by 1.0 over the true class (a rare one) on two images.
VAL_LOGITS = np.array(
    [
        [3.0, 2.0, 0.0],  # true 1: 0 wins by 1.0
        [3.0, 0.0, 2.0],  # true 2: 0 wins by 1.0
        [3.0, 0.0, 0.0],  # true 0: wins by 3.0
        [3.0, 1.0, 0.0],  # true 0: wins by 2.0
    ]
)
VAL_TRUE = np.array([1, 2, 0, 0])


def test_prior_is_smoothed_share():
    assert class_prior([0] * 7, 3) == pytest.approx([0.8, 0.1, 0.1])
    with pytest.raises(ValueError, match="labels up to"):
        class_prior([0, 3], 3)


def test_adjusted_logits_by_hand():
    got = adjusted_logits(VAL_LOGITS[:1], PRIOR, 0.5)
    # 3 - 0.5·ln 0.8 = 3.1116; 2 - 0.5·ln 0.1 = 3.1513; 0 - 0.5·ln 0.1 = 1.1513
    assert got[0] == pytest.approx([3 - 0.5 * math.log(0.8), 2 - 0.5 * math.log(0.1), -0.5 * math.log(0.1)])
    assert adjusted_predictions(VAL_LOGITS, PRIOR, 0.0).tolist() == [0, 0, 0, 0], "strength 0: the model's rule"
    with pytest.raises(ValueError, match="classes"):
        adjusted_logits(VAL_LOGITS, PRIOR[:2], 1.0)


def test_strength_is_chosen_on_validation_by_hand():
    # The log-prior gap between class 0 and a rare class is ln 8 = 2.079. A rare true class overtakes class 0
    # once strength · 2.079 > 1.0, i.e. strength > 0.481; the image "true 0, second class at 1.0" flips to 1
    # once strength · 2.079 > 2.0, i.e. strength > 0.962. So strengths 0.5 ... 0.9 get all four right.
    strengths = [0.0, 0.4, 0.5, 0.9, 1.0, 2.0]
    table = strength_table(VAL_LOGITS, VAL_TRUE, PRIOR, strengths)
    assert table["accuracy"].tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0, 0.75, 0.5])
    assert table.loc[0.5, "macro-F1"] == pytest.approx(1.0)
    assert choose_strength(VAL_LOGITS, VAL_TRUE, PRIOR, strengths) == 0.5, "the smallest of the tied best"


def test_choice_is_deterministic_and_uses_only_what_it_is_given():
    a = choose_strength(VAL_LOGITS, VAL_TRUE, PRIOR)
    b = choose_strength(VAL_LOGITS.copy(), VAL_TRUE.copy(), PRIOR.copy())
    assert a == b == 0.5
    # when the model's own rule is already best, nothing moves
    assert choose_strength(np.eye(3) * 5, [0, 1, 2], PRIOR) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        choose_strength(VAL_LOGITS, VAL_TRUE, PRIOR, [])
