"""The package's architecture, checked (docs/architecture.md): layers, no import cycles, every module on the
architecture page, no pointer to a file outside the repository, and drawing only in ``plots/``.

Fast (about a second): nothing here imports TensorFlow; the import graph is built from the source by grimp.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Set
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "course_utils"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MODULE_TABLE = "## Every module"  # the section of the architecture page whose table lists every module

# Drawing belongs to the plots layer: these modules and calls draw (or set up drawing), so they stay in plots/.
DRAWING_MODULES = ("matplotlib.pyplot", "seaborn")
DRAWING_METHODS = ("subplots",)


def package_files() -> list[Path]:
    """Every Python module of the package, in a stable order."""
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    """A module's path as the architecture page writes it: relative to ``src/course_utils``, with ``/``."""
    return path.relative_to(PACKAGE).as_posix()


# --- layers --------------------------------------------------------------------------------------------------


def test_layer_contract_is_kept():
    """``lint-imports`` (import-linter; contract in pyproject.toml) passes: no lower layer imports a higher one."""
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [*command, "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", f"{result.stdout}\n{result.stderr}")  # its colours, as plain text
    assert result.returncode == 0, f"lint-imports failed (pyproject.toml, [tool.importlinter]):\n{output}"
    assert "0 broken" in output, output


# --- no import cycles ----------------------------------------------------------------------------------------


def strongly_connected(edges: Mapping[str, Set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of a directed graph, each sorted; iterative (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def one_cycle(component: Iterable[str], edges: Mapping[str, Set[str]]) -> list[str]:
    """A shortest import cycle through the component's first module, as ``[a, b, …, a]`` (breadth-first)."""
    members = set(component)
    start = min(members)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, ())):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start} in its own component {sorted(members)}")


def import_edges() -> dict[str, set[str]]:
    """Every import between course_utils modules, those inside functions included (grimp reads them all)."""
    graph = grimp.build_graph("course_utils", cache_dir=None)
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def cycle_report(edges: Mapping[str, Set[str]]) -> list[str]:
    """One line per import cycle: the modules of a strongly connected component and one cycle through them."""
    lines = []
    for component in strongly_connected(edges):
        if len(component) > 1 or component[0] in edges.get(component[0], ()):
            lines.append(f"{', '.join(component)}: {' -> '.join(one_cycle(component, edges))}")
    return lines


