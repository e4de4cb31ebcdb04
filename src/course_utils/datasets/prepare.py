"""The training layout: one folder per class (the study's class names), images named by artwork ID, resized.

The folder is ready for ``keras.utils.image_dataset_from_directory``; ``labels.csv`` beside the class folders
keeps every artwork's flags, class, valence–arousal target and metadata for the chapters that need more
(``Style`` and ``Year`` as the archive writes them, with the parsed ``Year start`` and ``Year end``), and
``prepare.json`` the settings and the SHA-256 of the All file the folders were built from. The targets use the
data folder's coordinates (``labels.emotion_coordinates``: the NRC VAD lexicon where the folder holds it, else the
course's placements); ``prepare.json`` records them, and other coordinates make the folder out of date.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from course_utils.config.study import IMAGE_SIZE, THRESHOLD
from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.data.files import write_atomic
from course_utils.data.images import ImageError, load_square, save_atomic
from course_utils.datasets.sample import STAMP as SAMPLE_STAMP
from course_utils.labels import (
    CLASS_NAMES,
    Coordinates,
    emotion_coordinates,
    emotion_table,
    label_table,
    va_targets,
)

LABELS_FILE = "labels.csv"


#: The All file's columns that labels.csv keeps for every artwork, as the archive writes them.
LABEL_META = tuple(
    c for c in schema.META_COLUMNS if c not in ("ID", *schema.URL_COLUMNS)
)


#: ... and with them the parsed years (:func:`course_utils.data.annotations.parse_year`). ``Style`` stays the archive's
#: string (one style, or two joined by a comma); :func:`course_utils.data.annotations.parse_styles` splits it.
META_COPIED = (
    "Style",
    "Category",
    "Artist",
    "Title",
    "Year",
    "Year start",
    "Year end",
    "Is painting",
    "Face/body",
    "Ave. art rating",
)


@dataclass
class PrepareReport:
    """What ``prepare`` did: images per class, written now, already there, and what is missing or bad."""

    counts: dict[str, int]
    written: int = 0
    kept: int = 0
    unlabelled: int = 0
    missing: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the command line and the chapters."""
        total = sum(self.counts.values())
        empty = sum(1 for c in self.counts.values() if not c)
        return (
            f"{total} images in {len(self.counts)} class folders, {empty} of them empty "
            f"({self.written} written, {self.kept} already there); {self.unlabelled} artworks without a quadrant "
            f"left out; {len(self.missing)} without an image; {len(self.invalid)} unreadable"
        )


def find_image(images_dir: Path, ident: str) -> Path | None:
    """The image file of an artwork (any extension), or None."""
    for path in sorted(images_dir.glob(f"{ident}.*")):
        if not path.name.startswith("."):
            return path
    return None


def prepare(
    data_root: str | Path,
    out: str | Path,
    scope: str = "art",
    threshold: float = THRESHOLD,
    size: int = IMAGE_SIZE,
    policy: str = "squash",
    mapping: Mapping[str, str] | None = None,
) -> PrepareReport:
    """Build (or bring up to date) the class folders from a data folder holding the archive and ``images/``."""
    data_root, out = Path(data_root), Path(out)
    all_file = data_root / schema.ARCHIVE_FOLDER / schema.ALL_FILE
    table = read_table(all_file, LABEL_META)
    images = images_folder(data_root)
    resized_alike = resized_as_before(out, size, policy, data_root)
    values = shares(table, scope)
    labels = label_table(values, threshold, mapping)
    coordinates = emotion_coordinates(data_root)
    targets = va_targets(values, coordinates.table)
    report = PrepareReport(
        counts={c: 0 for c in CLASS_NAMES},
        unlabelled=int(labels["class"].isna().sum()),
    )
    wanted: set[Path] = set()
    for ident, cls in labels["class"].dropna().items():
        target = out / cls / f"{ident}.jpg"
        wanted.add(target)
        if place_image(
            images,
            ident,
            target,
            (size, policy),
            resized_alike,
            report,
        ):
            report.counts[cls] += 1
    for stale in out.glob(
        "*/*.jpg"
    ):  # a class folder must hold exactly its artworks
        if stale not in wanted:
            stale.unlink()
    for folder in out.glob(
        "*"
    ):  # an emptied folder of another layout would be an extra class to a loader
        if (
            folder.is_dir()
            and folder.name not in CLASS_NAMES
            and not any(folder.iterdir())
        ):
            folder.rmdir()
    for cls in CLASS_NAMES:
        (out / cls).mkdir(parents=True, exist_ok=True)
    meta = table[list(META_COPIED)]
    frame = pd.concat(
        [meta, labels, targets, values.add_prefix("share ")], axis=1
    )
    frame["has image"] = [
        (out / str(c) / f"{i}.jpg").is_file() if pd.notna(c) else False
        for i, c in labels["class"].items()
    ]
    frame.index.name = "ID"
    write_atomic(out / LABELS_FILE, frame.to_csv())
    write_settings(
        out,
        data_root,
        {
            "scope": scope,
            "threshold": threshold,
            "size": size,
            "policy": policy,
            "counts": report.counts,
            "unlabelled": report.unlabelled,
            "missing": report.missing,
            "invalid": report.invalid,
            **coordinates_record(coordinates),
        },
    )
    return report


