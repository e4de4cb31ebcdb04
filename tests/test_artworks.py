"""`datasets.artworks`: every artwork with a usable image (not only the thresholded classes), one flat folder,
incremental; an artist-grouped training/validation/test split with (valence, arousal) targets."""

import json

import numpy as np
import pandas as pd
import pytest

from course_utils.data import schema
from course_utils.data.annotations import read_table, shares
from course_utils.datasets.artworks import (
    TABLE_FILE,
    artwork_splits,
    load_artwork_split,
    prepare_artworks,
    read_artworks,
)
from course_utils.datasets.pipeline import GroupedSplit
from course_utils.datasets.sample import write_sample
from course_utils.datasets.session import open_session
from course_utils.labels import label_table, va_targets

N = 80


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A sample in which one classed artwork has lost its image, one artwork without a class has lost its image
    and one classed artwork's image is cut in half; returns (root, labels, targets, missing, corrupt)."""
    info = write_sample(tmp_path_factory.mktemp("art") / "sample", n=N, seed=5)
    values = shares(read_table(info.archive_dir / schema.ALL_FILE), "art")
    labels, targets = label_table(values, 0.4), va_targets(values)
    with_target = targets.dropna().index
    classed = [i for i in labels["class"].dropna().index if i in with_target]
    unclassed = [i for i in labels.index[labels["class"].isna()] if i in with_target]
    assert len(unclassed) >= 3, "the sample should hold artworks without a class"
    missing = [classed[0], unclassed[0]]
    for ident in missing:
        next(info.images_dir.glob(f"{ident}.*")).unlink()
    corrupt = classed[1]
    path = next(info.images_dir.glob(f"{corrupt}.*"))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return info.root, labels, targets, missing, corrupt


@pytest.fixture(scope="module")
def prepared(data, tmp_path_factory):
    root = data[0]
    out = tmp_path_factory.mktemp("out") / "sample-art-all-s125"
    return out, prepare_artworks(root, out)


def test_missing_and_corrupt_images_are_left_out_and_counted(data, prepared):
    _, _, targets, missing, corrupt = data
    out, report = prepared
    no_target = sorted(targets.index[targets.isna().any(axis=1)])
    assert sorted(report.missing) == sorted(missing)
    assert list(report.invalid) == [corrupt] and "truncated" in report.invalid[corrupt]
    assert sorted(report.no_target) == no_target
    assert report.usable == report.written == N - 3 - len(no_target)
    assert not [i for i in [*missing, corrupt] if (out / f"{i}.jpg").exists()]
    status = read_artworks(out)["status"]
    assert status[missing].eq("no image").all() and status[corrupt] == "unreadable"
    split = load_artwork_split(out)
    assert split.left_out == {"no image": 2, "unreadable": 1, "no target": len(no_target)}
    assert report.summary().startswith(f"{report.usable} artworks with an image")


def test_the_folder_is_flat_so_no_loader_reads_classes(prepared):
    out, report = prepared
    assert not [p for p in out.iterdir() if p.is_dir()]
    assert len(list(out.glob("*.jpg"))) == report.usable
    assert json.loads((out / "prepare.json").read_text())["missing"] == report.missing


def test_an_artwork_without_a_class_is_included_with_its_target(data, prepared):
    _, labels, targets, missing, _ = data
    out, _ = prepared
    split = load_artwork_split(out)
    ids = [*split.train_ids, *split.val_ids, *split.test_ids]
    y = np.concatenate([split.y_train, split.y_val, split.y_test])
    unclassed = [i for i in labels.index[labels["class"].isna()] if i in ids]
    assert len(unclassed) >= 2  # the sample's unclassed artworks, less the one without an image
    where = {i: n for n, i in enumerate(ids)}
    for ident in unclassed:
        assert np.allclose(y[where[ident]], targets.loc[ident].to_numpy(), atol=1e-6)
    assert sum(split.classed.values()) == len(ids) - len(unclassed)


def test_no_artist_crosses_parts_and_the_counts_add_up(data, prepared):
    out, report = prepared
    split = load_artwork_split(out)
    assert isinstance(split, GroupedSplit) and split.y_train.dtype == np.float32
    artist = read_artworks(out)["Artist"]
    parts = [set(artist[ids]) for ids in (split.train_ids, split.val_ids, split.test_ids)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    sizes = [len(split.y_train), len(split.y_val), len(split.y_test)]
    assert sum(sizes) == report.usable
    assert len({*split.train_ids, *split.val_ids, *split.test_ids}) == report.usable
    # 7 artist folds of about 1/7 each: test and validation one fold, training five (whole artists, so
    # near, not at, 15 % / 15 % / 70 %)
    assert all(0.05 <= s / report.usable <= 0.3 for s in sizes[1:]), sizes
    assert split.x_train.shape == (sizes[0], 125, 125, 3)
    assert split.class_names == ["valence", "arousal"]


def test_deterministic_per_seed(prepared):
    out, _ = prepared
    a, b, other = load_artwork_split(out, seed=7), load_artwork_split(out, seed=7), load_artwork_split(out, seed=8)
    assert (a.train_ids, a.val_ids, a.test_ids) == (b.train_ids, b.val_ids, b.test_ids)
    assert np.array_equal(a.y_test, b.y_test) and a.fingerprint() == b.fingerprint()
    assert a.test_ids != other.test_ids


def test_a_second_run_writes_nothing(data, prepared):
    root = data[0]
    out, first = prepared
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.jpg")}
    again = prepare_artworks(root, out)
    assert (again.written, again.kept) == (0, first.usable)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.jpg")} == before


def test_another_size_rewrites_every_image(data, tmp_path):
    root = data[0]
    out = tmp_path / "all"
    prepare_artworks(root, out, size=32)
    report = prepare_artworks(root, out, size=40)
    assert report.kept == 0 and report.written == report.usable
    assert load_artwork_split(out, image_size=40).x_val.shape[1:] == (40, 40, 3)


def test_bad_tables_name_the_file_and_column(prepared, tmp_path):
    out, _ = prepared
    table = pd.read_csv(out / TABLE_FILE, dtype={"ID": str})
    broken = tmp_path / "broken"
    broken.mkdir()
    table.drop(columns="valence").to_csv(broken / TABLE_FILE, index=False)
    with pytest.raises(ValueError, match=r"artworks\.csv: no column\(s\) \['valence'\]"):
        read_artworks(broken)
    no_artist = table.copy()
    no_artist.loc[no_artist["status"] == "image", "Artist"] = np.nan
    no_artist.to_csv(broken / TABLE_FILE, index=False)
    with pytest.raises(ValueError, match="column 'Artist' is empty"):
        read_artworks(broken)
    with pytest.raises(FileNotFoundError, match="artworks.csv: not found"):
        read_artworks(tmp_path)


def test_the_chapters_share_one_artwork_split_that_extends_the_class_split():
    """Chapters 13 and 15 call artwork_splits: the same split each time, holding every test artwork of the
    class folders' grouped split, so a classifier and the regression meet on the same test images."""
    session = open_session()
    grouped, first = artwork_splits(session)
    _, again = artwork_splits(session)
    assert first.test_ids == again.test_ids and first.train_ids == again.train_ids
    assert set(grouped.test_ids) <= set(first.test_ids)
    assert set(grouped.val_ids) <= set(first.val_ids)
    assert set(grouped.train_ids) <= set(first.train_ids)
