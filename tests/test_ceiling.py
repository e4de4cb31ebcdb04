"""The human ceiling and agreement (analysis/ceiling.py), the per-annotator file's reader (data/annotators.py) and
the sample's per-annotator file, checked against numbers worked by hand.

The hand-worked table: three artworks, four annotators each. With four annotators the other three decide the
label, so an emotion is present for them when two of the three chose it (2/3 ≥ 0.4 > 1/3).

    A: a1 happiness · a2 happiness · a3 happiness · a4 anger
    B: a1 anger + happiness · a2 anger · a3 happiness · a4 sadness
    C: a1 sadness · a2 sadness + trust · a3 trust · a4 Other only (no emotion)

One annotator's class against the others' (leave one out):
    A: a1–a3 Euphoric vs Euphoric (right); a4 Aggressive vs Euphoric (wrong)
    B: a1 — others anger, happiness, sadness 1/3 each: no class (not scored); a2 Aggressive vs Euphoric;
       a3 Euphoric vs Aggressive; a4 Calm (sadness → Melancholy → Calm) vs Aggressive + Euphoric: all wrong
    C: a1 Calm vs Calm (trust 2/3); a2 — others sadness 1/3, trust 1/3: no class; a3 Calm vs Calm (sadness 2/3,
       merged into Calm); a4 named no quadrant (not scored)
Every artwork weighs one, shared among its scored annotators: A 4 × 1/4, B 3 × 1/3, C 2 × 1/2.
    accuracy = (3/4 + 0 + 1) / 3 = 7/12
    recall: Euphoric (3/4) / (1 + 1/3) = 9/16 · Aggressive 0 · Aggressive + Euphoric 0 · Calm 1
    balanced accuracy = (9/16 + 0 + 0 + 1) / 4 = 25/64
    F1 = 2TP / (2TP + FP + FN): Euphoric 1.5 / (1.5 + 1/3 + 7/12) = 18/29 · Calm 2 / (2 + 1/3) = 6/7 · others 0
    macro-F1 (the classes seen) = (18/29 + 6/7) / 4
Merged quadrants read as labels (one annotator's flags vs the others'):
    Euphoric TP 3/4, FP 1/3 (B a3), FN 1/4 + 1/3 + 1/3 (A a4, B a2, B a4): F1 = 1.5 / 2.75 = 6/11
    Calm TP 1, FP 1/3 (B a4): F1 = 6/7 · Aggressive TP 0: F1 = 0
"""

import csv
import io
import math
import shutil

import krippendorff
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from course_utils.analysis import ceiling
from course_utils.config.device import Device
from course_utils.data import annotators, schema
from course_utils.data.annotations import read_table, shares
from course_utils.datasets.sample import write_sample
from course_utils.datasets.session import open_session
from course_utils.labels import CLASS_NAMES
from course_utils.plots import ceiling_plots, error_plots, figures, metric_plots, style, subjectivity_plots

IDS = {"A": "a" * 24, "B": "b" * 24, "C": "c" * 24}

#: artwork → the four annotators' choices (an empty set: only "Other")
HAND = {
    "A": [{"happiness"}, {"happiness"}, {"happiness"}, {"anger"}],
    "B": [{"anger", "happiness"}, {"anger"}, {"happiness"}, {"sadness"}],
    "C": [{"sadness"}, {"sadness", "trust"}, {"trust"}, set()],
}

ACCURACY = 7 / 12
BALANCED = 25 / 64
MACRO_F1 = (18 / 29 + 6 / 7) / 4


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def hand_choices() -> pd.DataFrame:
    """The hand-worked table as (ID, worker) rows of 20 booleans."""
    rows = [
        {"ID": IDS[art], "worker": f"w{i + 1}", **{e: e in chosen for e in schema.EMOTIONS}}
        for art, panel in HAND.items()
        for i, chosen in enumerate(panel)
    ]
    return pd.DataFrame(rows).set_index(["ID", "worker"])


def hand_votes() -> ceiling.Votes:
    choices = hand_choices()
    counts, n = annotators.choice_counts(choices)
    return ceiling.Votes(counts, n, choices, ())


