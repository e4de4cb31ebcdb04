"""`prepare` and `course-utils prepare` (SPEC §3, §6): one folder per class, images named by ID, labels.csv;
idempotent; artworks without an image reported; loadable by keras with the study's class order.
"""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_cli_classes import (
    cli,  # the command line run in this process (tests/ is on sys.path)
)

from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.datasets.prepare import LABELS_FILE, layout_tree, prepare, read_labels
from course_utils.datasets.sample import write_sample
from course_utils.labels import CLASS_NAMES, label_table, va_targets

N = 80


def run_cli(*args):
    """Run the command line as a user would."""
    return subprocess.run([sys.executable, "-m", "course_utils", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A sample whose first three labelled artworks have lost their image; returns (root, labels, removed)."""
    info = write_sample(tmp_path_factory.mktemp("prep") / "sample", n=N, seed=5)
    labels = label_table(shares(read_table(info.archive_dir / schema.ALL_FILE), "art"), 0.4)
    removed = list(labels["class"].dropna().index[:3])
    for ident in removed:
        next(info.images_dir.glob(f"{ident}.*")).unlink()
    return info.root, labels, removed


@pytest.fixture(scope="module")
def prepared(data, tmp_path_factory):
    root, _, _ = data
    out = tmp_path_factory.mktemp("out") / "prepared"
    return out, prepare(root, out)


def snapshot(folder):
    """Every file under a folder with its bytes and modification time."""
    return {
        p.relative_to(folder): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_one_folder_per_class_with_images_named_by_id(data, prepared):
    _, labels, removed = data
    out, report = prepared
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == list(CLASS_NAMES)  # all 7, empty ones too
    wanted = labels["class"].dropna().drop(removed)
    for cls in CLASS_NAMES:
        files = sorted(p.name for p in (out / cls).iterdir())
        assert files == sorted(f"{i}.jpg" for i in wanted[wanted == cls].index), cls
        assert report.counts[cls] == len(files)
    assert report.written == len(wanted) and report.kept == 0
    assert report.unlabelled == labels["class"].isna().sum() > 0


def test_images_are_125_square_rgb_jpegs(data, prepared):
    out, _ = prepared
    paths = list(out.glob("*/*.jpg"))
    assert len(paths) > 30
    for path in paths:
        with Image.open(path) as im:
            assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (125, 125)), path


def test_artworks_without_an_image_are_reported(data, prepared):
    _, _, removed = data
    out, report = prepared
    assert sorted(report.missing) == sorted(removed)
    assert "3 without an image" in report.summary()
    assert not any((out / c / f"{i}.jpg").exists() for c in CLASS_NAMES for i in removed)


def test_labels_csv_keeps_every_artwork(data, prepared):
    root, labels, removed = data
    out, _ = prepared
    table = read_labels(out)
    assert len(table) == N and list(table.index) == list(labels.index)
    assert table["class"].fillna("none").tolist() == labels["class"].astype(object).fillna("none").tolist()
    assert table.loc[removed, "has image"].eq(False).all()
    assert table["has image"].sum() == len(list(out.glob("*/*.jpg")))
    assert table.loc[labels["class"].isna(), "has image"].eq(False).all()
    values = shares(read_table(root / schema.ARCHIVE_FOLDER / schema.ALL_FILE), "art")
    np.testing.assert_allclose(table[[f"share {e}" for e in schema.EMOTIONS]].to_numpy(), values.to_numpy())
    np.testing.assert_allclose(table[["valence", "arousal"]].to_numpy(), va_targets(values).to_numpy())
    assert {"Style", "Category", "Face/body", "Ave. art rating", "Calm", "merged Calm", "class index"} <= set(
        table
    )


def test_labels_csv_carries_the_archives_style_and_year_with_the_parsed_years(data, prepared):
    root, _, _ = data
    out, _ = prepared
    table = read_labels(out)
    raw = pd.read_csv(root / schema.ARCHIVE_FOLDER / schema.ALL_FILE, sep="\t", dtype=str, index_col="ID")
    assert table["Style"].tolist() == raw["Style"].tolist()  # as the archive writes it
    assert table["Style"].str.contains(",").any()  # two styles stay one string, joined by a comma
    assert table["Year"].tolist() == raw["Year"].tolist()
    for year, start, end in zip(table["Year"], table["Year start"], table["Year end"]):
        if year.isdigit():
            assert start == end == int(year)
        elif "cent." not in year:
            assert (start, end) == tuple(int(y) for y in year.split("-"))
        else:  # whole centuries: 1700-1799, or 1700-1899 for two
            assert start % 100 == 0 and (end + 1) % 100 == 0 and end > start, year


def test_a_second_run_writes_nothing(data, prepared):
    root, _, _ = data
    out, first = prepared
    before = snapshot(out)
    again = prepare(root, out)
    assert again.written == 0 and again.kept == sum(first.counts.values()) and again.counts == first.counts
    assert snapshot(out) == before


def test_another_threshold_and_size_rebuild_the_folders(data, tmp_path):
    root, _, removed = data
    out = tmp_path / "p"
    prepare(root, out)
    report = prepare(root, out, threshold=0.5, size=32)
    labels = label_table(shares(read_table(root / schema.ARCHIVE_FOLDER / schema.ALL_FILE), "art"), 0.5)
    wanted = labels["class"].dropna().drop(removed, errors="ignore")
    assert sorted(p.relative_to(out).as_posix() for p in out.glob("*/*.jpg")) == sorted(
        f"{c}/{i}.jpg" for i, c in wanted.items()
    )
    assert report.written == len(wanted)
    with Image.open(next(out.glob("*/*.jpg"))) as im:
        assert im.size == (32, 32)
    (out / "Melancholy").mkdir()  # an empty folder of another layout would be an 8th class to a loader
    prepare(root, out, threshold=0.5, size=32)
    assert not (out / "Melancholy").exists()


def test_loadable_by_keras_with_the_studys_class_names(prepared):
    import keras

    out, report = prepared
    ds = keras.utils.image_dataset_from_directory(
        out, image_size=(125, 125), batch_size=16, shuffle=False, verbose=False
    )
    assert ds.class_names == list(CLASS_NAMES)
    labels = np.concatenate([y.numpy() for _, y in ds])
    assert len(labels) == sum(report.counts.values())
    assert np.bincount(labels, minlength=7).tolist() == [report.counts[c] for c in CLASS_NAMES]


def test_layout_tree_shows_every_folder_with_its_count(prepared):
    out, report = prepared
    tree = layout_tree(out)
    for cls in CLASS_NAMES:
        assert any(
            line.startswith(("├── ", "└── ")) and f"{cls}/" in line and f"{report.counts[cls]} images" in line
            for line in tree.splitlines()
        ), cls
    assert LABELS_FILE in tree


def test_read_labels_of_an_unprepared_folder_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="course-utils prepare"):
        read_labels(tmp_path)


def test_cli_prepare_prints_the_summary(data, tmp_path):
    root, _, removed = data
    out = tmp_path / "cli"
    res = run_cli(
        "prepare",
        "--data",
        str(root),
        "--out",
        str(out),
        "--scope",
        "image",
        "--threshold",
        "0.3",
        "--size",
        "48",
        "--resize",
        "crop",
    )
    assert res.returncode == 0, res.stderr
    labels = label_table(shares(read_table(root / schema.ARCHIVE_FOLDER / schema.ALL_FILE), "image"), 0.3)
    missing = [i for i in removed if pd.notna(labels.loc[i, "class"])]  # labelled in this scope, without image
    assert missing and "images in" in res.stdout and f"{len(missing)} without an image" in res.stdout
    assert all(i in res.stdout for i in missing)  # the missing ones are named
    assert len(list(out.glob("*/*.jpg"))) == labels["class"].notna().sum() - len(missing)
    with Image.open(next(out.glob("*/*.jpg"))) as im:
        assert im.size == (48, 48)
    assert '"policy": "crop"' in (out / "prepare.json").read_text()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--data", "{tmp}/nowhere"], "nowhere: no such folder"),
        (["--data", "{tmp}"], f"{schema.ALL_FILE}: no such file"),
        (["--data", "{noimages}"], "images: no such folder"),
        (["--data", "{root}", "--threshold", "1.2"], "outside (0, 1]"),
        (["--data", "{root}", "--size", "0"], "must be at least 1"),
        (["--data", "{root}", "--resize", "stretch"], "invalid choice: 'stretch'"),
    ],
)
def test_cli_prepare_bad_input_is_one_line(data, tmp_path, args, words):
    root, _, _ = data
    noimages = tmp_path / "noimages"
    shutil.copytree(root / schema.ARCHIVE_FOLDER, noimages / schema.ARCHIVE_FOLDER)
    res = cli(
        "prepare", *[a.format(tmp=tmp_path, root=root, noimages=noimages) for a in args], "--out", tmp_path / "out"
    )
    assert res.returncode == 2 and words in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_class_folders_are_rebuilt_when_the_archive_or_the_images_change(tmp_path):
    from course_utils.datasets.prepare import prepare
    from course_utils.datasets.sample import write_sample
    from course_utils.datasets.source import Source, prepared_is_current

    write_sample(tmp_path / "data", n=60, seed=5)
    source = Source("wikiart", tmp_path / "data", "test")
    out = tmp_path / "prepared"
    assert not prepared_is_current(out, source)  # never built

    images = sorted(source.images_dir.iterdir())
    away = tmp_path / "away"
    away.mkdir()
    for path in images[:10]:  # links that failed at the first download
        path.rename(away / path.name)
    prepare(source.root, out)
    assert prepared_is_current(out, source)

    missing = json.loads((out / "prepare.json").read_text())["missing"]
    assert missing  # some of the ten have a class and no image
    back = next(away.glob(f"{missing[0]}.*"))
    back.rename(source.images_dir / back.name)  # a second download fetched one of them
    assert not prepared_is_current(out, source)
    prepare(source.root, out)
    assert prepared_is_current(out, source)

    write_sample(tmp_path / "data", n=60, seed=6)  # another archive in the same folder
    assert not prepared_is_current(out, source)


def test_a_sample_painted_again_under_the_same_ids_rebuilds_every_image(tmp_path, monkeypatch):
    """An edited generator paints other pictures under the same IDs and the same annotation file: the class
    folders are out of date and no picture of the old sample is kept."""
    import course_utils.datasets.sample as sample
    from course_utils.datasets.source import Source, prepared_is_current

    write_sample(tmp_path / "data", n=40, seed=5)
    source = Source("sample", tmp_path / "data", "test")
    out = tmp_path / "prepared"
    first = prepare(source.root, out)
    assert prepared_is_current(out, source) and first.written > 0

    all_file = source.archive_dir / schema.ALL_FILE
    before = all_file.read_bytes()
    monkeypatch.setattr(sample, "GENERATOR", "another-generator")
    write_sample(source.root, n=40, seed=5, overwrite=False)  # the stamp differs: made again
    assert all_file.read_bytes() == before  # the same table, so only the stamp tells
    assert not prepared_is_current(out, source)
    again = prepare(source.root, out)
    assert (again.kept, again.written) == (0, first.written)
    assert prepared_is_current(out, source)


def test_unreadable_images_are_reported_and_leave_no_file(tmp_path):
    """Three labelled artworks whose image files went bad after an earlier run at another size (empty, a web
    page saved as the image, cut in half): `prepare` names each with its reason, writes none of them, removes
    their image of the earlier run, and counts only the readable ones; a rerun reports them again."""
    info = write_sample(tmp_path / "s", n=40, seed=5)
    out = tmp_path / "prepared"
    prepare(info.root, out, size=32)
    earlier = sorted(out.glob("*/*.jpg"))
    labelled = len(earlier)  # every labelled artwork had its image in the earlier run
    assert labelled > 20 and not json.loads((out / "prepare.json").read_text())["invalid"]
    bad = {path.stem: path.parent.name for path in earlier[:3]}  # ID -> class folder
    sources = {i: next(info.images_dir.glob(f"{i}.*")) for i in bad}
    empty, page, cut = bad
    sources[empty].write_bytes(b"")
    sources[page].write_bytes(b"<!DOCTYPE html><html><body>Too many requests</body></html>")
    sources[cut].write_bytes(sources[cut].read_bytes()[: sources[cut].stat().st_size // 2])

    report = prepare(info.root, out)  # size 125: every image is read again
    assert sorted(report.invalid) == sorted(bad)
    assert "empty file" in report.invalid[empty] and str(sources[empty]) in report.invalid[empty]
    assert "an HTML page, not an image" in report.invalid[page]
    assert "truncated" in report.invalid[cut], report.invalid[cut]
    assert not [i for i, cls in bad.items() if (out / cls / f"{i}.jpg").exists()]  # the 32-px ones are gone too
    assert report.written == labelled - 3 and sum(report.counts.values()) == labelled - 3
    assert len(list(out.glob("*/*.jpg"))) == labelled - 3 and not report.missing
    assert report.summary().endswith("0 without an image; 3 unreadable")
    assert json.loads((out / "prepare.json").read_text())["invalid"] == report.invalid
    assert read_labels(out).loc[list(bad), "has image"].eq(False).all()

    again = prepare(info.root, out)
    assert sorted(again.invalid) == sorted(bad) and (again.kept, again.written) == (labelled - 3, 0)
