"""Looking inside a model: parameters per layer with the arithmetic behind them, what a layer outputs, what
augmentation and pooling do to an image, and how large the gradients are that reach each layer.

Chapters 05–09 use these to explain the study's five architectures; nothing here trains a model.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers

from course_utils.config.study import SEED
from course_utils.models.cnns import augmentation


def _shape(shape) -> str:
    """An output shape without the batch axis, as ``125×125×16``."""
    return "×".join(str(int(d)) for d in tuple(shape)[1:])


def param_arithmetic(layer) -> str:
    """How a layer's parameter count arises, e.g. ``3×3×3×16 + 16`` (kernel × inputs × filters, plus biases)."""
    if getattr(
        layer, "layers", None
    ):  # a nested block such as the augmentation
        inner = sum(layer_param_count(sub) for sub in layer.layers)
        return (
            "no weights"
            if inner == 0
            else f"{inner} in its {len(layer.layers)} layers"
        )
    parts = [
        "×".join(str(int(d)) for d in w.shape)
        if len(w.shape) > 1
        else str(int(w.shape[0]))
        for w in layer.weights
    ]
    return " + ".join(parts) if parts else "no weights"


def layer_param_count(layer) -> int:
    """Parameters of one layer (trainable or not), from its weight shapes."""
    return int(sum(int(np.prod(w.shape)) for w in layer.weights))


def layer_table(model) -> pd.DataFrame:
    """One row per layer: its type, output shape, parameter count and the arithmetic that gives it."""
    rows = [
        {
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": _shape(layer.output.shape),
            "parameters": layer_param_count(layer),
            "arithmetic": param_arithmetic(layer),
        }
        for layer in model.layers
    ]
    table = pd.DataFrame(rows)
    total = table["parameters"].sum()
    if total != model.count_params():
        raise RuntimeError(
            f"layer counts sum to {total} but {model.name} has {model.count_params()} parameters"
        )
    return table


def parameter_budget(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Where each model's parameters live: convolutions, the dense layer after the flatten, and the other dense ones."""
    rows = {}
    for name, table in tables.items():
        kinds = table["type"].tolist()
        after_flatten = (
            kinds.index("Flatten") + 1 if "Flatten" in kinds else None
        )
        first_dense = (
            table["parameters"].iloc[after_flatten]
            if after_flatten is not None
            else 0
        )
        dense = table.loc[table["type"] == "Dense", "parameters"].sum()
        rows[name] = {
            "convolutions": int(
                table.loc[table["type"] == "Conv2D", "parameters"].sum()
            ),
            "first dense (after flatten)": int(first_dense),
            "other dense": int(dense - first_dense),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["total"] = out.sum(axis=1)
    out.index.name = "model"
    return out


def outputs_of(model, images: np.ndarray, layer_name: str) -> np.ndarray:
    """What one layer of a Sequential model outputs for ``images`` (inference mode: no augmentation, no dropout)."""
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"{model.name} has no layer {layer_name!r}; its layers are {names}"
        )
    x = np.asarray(images, dtype="float32")
    for layer in model.layers:
        x = layer(x, training=False)
        if layer.name == layer_name:
            return np.asarray(x, dtype="float32")
    raise AssertionError("unreachable")


def first_layer(model, kind: str = "Conv2D") -> str:
    """The name of a model's first layer of a kind (``"Conv2D"``, ``"Dense"`` …): names differ from build to build."""
    for layer in model.layers:
        if type(layer).__name__ == kind:
            return layer.name
    raise ValueError(f"{model.name} has no {kind} layer")


def augmented_views(
    image: np.ndarray, n: int = 8, seed: int = SEED
) -> np.ndarray:
    """``n`` random views of one image through the study's augmentation block (flip, rotation, zoom), as uint8."""

    keras.utils.set_random_seed(seed)
    block = augmentation()
    batch = np.repeat(np.asarray(image, dtype="float32")[None], n, axis=0)
    return np.clip(np.asarray(block(batch, training=True)), 0, 255).astype(
        np.uint8
    )


def pooling_example(
    size: int = 4, seed: int = SEED
) -> dict[str, pd.DataFrame]:
    """A small grid of numbers and its 2×2 max and average pools: what each kind of pooling keeps."""

    grid = (
        np.random.default_rng(seed)
        .integers(0, 10, size=(size, size))
        .astype("float32")
    )
    pooled = {
        "input": grid,
        "max-pool 2×2": pool(grid, "max"),
        "average-pool 2×2": pool(grid, "average"),
    }
    return {name: pd.DataFrame(values) for name, values in pooled.items()}


def pool(grid: np.ndarray, kind: str = "max", size: int = 2) -> np.ndarray:
    """A 2-D grid pooled by Keras in ``size`` × ``size`` blocks (the
    largest value or the mean of each); rows and columns that fill no
    block are dropped."""
    layer = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}
    if kind not in layer:
        raise ValueError(f"kind {kind!r}: use 'max' or 'average'")
    batch = np.asarray(grid, dtype="float32")[None, :, :, None]
    return np.asarray(layer[kind](size)(batch))[0, :, :, 0]


