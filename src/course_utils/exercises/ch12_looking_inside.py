"""Exercises of chapter 12, "Looking inside: where the model looks and what it gets wrong"."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from course_utils.analysis import saliency
from course_utils.exercises import Exercise
from course_utils.exercises.build_it import (
    BuildIt,
    Case,
    Mistake,
    Named,
    seeded_weights,
)

EXERCISES: dict[str, Exercise] = {}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS: dict[str, list] = {}


# --- build it: Grad-CAM (ex-12-3) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Paintings:
    """A tiny CNN's input: the image size, the classes, the seed of the weights and the images."""

    images: np.ndarray
    classes: int
    seed: int

    def model(self) -> keras.Model:
        """Two ReLU convolutions (``conv1``, ``conv2``) with a pooling between, then the logits."""
        model = keras.Sequential(
            [
                keras.Input(self.images.shape[1:]),
                layers.Conv2D(
                    4, 3, padding="same", activation="relu", name="conv1"
                ),
                layers.MaxPooling2D(2),
                layers.Conv2D(
                    6, 3, padding="same", activation="relu", name="conv2"
                ),
                layers.Flatten(),
                layers.Dense(self.classes, name="logits"),
            ]
        )
        return seeded_weights(model, self.seed)


def _paintings(rng: np.random.Generator) -> list[Case]:
    """The last convolution of a square image, the first convolution (maps at the image's own size, nothing
    to upsample), an image of odd height and width, then two random ones; a class drawn for each."""
    plans = [
        (
            (8, 8),
            "conv2",
            "the last convolution, 4 × 4 maps upsampled to 8 × 8",
        )
    ]
    plans += [
        ((8, 8), "conv1", "the first convolution: maps at the image's size")
    ]
    plans += [((9, 11), "conv2", "an image of 9 × 11 pixels")]
    plans += [
        ((int(rng.integers(6, 13)), int(rng.integers(6, 13))), "conv2", "")
        for _ in range(2)
    ]
    cases = []
    for (height, width), layer, note in plans:
        classes = int(rng.integers(2, 5))
        images = rng.uniform(0, 1, (2, height, width, 3)).astype("float32")
        data = _Paintings(images, classes, int(rng.integers(2**31)))
        args = (
            Named("model"),
            Named("images"),
            int(rng.integers(classes)),
            layer,
        )
        cases.append(
            Case(args, note or f"images of {height} × {width}", data)
        )
    return cases


def _maps(function, case: Case) -> np.ndarray:
    """``function(model, images, class_index, layer_name)`` on a fresh copy of the case's model, as floats."""
    data: _Paintings = case.data
    return np.asarray(
        function(data.model(), data.images.copy(), *case.args[2:]),
        dtype=float,
    )


def _cam(
    model,
    images,
    class_index,
    layer_name,
    relu=True,
    gradients=True,
    resize=True,
    scale=True,
):
    """Grad-CAM with one slip: no ReLU, weights from the maps instead of the gradients, no upsampling, no
    scaling to [0, 1]."""
    images = tf.constant(images)
    with tf.GradientTape() as tape:
        x, maps = images, None
        for layer in model.layers:
            x = layer(x, training=False)
            if layer.name == layer_name:
                maps = x
        target = x[:, class_index]
    grads = tape.gradient(target, maps)
    weights = tf.reduce_mean(
        grads if gradients else maps, axis=(1, 2), keepdims=True
    )
    cams = tf.reduce_sum(weights * maps, axis=-1)
    cams = tf.nn.relu(cams) if relu else cams
    if resize:
        cams = tf.image.resize(
            cams[..., None], images.shape[1:3], method="bilinear"
        )[..., 0]
    cams = cams.numpy()
    if scale:
        top = cams.reshape(len(cams), -1).max(axis=1)
        cams = cams / np.where(top > 0, top, 1.0)[:, None, None]
    return cams


GRAD_CAM = BuildIt(
    name="grad_cam",
    what="a function grad_cam(model, images, class_index, layer_name) that returns maps (images × height × width)",
    reference=saliency.grad_cam,
    package="saliency.grad_cam",
    cases=_paintings,
    run=_maps,
    mistakes=[
        Mistake(
            lambda *args: _cam(*args, relu=False),
            "The maps have negative values: Grad-CAM keeps the positive part of the weighted "
            "sum (tf.nn.relu), the regions whose features raise the class's logit.",
        ),
        Mistake(
            lambda *args: _cam(*args, gradients=False),
            "Each feature map is weighted by its own mean activation; Grad-CAM weights it by "
            "the mean *gradient* of the class's logit with respect to it.",
        ),
        Mistake(
            lambda *args: _cam(*args, resize=False),
            "The maps have the layer's size: upsample them to the image's height and width "
            "(tf.image.resize, method='bilinear') before scaling.",
        ),
        Mistake(
            lambda *args: _cam(*args, scale=False),
            "The maps are not scaled: divide each by its own maximum (when above 0), so that "
            "every map lies in [0, 1].",
        ),
    ],
)

EXERCISES["ex-12-3"] = Exercise(
    "grad_cam",
    GRAD_CAM.what,
    GRAD_CAM,
    "Under a GradientTape run the layers one by one, keeping the output of "
    "layer_name (maps) and the last one (logits); the gradient of "
    "logits[:, class_index] with respect to the maps, averaged over height "
    "and width, weights the maps; sum over channels, ReLU, upsample "
    "(tf.image.resize, bilinear), divide each map by its maximum.",
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "\n"
    "\n"
    "def grad_cam(model, images, class_index, layer_name):\n"
    "    x = tf.constant(images)\n"
    "    with tf.GradientTape() as tape:\n"
    "        for layer in model.layers:  # a Sequential: in order\n"
    "            x = layer(x, training=False)\n"
    "            if layer.name == layer_name:\n"
    "                maps = x\n"
    "        logit = x[:, class_index]\n"
    "    grads = tape.gradient(logit, maps)\n"
    "    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)\n"
    "    cams = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))\n"
    "    size = images.shape[1:3]\n"
    "    cams = tf.image.resize(cams[..., None], size)[..., 0].numpy()\n"
    "    top = cams.reshape(len(cams), -1).max(axis=1)\n"
    "    return cams / np.where(top > 0, top, 1.0)[:, None, None]",
    why="The gradient says how much each feature map raises the class's "
    "logit; the weighted maps, their positive part kept, show where that "
    "layer found evidence for the class, scaled so that each map peaks at 1.",
)

WRONG_ANSWERS["ex-12-3"] = [
    (np.zeros((2, 8, 8)), "define it with `def`"),
    (lambda model, images: None, "cannot be called with 4 argument(s)"),
    (
        lambda model, images, class_index, layer_name: np.zeros((2, 8, 8)),
        "the package's saliency.grad_cam",
    ),
]
