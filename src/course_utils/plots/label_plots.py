"""Figures of the labels (chapters 03 and 04): the emotion plane, quadrant co-occurrence, how the quadrants
depend on threshold and scope, and the 7-class distribution.

Colours come from :data:`course_utils.plots.style.QUADRANT_COLOURS`; the numbers from :mod:`course_utils.labels`.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from course_utils.data.schema import SCOPES
from course_utils.labels import (
    CLASS_NAMES,
    QUADRANTS,
    emotion_table,
    plane_disagreements,
)
from course_utils.plots.style import PALETTE, QUADRANT_COLOURS, SEQUENTIAL

VALENCE_LABEL = "valence (unpleasant → pleasant)"


AROUSAL_LABEL = "arousal (calm → aroused)"


#: Where a quadrant's name goes on the plane (its outer corner).
_CORNERS = {
    "Aggressive": (-0.97, 0.97),
    "Euphoric": (0.97, 0.97),
    "Melancholy": (-0.97, -0.97),
    "Calm": (0.97, -0.97),
}


_LEFT_OUT = "#999999"


def _place_labels(
    ax, points: Mapping[str, tuple[float, float]], fontsize: int = 10
) -> None:
    """Write each point's name beside it, trying places around it until it covers no other name or point."""

    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for (
        x,
        y,
    ) in points.values():  # the markers themselves, about 10 pixels across
        px, py = ax.transData.transform((x, y))
        placed.append(Bbox.from_extents(px - 6, py - 6, px + 6, py + 6))
    tries = [
        ((0, 6), "center", "bottom"),
        ((0, -6), "center", "top"),
        ((7, 0), "left", "center"),
        ((-7, 0), "right", "center"),
        ((6, 5), "left", "bottom"),
        ((-6, 5), "right", "bottom"),
        ((6, -5), "left", "top"),
        ((-6, -5), "right", "top"),
    ]
    for name, (x, y) in points.items():
        for offset, ha, va in tries:
            text = ax.annotate(
                name,
                (x, y),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
            )
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                break
            text.remove()
        else:  # every place is taken: keep the first
            text = ax.annotate(
                name,
                (x, y),
                xytext=tries[0][0],
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=fontsize,
            )
            box = text.get_window_extent(renderer)
        placed.append(box)


def emotion_plane(
    table: pd.DataFrame | None = None,
    title: str = "The 20 emotions on the valence–arousal plane",
):
    """Each emotion at its valence–arousal coordinates (``table``: e.g. a run's ``labels.Coordinates.table``; by
    default the committed placements), coloured by the study's quadrant; ringed where the two disagree."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    table = emotion_table() if table is None else table
    fig, ax = plt.subplots(figsize=(9, 6.8))
    for quadrant, (cx, cy) in _CORNERS.items():
        ax.add_patch(
            Rectangle(
                (-1 if cx < 0 else 0, -1 if cy < 0 else 0),
                1,
                1,
                color=QUADRANT_COLOURS[quadrant],
                alpha=0.08,
                lw=0,
            )
        )
        ax.text(
            cx,
            cy,
            quadrant,
            ha="left" if cx < 0 else "right",
            va="top" if cy > 0 else "bottom",
            fontsize=13,
            fontweight="bold",
            color=QUADRANT_COLOURS[quadrant],
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    disagree = plane_disagreements(table)
    for quadrant in QUADRANTS:
        rows = table[table["quadrant"] == quadrant]
        ax.scatter(
            rows["valence"],
            rows["arousal"],
            s=70,
            color=QUADRANT_COLOURS[quadrant],
            zorder=3,
            edgecolor="white",
        )
    if len(disagree):
        ax.scatter(
            table.loc[disagree, "valence"],
            table.loc[disagree, "arousal"],
            s=260,
            facecolor="none",
            edgecolor="black",
            lw=1.5,
            zorder=2,
        )
    ax.set(
        xlim=(-1, 1),
        ylim=(-1, 1),
        xlabel=VALENCE_LABEL,
        ylabel=AROUSAL_LABEL,
        title=title,
    )
    ax.set_aspect("equal")
    _place_labels(
        ax, {e: (r.valence, r.arousal) for e, r in table.iterrows()}
    )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=QUADRANT_COLOURS[q],
            markersize=9,
            label=q,
        )
        for q in QUADRANTS
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markerfacecolor="none",
            markeredgecolor="black",
            markersize=14,
            label="placed outside its\nstudy quadrant",
        )
    )
    ax.legend(
        handles=handles,
        title="study's quadrant",
        loc="center left",
        bbox_to_anchor=(1.02, 0.5),
    )
    return fig


def cooccurrence_heatmap(
    co: pd.DataFrame,
    n: int,
    title: str = "How often quadrants occur together",
):
    """Artworks flagged in both quadrants of a pair, with their share of all artworks (diagonal: in that one)."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot
    import seaborn as sns  # deferred: seaborn takes about a second to import

    fig, ax = plt.subplots(figsize=(7, 5.5))
    notes = co.map(lambda v: f"{v}\n({v / max(n, 1):.0%})")
    sns.heatmap(
        co,
        annot=notes,
        fmt="",
        cmap=SEQUENTIAL,
        square=True,
        ax=ax,
        linewidths=0.5,
        cbar_kws={"label": "artworks in both quadrants"},
    )
    ax.set(xlabel="quadrant", ylabel="quadrant", title=title)
    ax.tick_params(axis="x", rotation=0)
    return fig


