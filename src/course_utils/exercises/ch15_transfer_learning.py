"""Exercises of chapter 15, "Standing on ImageNet: transfer learning"."""

from __future__ import annotations

from course_utils.exercises import Exercise, check_number

#: MobileNetV3Small's pooled features, the 7 classes, and its weights without the ImageNet classifier.
_FEATURES, _CLASSES, _BACKBONE = 576, 7, 939_120


def _check_frozen(answer: object) -> None:
    """Trainable weights with the backbone frozen: the new dense layer only (576 × 7 + 7)."""
    head = _FEATURES * _CLASSES + _CLASSES
    check_number(
        answer,
        head,
        "a number of weights",
        whole=True,
        mistakes={
            _BACKBONE
            + head: "That is every weight of the model; while the "
            "backbone is frozen only the new head learns.",
            _BACKBONE: "That is the frozen backbone's weights: they are "
            "exactly the ones that do *not* learn.",
            _FEATURES * _CLASSES: "Close: 576 × 7 leaves out the 7 biases "
            "of the dense layer.",
        },
        otherwise="{value} is not it: count the weights of a dense layer "
        "from 576 features to 7 logits.",
    )


EXERCISES = {
    "ex-15-1": Exercise(
        "frozen_trainable",
        "a whole number",
        _check_frozen,
        "Build `transfer.transfer_model()` (random weights are fine) and pass it to `transfer.trainable_params`.",
        "from course_utils.training import transfer\n"
        "\n"
        "# random weights are enough to count them\n"
        "frozen = transfer.transfer_model()\n"
        "# 576 × 7 + 7 = 4,039\n"
        "frozen_trainable = transfer.trainable_params(frozen)",
        why="Only the new dense layer learns: 576 × 7 weights plus 7 biases; "
        "dropout has none and the backbone is frozen.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-15-1": [
        (943_159, "every weight"),
        (939_120, "do *not* learn"),
        (4_032, "biases"),
        (4039.5, "not a whole number"),
        (4000, "Close, but 4,000"),
    ],
}
