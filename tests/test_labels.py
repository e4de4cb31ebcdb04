"""The label logic (SPEC §3) on hand-made artworks with known answers, and on a generated sample."""

import csv

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.datasets.sample import write_sample
from course_utils.labels import (
    CLASS_NAMES,
    COURSE_PLACEMENT,
    QUADRANTS,
    class_counts,
    class_names_of,
    cooccurrence,
    emotion_table,
    grouping_table,
    label_sweep,
    label_table,
    mean_va_targets,
    merge_melancholy,
    presence,
    quadrant_flags,
    quadrant_of_point,
    shares_frame,
    study_mapping,
    va_targets,
    validate_mapping,
)

#: SPEC §3, copied by hand: the study's grouping and the class names in class-index order.
SPEC_GROUPING = {
    "Aggressive": {"anger", "arrogance", "disgust", "fear"},
    "Euphoric": {"anticipation", "happiness", "love", "optimism", "surprise"},
    "Melancholy": {"disagreeableness", "pessimism", "regret", "sadness", "shame"},
    "Calm": {"agreeableness", "gratitude", "humility", "neutral", "shyness", "trust"},
}
SPEC_CLASSES = (
    "Aggressive",
    "Aggressive + Calm",
    "Aggressive + Euphoric",
    "Aggressive + Euphoric + Calm",
    "Calm",
    "Euphoric",
    "Euphoric + Calm",
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("labels") / "sample", n=240, seed=123)


def classes_of(rows: dict, threshold=0.4, mapping=None) -> dict:
    """Class (or None) of each hand-made artwork."""
    found = label_table(shares_frame(rows), threshold, mapping)["class"]
    return {k: (None if pd.isna(v) else v) for k, v in found.items()}


# --- the study's definitions --------------------------------------------------------------------------------


def test_class_names_and_order_are_exactly_the_specs():
    assert CLASS_NAMES == SPEC_CLASSES
    assert list(CLASS_NAMES) == sorted(CLASS_NAMES)  # alphabetical = a directory loader's class-index order


def test_study_mapping_is_the_specs_grouping():
    mapping = study_mapping()
    assert set(mapping) == set(schema.EMOTIONS)
    assert {q: {e for e, mq in mapping.items() if mq == q} for q in QUADRANTS} == SPEC_GROUPING
    table = grouping_table()
    assert list(table.index) == list(QUADRANTS)
    assert set(table.loc["Melancholy", "emotions"].split(", ")) == SPEC_GROUPING["Melancholy"]


def test_each_emotion_lies_in_its_study_quadrant_or_carries_a_note():
    table = emotion_table()
    assert sorted(table.index) == sorted(schema.EMOTIONS)
    assert table[["valence", "arousal"]].abs().le(1).all().all()
    plane = quadrant_of_point(table["valence"].to_numpy(), table["arousal"].to_numpy())
    disagree = table.index[plane != table["quadrant"].to_numpy()]
    assert list(disagree) == ["shyness"]  # our placement vs the study's grouping: the one known disagreement
    for emotion in disagree:
        assert table.loc[emotion, "note"].strip(), f"{emotion} lies outside its study quadrant without a note"
    assert all("study" in note for note in table["note"] if note)  # a note says how it relates to the study


def test_quadrant_of_point_reads_the_plane():
    got = quadrant_of_point(np.array([0.5, -0.5, -0.5, 0.5, 0.0]), np.array([0.5, 0.5, -0.5, -0.5, -0.5]))
    assert list(got) == ["Euphoric", "Aggressive", "Melancholy", "Calm", "Calm"]


def test_zero_arousal_counts_as_aroused():
    """Chapter 03: arousal 0 lies in the aroused half (as valence 0 in the pleasant one), so the points on the
    horizontal axis belong to Euphoric and Aggressive, not to Calm and Melancholy."""
    got = quadrant_of_point(np.array([0.5, -0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, -1e-9]))
    assert list(got) == ["Euphoric", "Aggressive", "Euphoric", "Calm"]


