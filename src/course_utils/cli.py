"""The ``course-utils`` command: a stable contract that tests and instructors script against.

User errors end with exit code 2 and one specific line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from course_utils.config.profiles import budget
from course_utils.config.study import IMAGE_SIZE, SEED, THRESHOLD
from course_utils.data import schema
from course_utils.data.annotations import (
    AnnotationError,
    find_file,
    kind_of,
    read_table,
    shares,
)
from course_utils.data.archive import extract_archive
from course_utils.data.download import download_all
from course_utils.data.fetch import MAX_WORKERS
from course_utils.data.images import RESIZE_POLICIES
from course_utils.datasets.prepare import prepare
from course_utils.datasets.sample import write_sample
from course_utils.datasets.source import archive_url
from course_utils.labels import class_counts, label_table


class UserError(Exception):
    """A mistake in the command's input: reported as one line, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (the command line is a stable contract: docs/architecture.md), not the usage block plus the error."""

    def error(self, message: str):
        """Print ``course-utils CMD: error: …`` and exit with code 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def cmd_sample(args: argparse.Namespace) -> int:
    """Write the offline sample dataset."""

    info = write_sample(
        args.out, n=args.n, seed=args.seed, signal=args.signal
    )
    print(
        f"wrote {info.n} sample artworks (seed {info.seed}, signal "
        f"{args.signal:g}) to {info.root}: "
        f"{schema.ARCHIVE_FOLDER}/, {schema.ARCHIVE_NAME}, images/"
    )
    return 0


def annotation_file(path: Path, workdir: Path) -> Path:
    """Accept an All/AgN file, an extracted archive folder or the zip (extracted, checked, into ``workdir``);
    return the TSV to read.
    """

    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    if path.is_dir():
        return find_file(path, schema.ALL_FILE)
    if path.suffix == ".zip":
        return find_file(
            extract_archive(path, workdir / schema.ARCHIVE_FOLDER),
            schema.ALL_FILE,
        )
    return path


def cmd_classes(args: argparse.Namespace) -> int:
    """Print the 7 classes with counts and the number left out."""

    with tempfile.TemporaryDirectory(
        prefix="course-utils-"
    ) as workdir:  # a zip is read, never extracted beside it
        path = annotation_file(Path(args.annotations), Path(workdir))
        kind = kind_of(path)
        table = read_table(path) if kind != "info" else None
    if kind.startswith("ag"):
        level = int(kind[2]) / 10
        if (
            args.threshold is not None
            and abs(args.threshold - level) > 1e-9
        ):
            raise UserError(
                f"{path.name} is already thresholded at {level}; --threshold {args.threshold} "
                f"needs the All file"
            )
        threshold, applied = level, None
    elif kind == "all":
        threshold = THRESHOLD if args.threshold is None else args.threshold
        applied = threshold
    else:
        raise UserError(
            f"{path.name} holds no emotions; pass an All or AgN file, the archive folder or the zip"
        )
    table = label_table(shares(table, args.scope), applied)
    counts, unlabelled = class_counts(table["class"])
    if args.json:
        print(
            json.dumps(
                {
                    "scope": args.scope,
                    "threshold": threshold,
                    "classes": counts,
                    "unlabelled": unlabelled,
                }
            )
        )
        return 0
    total = sum(counts.values())
    print(
        f"{path.name}: scope {args.scope} ({schema.SCOPES[args.scope]}), threshold {threshold}"
    )
    width = max(len(c) for c in counts)
    for name, count in counts.items():
        print(
            f"  {name:<{width}}  {count:>5}  {count / max(total, 1):6.1%}"
        )
    print(f"  {'labelled':<{width}}  {total:>5}")
    print(f"  {'unlabelled (no quadrant)':<{width}}  {unlabelled:>5}")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Build the class folders (one per class, images named by artwork ID) and labels.csv."""

    if not args.data.is_dir():
        raise UserError(
            f"{args.data}: no such folder (expected the data folder holding "
            f"{schema.ARCHIVE_FOLDER}/ and images/)"
        )
    report = prepare(
        args.data,
        args.out,
        scope=args.scope,
        threshold=args.threshold,
        size=args.size,
        policy=args.resize,
    )
    print(report.summary())
    if report.missing:
        print(
            f"no image in {args.data / 'images'} for: {', '.join(report.missing[:5])}"
            f"{' …' if len(report.missing) > 5 else ''} (see {args.out / 'prepare.json'})"
        )
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    """Fetch and check the archive, extract it, fetch every image (resumable); failures go to DIR/failures.csv."""

    try:
        report = download_all(
            args.out,
            archive_url=args.archive_url or archive_url(),
            images=not args.no_images,
            workers=args.workers,
            size=args.size,
            limit=args.limit,
            policy=args.resize,
            retry_failed=args.retry_failed,
        )
    except KeyboardInterrupt:
        print(
            "course-utils download: interrupted; every image already saved is kept: run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 130
    print(report.summary())
    return 1 if report.stopped else 0


def threshold_arg(text: str) -> float:
    """A threshold in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"threshold {text!r} is not a number"
        ) from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"threshold {value} is outside (0, 1]"
        )
    return value


def non_negative_float(text: str) -> float:
    """A number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number"
        ) from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{value} must be at least 0")
    return value


