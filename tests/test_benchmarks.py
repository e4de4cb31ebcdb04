"""The benchmark scripts still import and parse their options (they are run by hand, so nothing else would notice)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py") if p.stem != "common")


@pytest.fixture(scope="module")
def bench():
    """Import benchmark scripts the way `python benchmarks/x.py` does (their folder first on the path)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_every_script_is_listed():
    assert {
        "chapter_times",
        "download",
        "gpu_check",
        "gpu_mirrored",
        "mutation",
        "pipeline",
        "test_suite",
        "throughput",
    } <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_imports_and_prints_its_usage(bench, name, capsys):
    script = bench(name)
    with pytest.raises(SystemExit) as stop:
        script.main(["--help"])
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_markdown_table_formats_floats_and_keeps_column_order(bench):
    table = bench("common").markdown([{"model": "original", "images/s": 290.66}, {"model": "alexnet"}])
    assert table.splitlines() == ["| model | images/s |", "|---|---|", "| original | 290.7 |", "| alexnet |  |"]


def test_class_folder_sample_is_prepared_once_and_reused(bench, tmp_path):
    common = bench("common")
    folder = common.class_folder_sample(tmp_path, n=30, seed=5)
    stamp = (folder / "prepare.json").stat().st_mtime_ns
    assert any(folder.rglob("*.jpg"))
    assert common.class_folder_sample(tmp_path, n=30, seed=5) == folder
    assert (folder / "prepare.json").stat().st_mtime_ns == stamp


def test_suite_timer_reads_the_pytest_summary_and_exit_code(bench):
    suite = bench("test_suite")
    seconds, code, summary, _cpu = suite.run(
        [sys.executable, "-c", "print('== 3 passed, 1 skipped in 0.01s =='); exit(3)"]
    )
    assert (code, summary) == (3, "3 passed, 1 skipped in 0.01s")
    assert seconds > 0
