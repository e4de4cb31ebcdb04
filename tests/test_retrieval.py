"""Retrieval by emotion: rankings and precision@k on constructed galleries with known answers, the random baseline,
query points of words and quadrants, embeddings from a model, the gallery figure and the widget's fallback."""

import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from course_utils.analysis import retrieval
from course_utils.labels import QUADRANTS  # noqa: E402
from course_utils.plots import retrieval_plots

# Quadrant centres of the plane, and a gallery of 20 artworks: 8 Euphoric, 6 Calm, 4 Aggressive, 2 Melancholy.
CENTRES = {"Aggressive": (-0.5, 0.5), "Euphoric": (0.5, 0.5), "Melancholy": (-0.5, -0.5), "Calm": (0.5, -0.5)}
COUNTS = {"Euphoric": 8, "Calm": 6, "Aggressive": 4, "Melancholy": 2}


def constructed_gallery(tmp_path=None, predicted_right=True) -> retrieval.Gallery:
    """Each artwork flagged with one quadrant; its predicted point near that quadrant's centre (or the opposite)."""
    rng = np.random.default_rng(1)
    own = [q for q, n in COUNTS.items() for _ in range(n)]
    opposite = {"Aggressive": "Calm", "Calm": "Aggressive", "Euphoric": "Melancholy", "Melancholy": "Euphoric"}
    where = own if predicted_right else [opposite[q] for q in own]
    points = np.array([CENTRES[q] for q in where]) + rng.normal(0, 0.05, (len(own), 2))
    ids = [f"{i:024x}" for i in range(len(own))]
    flags = pd.DataFrame({q: [o == q for o in own] for q in QUADRANTS}, index=ids)
    features = np.array([np.eye(4)[QUADRANTS.index(q)] for q in own]) + rng.normal(0, 0.05, (len(own), 4))
    paths = []
    if tmp_path is not None:
        for i in ids:
            Image.new("RGB", (8, 8), (200, 100, 50)).save(tmp_path / f"{i}.png")
            paths.append(tmp_path / f"{i}.png")
    return retrieval.Gallery(
        ids=ids,
        paths=paths,
        points=points,
        features=features,
        flags=flags,
        classes=own,
        true_points=np.array([CENTRES[q] for q in own]),
    )


def test_precision_at_k_counts_relevant_answers_among_the_first_k():
    relevant = np.array([True, False, True, False, False])
    assert retrieval.precision_at_k([0, 2, 1, 3, 4], relevant, 2) == 1.0
    assert retrieval.precision_at_k([1, 3, 4, 0, 2], relevant, 3) == 0.0
    assert retrieval.precision_at_k([1, 0, 3, 2, 4], relevant, 4) == 0.5
    with pytest.raises(ValueError, match="k must be at least 1"):
        retrieval.precision_at_k([0], relevant, 0)


def test_random_precision_expects_the_share_of_relevant_artworks():
    relevant = np.array([True] * 50 + [False] * 150)
    assert retrieval.random_precision(relevant, k=10, trials=2000) == pytest.approx(0.25, abs=0.02)
    assert retrieval.random_precision(relevant, k=10, seed=5) == retrieval.random_precision(relevant, k=10, seed=5)


def test_rank_by_point_puts_the_nearest_first():
    points = np.array([[0.9, 0.9], [0.1, 0.1], [-0.5, 0.2], [0.45, 0.5]])
    assert retrieval.rank_by_point(points, np.array([0.5, 0.5])).tolist() == [3, 0, 1, 2]


