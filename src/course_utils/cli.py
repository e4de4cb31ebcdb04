"""The ``course-utils`` command: a stable contract that tests and instructors script against.

User errors end with exit code 2 and one specific line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from course_utils.analysis.reference_file import (
    REPOSITORY_PATH,
    duration,
    write_results,
)
from course_utils.config.profiles import PROFILES, budget
from course_utils.config.settings import get_settings
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
from course_utils.data.lexicon import LexiconError, fetch_lexicon
from course_utils.datasets.prepare import prepare
from course_utils.datasets.sample import write_sample
from course_utils.datasets.session import open_session
from course_utils.datasets.source import (
    archive_url,
    available,
    lexicon_url,
    resolve_source,
)
from course_utils.labels import class_counts, label_table

#: Seconds all cells of one submitted notebook may run (``grade --timeout``): ten minutes, twice what the
#: slowest chapter takes on a 2-core CPU with the ``quick`` profile (book/_generated/chapter_times.md).
GRADE_TIMEOUT_S = 600


class UserError(Exception):
    """A mistake in the command's input: reported as one line, exit code 2."""


class Unreachable(Exception):
    """The real data cannot be had now (offline, or the archive's host does not answer): one line, exit code 3,
    so that a script (the book's workflow) can tell it from an error."""


#: The exit code of :class:`Unreachable`.
UNREACHABLE = 3


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
    if args.lexicon:
        try:
            path = fetch_lexicon(args.out, lexicon_url())
        except LexiconError as err:
            print(f"course-utils download: {err}", file=sys.stderr)
            return 1
        print(f"NRC VAD lexicon in {path.parent.name}/{path.name}")
    return 1 if report.stopped else 0


def results_path(text: str) -> Path:
    """Where the results file goes: a ``.json`` file, not a folder."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is a folder; name the .json file to write"
        )
    if path.suffix != ".json":
        raise argparse.ArgumentTypeError(
            f"{text!r}: the results file must end in .json"
        )
    return path


def seed_arg(text: str) -> int:
    """A seed NumPy and TensorFlow accept: a whole number in 0 … 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seed {text!r} is not a whole number"
        ) from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"seed {value} is outside 0 … {2**32 - 1}"
        )
    return value


def cmd_reference(args: argparse.Namespace) -> int:
    """Run a profile on a data source and write the reference-results file (numbers only)."""

    settings = get_settings()
    settings = dataclasses.replace(
        settings,
        data=args.data,
        profile=args.profile,
        seed=settings.seed if args.seed is None else args.seed,
    )
    if not available(resolve_source(settings)):
        raise Unreachable(
            f"the archive at {archive_url()} cannot be reached and the data folder holds no copy: "
            "no reference run on the real data (try again online, or --data sample for a test)"
        )
    from course_utils.analysis.reference import (
        reference_results,  # deferred: training loads TensorFlow (seconds)
    )

    command = f"course-utils reference --profile {args.profile} --data {args.data} --seed {settings.seed}"
    doc = reference_results(open_session(settings), command=command)
    path = write_results(doc, args.out)
    print(
        f"wrote {path} ({path.stat().st_size:,} bytes): {doc['about']['data']} data, profile "
        f"{args.profile}, seed {settings.seed}, in {duration(doc['run']['seconds'])}"
    )
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    """Run every notebook in a folder with its chapter's checkers; write the gradebook and feedback files."""

    from course_utils.exercises import (  # deferred: nbformat and nbclient take seconds to import
        gradebook,
    )

    try:
        book = gradebook.grade_folder(
            args.folder, args.out, args.chapter, args.timeout
        )
    except KeyboardInterrupt:
        print(
            "course-utils grade: interrupted; the gradebook lists the notebooks not graded yet",
            file=sys.stderr,
        )
        return 130
    print(
        f"chapter {book.chapter}: {len(book.outcomes)} notebooks ({book.graded} graded), "
        f"{len(book.labels)} checked exercises; wrote {book.csv_path} and "
        f"{len(book.outcomes)} feedback files in {book.feedback_dir}"
    )
    if book.skipped:
        print(
            f"not notebooks, left alone: {', '.join(book.skipped[:5])}"
            f"{' …' if len(book.skipped) > 5 else ''}"
        )
    return 0


def positive_seconds(text: str) -> float:
    """A number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be above 0")
    return value


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
    p.add_argument(
        "--lexicon",
        action="store_true",
        help="also fetch the NRC VAD lexicon (COURSE_LEXICON_URL or the official address) for the "
        "valence-arousal targets `prepare` writes",
    )
    p.set_defaults(func=cmd_download)

    p = sub.add_parser(
        "reference",
        help="run a profile on the real data (or the sample) and write the reference-results file",
        description="Train the study's five models on the artist-grouped split and the study's split, score them "
        "beside the baselines (the chosen one on test, with intervals) and write the numbers as JSON, with the "
        "environment, seeds, data coverage and time. No image, annotation, title, artist or URL is written. "
        f"Exit code {UNREACHABLE}: the real data cannot be reached.",
    )
    p.add_argument(
        "--out",
        required=True,
        type=results_path,
        help=f"the .json file to write (the book's page reads {REPOSITORY_PATH})",
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="full",
        help="full (the study's budget; a GPU), quick or smoke (seconds: tests); default full",
    )
    p.add_argument(
        "--data",
        choices=("wikiart", "sample"),
        default="wikiart",
        help="wikiart (the real data, downloaded: needs the internet) or sample (the generated one: tests; "
        "its numbers are not WikiArt results); default wikiart",
    )
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=None,
        help=f"seed of the splits, training and bootstrap (default COURSE_SEED, else {SEED})",
    )
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser(
        "grade",
        help="run a folder of submitted notebooks with their chapter's checkers: a CSV and feedback",
    )
    p.add_argument(
        "folder", type=Path, help="folder of .ipynb files (subfolders too)"
    )
    p.add_argument(
        "--chapter",
        default=None,
        help="chapter to grade, e.g. 05 (default: the one most notebooks are for)",
    )
    p.add_argument(
        "--timeout",
        type=positive_seconds,
        default=GRADE_TIMEOUT_S,
        help=f"seconds all cells of one notebook may run (default {GRADE_TIMEOUT_S})",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for gradebook.csv and feedback/ (default FOLDER/gradebook)",
    )
    p.set_defaults(func=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; user errors become one line on stderr and exit code 2."""

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Unreachable as err:
        print(f"course-utils {args.command}: {err}", file=sys.stderr)
        return UNREACHABLE
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
