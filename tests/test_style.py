"""The repository's style, checked: ``ruff check .`` (lint, import order) and ``ruff format --check .`` pass.

The settings are pyproject.toml's ``[tool.ruff]``; chapters keep them at 76 columns (book/ruff.toml). To fix what
these tests report: ``.venv/bin/ruff check --fix .`` and ``.venv/bin/ruff format .``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ruff(*args: str) -> subprocess.CompletedProcess:
    """Run ruff (the venv's, else the one on PATH) from the repository root, without its cache."""
    script = Path(sys.executable).with_name("ruff")
    command = str(script) if script.exists() else shutil.which("ruff") or "ruff"
    return subprocess.run([command, *args, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_check():
    """No lint finding anywhere in the repository (chapters included)."""
    result = ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, f"ruff check . failed:\n{result.stdout}\n{result.stderr}"


def test_ruff_format():
    """Every file is formatted as ``ruff format`` writes it."""
    result = ruff("format", "--check", "--output-format", "concise", ".")
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"ruff format --check . failed (`ruff format --diff .` shows how):\n{output}"