def positive_int(text: str) -> int:
    """A whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def add_size_option(parser: argparse.ArgumentParser) -> None:
    """The ``--size`` option download and prepare share: one default, the study's image size."""
    parser.add_argument(
        "--size",
        type=positive_int,
        default=IMAGE_SIZE,
        help=f"images become SIZE x SIZE RGB (default {IMAGE_SIZE})",
    )


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands and their options."""

    parser = OneLineParser(
        prog="course-utils", description="Emotions in Art: data and labels."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write the offline sample dataset")
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="folder to write (replaced if it exists)",
    )
    p.add_argument(
        "--n",
        type=positive_int,
        default=600,
        help="number of artworks (default 600)",
    )
    p.add_argument(
        "--seed", type=int, default=SEED, help=f"seed (default {SEED})"
    )
    quick_signal = budget("quick").sample_signal
    p.add_argument(
        "--signal",
        type=non_negative_float,
        default=quick_signal,
        help="how strongly the pictures show their hidden mood: 1 paints "
        "the mood itself, less mixes in an unrelated one, more "
        f"exaggerates it (default {quick_signal:g}, the quick profile's)",
    )
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser(
        "classes",
        help="label statistics: the 7 classes and the artworks left out",
    )
    p.add_argument(
        "--annotations",
        required=True,
        help="All or AgN file, the archive folder, or the zip",
    )
    p.add_argument("--scope", choices=list(schema.SCOPES), default="art")
    p.add_argument(
        "--threshold",
        type=threshold_arg,
        default=None,
        help=f"share threshold for an All file ({THRESHOLD})",
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON object"
    )
    p.set_defaults(func=cmd_classes)

    p = sub.add_parser(
        "prepare",
        help="build the training layout: one folder per class, images named by ID",
    )
    p.add_argument(
        "--data",
        required=True,
        type=Path,
        help=f"data folder holding {schema.ARCHIVE_FOLDER}/ and images/",
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="folder for the class folders and labels.csv",
    )
    p.add_argument("--scope", choices=list(schema.SCOPES), default="art")
    p.add_argument(
        "--threshold",
        type=threshold_arg,
        default=THRESHOLD,
        help=f"share threshold (default {THRESHOLD})",
    )
    add_size_option(p)
    p.add_argument(
        "--resize",
        choices=RESIZE_POLICIES,
        default="squash",
        help="squash (the study: ignore the aspect ratio) or crop (centre crop); default squash",
    )
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser(
        "download", help="fetch the real archive and images (resumable)"
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        help="folder for the archive, images/ and failures.csv",
    )
    p.add_argument(
        "--archive-url",
        default=None,
        help=f"where the archive is (default: COURSE_ARCHIVE_URL or {schema.ARCHIVE_URL})",
    )
    p.add_argument(
        "--no-images",
        action="store_true",
        help="fetch, check and extract the archive only",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=8,
        help=f"requests in flight at once (default 8, at most {MAX_WORKERS}: be polite)",
    )
    add_size_option(p)
    p.add_argument(
        "--limit",
        type=positive_int,
        default=None,
        help="only the first N artworks (to try it out)",
    )
    p.add_argument(
        "--resize",
        choices=RESIZE_POLICIES,
        default="squash",
        help="squash (the study: ignore the aspect ratio) or crop (centre crop); default squash",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="ask again for images an earlier run found gone for good (HTTP 404 …)",
    )
    p.set_defaults(func=cmd_download)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; user errors become one line on stderr and exit code 2."""

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (
        UserError,
        AnnotationError,
        ValueError,
        FileNotFoundError,
    ) as err:
        print(f"course-utils {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
