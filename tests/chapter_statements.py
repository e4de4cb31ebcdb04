"""What a chapter must say about its data, read from its executed outputs (shared by the link-rot runs in
``test_link_rot*.py`` and the check conftest.py adds after each chapter's nbval run).

Right after loading its data a chapter says how many artworks it has per class and how many have an image
(``coverage.print_coverage``); a chapter that computes numbers from the images warns where they rest on too few
(``coverage.warn_few_images``).
"""

from __future__ import annotations

from course_utils.datasets import coverage

#: Chapters that compute numbers from the images (scores, per-class or per-group results): they must warn.
IMAGE_NUMBERS = {f"{n:02d}" for n in range(5, 18)} - {"12"}  # not 12, Looking inside (nor 18, Scaling up)
#: Calls that load a chapter's data; the coverage statement must follow within two code cells.
LOADERS = ("ensure_source(", "class_folders(", "load_split(")
#: Chapter 02 downloads the images itself: its statement follows that download, not its first data call.
LOAD_CALLS = {"02": ("download_all(out",)}


def output_text(cell) -> str:
    """Everything a code cell showed: streams, plain-text results and error messages."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "\n".join(parts)


def warned(text: str) -> bool:
    """Whether an output holds a too-few-images warning: printed (outside a notebook), the chapter's notice, or
    a later quiet line (``coverage.show_warnings``)."""
    marks = (coverage.WARNING, f"{coverage.NOTICE_TITLE}: ", coverage.AGAIN)
    return any(mark in text for mark in marks)


def statement_problems(nb, name: str, warnings: bool) -> list[str]:
    """What an executed chapter fails to say: its coverage statement early (within two code cells of its first
    data call), and, when ``warnings``, a too-few-images warning after it."""
    number = name[:2]
    texts = [output_text(c) if c.cell_type == "code" else "" for c in nb.cells]
    said = [i for i, text in enumerate(texts) if coverage.COVERAGE_HEADING in text]
    if not said:
        return [f"{name} never says how many artworks it has per class (coverage.print_coverage)"]
    problems = []
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    calls = LOAD_CALLS.get(number, LOADERS)
    loads = next(i for i in code if any(call in nb.cells[i].source for call in calls))
    if said[0] > code[min(code.index(loads) + 2, len(code) - 1)]:
        problems.append(
            f"{name} says its artworks per class only in cell {said[0]}, long after loading its data "
            f"(cell {loads})"
        )
    if warnings and not [i for i, text in enumerate(texts) if warned(text) and i > said[0]]:
        problems.append(f"{name} computes numbers from few images but never warns that they rest on too few")
    return problems
