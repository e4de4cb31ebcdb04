"""The reference-results file: its format, writing, reading and checking, and its tables for the book's page.

``course-utils reference`` (:mod:`course_utils.analysis.reference`) writes one JSON document of numbers, class
names and model names, never an image, an annotation, a title, an artist, an artwork's ID or a URL (the dataset's
terms forbid passing its data on). The document holds :data:`SCHEMA`, :data:`SCHEMA_VERSION`, the ``run`` (command,
dates, seconds) and one entry per section; :data:`CORE_SECTIONS` must be there. A reader of the file ignores or
shows generically any other section, so a new section needs no new version; a changed meaning of an existing
field raises :data:`SCHEMA_VERSION`. Nothing here imports TensorFlow: the book's page reads the file with it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.analysis.uncertainty import METRICS, with_intervals
from course_utils.data.files import write_atomic

#: What the document is (its first key).
SCHEMA = "emotions-in-art reference results"

#: Raised when a field's meaning changes; a new section needs no new version.
SCHEMA_VERSION = 1

#: The sections every file holds, in the order the page shows them.
CORE_SECTIONS = (
    "run",
    "about",
    "environment",
    "seeds",
    "coverage",
    "grouped_split",
    "study_split",
)

#: Where the book's page looks for the file, from its own folder (book/).
PAGE_PATH = Path("reference") / "results.json"

#: The same file from the repository's root: where a run is committed.
REPOSITORY_PATH = Path("book") / PAGE_PATH

#: The command that makes the file a lecturer commits (book/reference_results.md shows it).
FULL_COMMAND = (
    f"course-utils reference --profile full --out {REPOSITORY_PATH}"
)

#: The page's captions of the sections it shows generically (a new section may add its line here).
TITLES = {}


class ResultsError(ValueError):
    """A results file that is not one: bad JSON, another schema or version, a section missing."""


def plain(value):
    """``value`` as JSON's numbers, strings, booleans, null, lists and objects: NumPy scalars and arrays become
    Python ones, NaN and infinities null (strict JSON has neither), tuples lists; anything else is an error."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA:
        return None
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, pd.DataFrame):
        return plain(value.to_dict(orient="index"))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    raise TypeError(
        f"{type(value).__name__} is not a number, string or table: a "
        "results file holds numbers only"
    )


def check(doc: Mapping, label: str = "results") -> dict:
    """The document, when it is a results file of a version this package reads; else an error naming what
    is wrong."""
    if not isinstance(doc, Mapping) or doc.get("schema") != SCHEMA:
        raise ResultsError(
            f"{label}: not a reference-results file (no schema {SCHEMA!r})"
        )
    version = doc.get("schema_version")
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise ResultsError(
            f"{label}: schema version {version!r}; this package reads 1 … {SCHEMA_VERSION}: update course-utils"
        )
    missing = [
        s for s in CORE_SECTIONS if not isinstance(doc.get(s), Mapping)
    ]
    if missing:
        raise ResultsError(
            f"{label}: section(s) {', '.join(missing)} missing"
        )
    return dict(doc)


def dumps(doc: Mapping) -> str:
    """The file's text: checked, strict JSON (no NaN), one key per line."""
    return (
        json.dumps(
            check(plain(doc)), indent=1, ensure_ascii=False, allow_nan=False
        )
        + "\n"
    )


def write_results(doc: Mapping, path: str | Path) -> Path:
    """Write a results document atomically (a reader never sees half of it); returns the path."""
    path = Path(path)
    write_atomic(path, dumps(doc))
    return path


def _no_constant(name: str):
    """JSON's NaN and Infinity are no numbers a results file may hold."""
    raise ValueError(f"{name} is not allowed")


def read_results(path: str | Path) -> dict | None:
    """The checked document in ``path``, or None when there is no such file (no reference run yet)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        doc = json.loads(
            path.read_text(encoding="utf-8"), parse_constant=_no_constant
        )
    except ValueError as err:
        raise ResultsError(f"{path.name}: not valid JSON ({err})") from None
    return check(doc, path.name)


def duration(seconds: float) -> str:
    """Seconds as a reader says them: ``42 s``, ``7 min 5 s``, ``2 h 3 min``."""
    seconds = round(float(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m} min"


def device_text(device: Mapping) -> str:
    """A device as the banner names it: ``GPU (Tesla T4, 15.0 GiB)`` or ``CPU (2 CPU cores)``."""
    memory = (
        f", {device['memory_gib']} GiB" if device.get("memory_gib") else ""
    )
    count = f" ×{device['count']}" if (device.get("count") or 1) > 1 else ""
    return f"{device.get('kind', '?')}{count} ({device.get('name', '?')}{memory})"


def data_text(about: Mapping) -> str:
    """Which data produced the numbers, said so that sample numbers are never taken for WikiArt results."""
    if about.get("real data"):
        return "WikiArt Emotions (the real data)"
    return (
        "the offline SAMPLE the course generates (not WikiArt): they are not WikiArt results, only a check "
        "that the command runs"
    )


def absent_statement(shown: str | Path = REPOSITORY_PATH) -> str:
    """What the page says when there is no results file."""
    return (
        f"No reference run yet: this build has no {shown}. To make one, run\n\n"
        f"    {FULL_COMMAND}\n\n"
        "on the real data (it downloads WikiArt Emotions, so it needs the internet, and `full` trains as "
        "the study did, so it wants a GPU). A lecturer can run `full` in Google Colab and commit the file "
        f"as {REPOSITORY_PATH}. The workflow that publishes the book runs the same command with "
        "`--profile quick` before each build, when the official archive can be reached."
    )


def statement(
    doc: Mapping | None, shown: str | Path = REPOSITORY_PATH
) -> str:
    """The page's first words: which data, profile, seed, date, time and device produced the numbers, or
    plainly that there is no reference run yet and how to make one."""
    if doc is None:
        return absent_statement(shown)
    about, run = doc["about"], doc["run"]
    coverage = doc["coverage"]
    lines = [
        f"These numbers come from {data_text(about)}.",
        f"Profile `{about.get('profile')}`, seed {doc['seeds'].get('seed')}; run on "
        f"{str(run.get('started', '?'))[:10]} (UTC), {duration(run.get('seconds', 0))} on "
        f"{device_text(doc['environment'].get('device', {}))}.",
        f"{coverage.get('with an image', 0):,} of {coverage.get('artworks', 0):,} annotated artworks have "
        "an image.",
    ]
    if about.get("profile") != "full":
        lines.append(
            f"`{about.get('profile')}` trains fewer epochs than the study did (`full`); "
            f"`{FULL_COMMAND}` repeats the study's budget."
        )
    return "\n".join(lines)


def _frame(rows: Mapping, index_name: str) -> pd.DataFrame:
    """Rows (label → {column: value}) as a table."""
    table = pd.DataFrame.from_dict(dict(rows), orient="index")
    table.index.name = index_name
    return table


def _titled(rows: Mapping, titles: Mapping) -> dict:
    """Rows keyed by model name, keyed by the model's title instead (baselines keep their label)."""
    return {titles.get(k, k): v for k, v in rows.items()}


