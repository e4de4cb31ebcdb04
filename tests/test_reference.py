"""`course-utils reference` and the book's "Reference results" page, on the offline sample (smoke profile).

The command is run once, in a new process, as a lecturer would run it; its file is then checked against numbers
computed here another way (the `classes` command, the saved runs' predictions, NumPy), searched for every title,
artist, ID and URL of the sample, and rendered by the page's notebook with the file present and absent.
"""

from __future__ import annotations

import html
import json
import platform
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from course_utils.analysis import reference_file
from course_utils.analysis.reference_file import (
    CORE_SECTIONS,
    FULL_COMMAND,
    ResultsError,
    check,
    duration,
    plain,
    read_results,
    statement,
    tables,
    write_results,
)
from course_utils.cli import UNREACHABLE
from course_utils.config.settings import get_settings
from course_utils.data import schema
from course_utils.data.annotations import read_table

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "reference_results.md"
sys.path.insert(0, str(ROOT / "tools"))
import bookexec  # noqa: E402
from test_cli_classes import cli  # noqa: E402  (the command line run in this process)

#: The study's validation RMSE per model, typed from the study's report (SPEC §3).
REPORTED_RMSE = {"original": 1.98, "dropout": 1.92, "lenet5": 1.75, "lenet5_relu": 1.81, "alexnet": 1.81}


