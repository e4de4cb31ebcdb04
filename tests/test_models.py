"""The study's five architectures (SPEC §3), and the helpers that look inside them (architecture.py, their plots)."""

import keras
import numpy as np
import pytest

from course_utils.models import architecture, cnns
from course_utils.plots import figures, style

LATER = ["dropout", "lenet5", "lenet5_relu", "alexnet"]


@pytest.fixture(scope="module")
def built():
    """One fresh model of each architecture."""
    return {name: cnns.build(name) for name in cnns.NAMES}


def images(n: int, size: int = 125, seed: int = 0) -> np.ndarray:
    """Random uint8-valued images as float32, the way the pipeline feeds them."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, size, size, 3)).astype("float32")


@pytest.mark.parametrize("name", cnns.NAMES)
def test_parameter_count_matches_the_study(built, name):
    assert built[name].count_params() == cnns.STUDY_PARAMS[name]


def test_the_study_counts_themselves():
    assert cnns.STUDY_PARAMS == {
        "original": 1_867_815,
        "dropout": 1_867_815,
        "lenet5": 1_993_303,
        "lenet5_relu": 1_993_303,
        "alexnet": 69_511,
    }


@pytest.mark.parametrize("name", cnns.NAMES)
def test_output_is_seven_float32_logits(built, name):
    model = built[name]
    assert model.input_shape == (None, 125, 125, 3)
    assert model.output_shape == (None, 7)
    assert model.layers[-1].name == "logits" and model.layers[-1].activation.__name__ == "linear"
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"


def test_logits_stay_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = cnns.build("original")
        assert model.layers[1].compute_dtype == "float16"
        assert model(images(2)).dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_original_has_no_augmentation_and_rescales_first(built):
    kinds = [type(layer).__name__ for layer in built["original"].layers]
    assert kinds[0] == "Rescaling" and "Sequential" not in kinds and "Dropout" not in kinds


@pytest.mark.parametrize("name", LATER)
def test_later_models_augment_first_then_rescale(built, name):
    first, second = built[name].layers[:2]
    assert first.name == "augmentation"
    assert [type(layer).__name__ for layer in first.layers] == ["RandomFlip", "RandomRotation", "RandomZoom"]
    assert type(second).__name__ == "Rescaling"


def test_augmentation_settings_are_the_studys():
    flip, rotation, zoom = cnns.augmentation().layers
    assert flip.mode == "horizontal"
    assert rotation.factor in (0.1, (-0.1, 0.1))
    assert zoom.height_factor in (0.1, (-0.1, 0.1))


def test_augmentation_changes_images_in_training_only():
    x = images(4, 64)
    block = cnns.augmentation()
    np.testing.assert_array_equal(np.asarray(block(x, training=False)), x)
    assert not np.allclose(np.asarray(block(x, training=True)), x)


@pytest.mark.parametrize("name", LATER)
def test_inference_is_deterministic(built, name):
    x = images(3)
    np.testing.assert_allclose(built[name].predict(x, verbose=0), built[name].predict(x, verbose=0), rtol=1e-5)


def test_dropout_sits_after_the_last_pooling(built):
    kinds = [type(layer).__name__ for layer in built["dropout"].layers]
    i = kinds.index("Dropout")
    assert kinds[i - 1] == "MaxPooling2D" and kinds[i + 1] == "Flatten"
    assert built["dropout"].layers[i].rate == 0.2


@pytest.mark.parametrize("name, activation", [("lenet5", "tanh"), ("lenet5_relu", "relu")])
def test_lenet_activations(built, name, activation):
    hidden = [layer for layer in built[name].layers if hasattr(layer, "activation") and layer.name != "logits"]
    assert len(hidden) == 4 and {layer.activation.__name__ for layer in hidden} == {activation}
    assert sum(type(layer).__name__ == "AveragePooling2D" for layer in built[name].layers) == 2


#: SPEC §3's table of the five architectures, written out here from the table (not from models/): after the input,
#: each layer as (kind, size, kernel or pool, activation); ``aug`` is the augmentation block, ``rescale`` the
#: rescaling to [0, 1]. ``same`` padding everywhere; the last layer is the 7 logits.
_ORIGINAL = [
    ("rescale",),
    ("conv", 16, 3, "relu"),
    ("maxpool", 2),
    ("conv", 32, 3, "relu"),
    ("maxpool", 2),
    ("conv", 64, 3, "relu"),
    ("maxpool", 2),
    ("flatten",),
    ("dense", 128, "relu"),
    ("dense", 7, "linear"),
]
_LENET = [
    ("aug",),
    ("rescale",),
    ("conv", 16, 5, "{a}"),
    ("avgpool", 2),
    ("conv", 16, 5, "{a}"),
    ("avgpool", 2),
    ("flatten",),
    ("dense", 128, "{a}"),
    ("dense", 128, "{a}"),
    ("dense", 7, "linear"),
]
SPEC_LAYERS = {
    "original": _ORIGINAL,
    "dropout": [("aug",), *_ORIGINAL[:7], ("dropout", 0.2), *_ORIGINAL[7:]],
    "lenet5": [tuple(part.format(a="tanh") if isinstance(part, str) else part for part in row) for row in _LENET],
    "lenet5_relu": [
        tuple(part.format(a="relu") if isinstance(part, str) else part for part in row) for row in _LENET
    ],
    "alexnet": [
        ("aug",),
        ("rescale",),
        ("conv", 16, 11, "relu"),
        ("maxpool", 3),
        ("conv", 16, 5, "relu"),
        ("maxpool", 3),
        ("conv", 16, 3, "relu"),
        ("conv", 16, 3, "relu"),
        ("conv", 16, 3, "relu"),
        ("maxpool", 3),
        ("flatten",),
        ("dense", 128, "relu"),
        ("dense", 128, "relu"),
        ("dense", 7, "linear"),
    ],
}


def layer_row(layer) -> tuple:
    """A built layer as a row of SPEC_LAYERS (what it computes, not its name); the rescaling's scale and offset
    are checked to map 0…255 onto 0…1."""
    kind = type(layer).__name__
    if kind == "Sequential" and layer.name == "augmentation":
        return ("aug",)
    if kind == "Rescaling":
        assert (float(layer.scale), float(layer.offset)) == (1 / 255, 0.0), "pixels 0…255 must become 0…1"
        return ("rescale",)
    if kind == "Conv2D":
        assert layer.padding == "same" and tuple(layer.strides) == (1, 1)
        assert layer.kernel_size[0] == layer.kernel_size[1]
        return ("conv", layer.filters, layer.kernel_size[0], layer.activation.__name__)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        assert layer.pool_size[0] == layer.pool_size[1] and tuple(layer.strides) == tuple(layer.pool_size)
        return ("maxpool" if kind == "MaxPooling2D" else "avgpool", layer.pool_size[0])
    if kind == "Dense":
        return ("dense", layer.units, layer.activation.__name__)
    if kind == "Dropout":
        return ("dropout", layer.rate)
    if kind == "Flatten":
        return ("flatten",)
    raise AssertionError(f"a layer SPEC §3 does not list: {kind} {layer.name!r}")


@pytest.mark.parametrize("name", cnns.NAMES)
def test_each_model_is_the_specs_table_layer_by_layer(built, name):
    """Each layer's kind, size, window and activation as SPEC §3 lists them: a hidden layer made linear (the same
    parameter count) or a rescaling by 1/127.5 changes a row."""
    assert [layer_row(layer) for layer in built[name].layers] == SPEC_LAYERS[name]


def test_the_rescaling_maps_pixels_to_the_unit_interval(built):
    """What the first layer does to pixel values 0, 51 and 255 (worked by hand: v / 255)."""
    rescale = next(layer for layer in built["original"].layers if type(layer).__name__ == "Rescaling")
    out = np.asarray(rescale(np.array([[0.0, 51.0, 255.0]], "float32")))
    np.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-6)


def test_the_hidden_dense_layer_cuts_negative_values(built):
    """The original CNN's 128-unit layer applies ReLU: fed a feature vector that drives every unit negative, it
    outputs zeros (a linear layer would pass the negative values on)."""
    model = built["original"]
    hidden = model.layers[-2]
    flat = np.ones((1, hidden.kernel.shape[0]), "float32")
    weights = [np.full(hidden.kernel.shape, -0.01, "float32"), np.zeros(hidden.units, "float32")]
    saved = hidden.get_weights()
    hidden.set_weights(weights)
    try:
        assert np.asarray(hidden(flat)).max() == 0.0
    finally:
        hidden.set_weights(saved)


def test_unknown_model_name_is_named_in_the_error():
    with pytest.raises(ValueError, match="'vgg16'"):
        cnns.build("vgg16")


@pytest.mark.parametrize("name", cnns.NAMES)
def test_one_training_step_runs_and_changes_the_weights(name):
    keras.utils.set_random_seed(1)
    model = cnns.build(name, input_shape=(32, 32, 3)) if name != "alexnet" else cnns.build(name)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    size = model.input_shape[1]
    x, y = images(4, size), np.array([0, 1, 4, 5])
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# --- architecture.py ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", cnns.NAMES)
def test_layer_table_sums_to_the_count(built, name):
    table = architecture.layer_table(built[name])
    assert table["parameters"].sum() == cnns.STUDY_PARAMS[name]
    assert list(table.columns) == ["layer", "type", "output shape", "parameters", "arithmetic"]


def test_layer_table_of_the_original_shows_the_arithmetic(built):
    table = architecture.layer_table(built["original"]).set_index("type")
    convs = table.loc["Conv2D"]
    assert list(convs["arithmetic"]) == ["3×3×3×16 + 16", "3×3×16×32 + 32", "3×3×32×64 + 64"]
    assert list(convs["parameters"]) == [448, 4640, 18496]
    assert table.loc["Flatten", "output shape"] == "14400"
    assert list(table.loc["Dense", "arithmetic"]) == ["14400×128 + 128", "128×7 + 7"]


def test_alexnet_flattens_to_256(built):
    table = architecture.layer_table(built["alexnet"])
    assert list(table.loc[table["type"] == "MaxPooling2D", "output shape"]) == ["41×41×16", "13×13×16", "4×4×16"]
    assert table.loc[table["type"] == "Flatten", "output shape"].item() == "256"
    assert table.loc[0, "arithmetic"] == "no weights"


def test_parameter_budget_splits_every_parameter(built):
    budget = architecture.parameter_budget({n: architecture.layer_table(m) for n, m in built.items()})
    assert budget.loc["original", "first dense (after flatten)"] == 14400 * 128 + 128
    assert budget.loc["alexnet", "first dense (after flatten)"] == 256 * 128 + 128
    assert budget["total"].to_dict() == cnns.STUDY_PARAMS


def test_outputs_of_the_first_conv(built):
    model = built["dropout"]
    maps = architecture.outputs_of(model, images(2), architecture.first_layer(model, "Conv2D"))
    assert maps.shape == (2, 125, 125, 16) and (maps >= 0).all()  # relu
    with pytest.raises(ValueError, match="has no AveragePooling2D layer"):
        architecture.first_layer(model, "AveragePooling2D")
    with pytest.raises(ValueError, match="no layer 'conv99'"):
        architecture.outputs_of(model, images(1), "conv99")


def test_augmented_views_differ_and_repeat_with_the_seed():
    image = images(1, 48)[0].astype(np.uint8)
    views = architecture.augmented_views(image, n=4, seed=5)
    assert views.shape == (4, 48, 48, 3) and views.dtype == np.uint8
    assert any(not np.array_equal(v, image) for v in views)
    np.testing.assert_array_equal(views, architecture.augmented_views(image, n=4, seed=5))


def test_pooling_example_keeps_max_and_mean():
    example = architecture.pooling_example(4, seed=1)
    grid = example["input"].to_numpy()
    assert example["max-pool 2×2"].iloc[0, 0] == grid[:2, :2].max()
    assert example["average-pool 2×2"].iloc[1, 1] == pytest.approx(grid[2:, 2:].mean())


def test_activation_slopes():
    table = architecture.activation_table().set_index("x")
    assert table.loc[0.0, "tanh slope"] == pytest.approx(1.0)
    assert table["tanh slope"].iloc[0] < 0.01  # saturated at x = -4
    assert set(table["relu slope"]) == {0.0, 1.0}


def test_gradient_sizes_and_saturation():
    keras.utils.set_random_seed(2)
    model = cnns.build("lenet5", input_shape=(32, 32, 3))
    sizes = architecture.gradient_sizes(model, images(4, 32), np.array([0, 1, 2, 3]))
    assert len(sizes) == 5 and (sizes > 0).all() and np.isfinite(sizes).all()
    dense = architecture.first_layer(model, "Dense")
    assert dense == [layer.name for layer in model.layers if type(layer).__name__ == "Dense"][0]
    share = architecture.saturated_share(model, images(4, 32), dense)
    assert 0.0 <= share <= 1.0


def test_saturation_and_dead_units_are_measured_where_they_are():
    keras.utils.set_random_seed(3)
    relu = cnns.build("lenet5_relu", input_shape=(32, 32, 3))
    dense = architecture.first_layer(relu, "Dense")
    relu.get_layer(dense).bias.assign(-1e3 * np.ones(128))  # every unit off for every image: all dead
    assert architecture.dead_share(relu, images(4, 32), dense) == 1.0
    assert architecture.saturated_share(relu, images(4, 32), dense) == 1.0  # for ReLU: the share at zero
    tanh = cnns.build("lenet5", input_shape=(32, 32, 3))
    dense = architecture.first_layer(tanh, "Dense")
    tanh.get_layer(dense).bias.assign(1e3 * np.ones(128))  # pushed far into the flat part
    assert architecture.saturated_share(tanh, images(4, 32), dense) == 1.0


# --- the plots chapters 05–09 draw --------------------------------------------------------------------------------


def test_chapter_figures_follow_the_house_style(built):
    style.use_style()
    x = images(3, 16).astype(np.uint8)
    tables = {n: architecture.layer_table(m) for n, m in built.items()}
    drawn = [
        figures.batch_grid(x, [0, 4, 5], ["A", "B", "C", "D", "E", "F", "G"], ncols=3),
        figures.feature_map_grid(np.random.default_rng(0).random((1, 8, 8, 4)), image=x[0], ncols=5),
        figures.activation_curves(architecture.activation_table()),
        figures.gradient_bars(
            {"a": architecture.pd.Series([1e-3, 1e-2]), "b": architecture.pd.Series([2e-3, 3e-3])}
        ),
        figures.parameter_budget_bars(architecture.parameter_budget(tables)),
    ]
    for fig in drawn:
        assert style.check_figure(fig) == []
    assert [ax.get_title() for ax in drawn[0].axes[:3]] == ["A", "E", "F"]
