"""Exercises of chapter 16, "Standing on ImageNet: transfer learning"."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from course_utils.exercises import Exercise, check_number
from course_utils.exercises.build_it import BuildIt, Case, Mistake, Named
from course_utils.training import transfer

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
    "ex-16-1": Exercise(
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
    "ex-16-1": [
        (943_159, "every weight"),
        (939_120, "do *not* learn"),
        (4_032, "biases"),
        (4039.5, "not a whole number"),
        (4000, "Close, but 4,000"),
    ],
}


# --- build it: unfreezing a backbone for fine-tuning (ex-16-4) --------------------------------------------------


def _tiny_transfer(blocks: int, classes: int = 3) -> keras.Model:
    """A transfer model as transfer.transfer_model builds one, with a tiny untrained backbone of ``blocks``
    convolution, batch-norm and ReLU blocks: the backbone frozen, dropout and a new head on top."""
    stack = [keras.Input((8, 8, 3))]
    for _ in range(blocks):
        stack += [
            layers.Conv2D(4, 3, padding="same"),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]
    base = keras.Sequential(
        [*stack, layers.GlobalAveragePooling2D()], name="backbone"
    )
    base.trainable = False
    inputs = keras.Input((8, 8, 3))
    x = layers.Dropout(0.2)(base(inputs, training=False))
    return keras.Model(inputs, layers.Dense(classes, name="logits")(x))


def _fractions(rng: np.random.Generator) -> list[Case]:
    """The whole backbone (0), none of it (1), a fraction that falls inside a block, then two random
    fractions, each on a backbone of 2 to 4 blocks."""
    fractions = [
        (0.0, "the whole backbone"),
        (1.0, "no layer of the backbone"),
        (0.5, ""),
    ]
    fractions += [(float(f), "") for f in rng.uniform(0, 1, 2).round(2)]
    cases = []
    for fraction, note in fractions:
        blocks = int(rng.integers(2, 5))
        where = f"a backbone of {3 * blocks + 1} layers"
        cases.append(
            Case(
                (Named("model"), fraction),
                f"{note}, {where}" if note else where,
                blocks,
            )
        )
    return cases


@dataclass(frozen=True)
class _Learning:
    """What may learn after unfreezing: the backbone's flag, each backbone layer's flag and the number of
    weights the optimiser may change."""

    base: bool
    layers: tuple[bool, ...]
    weights: int

    def __repr__(self) -> str:
        learn = [str(i) for i, flag in enumerate(self.layers) if flag]
        return (
            f"backbone.trainable {self.base}, backbone layers that learn: "
            f"{', '.join(learn) or 'none'} (of 0–{len(self.layers) - 1}), "
            f"{self.weights:,} trainable weights"
        )


def _what_learns(function, case: Case) -> _Learning:
    """What may learn after ``function(model, fraction)`` on a fresh model."""
    model = _tiny_transfer(case.data)
    function(model, case.args[1])
    base = model.get_layer("backbone")
    flags = tuple(bool(layer.trainable) for layer in base.layers)
    return _Learning(
        bool(base.trainable), flags, transfer.trainable_params(model)
    )


def _unfreeze_variant(
    model, fraction, keep_norm_frozen=True, from_end=False, open_base=True
):
    """transfer.unfreeze with one slip: batch norm learning, the fraction counted from the top, the backbone
    itself left frozen."""
    base = model.get_layer("backbone")
    if open_base:
        base.trainable = True
    n = len(base.layers)
    start = int(n * fraction)
    for i, layer in enumerate(base.layers):
        learns = i < n - start if from_end else i >= start
        norm = isinstance(layer, layers.BatchNormalization)
        layer.trainable = learns and not (norm and keep_norm_frozen)
    return model


UNFREEZE = BuildIt(
    name="unfreeze",
    what="a function unfreeze(model, trainable_from) that lets the backbone's upper layers learn",
    reference=transfer.unfreeze,
    package="transfer.unfreeze",
    cases=_fractions,
    run=_what_learns,
    mistakes=[
        Mistake(
            lambda m, f: _unfreeze_variant(m, f, keep_norm_frozen=False),
            "The batch-normalisation layers learn here: keep them frozen (trainable = False), "
            "or a small batch of paintings overwrites the statistics the backbone learned on "
            "ImageNet.",
        ),
        Mistake(
            lambda m, f: _unfreeze_variant(m, f, from_end=True),
            "The fraction counts from the input here: layers from int(len(layers) × "
            "trainable_from) on learn, the ones before it stay frozen (the early layers hold "
            "the most general features).",
        ),
        Mistake(
            lambda m, f: _unfreeze_variant(m, f, open_base=False),
            "The backbone itself is still frozen (base.trainable is False), so none of its "
            "layers' weights can change: set base.trainable = True first, then freeze layers "
            "one by one.",
        ),
    ],
)

EXERCISES["ex-16-4"] = Exercise(
    "unfreeze",
    UNFREEZE.what,
    UNFREEZE,
    "Find the backbone (the layer of the model that has `.layers`), set "
    "its trainable to True, then give each of its layers trainable = "
    "(i >= int(len(layers) * trainable_from)) and not a BatchNormalization.",
    "from keras import layers\n"
    "\n"
    "\n"
    "def unfreeze(model, trainable_from):\n"
    '    base = next(l for l in model.layers if hasattr(l, "layers"))\n'
    "    base.trainable = True\n"
    "    start = int(len(base.layers) * trainable_from)\n"
    "    for i, layer in enumerate(base.layers):\n"
    "        norm = isinstance(layer, layers.BatchNormalization)\n"
    "        layer.trainable = i >= start and not norm\n"
    "    return model",
    why="Fine-tuning lets the backbone's upper layers adapt to paintings "
    "while the first ones keep their general features, and batch "
    "normalisation keeps ImageNet's statistics.",
)

WRONG_ANSWERS["ex-16-4"] = [
    (0.5, "define it with `def`"),
    (lambda model: model, "cannot be called with 2 argument(s)"),
    (
        lambda model, trainable_from: model,
        "but the package's transfer.unfreeze gives",
    ),
]
