"""Figure quality: the course style (palette, font sizes) and the title/axis-label check run on every figure."""

import os

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
import seaborn as sns
from matplotlib.colors import to_hex

from course_utils.plots import figures, style


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_style_sets_palette_fonts_and_colour_map():
    matplotlib.rcdefaults()
    style.use_style()
    rc = matplotlib.rcParams
    assert [to_hex(c["color"]).upper() for c in rc["axes.prop_cycle"]] == list(style.PALETTE)
    assert [to_hex(c).upper() for c in sns.color_palette()] == list(style.PALETTE)
    assert (rc["font.size"], rc["axes.titlesize"], rc["axes.labelsize"]) == (12, 14, 12)
    assert rc["xtick.labelsize"] == rc["ytick.labelsize"] == rc["legend.fontsize"] == 11
    assert rc["image.cmap"] == style.SEQUENTIAL


def test_palette_is_okabe_ito_and_quadrants_use_it():
    assert len(set(style.PALETTE)) == 8
    assert set(style.QUADRANT_COLOURS.values()) <= set(style.PALETTE)


def labelled_plot():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set(title="A line", xlabel="x", ylabel="y")
    return fig, ax


def test_a_complete_figure_has_no_problems():
    fig, _ = labelled_plot()
    assert style.check_figure(fig) == []


def test_missing_title_and_labels_are_named():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    problems = style.check_figure(fig)
    assert problems == [
        "no title: give the figure a suptitle or each plot a title",
        "plot 1 has no x-axis label",
        "plot 1 has no y-axis label",
    ]
    ax.set_ylabel("y")
    fig.suptitle("Figure title")
    assert style.check_figure(fig) == ["plot 1 has no x-axis label"]


def test_images_switched_off_axes_colour_bars_and_pies_need_no_axis_labels():
    fig, (image, off, pie) = plt.subplots(1, 3)
    fig.colorbar(image.imshow(np.eye(3)), ax=image)
    off.plot([0, 1])
    off.axis("off")
    pie.pie([1, 2])
    fig.suptitle("Exempt plots")
    assert style.check_figure(fig) == []


def test_a_heatmap_needs_labels_and_shared_axes_share_them():
    fig, ax = plt.subplots()
    sns.heatmap(np.eye(3), ax=ax)
    ax.set_title("Confusion matrix")
    assert "plot 1 ('Confusion matrix') has no x-axis label" in style.check_figure(fig)
    fig, axes = plt.subplots(2, 2, sharex=True, sharey=True)
    for ax in axes.flat:
        ax.plot([0, 1])
        ax.label_outer()
    axes[1, 0].set(xlabel="x", ylabel="y")
    axes[1, 1].set(xlabel="x")
    axes[0, 0].set(ylabel="y")
    fig.suptitle("A grid")
    assert style.check_figure(fig) == []


def test_the_package_plot_helpers_pass_the_check(tmp_path):
    from PIL import Image

    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(paths[-1])
    assert style.check_figure(figures.image_grid(paths, ["a", "b", "c"], ncols=2)) == []
    history = {
        "epoch": [1, 2],
        "accuracy": [0.4, 0.5],
        "val_accuracy": [0.4, 0.45],
        "loss": [1.2, 1.0],
        "val_loss": [1.3, 1.2],
    }
    assert style.check_figure(figures.training_curves({"run": history})) == []