def closed_port_url() -> str:
    """An address on this machine where nothing listens (the connection is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/WikiArt-Emotions.zip"


# --- a hand-made document: the file's format, without training ---------------------------------------------


def hand_made(real: bool = False, **extra) -> dict:
    """A small results document with numbers chosen by hand."""
    row = {"accuracy": 0.5, "balanced accuracy": 0.25, "macro-F1": 0.2, "study RMSE": 1.5}
    return {
        "schema": reference_file.SCHEMA,
        "schema_version": reference_file.SCHEMA_VERSION,
        "run": {"command": "course-utils reference", "started": "2026-12-05T10:00:00+00:00", "seconds": 125.0},
        "about": {
            "data": "wikiart" if real else "sample",
            "real data": real,
            "profile": "full" if real else "smoke",
            "model titles": {"original": "Original CNN"},
        },
        "environment": {"python": "3.13.0", "device": {"kind": "GPU", "name": "Tesla T4", "memory_gib": 15.0}},
        "seeds": {"seed": 7},
        "coverage": {
            "artworks": 4105,
            "with an image": 812,
            "by class": {"Calm": {"artworks": 9, "with an image": 3}},
        },
        "grouped_split": {
            "sizes": {"training": 70, "validation": 15, "test": 15},
            "validation": {
                "original": row
                | {"recall: Calm": 0.5, "training seconds": 3.0, "parameters": 10, "baseline": False},
                "baseline: always Calm": row | {"recall: Calm": 1.0, "baseline": True},
            },
            "chosen": {"model": "original"},
            "test": {
                "original": {
                    "accuracy": 0.6,
                    "accuracy low": 0.41,
                    "accuracy high": 0.79,
                    "balanced accuracy": 0.3,
                    "balanced accuracy low": 0.2,
                    "balanced accuracy high": 0.4,
                    "macro-F1": 0.25,
                    "macro-F1 low": 0.1,
                    "macro-F1 high": 0.35,
                    "images": 15,
                }
            },
            "intervals": {"confidence": 0.95},
        },
        "study_split": {"models": {"original": {"validation accuracy": 0.48, "reported study RMSE": 1.98}}},
        **extra,
    }


def test_plain_turns_numpy_into_strict_json_and_refuses_anything_else():
    got = plain({"a": np.float32(0.5), "b": np.int64(3), "c": float("nan"), "d": np.array([1, 2]), 4: (True,)})
    assert got == {"a": 0.5, "b": 3, "c": None, "d": [1, 2], "4": [True]}
    assert type(got["b"]) is int and type(got["a"]) is float
    with pytest.raises(TypeError, match="bytes is not a number"):
        plain({"image": b"\x89PNG"})


def test_check_names_what_is_missing_or_wrong():
    doc = hand_made()
    assert check(doc) == doc
    with pytest.raises(ResultsError, match="section\\(s\\) coverage, study_split missing"):
        check({k: v for k, v in doc.items() if k not in ("coverage", "study_split")})
    with pytest.raises(ResultsError, match="schema version 99"):
        check(doc | {"schema_version": 99})
    with pytest.raises(ResultsError, match="not a reference-results file"):
        check({"run": {}})


def test_write_and_read_give_the_same_document_and_absent_is_none(tmp_path):
    path = write_results(hand_made() | {"extra": {"x": float("nan")}}, tmp_path / "r" / "results.json")
    assert "NaN" not in path.read_text()
    assert read_results(path)["extra"] == {"x": None}
    assert read_results(tmp_path / "nothing.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": NaN}')
    with pytest.raises(ResultsError, match="bad.json: not valid JSON"):
        read_results(bad)


@pytest.mark.parametrize(("seconds", "said"), [(42.4, "42 s"), (66.59, "1 min 7 s"), (7384, "2 h 3 min")])
def test_duration_as_a_reader_says_it(seconds, said):
    assert duration(seconds) == said


def test_the_statement_says_which_data_made_the_numbers():
    sample = statement(hand_made())
    assert "offline SAMPLE" in sample and "not WikiArt results" in sample
    assert "Profile `smoke`, seed 7; run on 2026-12-05 (UTC), 2 min 5 s on GPU (Tesla T4, 15.0 GiB)." in sample
    assert "812 of 4,105 annotated artworks have an image." in sample
    real = statement(hand_made(real=True))
    assert real.startswith("These numbers come from WikiArt Emotions (the real data).")
    assert "SAMPLE" not in real and "fewer epochs" not in real
    absent = statement(None)
    assert absent.startswith("No reference run yet:") and FULL_COMMAND in absent
    assert "Colab" in absent and "commit" in absent


def test_tables_show_the_numbers_and_a_new_section_without_new_code():
    doc = hand_made(cluster_bootstrap={"original": {"accuracy low": 0.3, "accuracy high": 0.9}})
    shown = tables(doc)
    (test_caption,) = [c for c in shown if c.startswith("Test: Original CNN, chosen")]
    assert shown[test_caption].loc["Original CNN", "accuracy"] == "0.600 [0.41, 0.79]"
    (validation,) = [t for c, t in shown.items() if c.startswith("Validation, artist-grouped")]
    assert list(validation.index) == ["Original CNN", "baseline: always Calm"]
    assert shown["Validation recall per class"].loc["baseline: always Calm", "Calm"] == 1.0
    assert shown["Cluster bootstrap"].loc["original", "accuracy high"] == 0.9


# --- the command's input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "the following arguments are required: --out"),
        (["--out", "results.txt"], "must end in .json"),
        (["--out", "{tmp}"], "is a folder"),
        (["--out", "r.json", "--profile", "huge"], "invalid choice: 'huge'"),
        (["--out", "r.json", "--data", "auto"], "invalid choice: 'auto'"),
        (["--out", "r.json", "--seed", "-1"], "seed -1 is outside"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, says):
    res = cli("reference", *[a.format(tmp=tmp_path) for a in args])
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1 and says in res.stderr, res.stderr


def test_unreachable_archive_exits_3_with_one_line_and_writes_nothing(tmp_path, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv("COURSE_ARCHIVE_URL", url)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    res = subprocess.run(
        [sys.executable, "-m", "course_utils", "reference", "--out", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == UNREACHABLE == 3, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"the archive at {url} cannot be reached" in lines[0], res.stderr
    assert not (tmp_path / "r.json").exists()


# --- one real run of the command, on the sample ----------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Run the command in a new process on the sample (smoke); its output, file and parsed document."""
    out = tmp_path_factory.mktemp("reference") / "results.json"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "course_utils",
            "reference",
            "--profile",
            "smoke",
            "--data",
            "sample",
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return SimpleNamespace(res=res, path=out, text=out.read_text(), doc=json.loads(out.read_text()))