def write_all_file(folder, counts: pd.DataFrame, n: pd.Series) -> None:
    """A minimal All file (ID and the 20 image+title shares, three decimals) for a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    values = counts.div(n, axis=0)
    header = ["ID", *schema.emotion_columns("art")]
    lines = ["\t".join(header)] + [
        "\t".join([ident, *(f"{v:.3f}" for v in row)]) for ident, row in zip(values.index, values.to_numpy())
    ]
    (folder / schema.ALL_FILE).write_bytes(("\r\n".join(lines) + "\r\n").encode())


# --- agreement ---------------------------------------------------------------------------------------------


def test_alpha_of_a_hand_worked_table_equals_krippendorffs():
    # happiness chosen by 4, 2 and 0 of 4 annotators: n = 12 values, 6 yes and 6 no. Only the 2-2 artwork has
    # disagreeing pairs: D_o = (2·2·2/3)/12 = 2/9; D_e = 2·6·6/(12·11) = 6/11; alpha = 1 − (2/9)/(6/11) = 16/27
    counts = pd.DataFrame(0, index=["x", "y", "z"], columns=list(schema.EMOTIONS))
    counts["happiness"] = [4, 2, 0]
    votes = ceiling.Votes(counts, pd.Series(4, index=counts.index), None, ())
    table = ceiling.emotion_agreement(votes)
    assert table.loc["happiness", "alpha"] == pytest.approx(16 / 27)
    # the library again, fed each annotator's answer instead of the counts
    answers = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [1, 0, 0]], dtype=float)
    assert table.loc["happiness", "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=answers, level_of_measurement="nominal")
    )
    assert math.isnan(table.loc["anger", "alpha"])  # nobody chose it: agreement beyond chance is undefined
    assert table.loc["happiness", "chosen (share of answers)"] == pytest.approx(6 / 12)


def test_alpha_from_the_file_and_from_the_shares_is_the_same():
    # panels of 10 and 11 (from 10 on, as the archive's): the shares name them, and alpha needs only the counts
    counts = pd.DataFrame(0, index=list("vwxyz"), columns=list(schema.EMOTIONS))
    counts["happiness"] = [10, 5, 0, 3, 4]
    counts["anger"] = [0, 1, 2, 0, 11]
    n = pd.Series([10, 10, 10, 10, 11], index=counts.index)
    votes = ceiling.Votes(counts, n, None, ())
    values = votes.counts.div(votes.annotators, axis=0).round(3)
    from_shares = ceiling.votes_from_shares(values)
    pd.testing.assert_series_equal(from_shares.annotators, votes.annotators, check_names=False)
    pd.testing.assert_frame_equal(ceiling.emotion_agreement(from_shares), ceiling.emotion_agreement(votes))


# --- the ceiling -------------------------------------------------------------------------------------------


def test_ceiling_of_the_hand_worked_table():
    result = ceiling.ceiling_of(hand_votes())
    human = result.scores.loc[ceiling.HUMAN]
    assert human["accuracy"] == pytest.approx(ACCURACY)
    assert human["balanced accuracy"] == pytest.approx(BALANCED)
    assert human["macro-F1"] == pytest.approx(MACRO_F1)
    assert result.label_f1.to_dict() == pytest.approx(
        {"F1 Aggressive": 0.0, "F1 Euphoric": 6 / 11, "F1 Calm": 6 / 7}
    )
    assert result.coverage == {
        "artworks": 3,
        "pairs": 12,
        "pairs scored": 9,
        "others give no class": 2,
        "annotator names no quadrant": 1,
    }
    assert result.source == "annotator file" and not result.estimated


def test_the_baselines_beside_it_score_the_same_weighted_pairs():
    # panel labels: A Euphoric, B Aggressive + Euphoric (anger 2/4, happiness 2/4), C Calm; the tie is broken
    # by the lowest class index, Aggressive + Euphoric, which is the others' label only for B a4 (weight 1/3)
    result = ceiling.ceiling_of(hand_votes())
    majority = result.scores.loc["baseline: always Aggressive + Euphoric"]
    assert majority["accuracy"] == pytest.approx((1 / 3) / 3)
    assert list(result.scores.index)[0] == ceiling.HUMAN and len(result.scores) == 3


def test_the_annotator_is_left_out_of_the_others_label():
    pairs = ceiling.leave_one_out(hand_votes())
    b = pairs[pairs["ID"] == IDS["B"]]
    # B a2 chose anger only; with a2 counted among the others anger would be 2/4 and the label Aggressive + Euphoric
    assert [CLASS_NAMES[i] for i in b["others"]] == ["Euphoric", "Aggressive", "Aggressive + Euphoric"]
    assert b["weight"].tolist() == pytest.approx([1 / 3] * 3)


def test_ids_restrict_the_ceiling_to_those_artworks():
    result = ceiling.ceiling_of(hand_votes(), ids=[IDS["A"], IDS["C"]])
    assert result.scores.loc[ceiling.HUMAN, "accuracy"] == pytest.approx((3 / 4 + 1) / 2)
    assert result.coverage["artworks"] == 2


def test_the_estimate_from_shares_simulates_independent_choices():
    # five annotators, all chose happiness, one chose anger. A simulated annotator always has happiness and anger
    # with probability 1/5; the other four then have happiness 4/4 and anger at most 1/4: Euphoric. Own class:
    # Euphoric (p = 4/5) or Aggressive + Euphoric: expected accuracy 0.8
    values = pd.DataFrame(0.0, index=["x" * 24], columns=list(schema.EMOTIONS))
    values.loc[:, ["happiness", "anger"]] = [1.0, 0.2]
    votes = ceiling.votes_from_shares(values)
    assert votes.source == "shares" and votes.annotators.iloc[0] == 10  # 0.2 fits 10 first (2 of 10)
    result = ceiling.ceiling_of(votes, draws=4000, seed=1)
    assert result.estimated
    assert result.scores.loc[ceiling.HUMAN, "accuracy"] == pytest.approx(0.8, abs=0.03)


# --- counts from shares ----------------------------------------------------------------------------------------


def test_counts_from_shares_take_the_smallest_panel_and_say_when_it_is_pinned():
    values = pd.DataFrame(0.0, index=list("pqrst"), columns=list(schema.EMOTIONS))
    values.loc["p", ["happiness", "anger"]] = [0.333, 0.083]  # 4/12 and 1/12: n = 12, pinned
    values.loc["q", "happiness"] = 0.5  # 5/10, 6/12, 7/14 … all fit: 10 taken, not pinned
    values.loc["r", ["love", "fear"]] = [0.4, 0.1]  # 4/10, 1/10: n = 10, pinned
    values.loc["s", "trust"] = 0.037  # 1/27
    values.loc["t", "trust"] = 0.001  # needs 1,000 annotators: no n up to 30 fits
    inferred = annotators.counts_from_shares(values)
    assert inferred.annotators.to_dict() == {"p": 12, "q": 10, "r": 10, "s": 27}
    assert inferred.pinned.to_dict() == {"p": True, "q": False, "r": True, "s": True}
    assert inferred.counts.loc["p", ["happiness", "anger"]].tolist() == [4, 1]
    assert inferred.counts.loc["q", "happiness"] == 5
    assert list(inferred.unresolved) == ["t"]


# --- the tolerant reader ---------------------------------------------------------------------------------------


def other_layout(line_end: str = "\r\n", scenarios: bool = True) -> bytes:
    """The hand-worked table in a layout unlike the sample's: long (one answer per line), a ``Rater`` column,
    scenario numbers in the names, capitalised emotions, README wordings, ``n``, Other, a BOM and a rating."""
    word = {"happiness": "Happiness, calmness, pleasure, or joy", "anger": "ANGER"}
    part = (lambda s: f"Part {s}") if scenarios else (lambda s: "Answer")
    header = ["Rater", f"{part('I')} item", f"{part('I')} feelings"]
    header += [f"{part('II')} item", f"{part('II')} feelings"]
    header += [f"{part('III')} item", f"{part('III')} feelings", f"{part('III')} rating"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    for art, panel in HAND.items():
        for i, chosen in enumerate(panel):
            names = [word.get(e, e) for e in sorted(chosen)] or ["Other: wistful, a bit"]
            field = "\n".join(names)
            # the image-only and title-only answers are someone else's: here all say neutral ("n")
            writer.writerow([f"r{i}", IDS[art], "n", IDS[art], "n", IDS[art], field, "2"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def test_reader_finds_the_columns_of_another_layout_with_windows_line_ends(tmp_path):
    path = tmp_path / "WikiArt-annotations.csv"
    path.write_bytes(other_layout("\r\n"))
    found = annotators.read_annotator_file(path, "art")
    expected = hand_choices().rename(index=lambda w: f"r{int(w[1:]) - 1}" if w.startswith("w") else w, level=1)
    pd.testing.assert_frame_equal(found.choices.sort_index(), expected.sort_index())
    image = annotators.read_annotator_file(path, "image").choices
    assert image["neutral"].all() and image.drop(columns="neutral").sum().sum() == 0


def test_reader_with_unix_line_ends_and_no_scenario_in_the_names_takes_the_readme_order(tmp_path):
    path = tmp_path / "WikiArt-annotations.csv"
    path.write_bytes(other_layout("\n", scenarios=False))
    found = annotators.read_annotator_file(path, "art")
    counts, n = annotators.choice_counts(found.choices)
    assert counts.loc[IDS["B"], ["anger", "happiness", "sadness"]].tolist() == [2, 2, 1]
    assert n.tolist() == [4, 4, 4]
    assert any("README's order" in note for note in found.notes)


def test_parse_choices_reads_newlines_wordings_neutral_and_other():
    assert annotators.parse_choices("sadness\r\nN\nOther: wistful") == (
        frozenset({"sadness", "neutral"}),
        True,
        (),
    )
    assert annotators.parse_choices("love, trust") == (frozenset({"love", "trust"}), False, ())
    assert annotators.parse_choices("gratitude, thankfulness, or feeling indebted")[0] == {"gratitude"}
    assert annotators.parse_choices("wistful") == (frozenset(), False, ("wistful",))


def test_ceiling_from_a_folder_with_the_other_layout_is_the_hand_worked_one(tmp_path):
    votes = hand_votes()
    write_all_file(tmp_path, votes.counts, votes.annotators)
    (tmp_path / schema.ANNOTATIONS_FILE).write_bytes(other_layout())
    result = ceiling.ceiling_from_folder(tmp_path)
    assert result.source == "annotator file"
    assert result.scores.loc[ceiling.HUMAN, "accuracy"] == pytest.approx(ACCURACY)
    assert result.scores.loc[ceiling.HUMAN, "macro-F1"] == pytest.approx(MACRO_F1)


# --- falling back to the shares -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("ceiling") / "s", n=60, seed=7, images=False)


def copy_of(sample, tmp_path):
    folder = tmp_path / "archive"
    shutil.copytree(sample.archive_dir, folder)
    return folder


def test_without_the_file_the_ceiling_is_estimated_from_the_shares_and_says_so(small_sample, tmp_path):
    folder = copy_of(small_sample, tmp_path)
    (folder / schema.ANNOTATIONS_FILE).unlink()
    result = ceiling.ceiling_from_folder(folder)
    assert result.source == "shares" and result.estimated
    assert f"The archive has no {schema.ANNOTATIONS_FILE}" in result.notes[0]
    assert "estimate" in result.notes[0] and result.notes[0] in result.describe()
    assert "estimated from the shares" in result.label("macro-F1")


def test_an_unreadable_file_falls_back_with_its_reason(small_sample, tmp_path):
    folder = copy_of(small_sample, tmp_path)
    (folder / schema.ANNOTATIONS_FILE).write_text("worker,comment\r\n1,lovely\r\n2,dark\r\n")
    result = ceiling.ceiling_from_folder(folder)
    assert result.source == "shares"
    assert "could not be read" in result.notes[0] and "need both" in result.notes[0]


def test_a_file_whose_answers_do_not_give_the_shares_is_not_trusted(small_sample, tmp_path):
    folder = copy_of(small_sample, tmp_path)
    path = folder / schema.ANNOTATIONS_FILE
    table = read_table(folder / schema.ALL_FILE)
    ids = list(table.index)
    text = path.read_text()
    for a, b in zip(ids, ids[1:] + ids[:1]):  # every artwork's answers moved to the next artwork
        text = text.replace(a, b.upper())
    path.write_text(text.lower().replace("worker id", "Worker ID"))
    result = ceiling.ceiling_from_folder(folder)
    assert result.source == "shares"
    assert "give the All file's art shares back for only" in result.notes[0]


# --- the sample ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", list(schema.SCOPES))
def test_the_samples_per_annotator_file_gives_the_all_shares_exactly(small_sample, scope):
    values = shares(read_table(small_sample.archive_dir / schema.ALL_FILE), scope)
    found = annotators.read_annotator_file(small_sample.archive_dir / schema.ANNOTATIONS_FILE, scope)
    counts, n = annotators.choice_counts(found.choices)
    assert found.notes == () and set(counts.index) == set(values.index)
    back = counts.div(n, axis=0).reindex(values.index)
    assert (back.sub(values).abs() <= 0.0005 + 1e-12).all().all()
    assert (n >= annotators.MIN_ANNOTATORS).all()


def test_on_the_sample_the_file_and_the_estimate_from_shares_agree(small_sample):
    # the sample hands out each emotion's votes independently, the assumption of the estimate: the two agree
    # up to the simulation's noise
    from_file = ceiling.ceiling_from_folder(small_sample.archive_dir)
    values = shares(read_table(small_sample.archive_dir / schema.ALL_FILE))
    estimate = ceiling.ceiling_of(ceiling.votes_from_shares(values), draws=200)
    assert from_file.source == "annotator file" and estimate.source == "shares"
    for metric in ("accuracy", "balanced accuracy", "macro-F1"):
        assert estimate.value(metric) == pytest.approx(from_file.value(metric), abs=0.05), metric
    pd.testing.assert_series_equal(estimate.agreement["alpha"], from_file.agreement["alpha"])


def test_human_ceiling_of_a_session():
    session = open_session(device=Device("CPU", "test", None, 1))  # the suite's: smoke profile, the sample
    result = ceiling.human_ceiling(session)
    assert result.source == "annotator file" and result.notes == ()
    human, majority = result.scores.iloc[0], result.scores.iloc[1]
    assert human["macro-F1"] > majority["macro-F1"]  # people agree more than "always the largest class"
    assert result.agreement["alpha"].between(-1, 1).all()


def test_gap_to_the_ceiling_in_numbers():
    table = pd.DataFrame(
        {"macro-F1": [0.10, 0.30, 0.50], "baseline": [True, False, False]},
        index=["baseline: always Euphoric", "small CNN", "big CNN"],
    )
    gap = ceiling.ceiling_gap(table, {"macro-F1": 0.40}, "macro-F1")
    assert gap["below the ceiling"].tolist() == pytest.approx([0.10, -0.10])
    assert gap["share of the way from the baseline"].tolist() == pytest.approx([2 / 3, 4 / 3])


# --- figures ------------------------------------------------------------------------------------------------


def ceiling_lines(ax):
    """The ceiling's lines on an axes (drawn in its colour and width), by their legend text."""
    found = [ln for ln in ax.get_lines() if ln.get_linewidth() == style.CEILING_LINE["linewidth"]]
    found += [c for c in ax.collections if list(c.get_linewidths()) == [style.CEILING_LINE["linewidth"]]]
    return found


