#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite, in two stages:
#   1. every chapter executed under nbval (COURSE_PROFILE=smoke COURSE_DATA=sample, set in conftest.py) and the
#      tests marked slow, on two workers; nbval saves each chapter it executed cleanly, with its outputs, to
#      _build/executed;
#   2. at the same time, the book built by the README's own command (tools/book.sh) with warnings as errors,
#      finding those executed chapters in its jupyter-cache (student and instructor editions), and the rendered
#      pages checked in headless Chromium (tests/test_book.py), beside the other unit tests on two workers: the
#      book build and the browser leave a core idle most of the time.
# Stage 1 also runs the chapters that read the images through the book's runner (tools/bookexec.py) against a local
# copy of the archive whose image links are mostly dead (tests/test_link_rot*.py), and prints its 25 slowest tests.
# The environment is Colab's runtime (tools/setup.sh). Extra arguments go to every pytest run (e.g. -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export COURSE_EXECUTED_DIR="$PWD/_build/executed"
export PYDEVD_DISABLE_FILE_VALIDATION=1  # quiets a notice each kernel's debugger prints on Python 3.13
rm -rf "$COURSE_EXECUTED_DIR"
start=$(date +%s)
pytest=(.venv/bin/python -m pytest -p no:cacheprovider)
failed() { [ "$1" -ne 0 ] && [ "$1" -ne 5 ]; }  # 5: a selection (-k) left nothing to run in this part
first=0
"${pytest[@]}" -n 2 --dist loadfile --nbval-lax tests book --ignore=tests/test_book.py -m slow --durations=25 "$@" \
  || first=$?
if failed "$first"; then exit "$first"; fi
echo "stage 1: $(( $(date +%s) - start )) s"
mkdir -p _build && book_log="$PWD/_build/test-book.log"
"${pytest[@]}" tests/test_book.py "$@" > "$book_log" 2>&1 &
book=$!
units=0
"${pytest[@]}" -n 2 --dist loadfile tests --ignore=tests/test_book.py -m "not slow" --durations=10 "$@" || units=$?
books=0
wait "$book" || books=$?
echo "--- tests/test_book.py (the book and the browser; log: _build/test-book.log) ---"
cat "$book_log"
echo "test suite: $(( $(date +%s) - start )) s on $(nproc) cores"
if failed "$units"; then exit "$units"; fi
if failed "$books"; then exit "$books"; fi
