#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite, in two stages:
#   1. package unit tests and every chapter executed under nbval (COURSE_PROFILE=smoke COURSE_DATA=sample, set in
#      conftest.py), on two workers; nbval saves each chapter it executed cleanly, with its outputs, to _build/executed;
#   2. the book built by the README's own command (tools/book.sh) with warnings as errors, finding those executed
#      chapters in its jupyter-cache (student and instructor editions), and the rendered pages checked in headless
#      Chromium (tests/test_book.py).
# Stage 1 also runs the chapters that read the images through the book's runner (tools/bookexec.py) against a local
# copy of the archive whose image links are mostly dead (tests/test_link_rot*.py), and prints its 25 slowest tests.
# The environment is Colab's runtime (tools/setup.sh). Extra arguments go to both pytest runs (e.g. -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export COURSE_EXECUTED_DIR="$PWD/_build/executed"
export PYDEVD_DISABLE_FILE_VALIDATION=1  # quiets a notice each kernel's debugger prints on Python 3.13
rm -rf "$COURSE_EXECUTED_DIR"
start=$(date +%s)
.venv/bin/python -m pytest -n 2 --dist loadfile --nbval-lax -p no:cacheprovider tests book \
  --ignore=tests/test_book.py --durations=25 "$@"
.venv/bin/python -m pytest -p no:cacheprovider tests/test_book.py "$@"
echo "test suite: $(( $(date +%s) - start )) s on $(nproc) cores"