# --- presence: threshold and the neutral rule ------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0.3, 0.4, 0.5])
def test_a_share_exactly_at_the_threshold_counts_and_just_below_does_not(threshold):
    rows = {
        "at": {"anger": threshold},
        "below": {"anger": round(threshold - 0.001, 3)},
        "above": {"anger": round(threshold + 0.001, 3)},
    }
    present = presence(shares_frame(rows), threshold)["anger"]
    assert present.to_dict() == {"at": True, "below": False, "above": True}


def test_point_four_counts_at_point_four_and_point_399_does_not():
    present = presence(shares_frame({"a": {"love": 0.4, "fear": 0.399}}), 0.4).loc["a"]
    assert present["love"] and not present["fear"]
    assert present.sum() == 1


def test_shares_computed_as_fractions_still_count_at_the_threshold():
    share = 0.7 - 0.3  # 0.39999999999999997 in floating point: still "40 %" of annotators
    assert share < 0.4
    assert presence(shares_frame({"a": {"trust": share}}), 0.4).loc["a", "trust"]


def test_neutral_counts_only_when_alone():
    rows = {
        "alone": {"neutral": 0.6},
        "with other": {"neutral": 0.6, "happiness": 0.5},
        "other below": {"neutral": 0.6, "happiness": 0.3},
    }
    assert presence(shares_frame(rows), 0.4)["neutral"].to_dict() == {
        "alone": True,
        "with other": False,
        "other below": True,
    }
    assert classes_of(rows) == {"alone": "Calm", "with other": "Euphoric", "other below": "Calm"}


def test_binary_input_needs_no_threshold_and_keeps_the_neutral_rule():
    ag = shares_frame({"a": {"neutral": 1, "fear": 1}, "b": {"neutral": 1}})
    present = presence(ag, None)
    assert present.loc["a", "fear"] and not present.loc["a", "neutral"] and present.loc["b", "neutral"]


def test_shares_without_a_threshold_are_refused():
    with pytest.raises(ValueError, match="'happiness'.*needs a threshold"):
        presence(shares_frame({"a": {"happiness": 0.6}}), None)


@pytest.mark.parametrize("threshold", [0, -0.1, 1.5])
def test_threshold_outside_zero_one_is_refused(threshold):
    with pytest.raises(ValueError, match=str(threshold)):
        presence(shares_frame({"a": {}}), threshold)


def test_missing_emotion_column_is_named():
    values = shares_frame({"a": {"fear": 0.5}}).drop(columns=["fear", "trust"])
    with pytest.raises(ValueError, match="fear, trust"):
        presence(values, 0.4)


def test_hand_made_artwork_with_an_unknown_emotion_is_refused():
    with pytest.raises(ValueError, match="joy"):
        shares_frame({"a": {"joy": 0.5}})


# --- mappings --------------------------------------------------------------------------------------------------


def test_unknown_emotion_in_a_mapping_is_named():
    with pytest.raises(ValueError, match="unknown emotion.*joy"):
        validate_mapping({**study_mapping(), "joy": "Euphoric"})


def test_quadrant_outside_the_four_is_named():
    with pytest.raises(ValueError, match="Happy"):
        quadrant_flags(presence(shares_frame({"a": {}}), 0.4), {**study_mapping(), "love": "Happy"})


def test_an_alternative_mapping_is_used():
    rows = {"shy": {"shyness": 0.5}, "neutral": {"neutral": 0.5}}
    moved = {**study_mapping(), "shyness": "Melancholy"}
    flags = quadrant_flags(presence(shares_frame(rows), 0.4), moved)
    assert flags.loc["shy"].to_dict() == {
        "Aggressive": False,
        "Euphoric": False,
        "Melancholy": True,
        "Calm": False,
    }
    without_neutral = {e: q for e, q in study_mapping().items() if e != "neutral"}
    assert classes_of(rows, mapping=without_neutral) == {"shy": "Calm", "neutral": None}


