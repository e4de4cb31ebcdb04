#!/usr/bin/env bash
# Set up (if needed) and build the book, executing every chapter. With the default COURSE_DATA=auto the chapters
# use the real WikiArt Emotions data where it can be reached, else the offline sample (each chapter says which).
#   bash tools/book.sh                     the student edition  -> _build/html
#   bash tools/book.sh --instructor        solutions shown      -> _build_instructor/_build/html
#   bash tools/book.sh ... --out DIR       build into DIR/_build/html instead
# Executed chapters are cached per data source, profile and seed (book/_ext/course_edition.py): a rebuild runs
# only what changed. A stalled cell fails within seconds, a computing one may run up to its profile's ceiling
# (course_utils.runner). When a chapter fails, the rest of the book is still built: the build ends with which
# chapter and cell failed and what to do, and this script prints where the pages are and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.
while [ $# -gt 0 ]; do
  case "$1" in
    --instructor) export COURSE_EDITION=instructor; [ "$out" = . ] && out=_build_instructor ;;
    --out) out="$2"; shift ;;
    *) echo "book.sh: unknown argument $1 (use --instructor, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
bash tools/setup.sh
export PYDEVD_DISABLE_FILE_VALIDATION=1  # quiets a notice each kernel's debugger prints on Python 3.13
toc=()
[ -n "${COURSE_BOOK_TOC:-}" ] && toc=(--toc "$COURSE_BOOK_TOC")
status=0
.venv/bin/jupyter-book build . --path-output "$out" "${toc[@]}" -W -n --keep-going || status=$?
index="$out/_build/html/index.html"
index=${index#./}
if [ "$status" -ne 0 ]; then
  failures="$out/_build/html/reports/failed-chapters.txt"
  [ -f "$failures" ] && cat "$failures" >&2
  echo "book: the build failed (exit $status); the problems are listed above." >&2
  [ -f "$index" ] && echo "book: the pages that were built: open $index" >&2
  exit "$status"
fi
echo "book: open $index"
