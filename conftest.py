"""Test-wide settings: notebooks and tests run on the offline sample with the smoke profile (SPEC §4).

Set here, before any kernel starts, so nbval's kernels inherit them. A COURSE_DATA_DIR set outside wins.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
os.environ["COURSE_PROFILE"] = "smoke"
os.environ["COURSE_DATA"] = "sample"
os.environ.setdefault("COURSE_DATA_DIR", str(ROOT / "_build" / "test-data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["COURSE_CHECK_FIGURES"] = "1"  # a figure without title or axis labels fails its cell
