"""Where a CNN looks (chapter 12): Grad-CAM and occlusion sensitivity, returned as arrays, never drawn.

**Grad-CAM** (Selvaraju et al., 2017) weights each feature map of a convolutional layer by the mean gradient of
a class's logit with respect to it, sums the weighted maps and keeps the positive part: the regions whose
features raise that logit. It reads the network from the inside, so it says where *that layer* found evidence,
at that layer's coarse resolution (a 125-pixel image becomes 15 × 15 cells after the original CNN's three
poolings), upsampled to the image.

**Occlusion sensitivity** (Zeiler and Fergus, 2014) asks the model-agnostic question: cover one patch of the
image with a plain grey square and see how much the class's probability falls. It needs nothing but the model's
outputs, so it checks Grad-CAM from the outside.

Both maps have the image's height and width, and their values are scaled to [0, 1] (0 everywhere when nothing
mattered). Neither says *why* a region matters, nor whether the region is what a person would call the emotion.
"""

from __future__ import annotations

import numpy as np

#: Side of the occluding square and its step, in pixels of a 125-pixel image.
PATCH = 25
STRIDE = 12


def last_conv_layer(model) -> str:
    """The name of the model's last 2-D convolution (where Grad-CAM usually looks)."""
    import keras  # deferred: seconds to import

    names = [
        layer.name
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
    ]
    if not names:
        raise ValueError(
            f"model {model.name!r} has no Conv2D layer; name a layer "
            "whose output has a height, a width and channels"
        )
    return names[-1]


def _maps_and_logits(model, layer_name: str, images):
    """The named layer's output and the model's output, in one pass."""
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"model {model.name!r} has no layer {layer_name!r}; "
            f"its layers: {', '.join(names)}"
        )
    x, maps = images, None
    for layer in model.layers:  # Sequential: one layer after another
        x = layer(x, training=False)
        if layer.name == layer_name:
            maps = x
    return maps, x


def _scaled(maps: np.ndarray) -> np.ndarray:
    """Each map divided by its maximum (all zero stays zero)."""
    top = maps.reshape(len(maps), -1).max(axis=1)
    top = np.where(top > 0, top, 1.0)
    return maps / top[:, None, None]


def _resized(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of ``(n, h, w)`` maps to the images' size."""
    import tensorflow as tf  # deferred: seconds to import

    resized = tf.image.resize(maps[..., None], size, method="bilinear")
    return np.asarray(resized)[..., 0]


def grad_cam(
    model,
    images,
    class_index=None,
    layer_name: str | None = None,
) -> np.ndarray:
    """Grad-CAM maps ``(n, height, width)`` in [0, 1] of a Sequential
    model's images.

    ``class_index``: one class for all images, one per image, or None
    (each image's predicted class); ``layer_name``: by default the last
    Conv2D layer.
    """
    import tensorflow as tf  # deferred: seconds to import

    images = tf.convert_to_tensor(np.asarray(images), dtype=tf.float32)
    layer_name = layer_name or last_conv_layer(model)
    with tf.GradientTape() as tape:
        maps, logits = _maps_and_logits(model, layer_name, images)
        if len(maps.shape) != 4:
            raise ValueError(
                f"layer {layer_name!r} gives shape {tuple(maps.shape)}; "
                "Grad-CAM needs (batch, height, width, channels)"
            )
        tape.watch(maps)
        chosen = _classes(logits.numpy(), class_index)
        target = tf.gather(logits, chosen, axis=1, batch_dims=1)
    grads = tape.gradient(target, maps)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cams = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1)).numpy()
    cams = _resized(cams, tuple(images.shape[1:3]))
    return _scaled(np.maximum(cams, 0.0))


def _classes(logits: np.ndarray, class_index) -> np.ndarray:
    """One class index per image: the given one(s), or the predicted."""
    n = len(logits)
    if class_index is None:
        return logits.argmax(axis=1).astype("int32")
    chosen = np.broadcast_to(np.asarray(class_index, dtype="int32"), (n,))
    if (chosen < 0).any() or (chosen >= logits.shape[1]).any():
        raise ValueError(
            f"class index out of range 0..{logits.shape[1] - 1}: "
            f"{sorted(set(chosen.tolist()))}"
        )
    return chosen.copy()


def _probabilities(model, images: np.ndarray, batch: int) -> np.ndarray:
    """Softmax of the model's logits, in batches."""
    logits = np.concatenate(
        [
            np.asarray(model(images[i : i + batch], training=False))
            for i in range(0, len(images), batch)
        ]
    )
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def occlusion(
    model,
    images,
    class_index=None,
    patch: int = PATCH,
    stride: int = STRIDE,
    fill: float | None = None,
    batch: int = 64,
) -> np.ndarray:
    """Occlusion maps ``(n, height, width)`` in [0, 1]: how far the
    class's probability falls when a grey ``patch`` × ``patch`` square
    (``fill``, by default the image's mean) covers each pixel, averaged
    over the square's positions (steps of ``stride``) that cover it.
    A rise counts as no fall.
    """
    images = np.asarray(images, dtype="float32")
    n, height, width = images.shape[:3]
    if not 0 < patch <= min(height, width) or stride < 1:
        raise ValueError(
            f"patch must be in 1..{min(height, width)} and stride >= 1; "
            f"got patch {patch}, stride {stride}"
        )
    base = _probabilities(model, images, batch)
    chosen = _classes(np.log(base + 1e-12), class_index)
    tops = sorted({*range(0, height - patch + 1, stride), height - patch})
    lefts = sorted({*range(0, width - patch + 1, stride), width - patch})
    maps = np.zeros((n, height, width), dtype="float64")
    for k in range(n):
        value = images[k].mean() if fill is None else fill
        covered, falls = [], np.zeros((height, width))
        counts = np.zeros((height, width))
        for top in tops:
            for left in lefts:
                copy = images[k].copy()
                copy[top : top + patch, left : left + patch] = value
                covered.append(copy)
        probs = _probabilities(model, np.stack(covered), batch)
        drops = base[k, chosen[k]] - probs[:, chosen[k]]
        i = 0
        for top in tops:
            for left in lefts:
                box = (slice(top, top + patch), slice(left, left + patch))
                falls[box] += max(drops[i], 0.0)
                counts[box] += 1
                i += 1
        maps[k] = falls / np.maximum(counts, 1)
    return _scaled(maps)


def region_share(maps: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The share of each map's total that lies inside a boolean ``(height, width)`` mask (NaN for an all-zero
    map): how much of the heat a region holds."""
    maps = np.asarray(maps, dtype=float)
    total = (
        maps.reshape(len(maps), -1).sum(axis=1)
        if len(maps)
        else maps[:0, 0, 0]
    )
    inside = maps[:, np.asarray(mask, dtype=bool)].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / total, np.nan)


def centre_share(maps: np.ndarray, margin: float = 0.25) -> np.ndarray:
    """The share of each map's heat in the image's centre (``margin`` of each side left out): a painting's
    subject is often central, so a map that lives at the borders says the model uses something else."""
    height, width = np.asarray(maps).shape[1:3]
    mask = np.zeros((height, width), dtype=bool)
    dy, dx = int(height * margin), int(width * margin)
    mask[dy : height - dy, dx : width - dx] = True
    return region_share(maps, mask)
