"""The closing note's headline numbers: the original CNN against the majority baseline, the colour baseline and the
human ceiling, side by side, on chapter 10's artist-grouped split, over the profile's seeds. Prints a markdown table.

    COURSE_PROFILE=quick COURSE_DATA=sample .venv/bin/python benchmarks/quick_headline.py

The settings (profile, data, data folder, seed) come from the environment through the session, as in a chapter;
the number of seeds from the profile's budget (``session.budget.seeds``). Each seed draws its own grouped split
and trains the original CNN once (``training.runs.runs_over_seeds``, as chapter 10 does: saved runs are read), and
fits the colour baseline on the same split (``training.baselines.colour_baseline``). The gains over the majority
baseline are ``analysis.uncertainty.compare_over_seeds`` (mean over seeds, spread, and a 95 % interval that
resamples the test artists and the seeds); the human ceiling is ``analysis.ceiling.human_ceiling`` on the first
seed's test artworks (one annotator against the others; on the sample, its generated annotators).
"""

from __future__ import annotations

import argparse

import common  # noqa: F401  (puts src/ on the path)
import numpy as np
from common import header, markdown

from course_utils.analysis import metrics, uncertainty
from course_utils.analysis.ceiling import HUMAN, human_ceiling
from course_utils.datasets.pipeline import artist_map, load_grouped_split
from course_utils.datasets.session import class_folders, open_session
from course_utils.training.baselines import colour_baseline
from course_utils.training.runs import runs_over_seeds

METRICS = ("accuracy", "balanced accuracy")


def cell(row) -> str:
    """A gain as ``+0.123 [+0.05, +0.19]`` (sd 0.01)."""
    sd = "" if np.isnan(row["sd"]) else f", sd {row['sd']:.3f}"
    return f"{row['difference']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]{sd}"


def mean_score(runs, metric: str) -> float:
    """A model's test score, averaged over the seeds' runs."""
    return float(np.mean([uncertainty.point_scores(r.test_true, r.test_pred)[metric] for r in runs]))


def main(argv: list[str] | None = None) -> None:
    """Train or read the runs, compare, print the table."""
    argparse.ArgumentParser(
        description="The closing note's headline numbers (settings from COURSE_PROFILE, COURSE_DATA, "
        "COURSE_DATA_DIR and COURSE_SEED; the seeds from the profile's budget)."
    ).parse_args(argv)
    session = open_session()
    folder = class_folders(session)
    seeds = [session.seed + i for i in range(session.budget.seeds)]
    splits = {s: load_grouped_split(folder, seed=s) for s in seeds}
    originals = runs_over_seeds("original", splits.get, session, seeds)
    colours = [colour_baseline(splits[s], session.with_seed(s)) for s in seeds]
    majority = [metrics.majority_predictions(splits[s].y_train, len(splits[s].y_test)) for s in seeds]
    artists = artist_map(folder)
    gains = {
        "original CNN": uncertainty.compare_over_seeds(
            originals, majority, artists, metrics=METRICS, seed=session.seed
        ),
        "colour baseline": uncertainty.compare_over_seeds(
            colours, majority, artists, metrics=METRICS, seed=session.seed
        ),
    }
    first = splits[seeds[0]]
    ceiling = human_ceiling(session, ids=[str(i) for i in first.test_ids])
    rows = []
    for label, runs in (("original CNN", originals), ("colour baseline", colours)):
        row = {"": label}
        for m in METRICS:
            row[m] = f"{mean_score(runs, m):.3f}"
            row[f"{m}: gain over majority [95 % interval over artists and seeds]"] = cell(gains[label].loc[m])
        rows.append(row)
    majority_row = {"": "majority baseline"}
    for m in METRICS:
        values = [uncertainty.point_scores(splits[s].y_test, p)[m] for s, p in zip(seeds, majority)]
        majority_row[m] = f"{np.mean(values):.3f}"
        majority_row[f"{m}: gain over majority [95 % interval over artists and seeds]"] = "0 (by definition)"
    human = ceiling.scores.loc[HUMAN]
    human_row = {"": f"human ceiling ({ceiling.source}, seed {seeds[0]}'s test artworks)"}
    for m in METRICS:
        human_row[m] = f"{human[m]:.3f}"
        human_row[f"{m}: gain over majority [95 % interval over artists and seeds]"] = "(not a model)"
    rows = [majority_row, *rows, human_row]
    command = (
        f"COURSE_PROFILE={session.profile} COURSE_DATA={session.settings.data} "
        f"COURSE_SEED={session.seed} .venv/bin/python " + "benchmarks/quick_headline.py"
    )
    print(header(command))
    print(
        f"\ndata: {session.source.name} (sample: {session.is_sample}); profile {session.profile}; seeds {seeds}; "
        f"test images per seed: {[len(splits[s].y_test) for s in seeds]}; "
        f"test artists per seed: {[len(set(artists[str(i)] for i in splits[s].test_ids)) for s in seeds]}\n"
    )
    print(markdown(rows))
    print()
    for label, table in gains.items():
        print(f"{label} − majority baseline (compare_over_seeds):")
        print(table.round(4).to_string())
        print()
    print(ceiling.describe())


if __name__ == "__main__":
    main()
