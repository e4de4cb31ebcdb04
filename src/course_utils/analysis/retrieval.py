"""Finding art by emotion (chapter 15): embed artworks with a trained model, query them the way people ask.

A query is a quadrant ("something calm"), an emotion word ("sadness", placed by its valence–arousal
coordinates: those the gallery's targets were made with, recorded in its prepared folder) or an example image
("more like this one").
Word and quadrant queries rank the gallery by the distance of each artwork's *predicted* valence–arousal point
to the query's point; example queries rank by the cosine similarity of the model's penultimate-layer features.
An artwork counts as relevant when it carries the query's quadrant flag, and precision@k is compared with random
retrieval, whose expected precision is simply the share of relevant artworks in the gallery.
Chapter 15 searches held-out artworks: quadrant and word queries rank the test part, and example queries ask
with test images of an index of the training part (no artist in both); the ``*_intervals`` functions give
95 % bootstrap intervals (over the gallery's artworks, or over the queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from course_utils.analysis.uncertainty import (
    bootstrap_statistic,
    interval_verdict,
)
from course_utils.config.study import SEED
from course_utils.datasets import coverage
from course_utils.datasets.prepare import read_coordinates
from course_utils.labels import QUADRANTS, emotion_table, quadrant_of_point

#: The caption of an artwork whose shares give it no class.
NO_CLASS = "no class"


@dataclass
class Gallery:
    """The artworks one can retrieve: IDs, image paths, predicted points, features and true quadrant flags."""

    ids: list[str]
    paths: list[Path]
    points: np.ndarray  # predicted (valence, arousal), one row per artwork
    features: (
        np.ndarray
    )  # penultimate-layer activations, one row per artwork
    flags: (
        pd.DataFrame
    )  # the four quadrant flags (bool), index = artwork ID
    classes: list[str]
    true_points: np.ndarray  # the targets from the emotion shares
    #: the emotions' coordinates the targets were made with (word and quadrant queries use them)
    coordinates: pd.DataFrame = field(default_factory=emotion_table)

    def __len__(self) -> int:
        return len(self.ids)


def embedder(model, layer: int | str = -2):
    """A model giving ``[features of one inner layer, final output]`` of a
    Sequential model, sharing its weights.

    The layers are called again on a new input (rather than reading
    ``layer.output``), which also works when they were first built inside
    another model, as the heads of :mod:`course_utils.training.heads` are.
    """
    import keras  # deferred: Keras loads TensorFlow (seconds)

    inner = (
        model.get_layer(layer)
        if isinstance(layer, str)
        else model.layers[layer]
    )
    inputs = keras.Input(model.input_shape[1:])
    x = features = inputs
    for each in model.layers:
        x = each(x)
        if each is inner:
            features = x
    return keras.Model(inputs, [features, x])


def build_gallery(
    model,
    images: np.ndarray,
    ids: Sequence[str],
    table: pd.DataFrame,
    folder: Path,
    batch_size: int = 64,
    flat: bool = False,
) -> Gallery:
    """Embed images with a valence–arousal model; flags, classes and paths come from ``labels.csv``, the
    coordinates from ``folder``'s record of them (the committed placements where it has none).

    ``flat``: the images lie in ``folder`` itself (every artwork's,
    :mod:`course_utils.datasets.artworks`), not in class folders; an
    artwork without a class is captioned "no class" and carries no flag.
    """
    features, points = embedder(model).predict(
        images, batch_size=batch_size, verbose=0
    )
    rows = table.loc[list(ids)]
    recorded = read_coordinates(folder)
    classes = [str(c) if pd.notna(c) else NO_CLASS for c in rows["class"]]
    paths = [
        Path(folder) / f"{i}.jpg" if flat else Path(folder) / c / f"{i}.jpg"
        for i, c in zip(ids, classes)
    ]
    return Gallery(
        ids=list(ids),
        paths=paths,
        points=np.asarray(points, dtype=float),
        features=np.asarray(features, dtype=float),
        flags=rows[list(QUADRANTS)].astype(bool),
        classes=classes,
        true_points=rows[["valence", "arousal"]].to_numpy(dtype=float),
        coordinates=(
            emotion_table() if recorded is None else recorded.table
        ),
    )


def emotion_point(
    word: str, coordinates: pd.DataFrame | None = None
) -> np.ndarray:
    """The valence–arousal coordinates of one of the 20 emotion words (in ``coordinates``, e.g. a gallery's; by
    default the committed placements)."""
    table = emotion_table() if coordinates is None else coordinates
    key = word.strip().lower()
    if key not in table.index:
        raise KeyError(
            f"unknown emotion {word!r}; use one of: {', '.join(table.index)}"
        )
    return table.loc[key, ["valence", "arousal"]].to_numpy(dtype=float)


def emotion_quadrant(word: str) -> str:
    """The quadrant the study puts an emotion word in."""
    emotion_point(word)  # names the word if unknown
    return str(emotion_table().loc[word.strip().lower(), "quadrant"])


def quadrant_point(
    quadrant: str, coordinates: pd.DataFrame | None = None
) -> np.ndarray:
    """A quadrant's query point: the mean coordinates of the emotions the study puts in it (in ``coordinates``;
    by default the committed placements)."""
    if quadrant not in QUADRANTS:
        raise KeyError(
            f"unknown quadrant {quadrant!r}; use one of: {', '.join(QUADRANTS)}"
        )
    table = emotion_table() if coordinates is None else coordinates
    study = emotion_table()["quadrant"]
    return (
        table.loc[study[study == quadrant].index, ["valence", "arousal"]]
        .mean()
        .to_numpy(dtype=float)
    )


def rank_by_point(points: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Gallery indices, nearest predicted point to the query point first."""
    distances = np.linalg.norm(
        np.asarray(points, dtype=float) - np.asarray(query, dtype=float),
        axis=1,
    )
    return np.argsort(distances, kind="stable")


