"""Exercises of chapter 08, "LeNet-5 with ReLU"."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from course_utils.exercises import Exercise
from course_utils.exercises.build_it import (
    BuildIt,
    Case,
    Mistake,
    Named,
    seeded_weights,
)
from course_utils.exercises.counting import number_checker
from course_utils.models import architecture

# 64 → 32 → 16 after the two poolings: convolutions and the last two dense layers are as at 125 pixels
ONE_POOL = (
    (5 * 5 * 3 * 16 + 16)
    + (5 * 5 * 16 * 16 + 16)
    + (32 * 32 * 16 * 128 + 128)
    + (128 * 128 + 128)
    + (128 * 7 + 7)
)  # as if only one pooling halved the maps
PARAMS_64 = (
    (5 * 5 * 3 * 16 + 16)
    + (5 * 5 * 16 * 16 + 16)
    + (16 * 16 * 16 * 128 + 128)
    + (128 * 128 + 128)
    + (128 * 7 + 7)
)  # 549,463

EXERCISES = {
    "ex-08-1": Exercise(
        "params_64",
        "a whole number (the model's parameters at 64 × 64 pixels)",
        number_checker(
            "the parameter count at 64 × 64 pixels",
            PARAMS_64,
            {
                1_993_303: "That is the count at 125 × 125: the flatten size depends on the image size.",
                ONE_POOL: "Both average-poolings halve the maps: 64 → 32 → 16.",
            },
            "{value} is not it: only the dense layer after the flatten depends on the image size; "
            "build the model with `input_shape=(64, 64, 3)` and count.",
            whole=True,
        ),
        "`cnns.build('lenet5_relu', input_shape=(64, 64, 3))` builds it; `count_params()` counts.",
        "from course_utils.models import cnns\n"
        "\n"
        'small = cnns.build("lenet5_relu", input_shape=(64, 64, 3))\n'
        "params_64 = small.count_params()  # 549,463",
        why="Only the dense layer after the flatten depends on the image "
        "size: 64 → 32 → 16 leaves 16 × 16 × 16 inputs instead of 31 × 31 × 16.",
    ),
}

#: Common mistakes and a phrase of the feedback each must get (used by tests/test_exercises.py).
WRONG_ANSWERS = {
    "ex-08-1": [
        (1_993_303, "125 × 125"),
        (ONE_POOL, "64 → 32 → 16"),
        (549_000, "Close, but 549,000"),
        ("549463", "leave out the quotes"),
    ],
}


# --- build it: the share of dead ReLU units (ex-08-4) -------------------------------------------------------------


@dataclass(frozen=True)
class _Net:
    """A tiny ReLU network to count dead units in: its input shape, the seed of its weights, how far its biases
    are moved (a large negative shift kills units) and the images it is run on."""

    shape: tuple[int, int, int]
    seed: int
    shift: np.ndarray
    images: np.ndarray

    def model(self) -> keras.Model:
        """A 3 × 3 ReLU convolution (``conv``, 4 filters) and a ReLU dense layer (``dense``, 6 units)."""
        model = keras.Sequential(
            [
                keras.Input(self.shape),
                layers.Conv2D(4, 3, activation="relu", name="conv"),
                layers.Flatten(),
                layers.Dense(6, activation="relu", name="dense"),
            ]
        )
        seeded_weights(model, self.seed)
        for name, shift in (
            ("conv", self.shift[:4]),
            ("dense", self.shift[4:]),
        ):
            bias = model.get_layer(name).bias
            bias.assign(bias.numpy() + shift.astype("float32"))
        return model


def _nets(rng: np.random.Generator) -> list[Case]:
    """A network whose units all live, one whose units are all dead, then four with a random mix, each read at
    its convolution or its dense layer, on four random images."""
    shifts = [
        ("every unit alive", np.full(10, 5.0)),
        ("every unit dead", np.full(10, -50.0)),
    ]
    shifts += [("", rng.uniform(-3.0, 0.5, size=10)) for _ in range(4)]
    cases = []
    for k, (note, shift) in enumerate(shifts):
        shape = (int(rng.integers(4, 8)), int(rng.integers(4, 8)), 2)
        images = rng.uniform(-1, 1, size=(4, *shape)).astype("float32")
        layer = ("conv", "dense")[k % 2]
        net = _Net(shape, int(rng.integers(2**31)), shift, images)
        cases.append(
            Case(
                (Named("model"), Named("images"), layer),
                note or "some units dead",
                net,
            )
        )
    return cases


def _run_on_net(function, case: Case):
    """Call ``function(model, images, layer_name)`` on a fresh copy of the case's network."""
    net: _Net = case.data
    return function(net.model(), net.images.copy(), case.args[2])


def _unit_outputs(model, images, layer_name) -> np.ndarray:
    out = architecture.outputs_of(model, images, layer_name)
    return out.reshape(len(out), -1)


DEAD_SHARE = BuildIt(
    name="dead_share",
    what="a function dead_share(model, images, layer_name) that returns the share of dead units",
    reference=architecture.dead_share,
    package="architecture.dead_share",
    cases=_nets,
    run=_run_on_net,
    mistakes=[
        Mistake(
            lambda m, x, name: float(
                np.mean(_unit_outputs(m, x, name) <= 0)
            ),
            "That is the share of all outputs that are 0. A unit is dead only when it "
            "outputs 0 for every image: look at each unit across the images (axis 0) first.",
        ),
        Mistake(
            lambda m, x, name: float(
                np.mean((_unit_outputs(m, x, name) <= 0).any(axis=0))
            ),
            "That counts a unit that outputs 0 for *some* image; a dead unit outputs 0 "
            "for *all* of them (all, not any).",
        ),
        Mistake(
            lambda m, x, name: float(
                np.mean((_unit_outputs(m, x, name) < 0).all(axis=0))
            ),
            "ReLU never outputs a negative value, so `< 0` finds nothing: a dead unit "
            "outputs exactly 0 (`<= 0`).",
        ),
    ],
)

EXERCISES["ex-08-4"] = Exercise(
    "dead_share",
    DEAD_SHARE.what,
    DEAD_SHARE,
    "architecture.outputs_of(model, images, layer_name) gives the layer's "
    "outputs, one row per image; reshape them to (images, units), then a "
    "unit is dead where it is <= 0 for all images (.all(axis=0)).",
    "import numpy as np\n"
    "\n"
    "from course_utils.models import architecture\n"
    "\n"
    "\n"
    "def dead_share(model, images, layer_name):\n"
    "    out = architecture.outputs_of(model, images, layer_name)\n"
    "    units = out.reshape(len(out), -1)  # one column per unit\n"
    "    return float(np.mean((units <= 0).all(axis=0)))",
    why="A unit is dead when ReLU gives it 0 for every image: then no "
    "gradient reaches its weights, and training cannot bring it back.",
)

WRONG_ANSWERS["ex-08-4"] = [
    (0.5, "define it with `def`"),
    (lambda model, images: 0.0, "cannot be called with 3 argument(s)"),
    (
        lambda model, images, layer_name: model.get_layer("pool"),
        "raised ValueError",
    ),
    (lambda model, images, layer_name: 0.5, "gives 0.5, but the package's"),
]
