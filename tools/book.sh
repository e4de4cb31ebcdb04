#!/usr/bin/env bash
# Set up (if needed) and build the book, executing every chapter. With the default COURSE_DATA=auto the chapters
# use the real WikiArt Emotions data where it can be reached, else the offline sample (each chapter says which).
#   bash tools/book.sh                     the student edition  -> _build/html
#   bash tools/book.sh --instructor        solutions shown      -> _build_instructor/_build/html
#   bash tools/book.sh ... --out DIR       build into DIR/_build/html instead
# Executed chapters are cached per data source, profile and seed (book/_ext/course_edition.py): a rebuild runs
# only what changed. A cell that runs past its profile's time limit fails the build, naming chapter and cell.
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
.venv/bin/jupyter-book build . --path-output "$out" "${toc[@]}" -W -n --keep-going
echo "book: open $out/_build/html/index.html" | sed 's#^book: open \./#book: open #'