@pytest.fixture(scope="module")
def session():
    """The session the command ran with (smoke, sample, the suite's data folder)."""
    from course_utils.datasets.session import open_session

    settings = replace(get_settings(), data="sample", profile="smoke")
    return open_session(settings)


@pytest.mark.slow
def test_the_command_writes_a_valid_file_with_every_section(made):
    from course_utils.analysis.reference import SECTIONS

    assert set(CORE_SECTIONS) <= {"run", *SECTIONS}, "every section a reader needs is made"
    doc = json.loads(made.text, parse_constant=lambda name: pytest.fail(f"{name} in the file"))
    assert check(doc) and list(doc)[3:] == list(SECTIONS)
    assert doc["about"]["data"] == "sample" and doc["about"]["real data"] is False
    run = doc["run"]
    assert run["command"] == "course-utils reference --profile smoke --data sample --seed 123"
    assert (
        run["started"] <= run["finished"]
        and run["seconds"] >= sum(run["seconds by section"].values()) - 0.001 * len(run["seconds by section"]) > 0
    )  # each rounded to ms
    assert f"wrote {made.path} ({made.path.stat().st_size:,} bytes): sample data" in made.res.stdout


@pytest.mark.slow
def test_the_file_holds_no_title_artist_id_or_url_of_the_sample(made, session):
    table = read_table(session.source.archive_dir / schema.ALL_FILE)
    columns = ["ID", "Artist", "Title", "Image URL", "Painting Info URL", "Artist Info URL"]
    forbidden = {str(v) for c in columns for v in table[c].dropna()}
    forbidden |= {html.unescape(v) for v in forbidden}
    assert len(forbidden) > 3 * len(table), "the search has something to find"
    found = sorted(v for v in forbidden if v in made.text)
    assert not found, f"the results file holds the sample's data: {found[:5]}"
    assert "http" not in made.text and str(Path.home()) not in made.text


@pytest.mark.slow
def test_coverage_is_what_the_classes_command_counts(made, session):
    all_file = session.source.archive_dir / schema.ALL_FILE
    res = cli("classes", "--annotations", all_file, "--json")
    counted = json.loads(res.stdout)
    coverage = made.doc["coverage"]
    by_class = {name: row["artworks"] for name, row in coverage["by class"].items()}
    assert by_class == counted["classes"] | {"no class (left out)": counted["unlabelled"]}
    images = {p.stem for p in session.source.images_dir.iterdir()}
    assert coverage["with an image"] == len(images & set(read_table(all_file)["ID"])) == coverage["artworks"]


@pytest.mark.slow
def test_the_grouped_split_numbers_check_out_by_hand(made, session):
    from course_utils.datasets.pipeline import load_grouped_split
    from course_utils.datasets.session import class_folders
    from course_utils.training.runs import study_runs

    split = load_grouped_split(class_folders(session), seed=session.seed)
    runs = study_runs(split, session)  # read, not trained: the command saved them
    section = made.doc["grouped_split"]
    assert (section["sizes"]["training"], section["sizes"]["validation"], section["sizes"]["test"]) == (
        len(split.y_train),
        len(split.y_val),
        len(split.y_test),
    )
    largest = int(np.bincount(split.y_train).argmax())
    always = f"baseline: always {split.class_names[largest]}"
    assert np.isclose(section["validation"][always]["accuracy"], np.mean(split.y_val == largest))
    assert np.isclose(section["test"][always]["accuracy"], np.mean(split.y_test == largest))

    def macro_f1(run) -> float:
        """Mean over the classes seen in truth or prediction of 2·TP / (true + predicted), by hand."""
        t, p = run.val_true, run.val_pred
        seen = np.union1d(t, p)
        return float(np.mean([2 * np.sum((t == c) & (p == c)) / (np.sum(t == c) + np.sum(p == c)) for c in seen]))

    by_hand = {name: macro_f1(run) for name, run in runs.items()}
    for name, value in by_hand.items():
        assert np.isclose(section["validation"][name]["macro-F1"], value), name
    best = max(by_hand.values())
    assert section["chosen"]["model"] == next(n for n, v in by_hand.items() if np.isclose(v, best))
    chosen = runs[section["chosen"]["model"]]
    row = section["test"][section["chosen"]["model"]]
    assert np.isclose(row["accuracy"], np.mean(chosen.test_pred == split.y_test))
    assert row["images"] == len(split.y_test)
    for metric in ("accuracy", "balanced accuracy", "macro-F1"):
        assert row[f"{metric} low"] <= row[metric] <= row[f"{metric} high"], metric