def environment_table(env: Mapping) -> pd.DataFrame:
    """Python, platform, device and every package's version, one row each."""
    rows = {
        "Python": env.get("python"),
        "platform": env.get("platform"),
        "device": device_text(env.get("device", {})),
    }
    rows |= {
        name: version for name, version in env.get("packages", {}).items()
    }
    return pd.DataFrame({"version": rows}).rename_axis("what")


def grouped_tables(
    section: Mapping, titles: Mapping
) -> dict[str, pd.DataFrame]:
    """The artist-grouped split's tables: validation scores, per-class recall, the chosen model on test with
    intervals, and its paired comparison with the majority baseline."""
    validation = _frame(_titled(section["validation"], titles), "model")
    headline = [
        c
        for c in ("accuracy", "balanced accuracy", "macro-F1", "study RMSE")
        if c in validation
    ]
    test = _frame(_titled(section["test"], titles), "model")
    chosen = titles.get(
        section["chosen"]["model"], section["chosen"]["model"]
    )
    sizes = section["sizes"]
    where = f"{sizes['training']} training, {sizes['validation']} validation, {sizes['test']} test images"
    out = {
        f"Validation, artist-grouped split ({where})": validation[
            headline
            + [
                c
                for c in ("training seconds", "parameters")
                if c in validation
            ]
        ].round(3),
        "Validation recall per class": validation.filter(like="recall: ")
        .rename(columns=lambda c: c.removeprefix("recall: "))
        .round(2),
        f"Test: {chosen}, chosen on validation macro-F1, beside the baselines "
        f"({section['intervals']['confidence']:.0%} intervals)": with_intervals(
            test, METRICS
        ).assign(images=test["images"]),
    }
    if "test: chosen − majority" in section:
        out[f"Test: {chosen} minus the majority baseline, paired"] = _frame(
            section["test: chosen − majority"], "metric"
        ).round(3)
    return out


def study_table(section: Mapping, titles: Mapping) -> pd.DataFrame:
    """The study's split: this run's validation accuracy and the study's RMSE beside the study's report."""
    table = _frame(_titled(section["models"], titles), "model")
    return table.round(3)


def generic_table(section) -> pd.DataFrame:
    """Any other section: a table when it is rows of numbers, else one row per field (``a › b``)."""
    if (
        isinstance(section, Mapping)
        and section
        and all(
            isinstance(v, Mapping)
            and not any(isinstance(x, (Mapping, list)) for x in v.values())
            for v in section.values()
        )
    ):
        return _frame(section, "")
    flat = {}

    def walk(value, path: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, f"{path} › {k}" if path else str(k))
        else:
            flat[path] = value

    walk(section, "")
    return pd.DataFrame({"value": flat}).rename_axis("field")


def tables(doc: Mapping) -> dict[str, pd.DataFrame]:
    """Every table the page shows, by caption: the run, the environment, the coverage, the grouped split's
    scores, the study's split, then each other section."""
    about = doc["about"]
    titles = about.get("model titles", {})
    coverage = doc["coverage"]
    run = doc["run"]
    out = {
        "The run": pd.DataFrame(
            {
                "value": {
                    "data": about.get("data"),
                    "profile": about.get("profile"),
                    "seed": doc["seeds"].get("seed"),
                    "started (UTC)": run.get("started"),
                    "finished (UTC)": run.get("finished"),
                    "time taken": duration(run.get("seconds", 0)),
                    "command": run.get("command"),
                    "schema version": doc.get("schema_version"),
                }
            }
        ).rename_axis("what"),
        "Environment": environment_table(doc["environment"]),
        "Artworks per class, and how many have an image": _frame(
            coverage["by class"], "class"
        ),
    }
    out |= grouped_tables(doc["grouped_split"], titles)
    out[
        "The study's split (80/20, seed 123): this run beside the study's report"
    ] = study_table(doc["study_split"], titles)
    out["Seeds"] = generic_table(doc["seeds"])
    for name, section in doc.items():
        if name not in CORE_SECTIONS and name not in (
            "schema",
            "schema_version",
        ):
            out[TITLES.get(name, name.replace("_", " ").capitalize())] = (
                generic_table(section)
            )
    return out
