"""The study's five architectures, as its report describes them, written like the keras.io examples.

``build(name)`` returns a fresh, uncompiled model. All five start by rescaling pixels to [0, 1]; the last four
first augment their input (active in training only). Every model ends in a 7-unit float32 ``logits`` layer,
so mixed precision on a GPU keeps a numerically safe output.
"""

from __future__ import annotations

import keras
from keras import layers

from course_utils.config.study import INPUT_SHAPE, MODEL_NAMES, NUM_CLASSES

NAMES = MODEL_NAMES


TITLES = {
    "original": "Original CNN",
    "dropout": "CNN with dropout",
    "lenet5": "LeNet-5",
    "lenet5_relu": "LeNet-5 with ReLU",
    "alexnet": "AlexNet (scaled down)",
}


#: Parameter counts at 125×125×3 input and 7 classes, as the study reports them.
STUDY_PARAMS = {
    "original": 1_867_815,
    "dropout": 1_867_815,
    "lenet5": 1_993_303,
    "lenet5_relu": 1_993_303,
    "alexnet": 69_511,
}


def augmentation() -> keras.Sequential:
    """Random flips, rotations (±10 % of a turn) and zooms (±10 %): new
    views of the same painting each epoch."""
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.1),
        ],
        name="augmentation",
    )


def conv_blocks(filters=(16, 32, 64)) -> list:
    """The study's feature extractor: per block a 3×3 convolution (ReLU)
    then 2×2 max pooling."""
    blocks = []
    for n in filters:
        blocks += [
            layers.Conv2D(n, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
        ]
    return blocks


def original(
    input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES
) -> keras.Model:
    """The study's first model: three conv–pool blocks (16, 32, 64 filters)
    and a 128-unit dense layer."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Rescaling(1 / 255),
            *conv_blocks(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(num_classes, dtype="float32", name="logits"),
        ],
        name="original",
    )


def dropout(
    input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES
) -> keras.Model:
    """The original model with augmentation in front and 20 % dropout after
    the last pooling."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            augmentation(),
            layers.Rescaling(1 / 255),
            *conv_blocks(),
            layers.Dropout(0.2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(num_classes, dtype="float32", name="logits"),
        ],
        name="dropout",
    )


def lenet5(
    input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES, activation="tanh"
) -> keras.Model:
    """LeNet-5 (LeCun et al., 1998) at 125×125: two 5×5 conv + average-pool
    blocks, two dense layers."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            augmentation(),
            layers.Rescaling(1 / 255),
            layers.Conv2D(16, 5, padding="same", activation=activation),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, padding="same", activation=activation),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation=activation),
            layers.Dense(128, activation=activation),
            layers.Dense(num_classes, dtype="float32", name="logits"),
        ],
        name="lenet5" if activation == "tanh" else f"lenet5_{activation}",
    )


def lenet5_relu(
    input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES
) -> keras.Model:
    """LeNet-5 with ReLU instead of tanh everywhere."""
    return lenet5(input_shape, num_classes, activation="relu")


def alexnet(
    input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES
) -> keras.Model:
    """A scaled-down AlexNet (Krizhevsky et al., 2012): large first kernel,
    five convs, 3×3 pooling."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            augmentation(),
            layers.Rescaling(1 / 255),
            layers.Conv2D(16, 11, padding="same", activation="relu"),
            layers.MaxPooling2D(3),
            layers.Conv2D(16, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(3),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(3),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(128, activation="relu"),
            layers.Dense(num_classes, dtype="float32", name="logits"),
        ],
        name="alexnet",
    )


BUILDERS = {
    "original": original,
    "dropout": dropout,
    "lenet5": lenet5,
    "lenet5_relu": lenet5_relu,
    "alexnet": alexnet,
}


def build(
    name: str, input_shape=INPUT_SHAPE, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """A fresh model of one of the study's five architectures."""
    if name not in BUILDERS:
        raise ValueError(
            f"unknown model {name!r}; use one of: {', '.join(NAMES)}"
        )
    return BUILDERS[name](input_shape, num_classes)