def test_open_figures_are_checked_once_each():
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    with pytest.raises(style.FigureStyleError, match=r"figure \d+: no title"):
        style.check_open_figures()
    style.check_open_figures()  # reported once, not again in the next cell
    labelled_plot()
    style.check_open_figures()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_cell_with_an_unlabelled_figure_fails_in_a_kernel():
    """In a real kernel with the inline backend (as in the book build), the check runs before figures are shown."""
    from nbclient import NotebookClient

    cells = [
        "import matplotlib.pyplot as plt\nfrom course_utils.plots import style",  # the inline backend hooks in first
        "style.check_figures_after_each_cell()",
        "fig, ax = plt.subplots()\nax.plot([0, 1])",
        "fig, ax = plt.subplots()\nax.plot([0, 1])\nax.set(title='t', xlabel='x', ylabel='y')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute(env=env)
    bad, good = nb.cells[2].outputs, nb.cells[3].outputs
    errors = [o for o in bad if o.output_type == "error"]
    assert errors and errors[0].ename == "FigureStyleError" and "no title" in errors[0].evalue
    assert not [o for o in good if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in good), "the good figure is still shown"


# --- figures sized for the book's column ---------------------------------------------------------------------


def as_read(fig) -> tuple[float, float]:
    """How much the book's column shrinks a figure drawn as the inline backend draws it (at its dpi, cropped),
    and the size in pixels its smallest text is then read at."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    with style.fonts_drawn() as sizes:
        fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    width = Image.open(buffer).size[0]
    shrink = max(1.0, width / style.COLUMN_PX)
    return shrink, min(sizes) * fig.dpi / 72 / shrink


def test_a_figures_png_records_the_smallest_text_it_draws():
    import io

    from IPython.core.pylabtools import print_figure
    from PIL import Image

    style.use_style()
    fig, (shown, hidden) = plt.subplots(1, 2)
    shown.plot([0, 1])
    shown.set(title="shown", xlabel="x", ylabel="y")
    shown.text(0.5, 0.5, "small", fontsize=7)
    shown.text(0.2, 0.2, "   ", fontsize=3)  # blank: nothing drawn
    shown.text(0.1, 0.1, "invisible", fontsize=4, visible=False)
    hidden.axis("off")  # its tick labels are not drawn
    hidden.set_title("off", fontsize=13)
    png = style._recording(lambda f: print_figure(f, "png"))(fig)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert float(image.info[style.FONT_KEY]) == 7.0
    assert style.smallest_font_pt(fig) == 7.0
    shown.texts[0].set_visible(False)
    assert style.smallest_font_pt(fig) == plt.rcParams["xtick.labelsize"]


def test_a_png_without_text_gets_no_record():
    assert style.with_font_record(b"\x89PNG....IEND1234", None) == b"\x89PNG....IEND1234"


def saliency_figure():
    from course_utils.plots.saliency_plots import saliency_grid

    images = [np.zeros((16, 16, 3), dtype=np.uint8)] * 5
    maps = {"Grad-CAM": np.random.default_rng(0).random((5, 16, 16)), "occlusion": np.ones((5, 16, 16))}
    return saliency_grid(images, maps, [f"Aggressive + Euphoric {i}" for i in range(5)], "Where it looks")


def wide_figures(tmp_path):
    """The package's figures that used to be drawn wider than the column (with the chapters' default arguments)."""
    from PIL import Image

    from course_utils.plots import metric_plots

    paths = []
    for i in range(12):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (125, 125), (20 * i, 0, 0)).save(paths[-1])
    history = {
        "epoch": [1, 2],
        "accuracy": [0.4, 0.5],
        "val_accuracy": [0.4, 0.45],
        "loss": [1.2, 1.0],
        "val_loss": [1.3, 1.2],
    }
    rng = np.random.default_rng(1)
    names = ["Aggressive", "Aggressive + Euphoric", "Calm", "Euphoric", "Euphoric + Calm", "Melancholy", "Other"]
    pairs = {f"model {k}": (rng.integers(0, 7, 60), rng.integers(0, 7, 60)) for k in range(6)}
    return {
        "image_grid": figures.image_grid(paths, [names[i % 7] for i in range(12)], title="Twelve"),
        "training_curves": figures.training_curves({"a run": history, "another run": history}),
        "plot_confusions": metric_plots.plot_confusions(pairs, names),
        "saliency_grid": saliency_figure(),
    }


def test_the_package_figures_fit_the_books_column(tmp_path):
    style.use_style()
    for name, fig in wide_figures(tmp_path).items():
        shrink, font_px = as_read(fig)
        assert shrink <= 2.0, f"{name} is shrunk {shrink:.1f} times"
        assert font_px >= 9.0, f"{name}'s smallest text is read at {font_px:.1f} px"


def test_saliency_maps_have_a_colour_bar_for_their_scale():
    style.use_style()
    fig = saliency_figure()
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1
    assert bars[0].get_ylim() == (0.0, 1.0) and "weight" in bars[0].get_ylabel()
    assert style.check_figure(fig) == []


def test_confusions_are_drawn_two_side_by_side():
    from course_utils.plots import metric_plots

    pairs = {f"m{k}": (np.arange(7), np.arange(7)) for k in range(6)}
    fig = metric_plots.plot_confusions(pairs, [f"c{i}" for i in range(7)], ncols=3)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.images]
    columns = {round(ax.get_position().x0, 3) for ax in panels}
    assert len(panels) == 6 and len(columns) == 2
