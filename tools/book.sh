#!/usr/bin/env bash
# Set up (if needed) and build the book, executing every chapter. With the default COURSE_DATA=auto the chapters
# use the real WikiArt Emotions data where it can be reached, else the offline sample (each chapter says which).
#   bash tools/book.sh                 the student edition  -> _build/html
#   bash tools/book.sh --instructor    solutions shown      -> _build_instructor/html
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
out=.
if [ "${1:-}" = "--instructor" ]; then
  export COURSE_EDITION=instructor
  out=_build_instructor
fi
.venv/bin/jupyter-book build . --path-output "$out" -W -n --keep-going
echo "book: open $out/_build/html/index.html" | sed 's#\./_build#_build#'