# --- quadrants, merging and classes ----------------------------------------------------------------------------


def test_an_artwork_belongs_to_every_quadrant_of_its_present_emotions():
    flags = quadrant_flags(presence(shares_frame({"a": {"fear": 0.5, "love": 0.4, "regret": 0.45}}), 0.4))
    assert flags.loc["a"].to_dict() == {"Aggressive": True, "Euphoric": True, "Melancholy": True, "Calm": False}


def test_melancholy_is_merged_into_calm():
    rows = {
        "sad": {"sadness": 0.5},
        "sad and happy": {"sadness": 0.5, "happiness": 0.5},
        "sad and angry": {"sadness": 0.5, "anger": 0.5},
        "sad and calm": {"sadness": 0.5, "trust": 0.5},
    }
    flags = quadrant_flags(presence(shares_frame(rows), 0.4))
    merged = merge_melancholy(flags)
    assert list(merged.columns) == ["Aggressive", "Euphoric", "Calm"]
    assert merged["Calm"].all() and flags.loc["sad", "Melancholy"] and not flags.loc["sad", "Calm"]
    assert classes_of(rows) == {
        "sad": "Calm",
        "sad and happy": "Euphoric + Calm",
        "sad and angry": "Aggressive + Calm",
        "sad and calm": "Calm",
    }


def test_every_combination_gives_its_class_and_index():
    rows = {
        "A": {"anger": 0.5},
        "AC": {"anger": 0.5, "trust": 0.5},
        "AE": {"anger": 0.5, "love": 0.5},
        "AEC": {"anger": 0.5, "love": 0.5, "shame": 0.5},
        "C": {"humility": 0.5},
        "E": {"surprise": 0.5},
        "EC": {"optimism": 0.5, "gratitude": 0.5},
        "none": {"anger": 0.2, "love": 0.39},
    }
    table = label_table(shares_frame(rows), 0.4)
    expected = dict(zip(["A", "AC", "AE", "AEC", "C", "E", "EC"], SPEC_CLASSES))
    assert {k: v for k, v in table["class"].items() if k != "none"} == expected
    assert pd.isna(table.loc["none", "class"]) and pd.isna(table.loc["none", "class index"])
    assert [int(table.loc[k, "class index"]) for k in expected] == list(range(7))
    assert {"merged Aggressive", "merged Euphoric", "merged Calm", *QUADRANTS} <= set(table.columns)


def test_unlabelled_artworks_are_kept_and_counted():
    rows = {"none": {}, "weak": {"fear": 0.3}, "E": {"love": 0.6}, "E2": {"love": 0.7}, "C": {"trust": 0.4}}
    table = label_table(shares_frame(rows), 0.4)
    assert len(table) == len(rows)
    counts, unlabelled = class_counts(table["class"])
    assert list(counts) == list(SPEC_CLASSES)
    assert counts == {**{c: 0 for c in SPEC_CLASSES}, "Euphoric": 2, "Calm": 1}
    assert unlabelled == 2 and sum(counts.values()) + unlabelled == len(rows)


def test_class_names_of_merged_flags():
    merged = pd.DataFrame({"Aggressive": [True, False], "Euphoric": [True, False], "Calm": [True, False]})
    got = class_names_of(merged)
    assert got.iloc[0] == "Aggressive + Euphoric + Calm" and pd.isna(got.iloc[1])


# --- valence-arousal targets -----------------------------------------------------------------------------------


