"""Grad-CAM and occlusion sensitivity on a model whose answer is known: it can only see one corner."""

import keras
import numpy as np
import pytest

from course_utils.analysis import saliency

SIZE, CORNER = 16, 5


def corner_mask(corner: str) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    rows = slice(0, CORNER) if corner[0] == "t" else slice(SIZE - CORNER, SIZE)
    cols = slice(0, CORNER) if corner[1] == "l" else slice(SIZE - CORNER, SIZE)
    mask[rows, cols] = True
    return mask


def corner_model(corner: str) -> keras.Model:
    """Zero everything outside one corner, then a 1×1 convolution and a dense layer: class 0's logit grows
    with the corner's brightness, and nothing else reaches the output."""
    mask = corner_mask(corner).astype("float32")[None, :, :, None]
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Lambda(lambda x: x * mask, name="only_corner"),
            keras.layers.Conv2D(2, 1, activation="relu", name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, name="logits"),
        ]
    )
    model.get_layer("conv").set_weights([np.ones((1, 1, 3, 2), "float32"), np.zeros(2, "float32")])
    dense = np.zeros((SIZE * SIZE * 2, 2), "float32")
    dense[:, 0] = 0.01
    model.get_layer("logits").set_weights([dense, np.zeros(2, "float32")])
    return model


def images(n: int = 3) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(0.5, 1.0, size=(n, SIZE, SIZE, 3)).astype("float32")


@pytest.mark.parametrize("corner", ["tl", "br", "tr"])
def test_both_maps_light_up_the_only_corner_the_model_sees(corner):
    model, x, mask = corner_model(corner), images(), corner_mask(corner)
    cam = saliency.grad_cam(model, x, class_index=0)
    occ = saliency.occlusion(model, x, class_index=0, patch=4, stride=2, fill=0.0)
    for name, maps in (("Grad-CAM", cam), ("occlusion", occ)):
        assert maps.shape == (3, SIZE, SIZE), name
        assert maps.min() >= 0 and np.isclose(maps.max(), 1), name
        share = saliency.region_share(maps, mask)
        # the corner is 25 of 256 pixels (0.1 of an even map); an occluding patch that overlaps the corner
        # also heats the pixels of the patch outside it, so its share is lower than Grad-CAM's
        assert (share > 0.6).all(), f"{name}: share in the corner {share}"
        near = np.zeros_like(mask)
        rows, cols = np.nonzero(mask)
        near[max(rows.min() - 4, 0) : rows.max() + 5, max(cols.min() - 4, 0) : cols.max() + 5] = True
        assert np.allclose(maps[:, ~near], 0, atol=1e-6), f"{name} is hot far from the corner"


def test_grad_cam_defaults_to_the_last_conv_layer_and_predicted_class():
    model = corner_model("tl")
    assert saliency.last_conv_layer(model) == "conv"
    x = images(2)
    assert (np.asarray(model(x)).argmax(axis=1) == 0).all()
    assert np.allclose(saliency.grad_cam(model, x), saliency.grad_cam(model, x, class_index=0))


def test_a_class_the_corner_does_not_raise_gives_an_empty_map():
    # class 1's logit has zero weights: no gradient, no fall in probability worth a map
    model, x = corner_model("tl"), images(1)
    assert np.allclose(saliency.grad_cam(model, x, class_index=1), 0)


def test_bad_arguments_are_named():
    model = corner_model("tl")
    with pytest.raises(ValueError, match="no layer 'nope'"):
        saliency.grad_cam(model, images(1), layer_name="nope")
    with pytest.raises(ValueError, match="class index out of range"):
        saliency.grad_cam(model, images(1), class_index=5)
    with pytest.raises(ValueError, match="patch must be"):
        saliency.occlusion(model, images(1), patch=SIZE + 1)
    flat = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no Conv2D layer"):
        saliency.last_conv_layer(flat)


def test_centre_share_and_region_share():
    maps = np.zeros((2, 8, 8))
    maps[0, 3:5, 3:5] = 1
    maps[1, 0, 0] = 1
    assert np.allclose(saliency.centre_share(maps), [1.0, 0.0])
    assert np.isnan(saliency.region_share(np.zeros((1, 8, 8)), np.ones((8, 8), bool))[0])


def test_region_share_of_no_maps_is_empty():
    # a chapter whose test paintings may not be shown has no maps
    assert saliency.centre_share(np.zeros((0, 8, 8))).shape == (0,)


def two_by_two_model(dense_weights: np.ndarray) -> keras.Model:
    """The input itself is the feature map (a 1×1 identity convolution over 2 channels), then class 0's logit is
    the sum of ``dense_weights`` (2 × 2 × 2: row, column, channel) times the maps; class 1's logit is 0."""
    model = keras.Sequential(
        [
            keras.Input((2, 2, 2)),
            keras.layers.Conv2D(2, 1, use_bias=False, name="features"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, name="logits"),
        ]
    )
    model.get_layer("features").set_weights([np.eye(2, dtype="float32")[None, None]])
    dense = np.zeros((8, 2), "float32")
    dense[:, 0] = dense_weights.reshape(-1)  # Flatten's order: row, column, channel
    model.get_layer("logits").set_weights([dense, np.zeros(2, "float32")])
    return model


def test_grad_cam_on_a_two_by_two_map_worked_by_hand():
    """Channel 0 raises the logit (weights 3, 1, 1, −1: mean gradient 1), channel 1 lowers it (all −1: mean −1).
    Maps A0 = [[2, 0], [1, 1]] and A1 = [[0, 2], [0, 1]] give 1·A0 − 1·A1 = [[2, −2], [1, 0]]; the positive part
    scaled by its maximum is [[1, 0], [0.5, 0]]. The top-right cell holds only channel 1, which lowers the logit:
    it maps to 0. (With the mean of the absolute gradient, 1.5 and 1, that cell would be hot: 2 of 3.)"""
    weights = np.zeros((2, 2, 2), "float32")
    weights[..., 0] = [[3, 1], [1, -1]]
    weights[..., 1] = -1
    maps = np.zeros((1, 2, 2, 2), "float32")
    maps[0, ..., 0] = [[2, 0], [1, 1]]
    maps[0, ..., 1] = [[0, 2], [0, 1]]
    cam = saliency.grad_cam(two_by_two_model(weights), maps, class_index=0, layer_name="features")
    np.testing.assert_allclose(cam[0], [[1.0, 0.0], [0.5, 0.0]], atol=1e-6)


def test_grad_cam_maps_to_zero_where_every_feature_lowers_the_logit():
    """Both channels lower the logit everywhere (negative mean gradients): nothing raises it, the map is all 0."""
    weights = np.full((2, 2, 2), -0.5, "float32")
    weights[0, 0, 0] = 1.0  # one positive gradient, outweighed in the mean (−0.125 for channel 0)
    maps = np.ones((1, 2, 2, 2), "float32")
    cam = saliency.grad_cam(two_by_two_model(weights), maps, class_index=0, layer_name="features")
    np.testing.assert_array_equal(cam, np.zeros((1, 2, 2)))