def coordinates_record(coordinates: Coordinates) -> dict:
    """What ``prepare.json`` keeps of the coordinates the targets were made with (:func:`read_coordinates`)."""
    points = coordinates.table[["valence", "arousal", "source"]]
    return {
        "coordinates_origin": coordinates.origin,
        "coordinate_points": points.to_dict(orient="index"),
    }


def read_coordinates(folder: str | Path) -> Coordinates | None:
    """The coordinates a prepared folder's targets were made with (None for a folder that does not record them)."""
    done = previous_settings(Path(folder))
    points = done.get("coordinate_points")
    if not points:
        return None
    table = pd.DataFrame.from_dict(points, orient="index")
    table.index.name = "emotion"
    table.insert(0, "quadrant", emotion_table()["quadrant"])
    return Coordinates(
        table,
        done["coordinates_origin"],
        f"as recorded in {Path(folder).name}",
    )


def images_folder(data_root: Path) -> Path:
    """The data folder's ``images/``, or an error that names it."""
    images = Path(data_root) / "images"
    if not images.is_dir():
        raise FileNotFoundError(
            f"{images}: no such folder (the artworks' images, named by ID)"
        )
    return images


def images_stamp(data_root: Path) -> dict | None:
    """What identifies the data folder's pictures beyond their IDs: the
    sample's stamp, since a regenerated sample paints other pictures under
    the same IDs (None for downloaded images, never changed once fetched)."""
    try:
        return json.loads((Path(data_root) / SAMPLE_STAMP).read_text())
    except (OSError, ValueError):
        return None


def resized_as_before(
    out: Path, size: int, policy: str, data_root: Path
) -> bool:
    """Whether the images already in ``out`` have this size and policy and
    come from these pictures (then they are kept, not resized again)."""
    before = previous_settings(out)
    return (
        before.get("size") == size
        and before.get("policy") == policy
        and before.get("images") == images_stamp(data_root)
    )


def place_image(
    images: Path,
    ident: str,
    target: Path,
    shape: tuple[int, str],
    reuse: bool,
    report,
) -> bool:
    """Put one artwork's image, resized to ``shape`` (size, policy), at
    ``target`` and count it in ``report`` (kept, written, missing or
    invalid); whether the image is there now."""
    if reuse and target.is_file():
        report.kept += 1
        return True
    source = find_image(images, ident)
    if source is None:
        report.missing.append(ident)
        target.unlink(missing_ok=True)  # another size, from an earlier run
        return False
    try:
        save_atomic(load_square(source, *shape), target)
    except ImageError as err:
        report.invalid[ident] = str(err)
        target.unlink(missing_ok=True)
        return False
    report.written += 1
    return True


def source_stamps(data_root: Path) -> dict:
    """What a prepared folder is made from: the annotation file's hash, the
    pictures' stamp and the valence–arousal coordinates' stamp (a change in
    any makes the folder out of date)."""
    all_file = data_root / schema.ARCHIVE_FOLDER / schema.ALL_FILE
    return {
        "all_sha256": hashlib.sha256(all_file.read_bytes()).hexdigest(),
        "images": images_stamp(data_root),
        "coordinates": emotion_coordinates(data_root).stamp(),
    }


def write_settings(out: Path, data_root: Path, settings: dict) -> None:
    """``prepare.json``: what a prepared folder was built with, and the
    :func:`source_stamps` of the data it came from."""
    stamps = source_stamps(data_root)
    write_atomic(
        out / "prepare.json", json.dumps({**settings, **stamps}, indent=1)
    )


def previous_settings(out: Path) -> dict:
    """The settings of an earlier run into ``out`` ({} if none): images of another size must be redone."""
    try:
        return json.loads((out / "prepare.json").read_text())
    except (OSError, ValueError):
        return {}


def read_labels(folder: str | Path) -> pd.DataFrame:
    """The ``labels.csv`` a prepared folder holds (index: artwork ID)."""
    path = Path(folder) / LABELS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: not found; run `course-utils prepare` first"
        )
    return pd.read_csv(
        path,
        index_col="ID",
        dtype={
            "ID": str,
            "Year": str,
            "Year start": "Int64",
            "Year end": "Int64",
        },
    )


def layout_tree(folder: str | Path, examples: int = 2) -> str:
    """The prepared folder as a tree: each class folder with its image count and a few file names."""
    folder = Path(folder)
    entries = sorted(
        p for p in folder.iterdir() if not p.name.startswith(".")
    )
    lines = [f"{folder.name}/"]
    for i, path in enumerate(entries):
        last = i == len(entries) - 1
        branch, indent = ("└── ", "    ") if last else ("├── ", "│   ")
        if not path.is_dir():
            lines.append(f"{branch}{path.name}")
            continue
        images = sorted(p.name for p in path.glob("*.jpg"))
        lines.append(
            f"{branch}{path.name + '/':<31} {len(images):>5} images"
        )
        shown = images[:examples] + (
            ["…"] if len(images) > examples else []
        )
        lines += [
            f"{indent}{'└── ' if j == len(shown) - 1 else '├── '}{name}"
            for j, name in enumerate(shown)
        ]
    return "\n".join(lines)
