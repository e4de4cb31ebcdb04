"""`course-utils classes` (SPEC §6): the same counts from an All file, an AgN file, the archive folder and the zip;
one-line errors for bad input.
"""

import contextlib
import io
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from course_utils.cli import main
from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.datasets.sample import write_sample
from course_utils.labels import CLASS_NAMES, class_counts, label_table

N = 240


def run_cli(*args):
    """Run the command line as a user would (a new process: slow, so only for a few tests)."""
    return subprocess.run([sys.executable, "-m", "course_utils", *args], capture_output=True, text=True)


def cli(*args):
    """Run the command line in this process: exit code and what it printed (argparse's exits included)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:
            code = stop.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("cli") / "sample", n=N, seed=123)


def expected(sample, scope="art", threshold=0.4) -> dict:
    """The JSON object the command must print, computed in-process from the All file."""
    values = shares(read_table(sample.archive_dir / schema.ALL_FILE), scope)
    counts, unlabelled = class_counts(label_table(values, threshold)["class"])
    return {"scope": scope, "threshold": threshold, "classes": counts, "unlabelled": unlabelled}


def classes_json(*args) -> dict:
    """Run ``classes --json`` and parse its one line of output."""
    res = cli("classes", *args, "--json")
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.strip().splitlines()) == 1
    return json.loads(res.stdout)


def test_all_file_prints_exactly_the_contract_in_a_new_process(sample):
    res = run_cli(
        "classes",
        "--annotations",
        str(sample.archive_dir / schema.ALL_FILE),
        "--scope",
        "art",
        "--threshold",
        "0.4",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == json.dumps(expected(sample)) + "\n"


def test_all_file_prints_exactly_the_contract(sample):
    got = classes_json(
        "--annotations", str(sample.archive_dir / schema.ALL_FILE), "--scope", "art", "--threshold", "0.4"
    )
    assert list(got) == ["scope", "threshold", "classes", "unlabelled"]
    assert list(got["classes"]) == list(CLASS_NAMES)
    assert got["scope"] == "art" and got["threshold"] == 0.4 and isinstance(got["threshold"], float)
    assert sum(got["classes"].values()) + got["unlabelled"] == N
    assert got["classes"]["Euphoric"] > 0 and got["unlabelled"] > 0
    assert got == expected(sample)


def test_ag4_file_folder_and_zip_give_the_same_object(sample):
    want = expected(sample)
    assert classes_json("--annotations", str(sample.archive_dir / schema.AG_FILES[4])) == want
    assert (
        classes_json("--annotations", str(sample.archive_dir / schema.AG_FILES[4]), "--threshold", "0.4") == want
    )
    assert classes_json("--annotations", str(sample.archive_dir)) == want
    assert classes_json("--annotations", str(sample.root)) == want  # the folder that holds WikiArt-Emotions/


def test_the_zip_gives_the_same_object_and_leaves_nothing_beside_it(sample, tmp_path):
    zip_path = tmp_path / schema.ARCHIVE_NAME
    zip_path.write_bytes(sample.zip_path.read_bytes())
    assert classes_json("--annotations", str(zip_path)) == expected(sample)
    assert [p.name for p in tmp_path.iterdir()] == [schema.ARCHIVE_NAME]


def test_a_file_with_only_the_columns_it_uses_is_enough(sample, tmp_path):
    """`classes` reads ID and one scope's 20 shares; a copy with nothing else gives the same counts, and one
    lacking a share column of that scope is a one-line error naming the file and the column."""
    lines = (sample.archive_dir / schema.ALL_FILE).read_bytes().decode().split("\r\n")[:-1]
    header = lines[0].split("\t")
    keep = [header.index(c) for c in ["ID", *schema.emotion_columns("art")]]
    path = tmp_path / schema.ALL_FILE
    path.write_text("".join("\t".join(line.split("\t")[i] for i in keep) + "\r\n" for line in lines))
    assert classes_json("--annotations", str(path)) == expected(sample)
    res = cli("classes", "--annotations", str(path), "--scope", "image")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert f"{path}: missing emotion column(s) for scope 'image': ImageOnly: agreeableness" in res.stderr


@pytest.mark.parametrize("scope", ["image", "title"])
def test_other_scopes(sample, scope):
    got = classes_json(
        "--annotations", str(sample.archive_dir / schema.ALL_FILE), "--scope", scope, "--threshold", "0.3"
    )
    assert got == expected(sample, scope, 0.3)
    assert got != expected(sample, "art", 0.3)  # the scope is really used


def test_ag3_file_reports_its_own_threshold(sample):
    got = classes_json("--annotations", str(sample.archive_dir / schema.AG_FILES[3]))
    assert got == expected(sample, "art", 0.3)


def test_text_output_lists_every_class_and_the_left_out(sample):
    res = cli("classes", "--annotations", str(sample.archive_dir / schema.ALL_FILE))
    assert res.returncode == 0, res.stderr
    want = expected(sample)
    for name, count in want["classes"].items():
        assert any(
            line.split()[:-2] == name.split() and int(line.split()[-2]) == count
            for line in res.stdout.splitlines()
        ), name
    assert f"unlabelled (no quadrant)  {want['unlabelled']:>5}".split() == res.stdout.splitlines()[-1].split()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--annotations", "{tmp}/nowhere.tsv"], "nowhere.tsv: no such file or folder"),
        (["--annotations", "{tmp}/nowhere.zip"], "nowhere.zip: no such file or folder"),
        (["--annotations", "{tmp}"], f"{schema.ALL_FILE} not found"),
        (["--annotations", "{all}", "--threshold", "abc"], "threshold 'abc' is not a number"),
        (["--annotations", "{all}", "--threshold", "0"], "outside (0, 1]"),
        (["--annotations", "{all}", "--threshold", "1.5"], "outside (0, 1]"),
        (["--annotations", "{ag4}", "--threshold", "0.3"], "already thresholded at 0.4"),
        (["--annotations", "{info}"], "holds no emotions"),
        (["--annotations", "{all}", "--scope", "both"], "invalid choice: 'both'"),
    ],
)
def test_bad_input_is_one_line_without_traceback(sample, tmp_path, args, words):
    paths = {
        "tmp": tmp_path,
        "all": sample.archive_dir / schema.ALL_FILE,
        "ag4": sample.archive_dir / schema.AG_FILES[4],
        "info": sample.archive_dir / schema.INFO_FILE,
    }
    res = cli("classes", *[a.format(**paths) for a in args])
    assert res.returncode == 2
    assert words in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith("course-utils classes: error: ") and res.stdout == ""


@pytest.mark.parametrize(
    "args, words",
    [
        (["--threshold", "2"], "outside (0, 1]"),
        (["--annotations", "/no/such/place.zip"], "no such file or folder"),
    ],
)
def test_bad_input_in_a_new_process_is_one_line(args, words):
    res = run_cli("classes", *(args if "--annotations" in args else ["--annotations", "x.tsv", *args]))
    assert res.returncode == 2 and words in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_help_names_every_option():
    res = cli("classes", "--help")
    assert res.returncode == 0
    assert all(option in res.stdout for option in ("--annotations", "--scope", "--threshold", "--json"))
