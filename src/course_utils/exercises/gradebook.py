"""A class's notebooks graded by the chapters' own checkers: a folder in, a gradebook and feedback out.

``course-utils grade FOLDER`` (``cli.py``) calls :func:`grade_folder`. Every ``*.ipynb`` under the folder
(subfolders too, as a learning platform's download has them) is one submission. Each runs in a fresh kernel
(nbclient, through :class:`course_utils.runner.WatchfulClient`: a stalled cell fails in seconds) with one time
limit for all its cells; its cells run in order and stop at the first that raises, as Colab's "Run all" does.
Then the grader's own code (:func:`grading_source`) runs every checker of the chapter on what the kernel
defines, with a token drawn for that notebook; the verdicts come back in the kernel's reply to that code (its
``user_expressions``), never from what any cell printed or displayed.

A submission's chapter is recognised from what it holds (:func:`recognise_chapter`): the
``chapter("NN")`` call of its exercise cell first, then the ``ex-NN-k`` labels of its exercises, then a chapter's
file name in its own (``Copy of 05_original_cnn.ipynb``). A notebook for another chapter is listed, not run; a
notebook that names no chapter is graded as the folder's. Every notebook gets a row whatever happens to it
(:data:`STATUSES`): no submission is lost, and one that fails never stops the others.

What a student cannot fake: a printed "✓" or a printed or displayed copy of the grader's result (only the
reply to the grader's code counts, and it carries a token no cell of the student's saw), or a checker changed in
the notebook (the grader's code imports the checkers afresh from the package's files). What a determined
student still can: their code runs in the same kernel before the checkers, so it may patch what the checkers
rely on (numpy, Keras, a lower layer of the package, Python itself) or the kernel's messaging, and so rewrite
the reply. :func:`review_flags` lists code that reaches for such machinery, for a person to read; grade on a
machine or container that holds nothing a student's code should see (the code runs with the grader's rights).
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
import os
import re
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from course_utils.data.files import write_atomic
from course_utils.exercises import chapter, chapter_modules
from course_utils.runner import CellStallError, WatchfulClient, cell_label

#: Seconds the appended cell may take to run every checker of the chapter (some build a Keras model).
CHECK_TIMEOUT_S = 120
#: The name the grader's code gives its verdicts in the kernel (read back through the reply).
RESULT = "_course_grade_verdicts"
#: Where a row's status comes from: the notebook ran to its end; a cell raised (graded on what ran before it);
#: the time limit or a stall stopped it (graded on what ran before); the file is no notebook; it was made for
#: another chapter (not run); the checkers could not run (a dead kernel, no verdicts).
STATUSES = (
    "ran",
    "raised",
    "timed out",
    "unreadable",
    "other chapter",
    "not graded",
)
#: The statuses of a notebook whose answers were checked.
GRADED = STATUSES[:3]
#: The gradebook's file inside the output folder, and the folder of feedback files beside it.
GRADEBOOK, FEEDBACK = "gradebook.csv", "feedback"
#: Code that reaches for the grading machinery (the checkers, the kernel's messaging, Python's internals).
SUSPECT = re.compile(
    r"\.(?:checker|results)\b|\bEXERCISES\b|\bExercise\b|sys\.modules\s*\["
    r"|\bbuiltins\b|session\.send|display_pub|events\.register"
    r"|input_transformers|ast_transformers|importlib\.reload"
    r"|course_utils\.exercises\.\w"
)
#: How each kind of cell is rebuilt from a submission.
MAKE_CELL = {
    "code": nbformat.v4.new_code_cell,
    "markdown": nbformat.v4.new_markdown_cell,
    "raw": nbformat.v4.new_raw_cell,
}
_LOADER = re.compile(r"""\bchapter\(\s*["']?(\d{1,2})["']?\s*\)""")
_LABEL = re.compile(r"\bex-(\d{2})-\d+\b")


class Unreadable(Exception):
    """A submission that is no notebook: the message says why (not JSON, no cells …)."""


@dataclass
class Outcome:
    """One row of the gradebook: a notebook, its chapter, what happened and each checker's verdict."""

    notebook: str  # path relative to the graded folder, with /
    chapter: str = (
        ""  # the chapter the notebook was made for ("" when none is named)
    )
    status: str = "not graded"
    detail: str = ""  # one line: why it stopped, which chapter it was for …
    verdicts: dict[str, tuple[bool, str]] = field(default_factory=dict)
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)

    def passed(self, label: str) -> bool:
        """Whether the exercise's checker accepted this notebook's answer."""
        return self.verdicts.get(label, (False, ""))[0]


@dataclass
class Gradebook:
    """A graded folder: the chapter, its exercise labels, one outcome per notebook, and where they went."""

    chapter: str
    labels: list[str]
    outcomes: list[Outcome]
    csv_path: Path
    feedback_dir: Path
    skipped: list[str] = field(
        default_factory=list
    )  # files that are not .ipynb

    @property
    def graded(self) -> int:
        """How many notebooks ran (to their end or not) and had their answers checked."""
        return sum(o.status in GRADED for o in self.outcomes)


# --- finding and reading submissions -------------------------------------------------------------------------


def find_notebooks(
    folder: Path, out: Path
) -> tuple[list[Path], list[Path]]:
    """The notebooks under ``folder`` (sorted) and the other files, leaving out hidden folders
    (``.ipynb_checkpoints``) and the output folder."""
    notebooks, others = [], []
    out = out.resolve()
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") for p in parts) or not path.is_file():
            continue
        if path.resolve().is_relative_to(out):
            continue
        (notebooks if path.suffix == ".ipynb" else others).append(path)
    return notebooks, others


def read_submission(path: Path) -> NotebookNode:
    """The notebook in ``path`` (format 4), or :class:`Unreadable` saying why it is none."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise Unreadable(f"not text (UTF-8): {err.reason}") from None
    except json.JSONDecodeError as err:
        raise Unreadable(
            f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    if not isinstance(data, dict) or not isinstance(
        data.get("cells"), list
    ):
        raise Unreadable("JSON, but not a notebook (no list of cells)")
    return nbformat.v4.new_notebook(
        cells=[_cell(i, raw) for i, raw in enumerate(data["cells"])]
    )


def _cell(index: int, raw: object) -> NotebookNode:
    """A cell of a submission rebuilt from its type, text and metadata (tags): nothing else of the student's
    file (outputs, Colab's extra keys) reaches the kernel, and a notebook nbformat would call invalid for a
    key it does not know still runs."""
    kind = raw.get("cell_type") if isinstance(raw, dict) else None
    if kind not in MAKE_CELL:
        raise Unreadable(f"cell {index} is of unknown type {kind!r}")
    source = raw.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise Unreadable(f"cell {index} holds no text")
    metadata = raw.get("metadata")
    return MAKE_CELL[kind](
        source, metadata=metadata if isinstance(metadata, dict) else {}
    )


def recognise_chapter(nb: NotebookNode, name: str) -> str:
    """The chapter a notebook was made for ("" when it names none): the ``chapter("NN")`` call that loads its
    exercises, else the chapter most of its ``ex-NN-k`` labels name, else a chapter's file name in its name."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    text = "\n".join(c.source for c in nb.cells)
    for found in (_LOADER.findall(code), _LABEL.findall(text)):
        numbers = Counter(n.zfill(2) for n in found)
        if numbers:
            return numbers.most_common(1)[0][0]
    for number, module in chapter_modules().items():
        if module[2:] in name:  # "ch05_original_cnn" → "05_original_cnn"
            return number
    return ""


def review_flags(nb: NotebookNode) -> list[str]:
    """The code in a notebook that reaches for the grading machinery (distinct matches, in order)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return list(dict.fromkeys(m.group(0) for m in SUSPECT.finditer(code)))


# --- running one notebook ------------------------------------------------------------------------------------


def grading_source(number: str, token: str) -> str:
    """The code the grader runs in a notebook's kernel after its cells: the chapter's checkers, imported
    afresh, judge what the kernel defines; their verdicts and ``token`` become the JSON text of
    :data:`RESULT`, which the kernel's reply carries back (:func:`run_checkers`)."""
    return f"""\
def _course_grade(number, token):
    import importlib
    import json
    import sys

    mine = [n for n in sys.modules if n.split(".")[:2] == ["course_utils", "exercises"]]
    kept = {{n: sys.modules.pop(n) for n in mine}}
    try:
        fresh = importlib.import_module("course_utils.exercises")
        verdicts = {{}}
        for label, exercise in fresh.chapter(number).exercises.items():
            ok, message = exercise.evaluate()
            verdicts[label] = [ok is True, str(message)]
        payload = {{"token": token, "verdicts": verdicts}}
    except BaseException as err:
        payload = {{"token": token, "error": f"{{type(err).__name__}}: {{err}}"}}
    finally:
        sys.modules.update(kept)
    return json.dumps(payload)


{RESULT} = _course_grade({number!r}, {token!r})"""


def read_verdicts(
    reply: dict, token: str, labels: Iterable[str]
) -> dict[str, tuple[bool, str]]:
    """The verdicts in the kernel's reply to the grader's code, checked against ``token``; ValueError saying
    why there are none."""
    content = reply.get("content", {})
    if content.get("status") != "ok":
        what = f"{content.get('ename', '')}: {content.get('evalue', '')}"
        raise ValueError(
            f"the checkers' cell ended {content.get('status')!r} ({what.strip(': ')})"
        )
    found = content.get("user_expressions", {}).get(RESULT, {})
    try:
        text = ast.literal_eval(found["data"]["text/plain"])
        payload = json.loads(text)
    except (KeyError, TypeError, ValueError, SyntaxError):
        raise ValueError(
            "the checkers' cell returned no verdicts"
        ) from None
    if not isinstance(payload, dict) or payload.get("token") != token:
        raise ValueError("the checkers' cell returned no verdicts")
    if "error" in payload:
        raise ValueError(f"the checkers could not run: {payload['error']}")
    verdicts = payload.get("verdicts", {})
    return {
        label: (verdicts[label][0] is True, str(verdicts[label][1]))
        for label in labels
        if label in verdicts
    }


def one_line(error: BaseException) -> str:
    """An error's message as one line."""
    return (str(error).splitlines() or [type(error).__name__])[0][:200]


def kernel_environment() -> dict[str, str]:
    """The grader's environment (the course's settings included), without the notices a kernel would print
    on the grader's terminal (the debugger's on Python 3.13, TensorFlow's start-up logs)."""
    return {
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **os.environ,
    }


def cell_error(cell: NotebookNode) -> str:
    """What a cell raised, as one line ("" when it raised nothing or is tagged ``raises-exception``)."""
    if "raises-exception" in cell.metadata.get("tags", []):
        return ""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            what = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            return what.strip().rstrip(":").splitlines()[0][:200]
    return ""


def run_cells(
    client: WatchfulClient, nb: NotebookNode, timeout_s: float
) -> tuple[str, str]:
    """Run the notebook's code cells in order until one raises or the time is up: (status, detail).

    Errors are let through to the kernel's reply (``allow_errors``) and read from the cell's outputs: a
    request sent with ``stop_on_error`` would make the kernel drop the checkers' cell queued behind it."""
    deadline = time.monotonic() + timeout_s
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            return "timed out", (
                f"the {timeout_s:,.0f} s limit was reached before {cell_label(nb, cell)}"
            )
        client.timeout = max(1, math.ceil(left))
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError as err:
            run_sync(client.km.interrupt_kernel)()  # the checkers still run
            why = (
                "stalled"
                if isinstance(err, CellStallError)
                else f"was still running at the {timeout_s:,.0f} s limit"
            )
            return "timed out", f"{cell_label(nb, cell)} {why}"
        raised = cell_error(cell)
        if raised:
            return "raised", f"{cell_label(nb, cell)} raised {raised}"
    return "ran", ""


def run_checkers(
    client: WatchfulClient, number: str, labels: list[str]
) -> dict[str, tuple[bool, str]]:
    """Run the chapter's checkers in the notebook's kernel and read their verdicts from the kernel's reply
    (its ``user_expressions``, on the shell channel), never from what any cell printed; ValueError saying
    why there are none.

    The reply, not an output, carries them: after a cell stopped at the time limit, nbclient's reader of that
    cell's outputs may live on and swallow the next cell's outputs."""
    token = secrets.token_hex(16)
    cell = nbformat.v4.new_code_cell(grading_source(number, token))
    msg_id = client.kc.execute(
        cell.source,
        store_history=False,
        user_expressions={RESULT: RESULT},
        stop_on_error=False,
    )
    client.timeout = CHECK_TIMEOUT_S
    try:
        reply = client.wait_for_reply(msg_id, cell)
    except CellTimeoutError:
        reply = None
    if reply is None:
        raise ValueError(
            f"the checkers did not finish within {CHECK_TIMEOUT_S} s"
        )
    return read_verdicts(reply, token, labels)


def run_notebook(
    nb: NotebookNode,
    number: str,
    labels: list[str],
    timeout_s: float,
    workdir: Path,
) -> tuple[str, str, dict[str, tuple[bool, str]]]:
    """Run a notebook's cells in a fresh kernel within ``timeout_s``, then the chapter's checkers:
    (status, detail, verdicts)."""
    client = WatchfulClient(
        nb,
        kernel_name="python3",  # whatever kernel the notebook names
        resources={"metadata": {"path": str(workdir)}},
        allow_errors=True,
        record_timing=False,
    )
    with client.setup_kernel(env=kernel_environment()):
        status, detail = run_cells(client, nb, timeout_s)
        try:
            verdicts = run_checkers(client, number, labels)
        except ValueError as err:
            return (
                "not graded",
                "; ".join(filter(None, [detail, str(err)])),
                {},
            )
    if status != "ran":
        detail += "; graded on what ran before it"
    return status, detail, verdicts


def grade_notebook(
    path: Path,
    folder: Path,
    number: str,
    labels: list[str],
    timeout_s: float,
) -> Outcome:
    """One notebook's row; never raises (whatever goes wrong is the row's status and detail)."""
    started = time.monotonic()
    outcome = Outcome(path.relative_to(folder).as_posix())
    try:
        nb = read_submission(path)
    except (Unreadable, OSError) as err:
        outcome.status, outcome.detail = "unreadable", str(err)
        return outcome
    outcome.chapter = recognise_chapter(nb, path.name)
    outcome.flags = review_flags(nb)
    if outcome.chapter and outcome.chapter != number:
        outcome.status = "other chapter"
        outcome.detail = (
            f"made for chapter {outcome.chapter}, not {number}: not run"
        )
        return outcome
    try:
        with tempfile.TemporaryDirectory(prefix="course-grade-") as workdir:
            outcome.status, outcome.detail, outcome.verdicts = run_notebook(
                nb, number, labels, timeout_s, Path(workdir)
            )
    except DeadKernelError:
        outcome.status = "not graded"
        outcome.detail = (
            "the kernel died (out of memory, or the code ended Python)"
        )
    except Exception as err:  # noqa: BLE001 (one notebook must never stop the others)
        outcome.status = "not graded"
        outcome.detail = (
            f"could not be run: {type(err).__name__}: {one_line(err)}"
        )
    if not outcome.chapter:
        outcome.detail = "; ".join(
            filter(
                None,
                [
                    f"names no chapter: graded as chapter {number}",
                    outcome.detail,
                ],
            )
        )
    outcome.seconds = time.monotonic() - started
    return outcome


# --- the folder ----------------------------------------------------------------------------------------------


def folder_chapter(notebooks: list[Path]) -> str:
    """The chapter most of the readable notebooks were made for; ValueError on a tie or none."""
    found = Counter()
    for path in notebooks:
        try:
            number = recognise_chapter(read_submission(path), path.name)
        except (Unreadable, OSError):
            continue
        if number:
            found[number] += 1
    ranked = found.most_common()
    if not ranked:
        raise ValueError(
            "no notebook names its chapter; pass the chapter to grade with --chapter NN"
        )
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        tied = " and ".join(
            f"{n} ({c})" for n, c in ranked if c == ranked[0][1]
        )
        raise ValueError(
            f"as many notebooks are for chapter {tied}: pass the one to grade with --chapter NN"
        )
    return ranked[0][0]


def feedback_name(notebook: str) -> str:
    """The feedback file of a notebook (``alice/05.ipynb`` → ``alice__05.md``)."""
    return notebook.removesuffix(".ipynb").replace("/", "__") + ".md"


def feedback_text(outcome: Outcome, number: str, labels: list[str]) -> str:
    """A short Markdown note for the student: what ran, and each exercise passed or the checker's message."""
    got = sum(outcome.passed(label) for label in labels)
    lines = [f"# Feedback on {outcome.notebook} (chapter {number})", ""]
    ran = {
        "ran": "Every cell ran.",
        "raised": f"Stopped: {outcome.detail}.",
        "timed out": f"Stopped: {outcome.detail}.",
    }
    lines.append(ran.get(outcome.status, f"Not graded: {outcome.detail}."))
    lines += ["", f"Checked exercises passed: {got} of {len(labels)}.", ""]
    if outcome.status in GRADED:
        for label in labels:
            ok, message = outcome.verdicts.get(
                label, (False, "not checked")
            )
            lines.append(f"- {'✓' if ok else '✗'} {label}: {message}")
    return "\n".join(lines) + "\n"


def gradebook_csv(outcomes: list[Outcome], labels: list[str]) -> str:
    """The gradebook as CSV text: one row per notebook, a column per exercise (1 passed, 0 not), the total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "notebook",
            "chapter",
            "status",
            *labels,
            "total",
            "seconds",
            "detail",
            "review",
        ]
    )
    for o in outcomes:
        marks = [int(o.passed(label)) for label in labels]
        writer.writerow(
            [
                o.notebook,
                o.chapter,
                o.status,
                *marks,
                sum(marks),
                f"{o.seconds:.1f}",
                o.detail,
                " ".join(o.flags),
            ]
        )
    return buffer.getvalue()


def grade_folder(
    folder: Path,
    out: Path | None,
    number: str | None,
    timeout_s: float,
    log: Callable[[str], None] = print,
) -> Gradebook:
    """Grade every notebook under ``folder`` for chapter ``number`` (by default the one most of them are
    for); write ``gradebook.csv`` and one feedback file per notebook into ``out`` (``FOLDER/gradebook``)."""
    folder = Path(folder)
    out = Path(out) if out is not None else folder / "gradebook"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if timeout_s <= 0:
        raise ValueError(
            f"the time limit must be positive, not {timeout_s}"
        )
    notebooks, others = find_notebooks(folder, out)
    if not notebooks:
        raise FileNotFoundError(f"{folder}: no .ipynb file in it")
    number = str(number).zfill(2) if number else folder_chapter(notebooks)
    labels = chapter(number).labels
    outcomes: list[Outcome] = []
    try:
        for path in notebooks:
            outcome = grade_notebook(
                path, folder, number, labels, timeout_s
            )
            outcomes.append(outcome)
            got = sum(outcome.passed(label) for label in labels)
            log(
                f"{outcome.notebook}: {got}/{len(labels)} ({outcome.status}, {outcome.seconds:.0f} s)"
            )
    finally:  # interrupted: the rows so far, and the rest listed as not graded
        for path in notebooks[len(outcomes) :]:
            outcomes.append(
                Outcome(
                    path.relative_to(folder).as_posix(),
                    detail="grading was interrupted",
                )
            )
        book = write_gradebook(folder, out, number, labels, outcomes)
        book.skipped = [p.relative_to(folder).as_posix() for p in others]
    return book


def write_gradebook(
    folder: Path,
    out: Path,
    number: str,
    labels: list[str],
    outcomes: list[Outcome],
) -> Gradebook:
    """Write the CSV and the feedback files (each whole or not at all)."""
    csv_path, feedback_dir = out / GRADEBOOK, out / FEEDBACK
    for outcome in outcomes:
        write_atomic(
            feedback_dir / feedback_name(outcome.notebook),
            feedback_text(outcome, number, labels),
        )
    write_atomic(csv_path, gradebook_csv(outcomes, labels))
    return Gradebook(number, labels, outcomes, csv_path, feedback_dir)
