"""Mutation score of the modules whose numbers the course reports (mutmut), one row per module.

    .venv/bin/python benchmarks/mutation.py                    every module (about N min on 2 busy cores)
    .venv/bin/python benchmarks/mutation.py labels fetch       some of them
    .venv/bin/python benchmarks/mutation.py --list             the modules, their functions and test files

Each module is mutated on its own, in a copy of the repository under ``_build/mutation/<module>/`` (mutmut writes
its mutants there, never into ``src/``), and each mutant runs only the module's own test files (:data:`TARGETS`),
and of those only the tests that call the mutated function (mutmut records which tests call which function in
one clean run first). A mutant is *killed* when a test fails, *timed out* when the tests ran past mutmut's limit
(15 × their clean time; an endless loop is caught that way), *survived* when every test passed or no test reached
the mutated function. A survivor listed in ``benchmarks/mutation_equivalent.txt`` with a reason is *equivalent*
(no input can tell it from the original); every other survivor is printed with its diff and written to
``_build/mutation/<module>/survivors.txt``, so that a test can be written that kills it.

Score = (killed + timed out) / (mutants − equivalent); target: at least 90 % in every module. The run is outside
the test suite (minutes, not seconds); tests/test_benchmarks.py only checks that this script still imports.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import common  # noqa: F401  (puts src/ on the path)
from common import ROOT, load, markdown

EQUIVALENT_FILE = ROOT / "benchmarks" / "mutation_equivalent.txt"
WORK = ROOT / "_build" / "mutation"
TARGET_SCORE = 0.90
#: Files at the root the tests read (tools/nbtool.py reads the requirements and the book's configuration).
COPIED_FILES = ("conftest.py", "requirements.txt", "_config.yml", "_toc.yml")


@dataclass(frozen=True)
class Target:
    """A module to mutate: its file under ``src/``, the test files its mutants run against, and (when not the
    whole file) the functions that are mutated, as ``name`` or ``Class.method`` patterns."""

    path: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        """The dotted module name (``course_utils.labels``)."""
        dotted = self.path.removesuffix(".py").replace("/", ".")
        return dotted.removesuffix(".__init__")


#: The modules whose numbers the course reports, each with the test files that test it (fast, TensorFlow-free
#: where the module allows: a mutant's tests run in a forked process, once per mutant).
TARGETS = {
    "labels": Target(
        "course_utils/labels.py",
        (
            "tests/test_labels.py",
            "tests/test_lexicon.py",
            "tests/test_label_edges.py",
            "tests/test_mutation_kills_labels.py",
        ),
    ),
    "metrics": Target(
        "course_utils/analysis/metrics.py",
        (
            "tests/test_evaluation.py",
            "tests/test_uncertainty.py",
            "tests/test_ceiling.py",
            "tests/test_mutation_kills_metrics.py",
        ),
    ),
    "uncertainty": Target("course_utils/analysis/uncertainty.py", ("tests/test_uncertainty.py",)),
    "saliency": Target("course_utils/analysis/saliency.py", ("tests/test_saliency.py",)),
    "pipeline": Target(
        "course_utils/datasets/pipeline.py",
        ("tests/test_pipeline.py", "tests/test_grouped_split.py"),
        functions=(
            "count_images",
            "check_splittable",
            "study_file_split",
            "stratified_file_split",
            "load_split",
            "class_files",
            "_share_gap",
            "fold_plan",
            "artist_folds",
            "artist_counts",
            "grouped_file_split",
            "random_file_split",
            "load_grouped_split",
        ),
    ),
    "fetch": Target(
        "course_utils/data/fetch.py",
        ("tests/test_download.py", "tests/test_archive.py", "tests/test_mutation_kills_fetch.py"),
    ),
    "archive": Target(
        "course_utils/data/archive.py",
        (
            "tests/test_archive.py",
            "tests/test_readme.py",
            "tests/test_mutation_kills_archive.py",
        ),  # not test_archive_copies.py: it runs a chapter
    ),
    "exercises": Target(
        "course_utils/exercises/__init__.py",
        ("tests/test_exercises.py", "tests/test_mutation_kills_exercises.py"),
        functions=(
            "Exercise.evaluate",
            "Exercise.check",
            "fmt",
            "expect_number",
            "is_whole",
            "_near",
            "_pairs",
            "check_number",
            "same_text",
            "expect_text",
            "check_text",
            "names",
            "integers",
            "as_model",
            "_declared_input",
            "output_shape",
            "weighted_layers",
            "all_layers",
            "activation_name",
            "effective_activation",
            "params",
        ),
    ),
}

#: mutmut's verdicts, grouped into the table's columns ("no tests": no selected test calls the function).
COLUMN = {
    "killed": "killed",
    "caught by type check": "killed",
    "timeout": "timed out",
    "survived": "survived",
    "no tests": "survived",
    "suspicious": "survived",
    "segfault": "killed",
}


# --- the equivalent mutants --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A mutant, named by what it changes rather than by mutmut's number (which moves when the function does)."""

    module: str  # the TARGETS name
    function: str  # ``name`` or ``Class.method``
    removed: tuple[str, ...]  # the original lines it changes, stripped
    added: tuple[str, ...]  # the lines it puts there, stripped