def rank_by_example(features: np.ndarray, index: int) -> np.ndarray:
    """Gallery indices by cosine similarity of features to artwork ``index``
    (which is left out)."""
    features = np.asarray(features, dtype=float)
    unit = features / np.maximum(
        np.linalg.norm(features, axis=1, keepdims=True), 1e-12
    )
    order = np.argsort(-(unit @ unit[index]), kind="stable")
    return order[order != index]


def precision_at_k(
    ranking: np.ndarray, relevant: np.ndarray, k: int
) -> float:
    """Share of relevant artworks among the first ``k`` retrieved (all of
    them when there are fewer; NaN: none)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    top = np.asarray(ranking, dtype=int)[:k]
    return (
        float(np.asarray(relevant, dtype=bool)[top].mean())
        if len(top)
        else float("nan")
    )


def random_precision(
    relevant: np.ndarray, k: int, trials: int = 1000, seed: int = SEED
) -> float:
    """Mean precision@k of random rankings (its expectation is the share of relevant artworks)."""
    relevant = np.asarray(relevant, dtype=bool)
    rng = np.random.default_rng(seed)
    k = min(k, len(relevant))
    return float(
        np.mean(
            [
                relevant[rng.permutation(len(relevant))[:k]].mean()
                for _ in range(trials)
            ]
        )
    )


def query_relevance(gallery: Gallery, quadrant: str) -> np.ndarray:
    """Which gallery artworks carry a quadrant's flag (relevance of a query for that quadrant)."""
    return gallery.flags[quadrant].to_numpy(dtype=bool)


def quadrant_precision(
    gallery: Gallery, k: int = 10, seed: int = SEED
) -> pd.DataFrame:
    """Per quadrant query: relevant artworks, precision@k of the model and of random retrieval.

    A gallery smaller than ``k`` is retrieved whole, so each column is then precision at the gallery's size.
    """
    if not len(gallery):
        raise ValueError(
            "the gallery is empty: there is no artwork to retrieve"
        )
    shown = min(k, len(gallery))
    rows = {}
    for quadrant in QUADRANTS:
        relevant = query_relevance(gallery, quadrant)
        ranking = rank_by_point(
            gallery.points, quadrant_point(quadrant, gallery.coordinates)
        )
        rows[quadrant] = {
            "relevant in gallery": int(relevant.sum()),
            f"best possible@{k}": min(int(relevant.sum()), shown) / shown,
            f"precision@{k}": precision_at_k(ranking, relevant, k),
            f"random precision@{k}": random_precision(
                relevant, k, seed=seed
            ),
            "random (expected)": float(relevant.mean()),
        }
    return pd.DataFrame(rows).T.rename_axis("query")


