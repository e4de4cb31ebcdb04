"""The concept figures (plots/concept_plots.py) and the numbers behind them (models/architecture.py) stay true to
the models: every number is checked here against a hand computation or the Keras model itself."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.models import architecture, cnns
from course_utils.plots import concept_plots, style


@pytest.fixture(autouse=True)
def close_figures():
    style.use_style()
    yield
    plt.close("all")


@pytest.mark.parametrize("name", cnns.NAMES)
def test_the_plan_has_the_input_and_every_layer_with_the_models_parameters(name):
    model = cnns.build(name)
    plan = architecture.layer_plan(model)
    assert len(plan) == len(model.layers) + 1
    assert plan["output shape"][0] == "125×125×3" and plan["values"][0] == 125 * 125 * 3
    assert plan["parameters"].sum() == model.count_params()
    assert plan["kind"].iloc[-1] == "dense" and plan["what"].iloc[-1] == "dense, 7 units"


def test_the_original_cnns_plan_reads_as_its_code_says():
    plan = architecture.layer_plan(cnns.build("original"))
    convs = plan[plan["kind"] == "convolution"]
    assert convs["what"].tolist() == [f"3×3 convolution, {n} filters, relu" for n in (16, 32, 64)]
    # 3×3×3×16 + 16 = 448; 3×3×16×32 + 32 = 4,640; 3×3×32×64 + 64 = 18,496 (by hand)
    assert convs["parameters"].tolist() == [448, 4640, 18496]
    assert plan["output shape"].tolist()[2:8] == [
        "125×125×16",
        "62×62×16",
        "62×62×32",
        "31×31×32",
        "31×31×64",
        "15×15×64",
    ]
    assert plan["what"][1] == "rescale pixels (× 1/255)"


def test_alexnets_plan_names_its_kernels_and_pools():
    what = architecture.layer_plan(cnns.build("alexnet"))["what"].tolist()
    assert "11×11 convolution, 16 filters, relu" in what and "3×3 max pooling" in what
    assert what[1].startswith("augmentation (flip, rotation, zoom")


def test_flatten_dense_of_the_original_cnn_by_hand():
    step = architecture.flatten_dense(cnns.build("original"))
    # 15 × 15 × 64 = 14,400 numbers; 14,400 × 128 + 128 = 1,843,328 of the model's 1,867,815 parameters
    assert step["maps"] == "15×15×64" and step["length"] == 14_400 and step["units"] == 128
    assert step["parameters"] == 1_843_328
    assert step["share"] == pytest.approx(1_843_328 / cnns.STUDY_PARAMS["original"])


def test_convolution_example_is_the_sum_of_window_times_kernel():
    example = architecture.convolution_example()
    grid, kernel, out = example["input"], example["kernel"], example["output"]
    by_hand = np.array([[np.sum(grid[r : r + 3, c : c + 3] * kernel) for c in range(3)] for r in range(3)])
    np.testing.assert_allclose(out, by_hand)
    assert concept_plots.convolution_sum(np.array([1, 0, -1]), np.array([2, 5, 3])) == "1×2 − 1×3"
    assert concept_plots.convolution_sum(np.array([-1, 1]), np.array([4, 1])) == "−1×4 + 1×1"


def test_each_concept_figure_has_a_title_and_shows_its_numbers():
    conv = architecture.convolution_example()
    fig = concept_plots.plot_convolution(conv)
    shown = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {f"{v:g}" for v in conv["output"].ravel()} <= shown
    pool = architecture.pooling_example()
    step = architecture.flatten_dense(cnns.build("original"))
    plan = architecture.layer_plan(cnns.build("lenet5"))
    for fig in (
        fig,
        concept_plots.plot_pooling(pool),
        concept_plots.plot_flatten_dense(step),
        concept_plots.architecture_diagram(plan, "LeNet-5"),
    ):
        assert fig.get_suptitle() or all(ax.get_title() for ax in fig.axes)
        assert style.check_figure(fig) == []


def test_the_architecture_diagram_draws_one_bar_per_layer_as_long_as_its_output():
    plan = architecture.layer_plan(cnns.build("original"))
    fig = concept_plots.architecture_diagram(plan, "Original CNN")
    ax = fig.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == plan["values"].tolist()
    assert [t.get_text() for t in ax.get_yticklabels()] == plan["what"].tolist()
    assert ax.get_title() == "Original CNN: 1,867,815 parameters"


def test_the_flatten_dense_figure_states_the_arithmetic():
    fig = concept_plots.plot_flatten_dense(architecture.flatten_dense(cnns.build("original")))
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "14,400 × 128 weights + 128 biases = 1,843,328 parameters (98.7% of the model)" in text
