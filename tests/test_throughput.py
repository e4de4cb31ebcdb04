"""Counting FLOPs from layer shapes and measuring rates (tiny sizes: these check the arithmetic, not the speed)."""

import math

import pytest

from course_utils.models import cnns
from course_utils.plots import throughput_plots
from course_utils.training import throughput


def test_original_cnn_flops_match_a_hand_count():
    table = throughput.layer_flops(cnns.build("original")).set_index("layer")
    convs = table[table["kind"] == "Conv2D"]["forward_flops"].tolist()
    # same padding: 125×125 → 62×62 → 31×31 after each 2×2 pooling; 2 FLOPs per multiply–add
    assert convs == [2 * 125 * 125 * 16 * 3 * 3 * 3, 2 * 62 * 62 * 32 * 3 * 3 * 16, 2 * 31 * 31 * 64 * 3 * 3 * 32]
    dense = table[table["kind"] == "Dense"]["forward_flops"].tolist()
    assert dense == [2 * 15 * 15 * 64 * 128, 2 * 128 * 7]
    assert (table[~table["kind"].isin(["Conv2D", "Dense"])]["forward_flops"] == 0).all()
    # backward = 2 × forward, except the first convolution, which needs no gradient for its input (the image)
    assert throughput.training_flops(cnns.build("original")) == 3 * table["forward_flops"].sum() - convs[0]


@pytest.mark.parametrize("name", cnns.NAMES)
def test_every_model_has_a_shape_chain_ending_in_the_logits(name):
    table = throughput.layer_flops(cnns.build(name))
    assert table["output"].iloc[-1] == (7,)
    assert table["forward_flops"].sum() > 1e7  # tens of millions of FLOPs per image, not zero or a miscount


def test_nested_blocks_with_weights_are_refused_rather_than_counted_as_zero():
    import keras

    block = keras.Sequential([keras.layers.Conv2D(4, 3)], name="block")
    net = keras.Sequential([keras.Input((8, 8, 3)), block, keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="'block'"):
        throughput.layer_flops(net)


def test_the_augmented_models_count_the_same_convolutions_as_their_plain_twin():
    assert throughput.training_flops(cnns.build("dropout")) == throughput.training_flops(cnns.build("original"))
    assert throughput.training_flops(cnns.build("lenet5")) == throughput.training_flops(cnns.build("lenet5_relu"))


def test_rates_are_positive_and_finite():
    peak = throughput.matmul_peak(n=128, reps=2, repeats=1)
    assert math.isfinite(peak) and peak > 1e6
    rate = throughput.training_rate("original", batch_size=4, steps=1, repeats=1)
    assert math.isfinite(rate) and rate > 0


def test_layer_times_cover_every_layer_and_plot(tmp_path):
    net = cnns.build("original", input_shape=(32, 32, 3))
    table = throughput.layer_times(net, batch_size=2, repeats=1, reps=1)
    assert list(table["layer"]) == [layer.name for layer in net.layers]
    assert (table["seconds_per_batch"] > 0).all()
    fig = throughput_plots.plot_layer_times(table, peak_flops=1e10)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.patches) == 2 * len(table)


def test_best_rate_keeps_the_fastest_call():
    calls = iter([0.05, 0.0, 0.03])

    def sleepy():
        import time

        time.sleep(next(calls))

    rate = throughput.best_rate(sleepy, work=1.0, repeats=3)
    assert rate.wall > 1 / 0.03  # the 0-second call counts, not the slower ones
    assert rate.cpu > rate.wall  # sleeping uses no CPU
