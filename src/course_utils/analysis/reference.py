"""Reference results: the course's headline numbers from one run of a profile on one data source, as data.

:func:`reference_results` computes every section of :data:`SECTIONS` for a session and returns one document of
numbers, class names and model names (no image, annotation, title, artist, artwork ID or URL: the dataset's
terms forbid passing its data on); :mod:`course_utils.analysis.reference_file` writes, reads and tabulates it.
A section is a function of a :class:`Reference`, which makes the data, the splits and the runs once, on first
use, with the package's own functions (``class_folders``, ``load_grouped_split``, ``study_runs``,
``metrics_table``, ``interval_table`` …), so a run the chapters already trained is read, not trained again.
A new section is one line in :data:`SECTIONS`.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime, timezone
from functools import cached_property
from importlib import metadata

from course_utils.analysis import metrics, uncertainty
from course_utils.analysis.reference_file import (
    SCHEMA,
    SCHEMA_VERSION,
    check,
    plain,
)
from course_utils.analysis.study import (
    REPORTED_EPOCHS,
    REPORTED_RMSE,
    REPORTED_TRAIN_ACCURACY,
    REPORTED_VAL_ACCURACY,
    run_scores,
)
from course_utils.config.device import quiet_retracing_notice
from course_utils.config.study import IMAGE_SIZE, THRESHOLD
from course_utils.datasets.coverage import NO_CLASS, class_coverage
from course_utils.datasets.pipeline import (
    GroupedSplit,
    Split,
    load_grouped_split,
    load_split,
)
from course_utils.datasets.session import Session, class_folders
from course_utils.models.cnns import NAMES, STUDY_PARAMS, TITLES
from course_utils.training.runs import epochs_for, study_runs

#: The stratified baseline's draws on validation (the mean is shown), as chapter 10 draws them.
DRAWS = 50

#: The packages whose versions the file records.
PACKAGES = (
    "course-utils",
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "pillow",
)


class Reference:
    """One reference run's data, splits and runs, each made once (on first use) and shared by the sections."""

    def __init__(self, session: Session):
        self.session = session

    @cached_property
    def folder(self):
        """The prepared class folders (the data fetched or generated first)."""
        return class_folders(self.session)

    @cached_property
    def grouped(self) -> GroupedSplit:
        """The training/validation/test split grouped by artist (chapter 10 on)."""
        return load_grouped_split(self.folder, seed=self.session.seed)

    @cached_property
    def study(self) -> Split:
        """The study's 80/20 split (chapters 05–09)."""
        return load_split(self.folder, seed=self.session.seed)

    @cached_property
    def grouped_runs(self) -> dict:
        """The five models on the grouped split (saved runs read, others trained)."""
        return study_runs(self.grouped, self.session)

    @cached_property
    def study_runs(self) -> dict:
        """The five models on the study's split (saved runs read, others trained)."""
        return study_runs(self.study, self.session)


def version(package: str) -> str | None:
    """An installed package's version (None where it is not installed as a distribution)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def about(ref: Reference) -> dict:
    """Which data, profile, labels and models: what the numbers are numbers of."""
    session = ref.session
    return {
        "data": session.source.name,
        "real data": not session.is_sample,
        "profile": session.profile,
        "sample artworks": session.budget.sample_size
        if session.is_sample
        else None,
        "scope": "art",
        "threshold": THRESHOLD,
        "image size": IMAGE_SIZE,
        "epochs": {
            name: epochs_for(name, session.profile) for name in NAMES
        },
        "model titles": {name: TITLES[name] for name in NAMES},
    }


def environment(ref: Reference) -> dict:
    """Python, the platform, the device and the versions of the packages that shape the numbers."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "device": asdict(ref.session.device),
        "packages": {name: version(name) for name in PACKAGES},
    }


def seeds(ref: Reference) -> dict:
    """Every seed the numbers depend on, and the resampling they went through."""
    seed = ref.session.seed
    return {
        "seed": seed,
        "study split": seed,
        "grouped split": seed,
        "training": seed,
        "bootstrap": seed,
        "bootstrap resamples": uncertainty.RESAMPLES,
        "stratified baseline": seed,
        "stratified baseline draws (validation)": DRAWS,
        "stratified baseline draws (test)": 1,
    }


def coverage(ref: Reference) -> dict:
    """Artworks per class and how many of them have an image (most 2018 image links of WikiArt are dead)."""
    ref.folder  # the data exist once the folders are made
    counts = class_coverage(ref.session.source)
    return {
        "artworks": int(counts["artworks"].sum()),
        "with an image": int(counts["with an image"].sum()),
        "no class": int(counts.loc[NO_CLASS, "artworks"]),
        "by class": counts,
    }


