"""Keep the chapters' notebooks uniform: no outputs, one metadata block, the Colab setup cell first.

    python tools/nbtool.py normalize [NOTEBOOK ...]   rewrite notebooks in place (all of book/ by default)
    python tools/nbtool.py check [NOTEBOOK ...]       exit 1 and name each notebook that is not normalized

The setup cell is rendered from the repository address in ``_config.yml`` (its one place).
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
METADATA = {
    "accelerator": "GPU",
    "colab": {"gpuType": "T4", "provenance": [], "toc_visible": True},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
SETUP_TAG = "colab-setup"


def requirement(name: str) -> str:
    """The pinned ``name==version`` line of requirements.txt (the Colab setup cell installs the same pin)."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.strip()
    raise KeyError(f"requirements.txt pins no {name}")


KERAS_TUNER = requirement("keras-tuner")


def repository() -> tuple[str, str]:
    """The repository address and branch from _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"], config["repository"].get("branch", "main")


def toc_files(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every file a table of contents lists (``book/intro``, ``book/01_setting_up`` …), in reading order."""
    data = yaml.safe_load(Path(toc).read_text())
    return [data["root"]] + [c["file"] for part in data.get("parts", []) for c in part["chapters"]]


def setup_source() -> str:
    """The first code cell of every chapter: installs in Colab only, does nothing elsewhere."""
    url, branch = repository()
    return (
        "# Colab only: install the course package and keras-tuner (Colab already has TensorFlow).\n"
        "# Elsewhere this cell does nothing: install locally with `pip install -r requirements.txt -e .`.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "course-utils @ git+{url}@{branch}" "{KERAS_TUNER}"'
    )


def normalized(nb: dict) -> dict:
    """The notebook without outputs, with uniform metadata and the current setup cell first."""
    cells = []
    for cell in nb["cells"]:
        cell = dict(cell)
        source = cell["source"]
        cell["source"] = "".join(source) if isinstance(source, list) else source
        cell.setdefault("metadata", {})
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            for key in ("collapsed", "scrolled", "execution", "colab", "outputId"):
                cell["metadata"].pop(key, None)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        cells.append(cell)
    code = [c for c in cells if c["cell_type"] == "code"]
    if code:
        first = code[0]
        if SETUP_TAG in first["metadata"].get("tags", []) or "google.colab" in first["source"]:
            first["source"] = setup_source()
            first["metadata"]["tags"] = [SETUP_TAG]
    seen: set[str] = set()
    for cell in cells:  # ids are kept across edits; only a missing or repeated one gets a new, random id
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"cell-{uuid.uuid4().hex[:8]}"
        seen.add(cell["id"])
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def dumps(nb: dict) -> str:
    """The canonical text of a notebook (stable key order, one-space indent, trailing newline)."""
    out = dict(nb)
    out["cells"] = [dict(c, source=c["source"].splitlines(keepends=True)) for c in nb["cells"]]
    return json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def notebooks(args: list[str]) -> list[Path]:
    """The notebooks named, or all chapters in book/."""
    return [Path(a) for a in args] or sorted((ROOT / "book").glob("*.ipynb"))


def main(argv: list[str]) -> int:
    """Run ``normalize`` or ``check``."""
    if not argv or argv[0] not in ("normalize", "check"):
        print(__doc__)
        return 2
    bad = []
    for path in notebooks(argv[1:]):
        text = path.read_text()
        canonical = dumps(normalized(json.loads(text)))
        if argv[0] == "normalize":
            path.write_text(canonical)
        elif text != canonical:
            bad.append(path)
    for path in bad:
        print(f"{path}: not normalized (outputs, metadata or setup cell); run: python tools/nbtool.py normalize {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