def test_quadrant_queries_on_a_gallery_with_a_known_answer():
    gallery = constructed_gallery()
    table = retrieval.quadrant_precision(gallery, k=5)
    # every artwork predicted in its own quadrant: precision@5 = min(relevant, 5) / 5, the best possible
    np.testing.assert_allclose(table["precision@5"], table["best possible@5"])
    assert table.loc["Euphoric", "precision@5"] == 1.0 and table.loc["Melancholy", "precision@5"] == 0.4
    np.testing.assert_allclose(table["random (expected)"], [4 / 20, 8 / 20, 2 / 20, 6 / 20])
    np.testing.assert_allclose(table["random precision@5"], table["random (expected)"], atol=0.03)
    wrong = retrieval.quadrant_precision(constructed_gallery(predicted_right=False), k=5)
    assert (wrong["precision@5"] == 0).all()  # every prediction in the opposite quadrant: nothing relevant found


def test_example_queries_find_artworks_with_similar_features():
    gallery = constructed_gallery()
    ranking = retrieval.rank_by_example(gallery.features, 0)
    assert 0 not in ranking and len(ranking) == len(gallery) - 1
    assert set(ranking[:7]) == set(range(1, 8))  # the other seven Euphoric artworks come first
    assert retrieval.example_precision(gallery, k=1)["precision@1"] == 1.0
    result = retrieval.example_precision(gallery, k=2)
    assert result["precision@2"] == pytest.approx((18 * 1 + 2 * 0.5) / 20)  # Melancholy has one other member
    assert result["queries"] == 20
    expected = np.mean([(COUNTS[q] - 1) / 19 for q in gallery.classes])
    assert result["random (expected)"] == pytest.approx(expected)


def test_word_and_quadrant_queries():
    np.testing.assert_allclose(retrieval.emotion_point("Sadness "), [-0.70, -0.45])
    assert retrieval.emotion_quadrant("shyness") == "Calm"  # the study's grouping, though its point is unpleasant
    assert retrieval.quadrant_point("Euphoric")[0] > 0 and retrieval.quadrant_point("Melancholy")[1] < 0
    with pytest.raises(KeyError, match="unknown emotion 'joy'"):
        retrieval.emotion_point("joy")
    with pytest.raises(KeyError, match="unknown quadrant"):
        retrieval.quadrant_point("Happy")
    gallery = constructed_gallery()
    ranking, quadrant = retrieval.query(gallery, "sadness")
    assert quadrant == "Melancholy" and set(ranking[:2]) == {18, 19}
    assert retrieval.query(gallery, "Calm")[1] == "Calm"
    assert retrieval_plots.query_choices()[:4] == list(QUADRANTS) and len(retrieval_plots.query_choices()) == 24


def test_embedder_and_gallery_from_a_model(tmp_path):
    import keras
    from keras import layers

    model = keras.Sequential(
        [keras.Input((8, 8, 3)), layers.Flatten(), layers.Dense(5, name="features"), layers.Dense(2, name="va")]
    )
    images = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3)).astype("float32")
    features, points = retrieval.embedder(model).predict(images, verbose=0)
    assert features.shape == (3, 5)
    np.testing.assert_allclose(points, model.predict(images, verbose=0), rtol=1e-5)
    ids = [f"{i:024x}" for i in range(3)]
    table = pd.DataFrame(
        {
            **{q: [True, False, False] for q in QUADRANTS},
            "class": ["Calm"] * 3,
            "valence": [0.1, 0.2, 0.3],
            "arousal": [0.0, -0.1, 0.4],
        },
        index=ids,
    )
    gallery = retrieval.build_gallery(model, images, ids, table, tmp_path)
    assert gallery.points.shape == (3, 2) and gallery.features.shape == (3, 5)
    assert gallery.paths[1] == tmp_path / "Calm" / f"{ids[1]}.jpg"


def test_gallery_figure_puts_the_query_first(tmp_path):
    gallery = constructed_gallery(tmp_path)
    relevant = retrieval.query_relevance(gallery, "Euphoric")
    fig = retrieval_plots.show_results(
        gallery,
        retrieval.rank_by_example(gallery.features, 0),
        k=4,
        relevant=relevant,
        query=0,
        title="More like this",
    )
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["QUERY: Euphoric", "✓ Euphoric", "✓ Euphoric", "✓ Euphoric", "✓ Euphoric"]


