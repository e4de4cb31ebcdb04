"""The human ceiling: how well one annotator's choice predicts the label the other annotators give, and how much
annotators agree on each emotion (Krippendorff's alpha).

A model is scored against a label that annotators made, and annotators disagree. Here each annotator in turn
plays the model: their own chosen emotions → quadrants → a 7-class label (all of it by :mod:`course_utils.labels`),
against the label of the *other* annotators of the same artwork (their shares at the 40 % threshold). Its
accuracy, balanced accuracy and macro-F1 say what a model that predicts like a person could reach.

From the per-annotator file (``WikiArt-annotations.csv``) the choices are the annotators' own. Without it (copies
of the archive often lack it) only each emotion's count is known (:func:`course_utils.data.annotators
.counts_from_shares`), and an annotator is simulated choosing each emotion independently with probability
count/n: the ceiling is then an *estimate*, and says so. Krippendorff's alpha (the ``krippendorff`` package) for
nominal data depends only on each artwork's counts, so it is the same from either source when n is right.
It returns data; :mod:`course_utils.plots.ceiling_plots` draws the ceiling (a line on every comparison figure).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Mapping, Sequence

import krippendorff
import numpy as np
import pandas as pd

from course_utils.analysis.metrics import (
    majority_class,
    scores,
    stratified_predictions,
)
from course_utils.config.study import SEED, THRESHOLD
from course_utils.data import schema
from course_utils.data.annotations import (
    AnnotationError,
    find_file,
    read_table,
    shares,
)
from course_utils.data.annotators import (
    AnnotatorFileError,
    choice_counts,
    counts_from_shares,
    read_annotator_file,
)
from course_utils.data.schema import EMOTIONS
from course_utils.datasets.session import Session, ensure_source
from course_utils.labels import CLASS_NAMES, MERGED, label_table, presence

#: Simulated annotators per artwork when only the shares are known.
DRAWS = 20


#: The share of artworks whose shares the per-annotator file must reproduce to be trusted.
AGREEMENT_NEEDED = 0.9


#: The row of the human ceiling in :attr:`HumanCeiling.scores`.
HUMAN = "one annotator vs the others (human ceiling)"


def who(estimated: bool) -> str:
    """Whose score the ceiling is, in the words every figure and table uses (saying when it is an estimate)."""
    how = ", estimated from the shares" if estimated else ""
    return f"human ceiling (one annotator vs the others{how})"


@dataclasses.dataclass(frozen=True)
class Votes:
    """Each artwork's annotators and votes, and (from the per-annotator file) each annotator's own choices."""

    #: artworks × 20 emotions: how many annotators chose it
    counts: pd.DataFrame
    #: artworks: how many annotators it had
    annotators: pd.Series
    #: (ID, worker) × 20 booleans; None when only the shares are known
    choices: pd.DataFrame | None
    notes: tuple[str, ...]

    @property
    def source(self) -> str:
        """``annotator file`` or ``shares``."""
        return "shares" if self.choices is None else "annotator file"


@dataclasses.dataclass(frozen=True)
class HumanCeiling:
    """The human ceiling's scores with the baselines beside them, agreement per emotion, and how it was made."""

    scores: pd.DataFrame  # rows: HUMAN and the baselines; columns: the metrics of analysis.metrics.scores
    label_f1: pd.Series  # F1 of each merged quadrant read as a label (one annotator's vs the others')
    agreement: pd.DataFrame  # per emotion: Krippendorff's alpha and counts
    source: str  # "annotator file" or "shares"
    coverage: dict[str, int]
    notes: tuple[str, ...]

    @property
    def estimated(self) -> bool:
        """True where the choices were simulated from the shares (no per-annotator file)."""
        return self.source == "shares"

    @property
    def human(self) -> dict[str, float]:
        """The ceiling's value for each metric (and ``F1 <quadrant>`` for label-set comparisons)."""
        return {
            **self.scores.loc[HUMAN].to_dict(),
            **self.label_f1.to_dict(),
        }

    def value(self, metric: str) -> float:
        """The ceiling for one metric; a clear error for a metric it has no value for."""
        if metric not in self.human:
            raise KeyError(
                f"the human ceiling has no value for {metric!r}; it has {', '.join(self.human)}"
            )
        return float(self.human[metric])

    def label(self, metric: str) -> str:
        """The ceiling's legend entry, saying when it is an estimate."""
        return f"{who(self.estimated)}: {self.value(metric):.2f}"

    def describe(self) -> str:
        """A few sentences for a chapter: where the ceiling comes from, its scores, and the notes."""
        row = self.scores.loc[HUMAN]
        base = self.scores.drop(index=HUMAN).iloc[0]
        text = (
            f"Human ceiling from the {self.source} ({self.coverage['artworks']} artworks, "
            f"{self.coverage['pairs scored']} annotator–artwork pairs scored): one annotator predicts the "
            f"others' class with accuracy {row['accuracy']:.3f}, balanced accuracy "
            f"{row['balanced accuracy']:.3f} and macro-F1 {row['macro-F1']:.3f} "
            f"({self.scores.index[1].removeprefix('baseline: ')}: {base['accuracy']:.3f}, "
            f"{base['balanced accuracy']:.3f}, {base['macro-F1']:.3f}). "
            f"Agreement per emotion (Krippendorff's alpha): {self.agreement['alpha'].min():.2f} to "
            f"{self.agreement['alpha'].max():.2f}."
        )
        return " ".join([text, *self.notes])


