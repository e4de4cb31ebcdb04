"""The label rules at their edges (`labels.py`), each worked by hand: the plane's boundaries, a threshold of 1,
a mapping of one's own carried into every table built from it, the notes that say which coordinates a run uses,
and the errors that name every wrong entry. Written to kill the mutants that survived `test_labels.py` and
`test_lexicon.py` (benchmarks/mutation.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils.data.lexicon import LexiconError, fetch_lexicon, lexicon_path
from course_utils.data.schema import EMOTIONS, emotion_columns
from course_utils.datasets.localserver import standin_lexicon_text, write_standin_lexicon
from course_utils.labels import (
    class_names_of,
    cooccurrence,
    emotion_coordinates,
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

# --- the plane ----------------------------------------------------------------------------------------------


def test_zero_counts_as_pleasant_and_as_aroused():
    """Chapter 03: a point on an axis belongs to the pleasant (valence 0) and the aroused (arousal 0) side."""
    valence = np.array([0.0, 0.0, 0.0, 0.5, -0.5])
    arousal = np.array([0.5, -0.5, 0.0, 0.0, 0.0])
    assert list(quadrant_of_point(valence, arousal)) == ["Euphoric", "Calm", "Euphoric", "Euphoric", "Aggressive"]


def test_plane_disagreements_names_only_the_emotions_placed_outside_their_quadrant():
    table = pd.DataFrame(
        {"quadrant": ["Euphoric", "Calm", "Aggressive"], "valence": [0.5, 0.3, 0.2], "arousal": [0.5, 0.4, 0.1]},
        index=["joy", "peace", "rage"],
    )
    # joy lies in its quadrant; peace (pleasant, aroused) and rage (pleasant) lie in Euphoric
    assert plane_disagreements(table) == ["peace", "rage"]


# --- presence -----------------------------------------------------------------------------------------------


def test_a_threshold_of_one_is_allowed_and_needs_every_annotator():
    present = presence(shares_frame({"all": {"anger": 1.0}, "most": {"anger": 0.999}}), 1.0)["anger"]
    assert present.to_dict() == {"all": True, "most": False}
    for wrong in (0.0, 1.5):
        with pytest.raises(ValueError, match=rf"threshold must be in \(0, 1\], got {wrong}"):
            presence(shares_frame({"a": {"anger": 1.0}}), wrong)


def test_shares_without_a_threshold_are_told_to_give_one():
    with pytest.raises(ValueError) as err:
        presence(shares_frame({"a": {"anger": 0.4}}), None)
    assert str(err.value) == "column 'anger' holds values other than 0 and 1: an All file needs a threshold"


# --- a mapping of one's own ---------------------------------------------------------------------------------


def test_a_mapping_of_ones_own_is_the_grouping_table_shown():
    table = grouping_table(study_mapping() | {"surprise": "Aggressive"})
    assert table.loc["Aggressive", "emotions"] == "anger, arrogance, disgust, fear, surprise"
    assert table.loc["Euphoric", "emotions"] == "anticipation, happiness, love, optimism"
    assert table.index.name == "quadrant"  # chapter 03 shows the table: its index is headed "quadrant"


def test_the_sweep_reads_each_scope_and_applies_the_mapping():
    """Two artworks whose image-only votes differ from their art votes; love moved to Calm by the mapping."""
    art = dict(zip(emotion_columns("art"), np.zeros(20)))
    image = dict(zip(emotion_columns("image"), np.zeros(20)))
    a1 = {**art, **image, "Art (image+title): anger": 0.5, "ImageOnly: trust": 0.5}
    a2 = {**art, **image, "Art (image+title): love": 0.5, "ImageOnly: love": 0.5}
    assert len(a1) == len(a2) == 40  # the column names above are the archive's
    table = pd.DataFrame([a1, a2], index=["a1", "a2"])
    sweep = label_sweep(
        table, scopes=("art", "image"), thresholds=(0.4,), mapping=study_mapping() | {"love": "Calm"}
    )
    art_row, image_row = sweep.loc[("art", 0.4)], sweep.loc[("image", 0.4)]
    assert (art_row["flagged Aggressive"], art_row["flagged Euphoric"], art_row["flagged Calm"]) == (1, 0, 1)
    assert (art_row["Aggressive"], art_row["Calm"]) == (1, 1)
    assert (image_row["flagged Aggressive"], image_row["flagged Calm"], image_row["Calm"]) == (0, 2, 2)


# --- tables built from the flags ----------------------------------------------------------------------------


def test_class_names_are_a_series_named_class_and_na_without_a_quadrant():
    merged = pd.DataFrame(
        {"Aggressive": [True, False], "Euphoric": [False, False], "Calm": [True, False]}, index=["a", "b"]
    )
    got = class_names_of(merged)
    assert got["a"] == "Aggressive + Calm" and got["b"] is pd.NA  # shown as <NA> in the chapters' tables
    assert pd.concat([merged, got], axis=1).columns[-1] == "class"  # joined to the flags, it is the class column


def test_the_class_index_is_a_whole_number_with_na_for_an_unlabelled_artwork():
    table = label_table(shares_frame({"calm": {"trust": 0.5}, "none": {}}), 0.4)
    assert str(table["class index"].dtype) == "Int64"  # 4, not 4.0, and NA where there is no class
    assert table.loc["calm", "class index"] == 4 and table.loc["none", "class index"] is pd.NA


def test_cooccurrence_counts_artworks_in_whole_numbers():
    flags = pd.DataFrame({"Aggressive": [True, True, False], "Calm": [True, False, True]})
    co = cooccurrence(flags)
    assert co.to_dict() == {"Aggressive": {"Aggressive": 2, "Calm": 1}, "Calm": {"Aggressive": 1, "Calm": 2}}
    assert f"{co.loc['Aggressive', 'Calm']}" == "1"  # the heatmap writes each count with f"{v}": 1, not 1.0


# --- valence-arousal targets --------------------------------------------------------------------------------


def plane(points: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Coordinates with the given emotions placed and every other one at the origin."""
    table = pd.DataFrame(0.0, index=list(EMOTIONS), columns=["valence", "arousal"])
    for emotion, (v, a) in points.items():
        table.loc[emotion] = (v, a)
    return table


