"""Hand-worked cases for course_utils.labels that the other tests left open (mutants that survived
benchmarks/mutation.py): the edges of the plane and of the threshold, exact messages, names of columns and
index, a custom mapping and custom coordinates passed through. TensorFlow-free and quick."""

import re

import numpy as np
import pandas as pd
import pytest

from course_utils.data import schema
from course_utils.data.lexicon import LexiconError, lexicon_path
from course_utils.data.schema import EMOTIONS
from course_utils.datasets.localserver import standin_lexicon_text
from course_utils.labels import (
    CITATION,
    QUADRANTS,
    Coordinates,
    class_names_of,
    cooccurrence,
    emotion_coordinates,
    emotion_table,
    grouping_table,
    label_sweep,
    label_table,
    mean_va_targets,
    plane_disagreements,
    presence,
    quadrant_of_point,
    shares_frame,
    study_mapping,
    va_targets,
    validate_mapping,
)


def exactly(message: str) -> str:
    """A pattern that matches only the whole message."""
    return "^" + re.escape(message) + "$"


def test_zero_valence_is_pleasant_and_zero_arousal_is_aroused():
    got = quadrant_of_point(np.array([0.0, 0.0, -0.5, 0.5]), np.array([0.0, -0.5, 0.0, 0.5]))
    assert got.tolist() == ["Euphoric", "Calm", "Aggressive", "Euphoric"]


def test_plane_disagreements_name_only_the_emotion_placed_elsewhere():
    table = pd.DataFrame(
        {"valence": [0.5, -0.5], "arousal": [0.5, 0.5], "quadrant": ["Euphoric", "Calm"]}, index=["joy", "odd"]
    )
    assert plane_disagreements(table) == ["odd"]


def test_a_threshold_of_one_keeps_only_unanimous_emotions():
    values = shares_frame({"all": {"happiness": 1.0, "love": 0.9}})
    present = presence(values, 1.0)
    assert present.loc["all", "happiness"] and not present.loc["all", "love"]


def test_exact_messages():
    values = shares_frame({"a": {"happiness": 0.5}})
    with pytest.raises(
        ValueError,
        match=exactly("column 'happiness' holds values other than 0 and 1: an All file needs a threshold"),
    ):
        presence(values, None)
    with pytest.raises(ValueError, match=exactly("artwork 'x': unknown emotion(s) bliss, glee")):
        shares_frame({"x": {"glee": 1, "bliss": 1}})
    with pytest.raises(ValueError, match=exactly("coordinates missing for: " + ", ".join(EMOTIONS[-2:]))):
        va_targets(values, emotion_table().drop(index=list(EMOTIONS[-2:])))
    with pytest.raises(
        ValueError,
        match=exactly(f"unknown emotion(s) in mapping: bliss, glee; the 20 are: {', '.join(EMOTIONS)}"),
    ):
        validate_mapping({"glee": "Calm", "bliss": "Calm"})
    with pytest.raises(
        ValueError, match=exactly(f"quadrant(s) outside {', '.join(QUADRANTS)}: {{'happiness': 'Happy'}}")
    ):
        validate_mapping({"happiness": "Happy"})


def test_class_names_are_named_class_and_missing_is_na():
    merged = pd.DataFrame(
        {"Aggressive": [True, False], "Euphoric": [True, False], "Calm": [False, False]}, index=["a", "b"]
    )
    names = class_names_of(merged)
    assert names.name == "class"
    assert names["a"] == "Aggressive + Euphoric" and names["b"] is pd.NA
    table = label_table(shares_frame({"a": {"happiness": 1.0}, "b": {}}), 0.5)
    assert str(table["class index"].dtype) == "Int64"


def test_cooccurrence_counts_are_integers():
    flags = pd.DataFrame({"A": [True, True], "B": [True, False]})
    co = cooccurrence(flags)
    assert co.loc["A", "A"] == 2 and co.loc["A", "B"] == 1
    assert all(dtype.kind == "i" for dtype in co.dtypes)


def test_grouping_table_uses_the_mapping_it_is_given():
    mapping = {**study_mapping(), "happiness": "Calm"}
    table = grouping_table(mapping)
    assert table.index.name == "quadrant"
    assert "happiness" in table.loc["Calm", "emotions"].split(", ")
    assert "happiness" not in grouping_table().loc["Calm", "emotions"].split(", ")


def test_label_sweep_reads_the_scope_and_the_mapping_it_is_given():
    art, image = schema.emotion_columns("art"), schema.emotion_columns("image")
    table = pd.DataFrame(0.0, index=["a1"], columns=art + image)
    table.loc["a1", art[EMOTIONS.index("happiness")]] = 1.0  # happy as art, angry as an image
    table.loc["a1", image[EMOTIONS.index("anger")]] = 1.0
    sweep = label_sweep(table, scopes=("image",), thresholds=(0.5,))
    assert sweep.loc[("image", 0.5), "flagged Aggressive"] == 1
    moved = {**study_mapping(), "anger": "Calm"}
    sweep = label_sweep(table, scopes=("image",), thresholds=(0.5,), mapping=moved)
    assert sweep.loc[("image", 0.5), "flagged Aggressive"] == 0 and sweep.loc[("image", 0.5), "flagged Calm"] == 1


def test_mean_va_targets_use_the_given_coordinates_and_leave_no_shares_at_nan():
    coords = emotion_table().copy()
    coords.loc["happiness", ["valence", "arousal"]] = [0.25, -0.75]
    values = shares_frame({"h": {"happiness": 0.2}, "none": {}})
    got = mean_va_targets(values, coords)
    assert got.loc["h"].tolist() == [0.25, -0.75]  # the mean of one emotion is that emotion, however weak
    assert got.loc["none"].isna().all()


def test_describe_lists_every_emotion_read_as_another_word(tmp_path):
    words = emotion_table()["lexicon_word"]
    other = [f"{e} as {w!r}" for e, w in words.items() if e != w]
    assert len(other) >= 2  # the join is seen
    described = Coordinates(emotion_table(), CITATION, "the note").describe()
    assert f"; {', '.join(other)}; the note" in described


def test_where_the_coordinates_come_from_is_said(tmp_path):
    assert emotion_coordinates().note == "no data folder given"
    assert emotion_coordinates(tmp_path).note == f"no {lexicon_path(tmp_path).name} in the data folder"
    path = lexicon_path(tmp_path)
    path.parent.mkdir()
    path.write_text(standin_lexicon_text())
    assert emotion_coordinates(tmp_path).note == f"read from {path.parent.name}/{path.name}"
    path.write_text(standin_lexicon_text().replace("\ndisagreeable\t", "\ndisagreeing\t"))
    with pytest.raises(LexiconError, match=f"^{re.escape(path.name)} has no entry for 'disagreeable'"):
        emotion_coordinates(tmp_path)
