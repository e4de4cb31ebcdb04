#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: package unit tests, every chapter under nbval,
# the book built with warnings as errors, and the rendered HTML checked in headless Chromium.
# Notebooks run with COURSE_PROFILE=smoke COURSE_DATA=sample (set in conftest.py). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec .venv/bin/python -m pytest -n 2 --dist loadfile --nbval-lax -p no:cacheprovider tests book "$@"