def test_cycle_finder_finds_a_cycle():
    """The cycle check itself works: a three-module cycle and a self-import are reported, a chain is not."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert cycle_report(edges) == ["a, b, c: a -> b -> c -> a", "e: e -> e"]
    assert cycle_report({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycles():
    """No course_utils module imports itself through others, even through an import inside a function."""
    edges = import_edges()
    assert "course_utils.config.settings" in edges, sorted(edges)  # the graph is the package's
    cycles = cycle_report(edges)
    assert not cycles, "import cycles among course_utils modules:\n" + "\n".join(cycles)


# --- the architecture page lists every module ----------------------------------------------------------------


def documented_modules(text: str) -> list[str]:
    """The module paths (or ``*`` patterns) in the first column of the page's module table."""
    if MODULE_TABLE not in text:
        raise AssertionError(f"docs/architecture.md has no section {MODULE_TABLE!r}")
    section = text.split(MODULE_TABLE, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\|\s*`([^`]+\.py)`\s*\|", section, flags=re.MULTILINE)


def undocumented(files: Iterable[str], entries: Iterable[str]) -> tuple[list[str], list[str]]:
    """(modules no entry names, entries that name no module)."""
    files, entries = list(files), list(entries)
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, entry) for entry in entries)]
    stale = [entry for entry in entries if not any(fnmatch.fnmatchcase(f, entry) for f in files)]
    return missing, stale


def test_undocumented_finds_missing_and_stale_modules():
    """The page check itself works: an unlisted module and a listed module that is gone are both reported."""
    text = f"# x\n\n{MODULE_TABLE}\n\n| module | holds |\n|---|---|\n| `a.py` | A |\n| `ex/ch*.py` | B |\n"
    entries = documented_modules(text)
    assert entries == ["a.py", "ex/ch*.py"]
    assert undocumented(["a.py", "ex/ch01.py", "b.py"], entries) == (["b.py"], [])
    assert undocumented(["ex/ch01.py"], entries) == ([], ["a.py"])


def test_every_module_is_on_the_architecture_page():
    """docs/architecture.md lists every module of src/course_utils, and no module that no longer exists."""
    entries = documented_modules(ARCHITECTURE.read_text(encoding="utf-8"))
    missing, stale = undocumented([relative(p) for p in package_files()], entries)
    assert not missing, f"modules missing from the table under {MODULE_TABLE!r} of docs/architecture.md: {missing}"
    assert not stale, f"docs/architecture.md lists modules that do not exist: {stale}"


# --- every module says what it holds, without citing files outside the repository ----------------------------


def test_every_module_has_a_real_docstring():
    """Every module opens with a docstring that says what it holds (no placeholder)."""
    bad = []
    for path in package_files():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if not doc or doc.strip().rstrip(".") in {"X", "TODO docstring", "TODO"} or len(doc.strip()) < 20:
            bad.append(f"{relative(path)}: {doc!r}")
    assert not bad, "modules without a real module docstring:\n" + "\n".join(bad)


def test_no_text_cites_the_spec():
    """Nothing under src/ cites "SPEC §": the spec is not in the repository, so say the fact or link the docs."""
    hits = []
    for path in sorted(p for p in SRC.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits += [
            f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for n, line in enumerate(text.splitlines(), 1)
            if "SPEC §" in line
        ]
    assert not hits, "text under src/ cites the spec (outside the repository):\n" + "\n".join(hits)


# --- analysis returns data; only plots draw ------------------------------------------------------------------


def drawing(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module draws: imports of pyplot or seaborn, calls of ``plt.…`` and of ``….subplots(…)``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {a.name}")
                for a in node.names
                if any(a.name == m or a.name.startswith(m + ".") for m in DRAWING_MODULES)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            if any(n == m or n.startswith(m + ".") for n in names for m in DRAWING_MODULES):
                found.append((node.lineno, f"from {node.module} import {', '.join(a.name for a in node.names)}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "plt":
                found.append((node.lineno, f"plt.{node.func.attr}(…)"))
            elif node.func.attr in DRAWING_METHODS:
                found.append((node.lineno, f"….{node.func.attr}(…)"))
            elif ast.unparse(owner).startswith("matplotlib.pyplot"):
                found.append((node.lineno, f"{ast.unparse(node.func)}(…)"))
    return sorted(found)


def test_drawing_finder_finds_drawing():
    """The drawing check itself works on code that draws in each way it looks for, and passes code that does not."""
    code = (
        "import matplotlib.pyplot as plt\nfrom matplotlib import pyplot\nimport seaborn as sns\n"
        "def f(ax):\n    fig, axes = plt.subplots(2)\n    ax.figure.subplots()\n    matplotlib.pyplot.figure()\n"
    )
    assert [line for line, _ in drawing(ast.parse(code))] == [1, 2, 3, 5, 6, 7]
    assert drawing(ast.parse("import matplotlib\nimport numpy as np\nnp.mean([1])\n")) == []


def test_only_plots_draw():
    """No module outside plots/ imports pyplot or seaborn or draws: analysis returns data and plots draw it."""
    bad = []
    for path in package_files():
        if relative(path).startswith("plots/"):
            continue
        bad += [
            f"{relative(path)}:{line}: {what}"
            for line, what in drawing(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        ]
    assert not bad, "drawing outside course_utils/plots (move it to a plots module):\n" + "\n".join(bad)


# --- imports at module top -----------------------------------------------------------------------------------


def undeclared_inner_imports(files: Iterable[Path]) -> list[str]:
    """Imports inside functions without a ``# deferred: why`` comment on their line (checkers excluded: an
    exercise's checker imports what its chapter needs only when it runs)."""
    found = []
    for path in files:
        if "exercises" in path.parts:
            continue
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                statement = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                if "# deferred:" not in statement:  # the formatter may move the comment into the parentheses
                    found.append(f"{path.name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def test_inner_import_finder_finds_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    import json\n    import re  # deferred: why\n")
    assert undeclared_inner_imports([module]) == ["m.py:4: import json"]


def test_imports_are_at_module_top_unless_deliberately_deferred():
    undeclared = undeclared_inner_imports(package_files())
    assert not undeclared, "import at module top, or say why it is deferred (`# deferred: …`):\n" + "\n".join(
        undeclared
    )
