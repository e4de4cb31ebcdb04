"""The suite runs in Google Colab's runtime: the environment, the pins and the declared minimums agree with it.

tools/setup.sh installs requirements.txt under tools/colab-constraints.txt (Colab's published package list),
then the course as Colab's setup cell does. These tests fail when that chain is broken: a package installed at a
version Colab does not have, a pin that moved away from Colab's, or a lower bound in pyproject.toml that claims
more (or less) than the suite proves.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import colab_constraints  # noqa: E402
import nbtool  # noqa: E402

canonical = colab_constraints.canonical


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements or constraints file, by canonical name."""
    found = {}
    for line in path.read_text().splitlines():
        match = colab_constraints.PIN.match(line.strip())
        if match:
            found[canonical(match[1])] = match[2]
    return found


INSTALLERS = {"pip", "setuptools", "wheel"}  # build tools, not the runtime: setup.sh may upgrade pip
COLAB = pins(ROOT / "tools" / "colab-constraints.txt")
REQUIRED = pins(ROOT / "requirements.txt")


def test_constraints_file_is_colabs_freeze_as_written_by_the_tool():
    freeze = ROOT.parent / "shared" / "colab" / "pip-freeze.gpu.txt"
    if not freeze.is_file():
        pytest.skip("the published freeze is not beside this checkout (../shared/colab)")
    kept, _ = colab_constraints.constraints(freeze.read_text())
    assert [
        line
        for line in (ROOT / "tools" / "colab-constraints.txt").read_text().splitlines()
        if not line.startswith("#")
    ] == kept


def test_constraints_hold_colabs_headline_versions():
    # the versions the issue read off Colab's runtime (August 2026), typed here by hand
    expected = {
        "tensorflow": "2.20.0",
        "keras": "3.13.2",
        "pandas": "2.2.3",
        "numpy": "2.1.3",
        "ipykernel": "6.17.1",
        "ipywidgets": "7.7.1",
        "jupyter-client": "7.4.9",
        "nbclient": "0.10.4",
    }
    assert {name: COLAB.get(name) for name in expected} == expected


def test_every_installed_package_colab_has_is_at_colabs_version():
    moved = {}
    for dist in md.distributions():
        name = canonical(dist.metadata["Name"])
        if name in COLAB and name not in INSTALLERS and dist.version != COLAB[name]:
            moved[name] = f"{dist.version} installed, Colab has {COLAB[name]}"
    assert not moved, moved


def test_requirements_pin_colabs_version_where_colab_has_the_package():
    differ = {n: (v, COLAB[n]) for n, v in REQUIRED.items() if n in COLAB and v != COLAB[n]}
    assert not differ, f"requirements.txt vs Colab: {differ}"


def test_declared_minimums_are_the_versions_the_suite_runs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, op, version = re.fullmatch(r"([A-Za-z0-9_.-]+)(>=)([0-9.]+)", requirement).groups()
        tested = COLAB.get(canonical(name)) or REQUIRED[canonical(name)]
        assert tested.startswith(version) or tested == version, f"{requirement}: the suite runs {tested}"
        assert md.version(name) == tested


def test_colab_setup_cell_installs_the_pinned_keras_tuner():
    assert nbtool.KERAS_TUNER == f"keras-tuner=={REQUIRED['keras-tuner']}"
    assert f'"{nbtool.KERAS_TUNER}"' in nbtool.setup_source()
