"""Write tools/colab-constraints.txt from Colab's published package list.

Colab publishes its GPU runtime's `pip freeze` in the public repository googlecolab/backend-info
(`pip-freeze.gpu.txt`). This keeps its installable `name==version` lines as pip constraints, so that an
environment built with `-c tools/colab-constraints.txt` has Colab's version of every package Colab has.

Refresh (then run the suite and commit both files):

    curl -LO https://raw.githubusercontent.com/googlecolab/backend-info/main/pip-freeze.gpu.txt
    python tools/colab_constraints.py pip-freeze.gpu.txt --commit <backend-info commit> --date <its date>
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

OUT = Path(__file__).with_name("colab-constraints.txt")
# Left out, with the reason: packages only the book builder uses, at versions Jupyter Book 1.x cannot use
# (jupyter-book 1.0.4 needs sphinx~=7; myst-parser 3 needs markdown-it-py~=3). Colab never builds the book.
BOOK_ONLY = {
    "sphinx": "jupyter-book 1.x needs sphinx~=7",
    "sphinxcontrib-applehelp": "comes with sphinx",
    "sphinxcontrib-devhelp": "comes with sphinx",
    "sphinxcontrib-htmlhelp": "comes with sphinx",
    "sphinxcontrib-jsmath": "comes with sphinx",
    "sphinxcontrib-qthelp": "comes with sphinx",
    "sphinxcontrib-serializinghtml": "comes with sphinx",
    "alabaster": "sphinx's default theme, pinned by sphinx",
    "markdown-it-py": "myst-parser 3 (jupyter-book 1.x) needs markdown-it-py~=3",
    "mdit-py-plugins": "plugins of markdown-it-py, same reason",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*$")


def canonical(name: str) -> str:
    """PEP 503 name, so that `Sphinx` and `sphinx` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints(freeze: str) -> tuple[list[str], list[str]]:
    """The kept `name==version` lines and the names left out (URL installs, book-only packages)."""
    kept, left_out = [], []
    for line in freeze.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        if not match:
            left_out.append(line.split(" @ ")[0] + " (not from a package index)")
        elif canonical(match[1]) in BOOK_ONLY:
            left_out.append(f"{match[1]} ({BOOK_ONLY[canonical(match[1])]})")
        else:
            kept.append(line)
    return kept, left_out


def main() -> None:
    """Read a freeze file and write the constraints file with a header saying where it came from."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("freeze", type=Path)
    parser.add_argument("--commit", required=True, help="backend-info commit the freeze comes from")
    parser.add_argument("--date", required=True, help="that commit's date, YYYY-MM-DD")
    args = parser.parse_args()
    kept, left_out = constraints(args.freeze.read_text(encoding="utf-8"))
    header = [
        "# Colab's GPU runtime as pip constraints: every name==version line of pip-freeze.gpu.txt in the public",
        f"# repository googlecolab/backend-info at commit {args.commit} ({args.date}), Python 3.13.",
        "# Written by tools/colab_constraints.py (its docstring says how to refresh it); do not edit by hand.",
        "# Left out: " + "; ".join(left_out),
    ]
    OUT.write_text("\n".join(header + kept) + "\n", encoding="utf-8")
    print(f"{OUT.name}: {len(kept)} pins, {len(left_out)} left out")


if __name__ == "__main__":
    main()