def read_equivalents(path: Path = EQUIVALENT_FILE) -> dict[Key, str]:
    """The listed equivalent mutants and their reasons. An entry is a line ``module function``, the removed
    lines (``- ``), the added lines (``+ ``) and ``why: the reason``; entries are separated by blank lines."""
    entries: dict[Key, str] = {}
    if not path.is_file():
        return entries
    block: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines() + [""]
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        if line.strip():
            block.append((number, line))
            continue
        if block:
            key, why = _parse_entry(path, block)
            entries[key] = why
            block = []
    return entries


def _parse_entry(path: Path, block: list[tuple[int, str]]) -> tuple[Key, str]:
    """One entry of the equivalents file; a malformed one is an error naming its line."""
    first, head = block[0]
    words = head.split()
    if len(words) != 2 or words[0] not in TARGETS:
        raise ValueError(
            f"{path}:{first}: expected 'module function' with a module of {sorted(TARGETS)}: {head!r}"
        )
    removed = tuple(line[2:].strip() for _, line in block[1:] if line.startswith("- "))
    added = tuple(line[2:].strip() for _, line in block[1:] if line.startswith("+ "))
    why = [line[4:].strip() for _, line in block[1:] if line.startswith("why:")]
    other = [n for n, line in block[1:] if not line.startswith(("- ", "+ ", "why:"))]
    if other or len(why) != 1 or not why[0] or not (removed or added):
        raise ValueError(f"{path}:{first}: an entry needs '- ' / '+ ' lines and one 'why: reason' line")
    return Key(words[0], words[1], removed, added), why[0]


# --- reading mutmut's results ----------------------------------------------------------------------------------


def function_of(mutant: str, module: str) -> str:
    """``course_utils.labels.xǁCoordinatesǁpoints__mutmut_3`` → ``Coordinates.points``."""
    mangled = mutant.removeprefix(module + ".").removeprefix("__init__.").rsplit("__mutmut_", 1)[0]
    if mangled.startswith("xǁ"):
        return ".".join(mangled.removeprefix("xǁ").split("ǁ"))
    return mangled.removeprefix("x_")


def selected(target: Target, function: str) -> bool:
    """Whether a function of the module is one the target measures."""
    return not target.functions or any(fnmatch.fnmatchcase(function, p) for p in target.functions)


