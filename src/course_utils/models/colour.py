"""Hand-made colour features of a painting: the classic affective-image statistics, computed from the same
prepared images the CNNs see (uint8 RGB, 0–255).

A documented subset of the colour features of Machajdik and Hanbury (2010), who asked how far a picture's
palette alone tells the emotion it evokes. Every pixel is converted to HSV exactly as Python's ``colorsys``
does (hue, saturation and value each in [0, 1]; a grey pixel has hue 0 and saturation 0), then per image:

- **hue**, a circular quantity (hue 0.99 lies next to hue 0.01), summarised by circular statistics: the mean
  of ``cos`` and ``sin`` of the hue angle ``2π·h`` (the mean resultant vector, which a linear model can use
  where a mean hue angle would wrap round) and its length, the *concentration* (1 for a single hue, near 0 for
  hues spread round the circle); the same again weighted by each pixel's saturation, so greys count for
  nothing (the weighted concentration is divided by the mean saturation, 0 for a grey image);
- **saturation** and **brightness** (HSV value): mean and standard deviation;
- **colourfulness**: Hasler and Süsstrunk's (2003) measure on the opponent axes ``R − G`` and
  ``(R + G)/2 − B``, with channels in [0, 1] (their 0–255 version is 255 times larger). Machajdik and Hanbury
  measured colourfulness by an earth mover's distance; this standard measure stands in for it;
- **contrast**: the RMS contrast, the standard deviation of the luma ``0.299 R + 0.587 G + 0.114 B``;
- **histograms**: six hue bins centred on red, yellow, green, cyan, blue and magenta, each pixel counted with
  its saturation (the six sum to the mean saturation), and the shares of pixels with low, middle and high
  saturation and brightness (thirds of [0, 1]).

Left out: their pleasure–arousal–dominance values (fixed linear blends of mean brightness and saturation,
which add nothing to a linear model on these features), Itten colour contrasts, texture, composition and
content features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The six hue bins, centred on these hues (0, 1/6, …, 5/6).
HUE_BINS = ("red", "yellow", "green", "cyan", "blue", "magenta")

#: The three bins of saturation and of brightness (thirds of [0, 1]).
LEVELS = ("low", "mid", "high")

#: The features, in the order of :func:`colour_features`' columns.
FEATURES = (
    "hue cos",
    "hue sin",
    "hue concentration",
    "weighted hue cos",
    "weighted hue sin",
    "weighted hue concentration",
    "saturation mean",
    "saturation std",
    "brightness mean",
    "brightness std",
    "colourfulness",
    "contrast",
    *(f"hue {name}" for name in HUE_BINS),
    *(f"saturation {level}" for level in LEVELS),
    *(f"brightness {level}" for level in LEVELS),
)

#: Rec. 601 luma weights of R, G and B.
LUMA = (0.299, 0.587, 0.114)

#: Images converted at a time (bounds the memory of the float copies).
CHUNK = 64


def check_images(images) -> np.ndarray:
    """The images as an ``(n, height, width, 3)`` uint8 array, or an error
    saying what is wrong with them."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(
            f"images of dtype {images.dtype}: colour features need the "
            "prepared uint8 RGB images (0–255), e.g. split.x_train"
        )
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"images of shape {images.shape}: expected (images, height, "
            "width, 3), RGB"
        )
    if images.shape[0] and (images.shape[1] == 0 or images.shape[2] == 0):
        raise ValueError(f"images of shape {images.shape} have no pixels")
    return images


