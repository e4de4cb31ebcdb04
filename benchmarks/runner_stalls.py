"""How often a notebook runner stalls on a widget cell: an Output-widget explorer against an Image-widget one.

`jupyter-book build` runs chapters with nbclient. For an Output widget, nbclient acts as the front end: each
output the widget captures is sent back to the kernel on the shell channel, from the coroutine reading IOPub,
while another coroutine waits on that same shell socket for the cell's reply. Now and then that reply goes
unnoticed until the cell's time limit, and the cell then passes, late (the book build's 20-minute stalls in
chapter 15). This script executes two small notebooks N times each through tools/bookexec.py (the calls myst-nb
makes) with a short cell limit and counts the runs whose kernel sat idle for most of it:

    .venv/bin/python benchmarks/runner_stalls.py --runs 30 --timeout 10

- ``output``: the old explorer, ``interactive_output`` (an Output widget) drawing a matplotlib figure;
- ``image``: the course's explorer since, an Image widget whose PNG is redrawn on change.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import bookexec  # noqa: E402

SETUP = "import io\nimport ipywidgets as widgets\nimport matplotlib.pyplot as plt\nimport numpy as np"
DRAW = """def figure(text, k):
    fig, axes = plt.subplots(2, k // 2, figsize=(10, 4))
    for ax in axes.flat:
        ax.imshow(np.random.rand(125, 125, 3))
        ax.set_title(text)
    return fig

choice = widgets.Dropdown(options=["Calm", "Euphoric"], value="Calm")
size = widgets.IntSlider(value=8, min=4, max=16, step=4)
"""
EXPLORERS = {
    "output": DRAW
    + """def draw(text, k):
    figure(text, k)
    plt.show()

out = widgets.interactive_output(draw, {"text": choice, "k": size})
widgets.VBox([widgets.HBox([choice, size]), out])""",
    "image": DRAW
    + """picture = widgets.Image(format="png")

def draw(_=None):
    buffer = io.BytesIO()
    fig = figure(choice.value, size.value)
    fig.savefig(buffer, format="png")
    plt.close(fig)
    picture.value = buffer.getvalue()

choice.observe(draw, "value")
size.observe(draw, "value")
draw()
widgets.VBox([widgets.HBox([choice, size]), picture])""",
}
AFTER = ["fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()", "print('done')"]


def write_notebook(folder: Path, kind: str) -> Path:
    """A four-cell notebook: imports, the explorer, a figure, a print."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (SETUP, EXPLORERS[kind], *AFTER)]
    path = folder / f"{kind}.ipynb"
    nbformat.write(nb, path)
    return path


def main(argv: list[str] | None = None) -> None:
    """Run both notebooks in turn and print a table: runs, stalls, median and longest run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--timeout", type=int, default=10, help="cell time limit in seconds")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {kind: [] for kind in EXPLORERS}
    stalled: dict[str, int] = {kind: 0 for kind in EXPLORERS}
    with tempfile.TemporaryDirectory() as folder:
        paths = {kind: write_notebook(Path(folder), kind) for kind in EXPLORERS}
        for _ in range(args.runs):
            for kind, path in paths.items():
                result = bookexec.execute(path, timeout=args.timeout)
                if result.err is not None:
                    sys.exit(bookexec.describe(path, result))
                times[kind].append(result.time)
                stalled[kind] += bool(bookexec.stalls(result.nb, limit_s=args.timeout / 2))
    print(
        f"| explorer | runs | stalled (kernel idle > {args.timeout / 2:g} s) | median run (s) | longest run (s) |"
    )
    print("|---|---|---|---|---|")
    for kind, values in times.items():
        ordered = sorted(values)
        print(
            f"| {kind} | {len(values)} | {stalled[kind]} | {ordered[len(ordered) // 2]:.1f} | {ordered[-1]:.1f} |"
        )


if __name__ == "__main__":
    main()