def activation_table(
    lo: float = -4.0, hi: float = 4.0, n: int = 401
) -> pd.DataFrame:
    """tanh and ReLU with their derivatives on a grid: tanh's slope vanishes for large inputs, ReLU's stays 1."""
    x = np.linspace(lo, hi, n)
    tanh = np.tanh(x)
    return pd.DataFrame(
        {
            "x": x,
            "tanh": tanh,
            "tanh slope": 1 - tanh**2,
            "relu": np.maximum(x, 0),
            "relu slope": (x > 0).astype(float),
        }
    )


def gradient_sizes(
    model, images: np.ndarray, labels: np.ndarray
) -> pd.Series:
    """The mean absolute gradient of the loss for each layer's kernel on one batch: how hard each layer is pushed."""

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x, y = (
        tf.constant(np.asarray(images, dtype="float32")),
        tf.constant(np.asarray(labels)),
    )
    kernels = [
        layer.kernel for layer in model.layers if hasattr(layer, "kernel")
    ]
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=False))
    grads = tape.gradient(loss, kernels)
    names = [
        layer.name for layer in model.layers if hasattr(layer, "kernel")
    ]
    return pd.Series(
        [float(tf.reduce_mean(tf.abs(g))) for g in grads],
        index=names,
        name=model.name,
    )


def saturated_share(
    model, images: np.ndarray, layer_name: str, level: float = 0.95
) -> float:
    """The share of a tanh layer's outputs beyond ±``level``, where its slope is nearly zero (for ReLU: share at 0)."""
    out = outputs_of(model, images, layer_name)
    activation = getattr(model.get_layer(layer_name), "activation", None)
    if getattr(activation, "__name__", "") == "relu":
        return float(np.mean(out <= 0))
    return float(np.mean(np.abs(out) >= level))


def dead_share(model, images: np.ndarray, layer_name: str) -> float:
    """The share of a ReLU layer's units that output 0 for every image given: "dead" units get no gradient at all."""
    out = outputs_of(model, images, layer_name)
    return float(np.mean((out.reshape(len(out), -1) <= 0).all(axis=0)))


# --- the ideas, as data for the concept figures (plots/concept_plots.py) ------------------------------------

#: The kind of each layer type, as the concept figures colour it.
KINDS = {
    "Conv2D": "convolution",
    "MaxPooling2D": "pooling",
    "AveragePooling2D": "pooling",
    "Dense": "dense",
    "Flatten": "flatten",
    "Dropout": "dropout",
    "Rescaling": "preprocessing",
    "Sequential": "augmentation",
}


def _size(shape) -> int:
    """How many numbers an output of this shape holds for one image."""
    return int(np.prod([int(d) for d in tuple(shape)[1:]]))