def test_va_targets_keep_the_votes_intensity_worked_by_hand():
    # the committed placements: happiness (0.80, 0.45), sadness (-0.70, -0.45), love (0.75, 0.30)
    rows = {
        "weak": {"happiness": 0.1},
        "strong": {"happiness": 0.9},
        "mixed": {"happiness": 0.6, "sadness": 0.2},
        "crowded": {"happiness": 0.9, "love": 0.6, "sadness": 0.5},
        "nothing": {},
    }
    va = va_targets(shares_frame(rows))
    # shares adding up to at most 1: the plain share-weighted sum, the rest of the votes at the origin
    np.testing.assert_allclose(va.loc["weak"], [0.08, 0.045])
    np.testing.assert_allclose(va.loc["strong"], [0.72, 0.405])
    # 0.6 * 0.80 + 0.2 * -0.70 = 0.34; 0.6 * 0.45 + 0.2 * -0.45 = 0.18
    np.testing.assert_allclose(va.loc["mixed"], [0.34, 0.18])
    # shares adding up to 2.0: the sum divided by 2, i.e. the weighted mean
    # (0.72 + 0.45 - 0.35) / 2 = 0.41; (0.405 + 0.18 - 0.225) / 2 = 0.18
    np.testing.assert_allclose(va.loc["crowded"], [0.41, 0.18])
    assert va.loc["nothing"].isna().all()


def test_the_mean_rule_puts_a_weak_and_a_strong_vote_at_the_same_point():
    rows = {"weak": {"happiness": 0.1}, "strong": {"happiness": 0.9}, "mixed": {"happiness": 0.6, "sadness": 0.2}}
    mean = mean_va_targets(shares_frame(rows))
    np.testing.assert_allclose(mean.loc["weak"], [0.80, 0.45])
    np.testing.assert_allclose(mean.loc["strong"], [0.80, 0.45])
    np.testing.assert_allclose(mean.loc["mixed"], [(0.48 - 0.14) / 0.8, (0.27 - 0.09) / 0.8])


def test_va_targets_use_the_coordinates_they_are_given():
    coords = emotion_table()[["valence", "arousal"]].copy()
    coords.loc["happiness"] = [0.5, -0.5]
    va = va_targets(shares_frame({"a": {"happiness": 0.4, "anger": 0.2}}), coords)
    np.testing.assert_allclose(va.loc["a"], [0.4 * 0.5 + 0.2 * -0.60, 0.4 * -0.5 + 0.2 * 0.70])
    with pytest.raises(ValueError, match="coordinates missing for: happiness"):
        va_targets(shares_frame({"a": {"happiness": 0.4}}), coords.drop(index="happiness"))


def test_every_committed_coordinate_names_its_source_and_lexicon_word():
    table = emotion_table()
    assert (table["source"] == COURSE_PLACEMENT).all()  # no committed value claims to be measured
    assert table.loc["agreeableness", "lexicon_word"] == "agreeable"  # the lexicon has no "agreeableness"
    assert table.loc["disagreeableness", "lexicon_word"] == "disagreeable"
    others = table.drop(index=["agreeableness", "disagreeableness"])
    assert (others["lexicon_word"] == others.index).all()  # the other 18 are looked up as they are


# --- on a generated sample -------------------------------------------------------------------------------------


#: The archive's column prefix of each scope, copied by hand from the dataset's README.
SPEC_PREFIX = {"art": "Art (image+title): ", "image": "ImageOnly: ", "title": "TitleOnly: "}


def classes_from_the_text(path, scope: str, level: int | None = None) -> dict:
    """Each artwork's class worked out from a file's text without the package: an emotion is present where its
    share is at least ``level``×100 thousandths (All file) or its cell is ``1`` (AgN file, ``level`` None);
    neutral only when nothing else is; quadrants by SPEC_GROUPING with Melancholy folded into Calm, named in
    the order Aggressive, Euphoric, Calm; None without a quadrant."""
    prefix = SPEC_PREFIX[scope]
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    merged = {
        "Aggressive": SPEC_GROUPING["Aggressive"],
        "Euphoric": SPEC_GROUPING["Euphoric"],
        "Calm": SPEC_GROUPING["Calm"] | SPEC_GROUPING["Melancholy"],
    }
    found = {}
    for row in rows:
        cells = {c[len(prefix) :]: row[c] for c in row if c.startswith(prefix)}
        assert len(cells) == 20
        if level is None:
            present = {e for e, v in cells.items() if v == "1"}
        else:
            present = {e for e, v in cells.items() if int(v.replace(".", "")) >= 100 * level}  # "0.400" -> 400
        if len(present) > 1:
            present.discard("neutral")
        found[row["ID"]] = " + ".join(q for q in merged if present & merged[q]) or None
    return found


