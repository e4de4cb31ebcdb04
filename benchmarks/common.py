"""What every benchmark script prints besides its numbers: a markdown table, the machine and how busy it was.

Timings on a shared machine are disturbed by other processes, so every table says the load average before and
after, and the scripts report the best of several repeats (the run least disturbed).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import course_utils  # noqa: E402,F401  (sets the package's TensorFlow defaults before TensorFlow starts)


def markdown(rows: list[dict], floats: str = "{:,.1f}") -> str:
    """A markdown table with the rows' keys as columns; floats formatted with ``floats``."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cell = lambda v: floats.format(v) if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def load() -> str:
    """The 1-minute load average against the core count (above the core count, other work shares the CPU)."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def class_folder_sample(root: Path, n: int, seed: int) -> Path:
    """A sample of ``n`` artworks prepared into class folders under ``root`` (generated once, reused by later runs)."""
    from course_utils.datasets.prepare import prepare
    from course_utils.datasets.sample import write_sample

    write_sample(root / "sample", n=n, seed=seed, overwrite=False)
    out = root / "prepared"
    if not (out / "prepare.json").is_file():
        prepare(root / "sample", out)
    return out


def header(command: str) -> str:
    """The line above a table: when, on what, with which versions, by which command, and the load."""
    import tensorflow as tf
    from chapter_times import machine

    return (
        f"Measured {datetime.now():%Y-%m-%d %H:%M} on {machine()}, TensorFlow {tf.__version__}, "
        f"by `{command}`; load average at start {load()}."
    )