def test_explorer_is_a_widget_or_none_without_ipywidgets(monkeypatch, tmp_path):
    gallery = constructed_gallery(tmp_path)
    widget = retrieval_plots.explorer(gallery)
    assert type(widget).__name__ == "VBox"
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails, as where it is not installed
    assert retrieval_plots.explorer(gallery) is None


def test_explorer_redraws_a_picture_and_holds_no_output_widget(tmp_path):
    import ipywidgets as widgets

    gallery = constructed_gallery(tmp_path)
    box = retrieval_plots.explorer(gallery, k=4)
    (choice, _size), picture = box.children[0].children, box.children[1]

    def parts(widget):
        return [widget] + [p for child in getattr(widget, "children", ()) for p in parts(child)]

    # an Output widget makes nbclient (jupyter-book's runner) talk back to the kernel mid-cell: the book stalled
    assert not [w for w in parts(box) if isinstance(w, widgets.Output)]
    first = picture.value
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    choice.value = "Aggressive"
    assert picture.value.startswith(b"\x89PNG") and picture.value != first


def small_gallery(n: int) -> retrieval.Gallery:
    """The first ``n`` artworks of the constructed gallery (what link rot leaves of a validation set)."""
    full = constructed_gallery()
    return retrieval.Gallery(
        ids=full.ids[:n],
        paths=[],
        points=full.points[:n],
        features=full.features[:n],
        flags=full.flags.iloc[:n],
        classes=full.classes[:n],
        true_points=full.true_points[:n],
    )


def test_a_gallery_smaller_than_k_is_ranked_whole():
    gallery = small_gallery(3)  # three Euphoric artworks, predicted right
    table = retrieval.quadrant_precision(gallery, k=10)
    # precision over the 3 shown: Euphoric 3/3; best possible min(3, 3) / 3 = 1; the others have no relevant one
    assert table.loc["Euphoric", ["relevant in gallery", "best possible@10", "precision@10"]].tolist() == [3, 1, 1]
    assert table.loc["Calm", ["relevant in gallery", "best possible@10", "precision@10"]].tolist() == [0, 0, 0]
    warnings = retrieval.gallery_warnings(gallery, table, k=10)
    assert warnings[0].startswith(
        "WARNING (too few images): the gallery holds only 3 artworks (fewer than 50); fewer than k = 10"
    )
    # even Euphoric's 3 relevant artworks are fewer than 5
    assert "all 4 quadrant queries have fewer than 5 relevant artworks in the gallery" in warnings[1]
    assert "(Aggressive 0, Euphoric 3, Melancholy 0, Calm 0)" in warnings[1]
    with pytest.raises(ValueError, match="gallery is empty"):
        retrieval.quadrant_precision(small_gallery(0), k=10)


def test_example_precision_needs_two_artworks():
    one = retrieval.example_precision(small_gallery(1), k=10)
    assert one["queries"] == 1 and np.isnan(one["precision@10"]) and np.isnan(one["random (expected)"])
    two = retrieval.example_precision(small_gallery(2), k=10)  # two Euphoric: each finds the other
    assert two["precision@10"] == 1.0 and two["random (expected)"] == 1.0
    assert np.isnan(retrieval.precision_at_k([], np.array([True]), 3))


def test_a_large_gallery_gets_no_warning():
    gallery = constructed_gallery()
    big = retrieval.Gallery(
        ids=gallery.ids * 3,
        paths=[],
        points=np.tile(gallery.points, (3, 1)),
        features=np.tile(gallery.features, (3, 1)),
        flags=pd.concat([gallery.flags] * 3),
        classes=gallery.classes * 3,
        true_points=np.tile(gallery.true_points, (3, 1)),
    )
    assert retrieval.gallery_warnings(big, retrieval.quadrant_precision(big, k=10), k=10) == []