def test_the_mean_rule_uses_the_given_coordinates_and_leaves_an_unvoted_artwork_undefined():
    coords = plane({"happiness": (1.0, 0.5), "sadness": (-1.0, -0.5)})
    votes = shares_frame({"weak": {"happiness": 0.2}, "split": {"happiness": 0.3, "sadness": 0.1}, "none": {}})
    got = mean_va_targets(votes, coords)
    assert got.loc["weak"].tolist() == pytest.approx([1.0, 0.5])  # a mean: 20 % of the votes go all the way
    assert got.loc["split"].tolist() == pytest.approx([0.75 - 0.25, 0.375 - 0.125])  # shares 3/4 and 1/4
    assert got.loc["none"].isna().all()


def test_missing_coordinates_are_each_named():
    with pytest.raises(ValueError) as err:
        va_targets(shares_frame({"a": {"trust": 1.0}}), plane({}).drop(index=["anger", "fear"]))
    assert str(err.value) == "coordinates missing for: anger, fear"


# --- the coordinates' notes ---------------------------------------------------------------------------------


def test_the_fallback_coordinates_say_why_they_are_used(tmp_path):
    assert emotion_coordinates().note == "no data folder given"
    assert emotion_coordinates(tmp_path).note == "no NRC-VAD-Lexicon.txt in the data folder"
    assert emotion_coordinates(tmp_path, why_not="the sample has no lexicon").note == "the sample has no lexicon"


def test_lexicon_coordinates_say_where_they_were_read_and_which_words_stand_in(tmp_path):
    write_standin_lexicon(tmp_path)
    fetch_lexicon(tmp_path, "http://127.0.0.1:9/unused")  # the zip in the folder is used, no request
    coords = emotion_coordinates(tmp_path)
    assert coords.note == "read from NRC-VAD-Lexicon/NRC-VAD-Lexicon.txt"
    assert coords.describe().endswith(
        "disagreeableness as 'disagreeable', agreeableness as 'agreeable'; "
        "read from NRC-VAD-Lexicon/NRC-VAD-Lexicon.txt"
    )


def test_a_lexicon_lacking_a_word_names_the_file(tmp_path):
    path = lexicon_path(tmp_path)
    path.parent.mkdir()
    path.write_text(standin_lexicon_text().replace("\nshame\t", "\nshaming\t"))
    with pytest.raises(LexiconError) as err:
        emotion_coordinates(tmp_path)
    assert str(err.value) == "NRC-VAD-Lexicon.txt has no entry for 'shame' (for shame)"


# --- errors that name every wrong entry ---------------------------------------------------------------------


def test_a_mapping_error_names_each_unknown_emotion_and_the_twenty():
    with pytest.raises(ValueError) as err:
        validate_mapping({"bliss": "Calm", "gloom": "Calm", "anger": "Aggressive"})
    assert str(err.value) == (
        "unknown emotion(s) in mapping: bliss, gloom; the 20 are: agreeableness, anger, anticipation, arrogance, "
        "disagreeableness, disgust, fear, gratitude, happiness, humility, love, optimism, pessimism, regret, "
        "sadness, shame, shyness, surprise, trust, neutral"
    )
    with pytest.raises(ValueError) as err:
        validate_mapping({"anger": "Angry"})
    assert str(err.value) == "quadrant(s) outside Aggressive, Euphoric, Melancholy, Calm: {'anger': 'Angry'}"


def test_a_hand_made_artwork_names_each_unknown_emotion():
    with pytest.raises(ValueError) as err:
        shares_frame({"x": {"bliss": 0.5, "gloom": 0.2, "anger": 0.1}})
    assert str(err.value) == "artwork 'x': unknown emotion(s) bliss, gloom"