def hsv_channels(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> tuple:
    """Hue, saturation and value in [0, 1] of red, green and blue arrays in
    [0, 1], computed as ``colorsys.rgb_to_hsv`` does, element by element."""
    high = np.maximum(np.maximum(r, g), b)
    spread = high - np.minimum(np.minimum(r, g), b)
    safe = np.where(spread > 0, spread, 1)
    sector = np.where(
        r == high,
        (g - b) / safe,
        np.where(g == high, 2 + (b - r) / safe, 4 + (r - g) / safe),
    )
    sector = np.where(sector < 0, sector + 6, sector)  # red side of 0
    hue = np.where(spread > 0, sector / 6, 0)
    saturation = np.where(high > 0, spread / np.where(high > 0, high, 1), 0)
    return hue, saturation, high


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """:func:`hsv_channels` of an array whose last axis is R, G, B in
    [0, 1], stacked the same way."""
    rgb = np.asarray(rgb)
    return np.stack(hsv_channels(*np.moveaxis(rgb, -1, 0)), axis=-1)


def _circular(angle: np.ndarray, weight: np.ndarray | None) -> tuple:
    """Per image, the mean of ``weight·cos`` and ``weight·sin`` of the
    angles (axis 1) and the length of that mean vector."""
    w = 1.0 if weight is None else weight
    cos = (w * np.cos(angle)).mean(axis=1)
    sin = (w * np.sin(angle)).mean(axis=1)
    return cos, sin, np.hypot(cos, sin)


def _shares(values: np.ndarray, bins: int, weight=None) -> np.ndarray:
    """Per image, the (weighted) share of pixels in each of ``bins`` equal
    bins of [0, 1] (1.0 falls into the last)."""
    n, pixels = values.shape
    index = np.minimum((values * bins).astype(np.int64), bins - 1)
    index += np.arange(n)[:, None] * bins  # one run of bins per image
    counts = np.bincount(
        index.ravel(),
        weights=None if weight is None else weight.ravel(),
        minlength=n * bins,
    )
    return counts.reshape(n, bins) / pixels


def _chunk_features(images: np.ndarray) -> np.ndarray:
    """The features of a few images (``(n, h, w, 3)`` uint8)."""
    pixels = images.reshape(len(images), -1, 3)
    r, g, b = (pixels[..., k].astype(np.float32) / 255 for k in range(3))
    hue, sat, val = hsv_channels(r, g, b)
    angle = 2.0 * np.pi * hue
    cos, sin, concentration = _circular(angle, None)
    w_cos, w_sin, w_length = _circular(angle, sat)
    mean_sat = sat.mean(axis=1)
    w_concentration = np.divide(
        w_length, mean_sat, out=np.zeros_like(w_length), where=mean_sat > 0
    )
    rg, yb = r - g, 0.5 * (r + g) - b
    colourfulness = np.hypot(
        rg.std(axis=1), yb.std(axis=1)
    ) + 0.3 * np.hypot(rg.mean(axis=1), yb.mean(axis=1))
    luma = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b
    hue_bin = (hue + 0.5 / len(HUE_BINS)) % 1.0
    columns = [
        cos,
        sin,
        concentration,
        w_cos,
        w_sin,
        w_concentration,
        mean_sat,
        sat.std(axis=1),
        val.mean(axis=1),
        val.std(axis=1),
        colourfulness,
        luma.std(axis=1),
    ]
    histograms = [
        _shares(hue_bin, len(HUE_BINS), sat),
        _shares(sat, len(LEVELS)),
        _shares(val, len(LEVELS)),
    ]
    return np.concatenate([np.stack(columns, axis=1), *histograms], axis=1)


def colour_features(images) -> np.ndarray:
    """One row of :data:`FEATURES` per image, from uint8 RGB images
    ``(n, height, width, 3)``; computed in chunks to bound memory."""
    images = check_images(images)
    if not len(images):
        return np.zeros((0, len(FEATURES)))
    return np.concatenate(
        [
            _chunk_features(images[i : i + CHUNK])
            for i in range(0, len(images), CHUNK)
        ]
    )


def feature_table(images, ids=None) -> pd.DataFrame:
    """The colour features as a table, one row per image (indexed by its
    artwork ID where given), for a reader to inspect."""
    features = colour_features(images)
    if ids is not None and len(ids) != len(features):
        raise ValueError(f"{len(ids)} IDs for {len(features)} images")
    index = pd.Index(list(ids), name="ID") if ids is not None else None
    return pd.DataFrame(features, columns=list(FEATURES), index=index)