def test_a_flat_gallery_finds_images_in_the_folder_and_names_artworks_without_a_class(tmp_path):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Flatten(), layers.Dense(5), layers.Dense(2)])
    images = np.zeros((2, 8, 8, 3), dtype="float32")
    ids = [f"{i:024x}" for i in range(2)]
    table = pd.DataFrame(
        {
            **{q: [False, False] for q in QUADRANTS},
            "class": ["Calm", np.nan],
            "valence": [0.1, 0.2],
            "arousal": [0.0, 0.1],
        },
        index=ids,
    )
    gallery = retrieval.build_gallery(model, images, ids, table, tmp_path, flat=True)
    assert gallery.paths == [tmp_path / f"{i}.jpg" for i in ids]
    assert gallery.classes == ["Calm", retrieval.NO_CLASS]


def test_example_queries_ask_another_part_and_random_expects_the_index_share():
    index = constructed_gallery()  # 8 Euphoric, 6 Calm, 4 Aggressive, 2 Melancholy
    queries = constructed_gallery()
    queries.ids = [f"q{i:023x}" for i in range(len(queries))]
    per_query = retrieval.example_queries(queries, index, k=4)
    # features point at the own quadrant, so every query's top 4 share it (each quadrant has 2 or more: the 2
    # Melancholy ones give 2 of 4)
    expected = {"Euphoric": 1.0, "Calm": 1.0, "Aggressive": 1.0, "Melancholy": 0.5}
    assert (
        per_query[["own quadrant", "precision@4"]]
        .drop_duplicates()
        .set_index("own quadrant")["precision@4"]
        .to_dict()
        == expected
    )
    shares = {q: n / 20 for q, n in COUNTS.items()}
    assert np.allclose(per_query["random (expected)"], per_query["own quadrant"].map(shares))
    table = retrieval.query_intervals(per_query, k=4, seed=1)
    mean = (8 + 6 + 4 + 2 * 0.5) / 20
    assert table.loc["search", "value"] == pytest.approx(mean)
    assert table.loc["random (expected)", "value"] == pytest.approx(sum(n * n for n in COUNTS.values()) / 400)
    row = table.loc["search − random"]
    assert row["low"] > 0 and row["low"] <= row["value"] <= row["high"]
    assert (table["queries"] == 20).all()
    with pytest.raises(ValueError, match="both query and indexed"):
        retrieval.example_queries(index, index)


def test_rank_by_feature_puts_the_most_similar_first():
    features = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    assert list(retrieval.rank_by_feature(features, np.array([0.9, 0.1]))) == [0, 2, 1]


def test_quadrant_intervals_hold_the_point_value_and_read_a_gap():
    right = retrieval.quadrant_precision_intervals(constructed_gallery(), k=4, seed=3)
    plain = retrieval.quadrant_precision(constructed_gallery(), k=4)
    assert np.allclose(right.loc[list(QUADRANTS), "precision@4"], plain["precision@4"])
    mean = right.loc["mean of the four"]
    assert mean["precision@4"] == pytest.approx(plain["precision@4"].mean())
    assert mean["low"] <= mean["precision@4"] <= mean["high"] and mean["difference low"] > 0
    wrong = retrieval.quadrant_precision_intervals(constructed_gallery(predicted_right=False), k=4, seed=3)
    assert wrong.loc["mean of the four", "difference high"] < 0
    assert retrieval.verdict(0.1, 0.3) == "beats random retrieval"
    assert retrieval.verdict(-0.3, -0.1) == "does worse than random retrieval"
    assert retrieval.verdict(-0.1, 0.2) == "is not shown to differ from random retrieval"


def test_the_query_may_come_from_another_gallery(tmp_path):
    index = constructed_gallery(tmp_path)
    queries = constructed_gallery(tmp_path)
    queries.classes = ["asked"] * len(queries)
    fig = retrieval_plots.show_results(
        index, retrieval.rank_by_feature(index.features, queries.features[0]), k=2, query=0, query_from=queries
    )
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["QUERY: asked", "Euphoric", "Euphoric"]
