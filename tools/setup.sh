#!/usr/bin/env bash
# Set up everything the course needs on a fresh Debian/Ubuntu machine (idempotent): headless Chromium and its
# driver (browser tests; needs root), a virtual environment in .venv with the pinned requirements, constrained to
# Google Colab's runtime (tools/colab-constraints.txt), and the course package (editable).
# Python: $PYTHON if set, else Python 3.13 (Colab's) where it can be found, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium and chromium-driver (Debian packages) for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "setup: chromium/chromedriver missing and not root: install Debian's chromium and chromium-driver for the browser tests" >&2
  fi
fi

find_python() {
  # Colab runs Python 3.13; pyenv installs it without putting it on PATH, so look there too.
  local candidate
  for candidate in python3.13 "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
      echo "$candidate"; return
    fi
  done
  echo python3
}
PYTHON=${PYTHON:-$(find_python)}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements-stamp
want="$(cat requirements.txt requirements-dev.txt tools/colab-constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # 1. Colab's runtime (its pins) plus the book and test tools, 2. the course as Colab's setup cell installs it:
  # the package with its dependencies, plus keras-tuner. Under Colab's constraints, step 2 fails rather than
  # move any package Colab has, so a passing setup proves the setup cell installs nothing over Colab's own.
  .venv/bin/python -m pip install -q -r requirements.txt -r requirements-dev.txt -c tools/colab-constraints.txt
  .venv/bin/python -m pip install -q -c tools/colab-constraints.txt -e . "$(grep '^keras-tuner==' requirements.txt)"
  echo "$want" > "$stamp"
fi