def example_precision(gallery: Gallery, k: int = 10) -> dict[str, float]:
    """Each artwork as an example query: mean precision@k by features, and random retrieval's expectation.

    Relevant: the other artworks flagged with the quadrant of the query artwork's own (true) mood point.
    """
    own = quadrant_of_point(
        gallery.true_points[:, 0], gallery.true_points[:, 1]
    )
    if len(own) < 2:  # an example needs another artwork to be compared with
        return {
            f"precision@{k}": float("nan"),
            "random (expected)": float("nan"),
            "queries": len(own),
        }
    model, chance = [], []
    for i, quadrant in enumerate(own):
        relevant = query_relevance(gallery, str(quadrant))
        model.append(
            precision_at_k(
                rank_by_example(gallery.features, i), relevant, k
            )
        )
        chance.append(float(np.delete(relevant, i).mean()))
    return {
        f"precision@{k}": float(np.mean(model)),
        "random (expected)": float(np.mean(chance)),
        "queries": len(own),
    }


def gallery_warnings(
    gallery: Gallery, precision: pd.DataFrame, k: int
) -> list[str]:
    """Plain warnings where precision@k rests on too few images: a small gallery, one smaller than ``k``, and
    quadrant queries with fewer than 5 relevant artworks (``precision`` is :func:`quadrant_precision`'s table)."""

    warnings = []
    if len(gallery) < coverage.MIN_SET_IMAGES:
        whole = (
            f"fewer than k = {k}, so precision@{k} is the precision of the whole gallery here; "
            if len(gallery) < k
            else ""
        )
        warnings.append(
            f"{coverage.WARNING}: the gallery holds only {len(gallery)} artworks (fewer than "
            f"{coverage.MIN_SET_IMAGES}); {whole}its precisions rest on very few images."
        )
    warnings.append(
        coverage.few_images_warning(
            precision["relevant in gallery"],
            coverage.MIN_CLASS_IMAGES,
            "quadrant query",
            "relevant artworks in the gallery",
            plural="quadrant queries",
        )
    )
    return [w for w in warnings if w]


def warn_small_gallery(
    gallery: Gallery, precision: pd.DataFrame, k: int
) -> list[str]:
    """Print :func:`gallery_warnings` (nothing when the gallery is large enough); returns them."""
    warnings = gallery_warnings(gallery, precision, k)
    coverage.show_warnings(warnings)
    return warnings


def query(gallery: Gallery, text: str) -> tuple[np.ndarray, str]:
    """Rank the gallery for a quadrant name or an emotion word; returns the ranking and the quadrant it asks for."""
    if text in QUADRANTS:
        point = quadrant_point(text, gallery.coordinates)
        return rank_by_point(gallery.points, point), text
    point = emotion_point(text, gallery.coordinates)
    return rank_by_point(gallery.points, point), emotion_quadrant(text)


def quadrant_precision_intervals(
    gallery: Gallery, k: int = 10, seed: int = SEED
) -> pd.DataFrame:
    """Per quadrant query, and their mean: precision@k of the search and
    of random retrieval (the share of relevant artworks), each with a 95 %
    bootstrap interval over the gallery's artworks (the gallery is drawn
    again with replacement and searched again; four queries are too few
    to resample the queries themselves)."""
    if not len(gallery):
        raise ValueError(
            "the gallery is empty: there is no artwork to retrieve"
        )
    flags = gallery.flags[list(QUADRANTS)].to_numpy(dtype=bool)
    queries = np.array(
        [quadrant_point(q, gallery.coordinates) for q in QUADRANTS]
    )

    def search(points, relevant):
        return np.mean(
            [
                precision_at_k(rank_by_point(points, q), relevant[:, j], k)
                for j, q in enumerate(queries)
            ]
        )

    rows = {}
    for j, quadrant in enumerate(QUADRANTS):
        model = bootstrap_statistic(
            lambda p, r, j=j: precision_at_k(
                rank_by_point(p, queries[j]), r, k
            ),
            gallery.points,
            flags[:, j],
            seed=seed,
        )
        chance = bootstrap_statistic(np.mean, flags[:, j], seed=seed)
        gap = bootstrap_statistic(
            lambda p, r, j=j: (
                precision_at_k(rank_by_point(p, queries[j]), r, k)
                - r.mean()
            ),
            gallery.points,
            flags[:, j],
            seed=seed,
        )
        rows[quadrant] = _interval_row(model, chance, gap, k) | {
            "relevant in gallery": int(flags[:, j].sum())
        }
    model = bootstrap_statistic(search, gallery.points, flags, seed=seed)
    chance = bootstrap_statistic(
        lambda r: r.mean(axis=0).mean(), flags, seed=seed
    )
    gap = bootstrap_statistic(
        lambda p, r: search(p, r) - r.mean(axis=0).mean(),
        gallery.points,
        flags,
        seed=seed,
    )
    rows["mean of the four"] = _interval_row(model, chance, gap, k) | {
        "relevant in gallery": int(flags.any(axis=1).sum())
    }
    return pd.DataFrame(rows).T.rename_axis("query")