def mutant_diffs(mutated_file: Path) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each mutant's changed lines (removed, added), from the mutated file mutmut wrote: its function beside the
    original copy (``…__mutmut_orig``) it was made from."""
    tree = ast.parse(mutated_file.read_text(encoding="utf-8"))
    source = mutated_file.read_text(encoding="utf-8").splitlines()
    bodies = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            bodies[node.name] = [
                line.replace(node.name, "FUNCTION") for line in source[start - 1 : node.end_lineno]
            ]
    diffs = {}
    for name, lines in bodies.items():
        base, _, number = name.rpartition("__mutmut_")
        original = bodies.get(f"{base}__mutmut_orig")
        if number == "orig" or original is None:
            continue
        changed = list(difflib.ndiff(original, lines))
        removed = tuple(d[2:].strip() for d in changed if d.startswith("- "))
        added = tuple(d[2:].strip() for d in changed if d.startswith("+ "))
        diffs[name] = (removed, added)
    return diffs


def statuses(work: Path, target: Target) -> dict[str, str]:
    """mutmut's verdict on each mutant of the target's selected functions (full mutant names)."""
    from mutmut.stats import status_by_exit_code  # deferred: only a run needs mutmut

    meta = work / "mutants" / "src" / f"{target.path}.meta"
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return {
        name: status_by_exit_code[code]
        for name, code in codes.items()
        if selected(target, function_of(name, target.module))
    }


# --- one module's run ----------------------------------------------------------------------------------------


def prepare(work: Path, target: Target, again: bool = False) -> None:
    """A copy of what the tests need (src/, tests/, tools/, book/, conftest.py) with mutmut's settings for this
    target: fresh, or (``again``) the last run's copy with today's tests, refused when the module changed since."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if again:
        copied = work / "src" / target.path
        if not copied.is_file() or copied.read_bytes() != (ROOT / "src" / target.path).read_bytes():
            raise SystemExit(f"--again: src/{target.path} changed since its last full run (or there was none)")
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        shutil.copytree(ROOT / "src", work / "src", ignore=ignore)
    for folder in ("tests", "tools", "book"):  # tests import tools/ (nbtool, bookexec) and read the chapters
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore, dirs_exist_ok=True)
    for name in COPIED_FILES:
        shutil.copy2(ROOT / name, work / name)
    settings = {
        "source_paths": ["src"],
        "only_mutate": [f"src/{target.path}"],
        "also_copy": [*COPIED_FILES, "tools", "book"],
        "pytest_add_cli_args_test_selection": list(target.tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "use_git_change_detection": False,
    }
    toml = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(f"{text}\n[tool.mutmut]\n{toml}\n", encoding="utf-8")


def run_mutmut(work: Path, names: list[str], children: int) -> tuple[int, float]:
    """``mutmut run`` on the named mutants (patterns; none: all) in the copy; exit code and wall seconds."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MUTANT_UNDER_TEST")}
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names]
    start = time.perf_counter()
    with open(work / "run.log", "w", encoding="utf-8") as log:
        code = subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    return code, time.perf_counter() - start


def mangled(function: str) -> str:
    """mutmut's name of a function (``x_name``) or a method (``xǁClassǁmethod``); patterns stay patterns."""
    if "." in function:
        return "xǁ" + "ǁ".join(function.split("."))
    return f"x_{function}"


def score(
    target_name: str, target: Target, work: Path, verdicts: dict[str, str], equivalents: dict[Key, str]
) -> tuple[dict, list[str]]:
    """The module's row of the table and the text of its survivors (diffs), from mutmut's verdicts."""
    diffs = mutant_diffs(work / "mutants" / "src" / target.path)
    counts = {"killed": 0, "equivalent": 0, "survived": 0, "timed out": 0, "not run": 0}
    survivors, used = [], set()
    for name, status in sorted(verdicts.items(), key=lambda kv: _order(kv[0])):
        column = COLUMN.get(status, "not run")
        short = name.removeprefix(target.module + ".").removeprefix("__init__.")
        removed, added = diffs.get(short, ((), ()))
        key = Key(target_name, function_of(name, target.module), removed, added)
        if column == "survived" and key in equivalents:
            column = "equivalent"
            used.add(key)
        counts[column] += 1
        if column == "survived":
            lines = [f"{target_name} {key.function}    ({short}: {status})"]
            lines += [f"- {line}" for line in removed] + [f"+ {line}" for line in added]
            survivors.append("\n".join(lines))
    stale = [k for k in equivalents if k.module == target_name and k not in used]
    for key in stale:
        survivors.append(f"(listed as equivalent, but no surviving mutant matches) {key.module} {key.function}")
    mutants = sum(counts.values())
    caught = counts["killed"] + counts["timed out"]
    row = {"module": target_name, "mutants": mutants, **counts}
    row["score"] = f"{caught / max(1, mutants - counts['equivalent']):.1%}"
    if not counts["not run"]:
        del row["not run"]
    return row, survivors


def _order(name: str) -> tuple[str, int]:
    """Mutants in function order, then by number (mutmut_2 before mutmut_10)."""
    base, _, number = name.rpartition("__mutmut_")
    return base, int(number) if number.isdigit() else -1


def measure(name: str, children: int, again: bool = False) -> dict:
    """Mutate one module, run its tests against every mutant (``again``: only against the last run's survivors,
    with today's tests), and score it."""
    target = TARGETS[name]
    work = WORK / name
    prepare(work, target, again)
    verdicts_file = work / "verdicts.json"
    before = {}
    if again:  # the last run's verdicts (a run of mutmut alone left only its own results file)
        last = verdicts_file.read_text(encoding="utf-8") if verdicts_file.is_file() else None
        before = json.loads(last) if last else statuses(work, target)
    if again:
        names = [m for m, status in before.items() if COLUMN.get(status) != "killed"]
    else:
        names = [f"{target.module}*.{mangled(f)}__mutmut_*" for f in target.functions]  # a package: …__init__.x_…
    code, seconds = run_mutmut(work, names, children) if names or not again else (0, 0.0)
    if code != 0:
        tail = (work / "run.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        print(f"mutmut failed on {name} (exit {code}); the end of {work / 'run.log'}:\n{tail}", flush=True)
        return {"module": name, "mutants": 0, "score": "failed", "minutes": round(seconds / 60, 1)}
    now = statuses(work, target)
    verdicts = {**before, **{m: now[m] for m in names}} if again else now
    verdicts_file.write_text(json.dumps(verdicts, indent=0, ensure_ascii=False), encoding="utf-8")
    row, survivors = score(name, target, work, verdicts, read_equivalents())
    (work / "survivors.txt").write_text("\n\n".join(survivors) + "\n", encoding="utf-8")
    row["minutes"] = round(seconds / 60, 1)
    row["tests"] = ", ".join(Path(t).name for t in target.tests)
    print(f"\n{name}: {row['score']} caught, {row['survived']} survived ({seconds:.0f} s)", flush=True)
    for text in survivors:
        print(text, end="\n\n")
    return row


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen modules and print the table; exit 1 when a module is below the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"modules to measure, of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--list", action="store_true", help="print the modules, functions and tests, and stop")
    parser.add_argument(
        "--again",
        action="store_true",
        help="rerun only the last run's survivors, with today's tests (quick; the table's numbers need a full run)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(TARGETS))
    if unknown:
        parser.error(f"no such module: {', '.join(unknown)} (the modules: {', '.join(TARGETS)})")
    names = args.modules or list(TARGETS)
    if args.list:
        for name in names:
            t = TARGETS[name]
            print(f"{name}: src/{t.path} [{', '.join(t.functions) or 'every function'}] ← {' '.join(t.tests)}")
        return 0
    start_load, started = load(), datetime.now()
    rows = [measure(name, args.children, args.again) for name in names]
    command = "benchmarks/mutation.py" + " --again" * args.again + "".join(f" {n}" for n in args.modules)
    print(
        f"\nMeasured {started:%Y-%m-%d %H:%M} by `.venv/bin/python {command}` (mutmut, {args.children} at once); "
        f"load average at start {start_load}, at the end {load()}.\n"
    )
    print(markdown(rows))
    low = [
        r["module"] for r in rows if r["score"] == "failed" or float(r["score"].rstrip("%")) < TARGET_SCORE * 100
    ]
    if low:
        print(f"\nbelow {TARGET_SCORE:.0%}: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    raise SystemExit(main())