def as_dict(classes: pd.Series) -> dict:
    return {k: (None if pd.isna(v) else v) for k, v in classes.items()}


@pytest.mark.parametrize("level", [3, 4, 5])
@pytest.mark.parametrize("scope", ["art", "image"])
def test_all_at_a_threshold_and_the_agn_file_give_the_classes_worked_from_the_text(sample, level, scope):
    """`label_table` on the All file at N/10 and on the AgN file (threshold None) both give the classes worked
    out from the files' text by `classes_from_the_text` (no package code in the expectation)."""
    all_file, ag_file = sample.archive_dir / schema.ALL_FILE, sample.archive_dir / schema.AG_FILES[level]
    want = classes_from_the_text(all_file, scope, level)
    assert classes_from_the_text(ag_file, scope) == want  # the AgN file is that threshold, read back
    from_all = label_table(shares(read_table(all_file), scope), level / 10)["class"]
    from_ag = label_table(shares(read_table(ag_file), scope), None)["class"]
    assert as_dict(from_all) == want
    assert as_dict(from_ag) == want
    labelled = [c for c in want.values() if c]
    assert len(labelled) > 100 and len(set(labelled)) >= 5  # a real comparison, not two empty columns


def test_sweep_and_cooccurrence_agree_with_the_label_table(sample):
    table = read_table(sample.archive_dir / schema.ALL_FILE)
    sweep = label_sweep(table, scopes=("art", "image"), thresholds=(0.3, 0.4, 0.5))
    labels = label_table(shares(table, "art"), 0.4)
    counts, unlabelled = class_counts(labels["class"])
    row = sweep.loc[("art", 0.4)]
    assert {c: row[c] for c in SPEC_CLASSES} == counts and row["unlabelled"] == unlabelled
    assert (sweep[list(SPEC_CLASSES)].sum(axis=1) + sweep["unlabelled"] == len(table)).all()
    assert sweep.loc["art", "unlabelled"].is_monotonic_increasing  # a higher threshold leaves more out
    co = cooccurrence(labels[list(QUADRANTS)])
    assert (np.diag(co) == labels[list(QUADRANTS)].sum().to_numpy()).all()
    assert co.loc["Aggressive", "Euphoric"] == (labels["Aggressive"] & labels["Euphoric"]).sum()
    assert (co.to_numpy() == co.to_numpy().T).all()


def test_label_figures_have_titles_and_axis_labels(sample):
    from course_utils.plots import label_plots
    from course_utils.plots.style import check_figure

    table = read_table(sample.archive_dir / schema.ALL_FILE)
    labels = label_table(shares(table, "art"), 0.4)
    figures = [
        label_plots.emotion_plane(),
        label_plots.cooccurrence_heatmap(cooccurrence(labels[list(QUADRANTS)]), 240),
        label_plots.threshold_effect(label_sweep(table), 240),
        label_plots.class_distribution(*class_counts(labels["class"])),
    ]
    for fig in figures:
        assert check_figure(fig) == []
    plane = figures[0].axes[0]
    assert (
        plane.get_xlabel() == "valence (unpleasant → pleasant)"
        and plane.get_ylabel() == "arousal (calm → aroused)"
    )
    assert {t.get_text() for t in plane.texts} >= set(schema.EMOTIONS) | set(QUADRANTS)