def chosen_model(table) -> str:
    """The model (not a baseline) with the highest validation macro-F1; on a tie the first in the table."""
    models = table[~table["baseline"].astype(bool)]
    return str(models["macro-F1"].idxmax())


def grouped_split(ref: Reference) -> dict:
    """The honest numbers: the five models and both baselines on validation; the model chosen there, and the
    baselines, on the held-out test images with bootstrap intervals; the chosen model against the majority."""
    split, runs, seed = ref.grouped, ref.grouped_runs, ref.session.seed
    names = list(split.class_names)
    table = metrics.metrics_table(
        runs, y_train=split.y_train, seed=seed, draws=DRAWS
    )
    chosen = chosen_model(table)
    majority = names[metrics.majority_class(split.y_train)]
    always = metrics.majority_predictions(split.y_train, len(split.y_test))
    stratified = metrics.stratified_predictions(
        split.y_train, len(split.y_test), len(names), seed
    )
    on_test = uncertainty.interval_table(
        {
            chosen: (runs[chosen].test_true, runs[chosen].test_pred),
            f"baseline: always {majority}": (split.y_test, always),
            "baseline: stratified random (one draw)": (
                split.y_test,
                stratified,
            ),
        },
        seed=seed,
    )
    versus = uncertainty.compare(
        split.y_test, runs[chosen].test_pred, always, seed=seed
    )
    return {
        "sizes": {
            "training": len(split.y_train),
            "validation": len(split.y_val),
            "test": len(split.y_test),
            "classes": len(names),
            "grouped by artist": split.by_artist,
        },
        "classes": names,
        "left out": dict(split.dropped),
        "validation": table,
        "chosen": {"model": chosen, "by": "validation macro-F1"},
        "test": on_test,
        "test: chosen − majority": versus,
        "intervals": {
            "method": "percentile bootstrap over test images",
            "resamples": uncertainty.RESAMPLES,
            "confidence": 0.95,
        },
    }


def study_split(ref: Reference) -> dict:
    """The study's own numbers on its own split (80/20, seed 123): this run's validation accuracy, training
    accuracy and RMSE over class indices beside what the study reported."""
    split = ref.study
    low, high = (float(x) for x in REPORTED_VAL_ACCURACY.split("–"))
    rows = {}
    for name, run in ref.study_runs.items():
        ours = run_scores(run)
        rows[name] = {
            "validation accuracy": ours["validation accuracy"],
            "reported validation accuracy (low)": low,
            "reported validation accuracy (high)": high,
            "study RMSE": ours["study RMSE (class indices)"],
            "reported study RMSE": REPORTED_RMSE.get(name),
            "training accuracy (last epoch)": ours[
                "training accuracy (last epoch)"
            ],
            "reported training accuracy": REPORTED_TRAIN_ACCURACY.get(name),
            "majority-class share (validation)": ours[
                "majority-class share (validation)"
            ],
            "epochs": run.epochs,
            "reported epochs": REPORTED_EPOCHS.get(name),
            "parameters": run.params,
            "reported parameters": STUDY_PARAMS.get(name),
        }
    return {
        "sizes": {
            "training": len(split.y_train),
            "validation": len(split.y_val),
            "classes": len(split.class_names),
        },
        "classes": list(split.class_names),
        "models": rows,
    }


#: The sections of a results file, in order: name → function of the :class:`Reference`. A new section is one
#: line here (e.g. ``"cluster_bootstrap": cluster_bootstrap,``); the page shows it as a table.
SECTIONS: Mapping[str, Callable[[Reference], dict]] = {
    "about": about,
    "environment": environment,
    "seeds": seeds,
    "coverage": coverage,
    "grouped_split": grouped_split,
    "study_split": study_split,
}


def now() -> str:
    """The time in UTC, to the second, as ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def reference_results(
    session: Session,
    command: str = "",
    sections: Mapping[str, Callable[[Reference], dict]] = SECTIONS,
) -> dict:
    """Every section for this session, with the run's command, dates and seconds (in all and per section): the
    document ``course-utils reference`` writes, checked."""
    quiet_retracing_notice()  # ten models in one process: expected, not a problem
    ref, started, start = Reference(session), now(), time.perf_counter()
    made, seconds = {}, {}
    for name, section in sections.items():
        begin = time.perf_counter()
        made[name] = plain(section(ref))
        seconds[name] = round(time.perf_counter() - begin, 3)
    run = {
        "command": command,
        "started": started,
        "finished": now(),
        "seconds": round(time.perf_counter() - start, 3),
        "seconds by section": seconds,
    }
    return check(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "run": run,
            **made,
        }
    )