def reproduced(votes: Votes, values: pd.DataFrame) -> float:
    """The share of the votes' artworks whose counts give the All file's three-decimal shares back."""
    both = votes.counts.index.intersection(values.index)
    if not len(both):
        return 0.0
    back = votes.counts.loc[both].div(votes.annotators.loc[both], axis=0)
    return float(
        (back.sub(values.loc[both]).abs() <= 0.0005 + 1e-9)
        .all(axis=1)
        .mean()
    )


def votes_from_shares(
    values: pd.DataFrame, notes: Sequence[str] = ()
) -> Votes:
    """Votes recovered from three-decimal shares (:func:`course_utils.data.annotators.counts_from_shares`),
    with notes on what had to be assumed."""
    inferred = counts_from_shares(values)
    notes = list(notes)
    loose = int((~inferred.pinned).sum())
    if loose:
        notes.append(
            f"For {loose} of {len(inferred.counts)} artworks the shares fit several panel sizes; the smallest "
            "from 10 on is taken."
        )
    if len(inferred.unresolved):
        notes.append(
            f"{len(inferred.unresolved)} artwork(s) fit no panel of 10 to 30 annotators and are left out."
        )
    return Votes(inferred.counts, inferred.annotators, None, tuple(notes))


def load_votes(folder: str | os.PathLike, scope: str = "art") -> Votes:
    """The votes of one scope: from ``WikiArt-annotations.csv`` where the archive holds it and its counts give
    the All file's shares back, else from the All file's shares (with a note saying why)."""
    folder = Path(folder)
    values = shares(read_table(find_file(folder, schema.ALL_FILE)), scope)
    estimate = (
        "so each annotator's choices are simulated from the All file's shares (each emotion chosen "
        "independently with probability count/n): the ceiling is an estimate."
    )
    try:
        path = find_file(folder, schema.ANNOTATIONS_FILE)
    except AnnotationError:
        return votes_from_shares(
            values,
            [
                f"The archive has no {schema.ANNOTATIONS_FILE} (copies in circulation often lack it), "
                + estimate
            ],
        )
    try:
        found = read_annotator_file(path, scope)
    except AnnotatorFileError as err:
        return votes_from_shares(
            values,
            [
                f"The per-annotator file could not be read ({err}), {estimate}"
            ],
        )
    counts, annotators = choice_counts(found.choices)
    votes = Votes(counts, annotators, found.choices, found.notes)
    agree = reproduced(votes, values)
    if agree < AGREEMENT_NEEDED:
        return votes_from_shares(
            values,
            [
                f"{path.name}'s answers give the All file's {scope} shares back for only {agree:.0%} of "
                f"its artworks (its columns may not be what they seemed), {estimate}"
            ],
        )
    lacking = len(values.index.difference(counts.index))
    notes = list(found.notes)
    if lacking:
        notes.append(
            f"{lacking} artwork(s) of the All file have no answers in {path.name}."
        )
    return dataclasses.replace(votes, notes=tuple(notes))