@pytest.mark.slow
def test_the_study_split_sits_beside_the_report(made, session):
    from course_utils.datasets.pipeline import load_split
    from course_utils.datasets.session import class_folders
    from course_utils.training.runs import study_runs

    split = load_split(class_folders(session), seed=session.seed)
    runs = study_runs(split, session)
    models = made.doc["study_split"]["models"]
    assert {name: row["reported study RMSE"] for name, row in models.items()} == REPORTED_RMSE
    for name, run in runs.items():
        t, p = split.y_val, run.val_pred
        assert np.isclose(models[name]["validation accuracy"], np.mean(t == p)), name
        assert np.isclose(models[name]["study RMSE"], np.sqrt(np.mean((t - p) ** 2))), name
        assert (
            models[name]["reported validation accuracy (low)"],
            models[name]["reported validation accuracy (high)"],
        ) == (0.47, 0.5)


@pytest.mark.slow
def test_the_environment_is_this_machines(made):
    env = made.doc["environment"]
    assert env["python"] == platform.python_version()
    assert env["packages"]["numpy"] == np.__version__
    assert env["device"]["kind"] in ("CPU", "GPU") and env["device"]["count"] >= 1


# --- the book's page ---------------------------------------------------------------------------------------


def run_page(folder: Path, results: Path | None):
    """Execute the page as the book does (its folder as working directory), with or without a results file
    beside it; returns every output's text."""
    import jupytext
    import nbformat

    book = folder / "book"
    book.mkdir()
    if results is not None:
        (book / "reference").mkdir()
        shutil.copy(results, book / "reference" / "results.json")
    path = book / "reference_results.ipynb"
    nbformat.write(jupytext.read(PAGE), path)
    result = bookexec.execute(path, timeout=120)
    assert result.err is None, bookexec.describe(path, result)
    texts = []
    for cell in result.nb.cells:
        for output in cell.get("outputs", []):
            texts += [str(v) for v in output.get("data", {}).values()] + [output.get("text", "")]
    return "\n".join(texts)


@pytest.mark.slow
def test_the_page_renders_the_file_when_present(made, tmp_path):
    shown = run_page(tmp_path, made.path)
    assert "These numbers come from the offline SAMPLE" in shown and "not WikiArt results" in shown
    assert "No reference run yet" not in shown
    section = made.doc["grouped_split"]
    chosen = section["chosen"]["model"]
    title = made.doc["about"]["model titles"][chosen]
    row = section["test"][chosen]
    assert f"Test: {title}, chosen on validation macro-F1" in shown
    assert f"{row['accuracy']:.3f} [{row['accuracy low']:.2f}, {row['accuracy high']:.2f}]" in shown
    for name in section["classes"]:
        assert html.escape(name) in shown or name in shown
    assert made.doc["run"]["command"] in shown and made.doc["environment"]["packages"]["tensorflow"] in shown


@pytest.mark.slow
def test_the_page_says_plainly_when_there_is_no_file(tmp_path):
    shown = run_page(tmp_path, None)
    assert "No reference run yet" in shown and FULL_COMMAND in shown and "Colab" in shown
    assert "<table" not in shown


def test_the_page_is_in_the_toc_after_the_evaluation_chapters():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert files.index("book/reference_results") > files.index("book/10_evaluating_honestly")
    assert "reference_page" in yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["local_extensions"]