def describe_layer(layer) -> str:
    """What a layer does, in a few words from its own settings (``3×3 convolution, 16 filters, relu``)."""
    kind = type(layer).__name__
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    act = f", {activation}" if activation and activation != "linear" else ""
    if kind == "Conv2D":
        k = "×".join(str(int(d)) for d in layer.kernel_size)
        return f"{k} convolution, {layer.filters} filters{act}"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        p = "×".join(str(int(d)) for d in layer.pool_size)
        return (
            f"{p} {'max' if kind.startswith('Max') else 'average'} pooling"
        )
    if kind == "Dense":
        return f"dense, {layer.units} units{act}"
    if kind == "Dropout":
        return f"dropout {layer.rate:.0%} (training only)"
    if kind == "Flatten":
        return "flatten to one vector"
    if kind == "Rescaling":
        scale = float(layer.scale)
        inverse = round(1 / scale) if scale else 0
        factor = (
            f"1/{inverse}"
            if inverse and abs(inverse * scale - 1) < 1e-6
            else f"{scale:g}"
        )
        return f"rescale pixels (× {factor})"
    if getattr(layer, "layers", None):
        inner = ", ".join(
            type(sub).__name__.removeprefix("Random").lower()
            for sub in layer.layers
        )
        return f"augmentation ({inner}; training only)"
    return kind


def layer_plan(model) -> pd.DataFrame:
    """The model as a concept figure draws it: the input, then one row per layer with its kind, what it does
    (from the layer's own settings), its output shape, how many numbers that is, and its parameters."""
    rows = [
        {
            "layer": "input",
            "kind": "input",
            "what": "an RGB image",
            "output shape": _shape(model.inputs[0].shape),
            "values": _size(model.inputs[0].shape),
            "parameters": 0,
        }
    ]
    rows += [
        {
            "layer": layer.name,
            "kind": KINDS.get(type(layer).__name__, "other"),
            "what": describe_layer(layer),
            "output shape": _shape(layer.output.shape),
            "values": _size(layer.output.shape),
            "parameters": layer_param_count(layer),
        }
        for layer in model.layers
    ]
    return pd.DataFrame(rows)


def flatten_dense(model) -> dict:
    """The step from the last feature maps to the first dense layer: the maps' shape, the flattened length,
    the dense units, that layer's parameters (weights + biases) and their share of the model's."""
    plan = layer_plan(model)
    kinds = plan["kind"].tolist()
    if "flatten" not in kinds:
        raise ValueError(f"{model.name} has no Flatten layer")
    at = kinds.index("flatten")
    dense = next(
        i for i in range(at + 1, len(plan)) if plan["kind"][i] == "dense"
    )
    maps = next(
        i
        for i in range(at - 1, -1, -1)
        if plan["kind"][i] not in ("dropout",)
    )
    length = int(plan["values"][at])
    units = int(plan["values"][dense])
    params = int(plan["parameters"][dense])
    if params != length * units + units:
        raise RuntimeError(
            f"{model.name}: the dense layer has {params} parameters, not {length} × {units} + {units}"
        )
    return {
        "maps": plan["output shape"][maps],
        "length": length,
        "units": units,
        "parameters": params,
        "share": params / model.count_params(),
        "model": model.name,
    }


def convolution_example(
    size: int = 5, seed: int = SEED
) -> dict[str, np.ndarray]:
    """A small grid of pixel values, a 3×3 kernel (a vertical edge detector) and their convolution as Keras
    computes it (``valid`` padding, no bias): what a convolution layer does, in numbers one can check by hand."""
    grid = (
        np.random.default_rng(seed)
        .integers(0, 10, size=(size, size))
        .astype("float32")
    )
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype="float32")
    conv = layers.Conv2D(1, 3, use_bias=False, padding="valid")
    conv.build((1, size, size, 1))
    conv.set_weights([kernel[:, :, None, None]])
    out = np.asarray(conv(grid[None, :, :, None]))[0, :, :, 0]
    return {"input": grid, "kernel": kernel, "output": out}