def emotion_agreement(votes: Votes) -> pd.DataFrame:
    """Per emotion: Krippendorff's alpha (nominal: chosen or not) over the artworks, and how often it was chosen.

    Alpha for nominal data needs only each artwork's counts: ``n − k`` annotators said no, ``k`` yes. It is NaN
    for an emotion nobody (or everybody) chose, where agreement beyond chance is undefined."""
    n = votes.annotators.reindex(votes.counts.index).to_numpy()
    rows = {}
    for emotion in EMOTIONS:
        k = votes.counts[emotion].to_numpy()
        varies = 0 < k.sum() < n.sum()
        rows[emotion] = {
            "alpha": float(
                krippendorff.alpha(
                    value_counts=np.column_stack([n - k, k]),
                    level_of_measurement="nominal",
                )
            )
            if varies
            else float("nan"),
            "chosen (share of answers)": float(k.sum() / n.sum()),
            "artworks chosen by someone": int((k > 0).sum()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "emotion"
    return frame


def labels_of(
    values: pd.DataFrame, threshold: float | None
) -> pd.DataFrame:
    """:func:`course_utils.labels.label_table` of many rows, computed once per distinct presence pattern (it names
    classes row by row; a hundred thousand rows hold a few hundred patterns)."""
    present = presence(values, threshold).astype(int)
    code = present.to_numpy() @ (1 << np.arange(len(EMOTIONS)))
    unique, first, back = np.unique(
        code, return_index=True, return_inverse=True
    )
    table = label_table(present.iloc[first].reset_index(drop=True), None)
    return table.iloc[back.ravel()].set_axis(values.index)


def _annotator_rows(
    votes: Votes, draws: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """One annotator's choices per row (the file's annotators, or ``draws`` simulated ones per artwork) and
    the artwork each row belongs to."""
    if votes.choices is not None:
        chosen = votes.choices.astype(int)
        return chosen.reset_index(drop=True), chosen.index.get_level_values(
            "ID"
        ).to_numpy()
    rng = np.random.default_rng([seed, 7])
    p = votes.counts.to_numpy() / votes.annotators.to_numpy()[:, None]
    ids = np.repeat(votes.counts.index.to_numpy(), draws)
    picked = rng.random((len(ids), len(EMOTIONS))) < np.repeat(
        p, draws, axis=0
    )
    return pd.DataFrame(picked.astype(int), columns=list(EMOTIONS)), ids


def leave_one_out(
    votes: Votes,
    ids: Sequence[str] | None = None,
    draws: int = DRAWS,
    seed: int = SEED,
) -> pd.DataFrame:
    """Each annotator's own class beside the others' class, weighted so
    every artwork counts once.

    Per annotator and artwork: their class and merged quadrants, and the
    class of the other annotators (their shares at the study's threshold).
    Rows where the others give no class are dropped (a model is not scored
    on such artworks), and so are rows where the annotator's own choices
    give none (only ``Other``: they named no quadrant); both are counted
    in ``attrs``."""
    keep = (
        votes.counts.index
        if ids is None
        else votes.counts.index.intersection(pd.Index(ids))
    )
    keep = keep[votes.annotators.reindex(keep).to_numpy() >= 2]
    votes = dataclasses.replace(
        votes,
        counts=votes.counts.loc[keep],
        annotators=votes.annotators.loc[keep],
        choices=None
        if votes.choices is None
        else votes.choices[
            votes.choices.index.get_level_values("ID").isin(keep)
        ],
    )
    own, artwork = _annotator_rows(votes, draws, seed)
    n = votes.annotators.loc[artwork].to_numpy()[:, None]
    others = (votes.counts.loc[artwork].to_numpy() - own.to_numpy()) / (
        n - 1
    )
    own_labels = labels_of(own, None)
    other_labels = labels_of(
        pd.DataFrame(others, columns=list(EMOTIONS)), THRESHOLD
    )
    rows = pd.DataFrame(
        {
            "ID": artwork,
            "own": own_labels["class index"].to_numpy(),
            "others": other_labels["class index"].to_numpy(),
            **{
                f"own {q}": own_labels[f"merged {q}"].to_numpy()
                for q in MERGED
            },
            **{
                f"others {q}": other_labels[f"merged {q}"].to_numpy()
                for q in MERGED
            },
        }
    )
    unlabelled = rows["others"].isna()
    abstained = ~unlabelled & rows["own"].isna()
    scored = rows[~unlabelled & ~abstained].astype(
        {"own": int, "others": int}
    )
    scored["weight"] = 1.0 / scored.groupby("ID")["ID"].transform("size")
    scored.attrs = {
        "artworks": int(scored["ID"].nunique()),
        "pairs": len(rows),
        "pairs scored": len(scored),
        "others give no class": int(unlabelled.sum()),
        "annotator names no quadrant": int(abstained.sum()),
    }
    return scored


def panel_classes(votes: Votes) -> pd.Series:
    """The class index every artwork gets from all its annotators (the label a model is scored against)."""
    full = votes.counts.div(votes.annotators, axis=0)
    return labels_of(full, THRESHOLD)["class index"]


def ceiling_scores(
    pairs: pd.DataFrame,
    panel: pd.Series,
    seed: int = SEED,
    draws: int = 20,
) -> tuple[pd.DataFrame, pd.Series]:
    """The human ceiling's scores beside the two baselines (always the panel labels' majority class; a random
    guesser with their class shares, mean of ``draws``), all on the same weighted pairs; and the F1 of each
    merged quadrant read as a label."""
    from sklearn.metrics import (
        f1_score,
    )  # deferred: scikit-learn is slow to import

    if pairs.empty:
        raise ValueError(
            "no annotator–artwork pair to score: every artwork lacks a class or a second annotator"
        )
    truth = pairs["others"].to_numpy(dtype=int)
    weight = pairs["weight"].to_numpy()
    labels = (
        panel.reindex(pairs["ID"].unique()).dropna().to_numpy(dtype=int)
    )
    majority = majority_class(labels)
    rows = {
        HUMAN: scores(
            truth, pairs["own"].to_numpy(dtype=int), CLASS_NAMES, weight
        ),
        f"baseline: always {CLASS_NAMES[majority]}": scores(
            truth, np.full(len(truth), majority), CLASS_NAMES, weight
        ),
        f"baseline: stratified random (mean of {draws})": pd.DataFrame(
            [
                scores(
                    truth,
                    stratified_predictions(
                        labels, len(truth), len(CLASS_NAMES), seed + i
                    ),
                    CLASS_NAMES,
                    weight,
                )
                for i in range(draws)
            ]
        )
        .mean()
        .to_dict(),
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "predictor"
    label_f1 = pd.Series(
        {
            f"F1 {q}": float(
                f1_score(
                    pairs[f"others {q}"].astype(bool),
                    pairs[f"own {q}"].astype(bool),
                    sample_weight=weight,
                    zero_division=0,
                )
            )
            for q in MERGED
        },
        name=HUMAN,
    )
    return table, label_f1


def ceiling_of(
    votes: Votes,
    ids: Sequence[str] | None = None,
    draws: int = DRAWS,
    seed: int = SEED,
) -> HumanCeiling:
    """The human ceiling and the agreement of a set of votes (on ``ids`` only, where given)."""
    pairs = leave_one_out(votes, ids, draws, seed)
    table, label_f1 = ceiling_scores(pairs, panel_classes(votes), seed)
    chosen = (
        votes
        if ids is None
        else dataclasses.replace(
            votes,
            counts=votes.counts.loc[
                votes.counts.index.intersection(pd.Index(ids))
            ],
        )
    )
    return HumanCeiling(
        scores=table,
        label_f1=label_f1,
        agreement=emotion_agreement(chosen),
        source=votes.source,
        coverage=dict(pairs.attrs),
        notes=votes.notes,
    )


def ceiling_from_folder(
    folder: str | os.PathLike,
    scope: str = "art",
    ids: Sequence[str] | None = None,
    draws: int = DRAWS,
    seed: int = SEED,
) -> HumanCeiling:
    """The human ceiling of an extracted archive folder (see :func:`load_votes` for where the votes come from)."""
    return ceiling_of(load_votes(folder, scope), ids, draws, seed)


def human_ceiling(
    session: Session,
    ids: Sequence[str] | None = None,
    scope: str = "art",
) -> HumanCeiling:
    """What a chapter calls: the human ceiling of this session's data (the artworks ``ids`` only, e.g. a split's
    test images, where given), from the per-annotator file where the archive holds it, else estimated."""
    folder = ensure_source(session).archive_dir
    return ceiling_from_folder(folder, scope, ids, seed=session.seed)


def ceiling_gap(
    table: pd.DataFrame,
    ceiling: HumanCeiling | Mapping[str, float],
    metric: str,
) -> pd.DataFrame:
    """How far each model of a :func:`course_utils.analysis.metrics.metrics_table` is from the ceiling on one
    metric, and what share of the way from the majority baseline (its first baseline row) to the ceiling it
    went (1 = as good as one annotator; 0 or less = no better than the baseline)."""
    top = (
        ceiling.value(metric)
        if isinstance(ceiling, HumanCeiling)
        else float(ceiling[metric])
    )
    is_baseline = (
        table["baseline"].astype(bool)
        if "baseline" in table.columns
        else pd.Series(False, table.index)
    )
    models = table.loc[~is_baseline, metric].astype(float)
    frame = pd.DataFrame(
        {
            metric: models,
            "human ceiling": top,
            "below the ceiling": top - models,
        }
    )
    if is_baseline.any():
        floor = float(table.loc[is_baseline, metric].iloc[0])
        frame["share of the way from the baseline"] = (
            (models - floor) / (top - floor) if top != floor else np.nan
        )
    frame.index.name = "model"
    return frame