def _interval_row(model: dict, chance: dict, gap: dict, k: int) -> dict:
    return {
        f"precision@{k}": model["value"],
        "low": model["low"],
        "high": model["high"],
        "random (expected)": chance["value"],
        "random low": chance["low"],
        "random high": chance["high"],
        "search − random": gap["value"],
        "difference low": gap["low"],
        "difference high": gap["high"],
    }


def verdict(low: float, high: float, what: str = "random retrieval") -> str:
    """How an interval of "search − baseline" reads, in words."""
    return interval_verdict(low, high, what)


def example_queries(
    queries: Gallery, index: Gallery, k: int = 10
) -> pd.DataFrame:
    """Each ``queries`` artwork (e.g. the test part) asks "more like this
    one" of the ``index`` (e.g. the training part), by the cosine
    similarity of features. One row per query: its own quadrant (where
    its true point lies), precision@k among the index artworks flagged
    with it, and random retrieval's expectation (their share)."""
    if not len(queries) or not len(index):
        raise ValueError(
            f"{len(queries)} queries and {len(index)} indexed artworks: "
            "both are needed"
        )
    shared = sorted(set(queries.ids) & set(index.ids))
    if shared:
        raise ValueError(
            f"{len(shared)} artwork(s) both query and indexed, e.g. "
            f"{shared[:3]}: keep the two parts apart"
        )
    own = quadrant_of_point(
        queries.true_points[:, 0], queries.true_points[:, 1]
    )
    rows = []
    for feature, quadrant in zip(queries.features, own):
        relevant = query_relevance(index, str(quadrant))
        ranking = rank_by_feature(index.features, feature)
        rows.append(
            {
                "own quadrant": str(quadrant),
                f"precision@{k}": precision_at_k(ranking, relevant, k),
                "random (expected)": float(relevant.mean()),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(queries.ids, name="query"))


def rank_by_feature(features: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Indices of ``features`` (an index of other artworks) by cosine
    similarity to one query's features, most similar first."""
    return np.argsort(
        -(_unit(features) @ _unit(np.atleast_2d(query))[0]), kind="stable"
    )


def _unit(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=float)
    return features / np.maximum(
        np.linalg.norm(features, axis=1, keepdims=True), 1e-12
    )


def query_intervals(
    per_query: pd.DataFrame, k: int = 10, seed: int = SEED
) -> pd.DataFrame:
    """Mean precision@k over queries of the search, of random retrieval
    and their difference, each with a 95 % bootstrap interval over the
    queries (an :func:`example_queries` table)."""
    search = per_query[f"precision@{k}"].to_numpy(dtype=float)
    chance = per_query["random (expected)"].to_numpy(dtype=float)
    rows = {
        "search": bootstrap_statistic(np.mean, search, seed=seed),
        "random (expected)": bootstrap_statistic(
            np.mean, chance, seed=seed
        ),
        "search − random": bootstrap_statistic(
            np.mean, search - chance, seed=seed
        ),
    }
    table = pd.DataFrame(rows).T.rename_axis(f"mean precision@{k}")
    table["queries"] = len(per_query)
    return table
