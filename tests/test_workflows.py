"""The GitHub Actions workflows: valid YAML, standard actions, and the commands they run exist."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
#: The actions the workflows may use, at these major versions.
STANDARD_ACTIONS = {
    "actions/checkout": "v4",
    "actions/setup-python": "v5",
    "actions/cache": "v4",
    "actions/upload-artifact": "v4",
    "actions/configure-pages": "v5",
    "actions/upload-pages-artifact": "v4",
    "actions/deploy-pages": "v4",
}


def load(name: str) -> dict:
    """A workflow as a dictionary (PyYAML reads the key ``on`` as True; put it back)."""
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict) -> list[dict]:
    """Every step of every job."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses(workflow: dict) -> list[str]:
    """The actions a workflow uses, as ``owner/name@version``."""
    return [step["uses"] for step in steps(workflow) if "uses" in step]


@pytest.mark.parametrize("name", ["book.yml", "tests.yml"])
def test_workflow_is_valid_and_uses_standard_actions(name):
    workflow = load(name)
    assert workflow["name"] and workflow["on"] and workflow["jobs"]
    for job_name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", job_name
        assert job.get("steps"), f"{name}: job {job_name} has no steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{name}: a step needs exactly one of uses/run: {step}"
    assert "actions/checkout@v4" in uses(workflow)
    for action in uses(workflow):
        repo, _, version = action.partition("@")
        assert STANDARD_ACTIONS.get(repo) == version, f"{name}: {action} is not one of {STANDARD_ACTIONS}"


@pytest.mark.parametrize("name", ["book.yml", "tests.yml"])
def test_scripts_the_workflows_run_exist(name):
    for step in steps(load(name)):
        for script in re.findall(r"bash ([\w./-]+)", step.get("run", "")):
            assert (ROOT / script).is_file(), f"{name} runs {script}, which does not exist"


def test_book_workflow_builds_on_main_and_publishes_to_pages():
    workflow = load("book.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["env"]["COURSE_DATA"] == "auto", (
        "the published book uses the real data where the runner is online"
    )
    python = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.13" and python["with"]["cache"] == "pip"
    assert any("tools/book.sh" in s.get("run", "") for s in build["steps"])
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html", "what tools/book.sh builds"
    assert any(u.startswith("actions/configure-pages") for u in uses(workflow))
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v4"]


def test_tests_workflow_runs_the_suite_with_chromium():
    workflow = load("tests.yml")
    runs = "\n".join(s.get("run", "") for s in steps(workflow))
    assert "bash .ci/run" in runs or "bash tools/test.sh" in runs
    assert re.search(r"apt-get install .*\bchromium\b.*\bchromium-driver\b", runs)
    assert workflow["jobs"]["tests"]["container"].startswith("python:3.13"), (
        "Debian's chromium, Python 3.13 (Colab's)"
    )


REFERENCE_STEP = "Reference results on the real data (quick)"


def reference_step(tmp_path: Path, status: int, committed: bool = False) -> subprocess.CompletedProcess:
    """Run the book workflow's reference step as GitHub runs a step (bash -e -o pipefail), in a folder where
    `.venv/bin/python` is a stand-in that records its arguments and exits with ``status``."""
    build = load("book.yml")["jobs"]["build"]
    (step,) = [s for s in build["steps"] if s.get("name") == REFERENCE_STEP]
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$@" > called\nexit {status}\n')
    python.chmod(0o755)
    if committed:
        (tmp_path / "book" / "reference").mkdir(parents=True)
        (tmp_path / "book" / "reference" / "results.json").write_text("{}")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


def test_book_workflow_runs_the_reference_command_before_the_build():
    names = [s.get("name", "") for s in load("book.yml")["jobs"]["build"]["steps"]]
    assert names.index(REFERENCE_STEP) < next(i for i, n in enumerate(names) if n.startswith("Build the book"))
    assert names.index("Set up the course (Colab's runtime and the package)") < names.index(REFERENCE_STEP)


@pytest.mark.parametrize(("status", "step_status"), [(0, 0), (3, 0), (2, 2), (1, 1)])
def test_an_unreachable_archive_does_not_stop_the_publication_but_an_error_does(tmp_path, status, step_status):
    res = reference_step(tmp_path, status)
    assert res.returncode == step_status, res.stdout + res.stderr
    called = (tmp_path / "called").read_text().split()
    assert called[:3] == ["-m", "course_utils", "reference"]
    assert called[called.index("--profile") + 1] == "quick" and called[called.index("--data") + 1] == "wikiart"
    assert called[called.index("--out") + 1] == "book/reference/results.json"
    assert ("::warning title=No reference run::" in res.stdout) == (status == 3)


def test_a_committed_reference_file_is_kept(tmp_path):
    res = reference_step(tmp_path, status=2, committed=True)
    assert res.returncode == 0 and not (tmp_path / "called").exists()
    assert (tmp_path / "book" / "reference" / "results.json").read_text() == "{}"
    assert "is committed; it is kept" in res.stdout