def test_plot_comparison_draws_the_ceiling_as_a_labelled_line():
    result = ceiling.ceiling_of(hand_votes())
    table = pd.DataFrame(
        {"macro-F1": [0.1, 0.3], "baseline": [True, False]}, index=["baseline: always Euphoric", "CNN"]
    )
    fig = metric_plots.plot_comparison(table, "macro-F1", ceiling=result)
    ax = fig.axes[0]
    (line,) = ceiling_lines(ax)
    assert line.get_ydata()[0] == pytest.approx(MACRO_F1)
    assert line.get_label() == f"human ceiling (one annotator vs the others): {MACRO_F1:.2f}"
    assert ax.get_ylim()[1] >= MACRO_F1 and style.check_figure(fig) == []
    assert not ceiling_lines(metric_plots.plot_comparison(table, "macro-F1").axes[0])


def test_every_comparison_figure_takes_the_ceiling():
    estimate = ceiling.ceiling_of(hand_votes())
    per_seed = pd.DataFrame(
        {"accuracy": [0.5, 0.4], "balanced accuracy": [0.3, 0.2], "macro-F1": [0.2, 0.1]},
        index=pd.MultiIndex.from_tuples([("random", 1), ("grouped", 1)]),
    )
    groups = pd.DataFrame(
        {
            "n": [5, 6],
            "accuracy": [0.4, 0.6],
            "accuracy low": [0.2, 0.3],
            "accuracy high": [0.6, 0.8],
            "majority share": [0.5, 0.5],
        },
        index=["face", "none"],
    )
    errors = pd.DataFrame({"error rate": [0.3], "error low": [0.2], "error high": [0.4], "n": [9]}, index=["all"])
    bars = pd.DataFrame({"model": [0.5, 0.4, 0.8]}, index=["Aggressive", "Euphoric", "Calm"])
    figs = {
        "split gap": metric_plots.plot_split_gap(per_seed, ceiling=estimate),
        "grouped bars": figures.grouped_bars(bars, "F1", "label", "F1", ceiling=estimate, ceiling_metric="F1 {}"),
        "group accuracy": subjectivity_plots.plot_group_accuracy({"Face": groups}, ceiling=estimate),
        "error rates": error_plots.error_rate_bars(errors, "Errors", ceiling=estimate),
        "ceiling": ceiling_plots.plot_ceiling(estimate),
        "agreement": ceiling_plots.plot_agreement(estimate),
    }
    for name, fig in figs.items():
        assert style.check_figure(fig) == [], name
    seg = ceiling_lines(figs["grouped bars"].axes[0])
    assert [s.get_segments()[0][0][1] for s in seg] == pytest.approx([0.0, 6 / 11, 6 / 7])
    (line,) = ceiling_lines(figs["error rates"].axes[0])
    assert line.get_xdata()[0] == pytest.approx(1 - ACCURACY)
    assert "error rate" in line.get_label()
    assert len(ceiling_lines(figs["split gap"].axes[0])) == 3