def threshold_effect(
    sweep: pd.DataFrame,
    n: int,
    title: str = "Quadrants by threshold and scope",
):
    """Share of artworks flagged in each quadrant (and left out) against the threshold, one panel per scope."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    scopes = list(dict.fromkeys(sweep.index.get_level_values("scope")))
    fig, axes = plt.subplots(
        1,
        len(scopes),
        figsize=(5.2 * len(scopes), 4.5),
        sharey=True,
        squeeze=False,
    )
    for ax, scope in zip(axes.flat, scopes):
        part = sweep.loc[scope]
        x = [f"{t:.0%}" for t in part.index]
        for quadrant in QUADRANTS:
            ax.plot(
                x,
                100 * part[f"flagged {quadrant}"] / n,
                marker="o",
                color=QUADRANT_COLOURS[quadrant],
                label=quadrant,
            )
        ax.plot(
            x,
            100 * part["unlabelled"] / n,
            marker="s",
            ls="--",
            color=_LEFT_OUT,
            label="no quadrant (left out)",
        )
        ax.set(
            title=SCOPES.get(scope, scope),
            xlabel="threshold (share of annotators)",
        )
    axes.flat[0].set_ylabel("artworks flagged (%)")
    axes.flat[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(title)
    return fig


def class_distribution(
    counts: Mapping[str, int], unlabelled: int, title: str = "The 7 classes"
):
    """Artworks per class (in class-index order) with counts and shares, and the artworks left out beside them."""
    import matplotlib.pyplot as plt  # deferred: only drawing pays for importing pyplot

    total = sum(counts.values())
    names = [c for c in CLASS_NAMES if c in counts]
    values = [counts[c] for c in names]
    largest = max(values) if values else 0
    fig, ax = plt.subplots(figsize=(10, 5))
    colours = [PALETTE[1] if v == largest else PALETTE[5] for v in values]
    bars = ax.bar(range(len(names)), values, color=colours)
    left = ax.bar(
        [len(names) + 0.6],
        [unlabelled],
        color=_LEFT_OUT,
        hatch="//",
        edgecolor="white",
    )
    labels = [f"{v}\n{v / max(total, 1):.1%}" for v in values]
    ax.bar_label(bars, labels=labels, padding=2, fontsize=10)
    ax.bar_label(
        left, labels=[f"{unlabelled}\nleft out"], padding=2, fontsize=10
    )
    ax.set_xticks(list(range(len(names))) + [len(names) + 0.6])
    ax.set_xticklabels(
        [
            f"[{CLASS_NAMES.index(n)}]\n" + n.replace(" + ", "\n+ ")
            for n in names
        ]
        + ["no\nquadrant"],
        fontsize=10,
    )
    ax.set_ylim(0, 1.2 * max(values + [unlabelled, 1]))
    ax.set(
        xlabel="[class index] and folder name (bar labels: artworks, share of the labelled ones)",
        ylabel="artworks",
        title=title,
    )
    return fig
