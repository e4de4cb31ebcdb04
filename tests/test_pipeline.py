"""The study's split, the stratified one, the decoded-image cache, and images staying in step with their labels.

The folder here paints every image of class k in its own colour, so the class can be read back from the pixels:
any shuffle that moves images without their labels (or the other way round) shows up at once.
"""

import os
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from course_utils.datasets import pipeline
from course_utils.datasets.pipeline import load_split
from course_utils.labels import CLASS_NAMES

COUNTS = [6, 3, 4, 0, 20, 31, 9]  # like the real data: one class empty, one about half
SIZE = 16


def colour_of(k: int) -> tuple[int, int, int]:
    """A colour per class, far apart from each other even after JPEG compression."""
    return (35 * k, 240 - 30 * k, 60 + 25 * (k % 3))


def class_of(image: np.ndarray) -> int:
    """Read the class back from an image's mean colour."""
    mean = image.reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(mean - np.array(colour_of(k))).sum() for k in range(len(CLASS_NAMES))]))


@pytest.fixture
def folder(tmp_path) -> Path:
    """Seven class folders (names as in SPEC §3) of small solid-colour JPEGs with hex IDs as names."""
    rng = np.random.default_rng(0)
    for k, (name, count) in enumerate(zip(CLASS_NAMES, COUNTS)):
        (tmp_path / name).mkdir()
        for _ in range(count):
            ident = "".join(rng.choice(list("0123456789abcdef"), 24))
            Image.new("RGB", (SIZE, SIZE), colour_of(k)).save(tmp_path / name / f"{ident}.jpg", quality=95)
    return tmp_path


def stems(paths) -> list[str]:
    return [Path(p).stem for p in paths]


def test_study_split_is_image_dataset_from_directorys(folder):
    """The call the study made, subset by subset: our split holds exactly its files, in its order."""
    common = dict(validation_split=0.2, seed=123, image_size=(125, 125), batch_size=32, verbose=False)
    train = keras.utils.image_dataset_from_directory(folder, subset="training", **common)
    val = keras.utils.image_dataset_from_directory(folder, subset="validation", **common)
    split = load_split(folder, seed=123, image_size=SIZE)
    assert split.train_ids == stems(train.file_paths)
    assert split.val_ids == stems(val.file_paths)
    assert split.class_names == list(train.class_names) == list(CLASS_NAMES)


def test_another_seed_gives_another_split(folder):
    assert (
        load_split(folder, seed=1, image_size=SIZE).val_ids != load_split(folder, seed=2, image_size=SIZE).val_ids
    )


@pytest.mark.parametrize("stratified", [False, True])
def test_images_and_labels_stay_in_step(folder, stratified):
    split = load_split(folder, stratified=stratified, image_size=SIZE)
    for x, y in ((split.x_train, split.y_train), (split.x_val, split.y_val)):
        assert x.dtype == np.uint8 and x.shape[1:] == (SIZE, SIZE, 3)
        assert [class_of(image) for image in x] == y.tolist()


@pytest.mark.parametrize("stratified", [False, True])
def test_labels_are_the_folders_and_every_file_is_used_once(folder, stratified):
    split = load_split(folder, stratified=stratified, image_size=SIZE)
    assert not set(split.train_ids) & set(split.val_ids)
    assert len(split.train_ids) + len(split.val_ids) == sum(COUNTS)
    for ids, y in ((split.train_ids, split.y_train), (split.val_ids, split.y_val)):
        for ident, label in zip(ids, y):
            assert (folder / CLASS_NAMES[label] / f"{ident}.jpg").is_file()


def test_stratified_split_keeps_each_class_share(folder):
    split = load_split(folder, stratified=True, image_size=SIZE)
    val = np.bincount(split.y_val, minlength=len(COUNTS))
    expected = [int(round(0.2 * n)) if n > 1 else 0 for n in COUNTS]
    assert val.tolist() == expected


def test_images_are_resized_to_the_size_asked(folder):
    assert load_split(folder, image_size=8).x_train.shape[1:] == (8, 8, 3)


def test_second_load_decodes_nothing(folder, monkeypatch):
    first = load_split(folder, image_size=SIZE)
    assert list(folder.glob(".images-*.npy")), "the decoded arrays are cached beside the class folders"

    def no_decoding(*args, **kwargs):
        raise AssertionError("an image was decoded although the cache holds it")

    monkeypatch.setattr(pipeline.Image, "open", no_decoding)
    second = load_split(folder, image_size=SIZE)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_val, second.y_val)


def test_a_rewritten_image_is_decoded_again(folder):
    split = load_split(folder, image_size=SIZE)
    path = folder / CLASS_NAMES[split.y_train[0]] / f"{split.train_ids[0]}.jpg"
    Image.new("RGB", (SIZE, SIZE), (255, 255, 255)).save(path, quality=95)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert load_split(folder, image_size=SIZE).x_train[0].min() > 240


def test_datasets_batch_shuffle_with_the_seed_and_keep_validation_order(folder):
    split = load_split(folder, image_size=SIZE)
    train, val = split.datasets(batch_size=8)
    batches = list(val.as_numpy_iterator())
    assert [len(b[1]) for b in batches][0] == 8
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), split.y_val)
    first_epoch = np.concatenate([b[1] for b in train.as_numpy_iterator()])
    again = np.concatenate([b[1] for b in split.datasets(batch_size=8)[0].as_numpy_iterator()])
    assert sorted(first_epoch) == sorted(split.y_train)
    np.testing.assert_array_equal(first_epoch, again)  # the same seed, the same order
    images, labels = next(train.as_numpy_iterator())
    assert [class_of(image) for image in images] == labels.tolist()


def test_sizes_describes_the_split(folder):
    split = load_split(folder, image_size=SIZE)
    assert split.sizes() == f"{len(split.y_train)} training and {len(split.y_val)} validation images, 7 classes"


def make_folder(root: Path, counts: list[int]) -> Path:
    """Class folders holding ``counts[k]`` solid-colour images of class k (link rot: most classes nearly empty)."""
    for k, (name, count) in enumerate(zip(CLASS_NAMES, counts)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full((SIZE, SIZE, 3), colour_of(k), dtype=np.uint8)).save(
                root / name / f"{k}{i:03d}.jpg"
            )
    return root


def test_a_few_images_still_split_and_empty_classes_stay_named(tmp_path):
    # 6 images: Calm 4, Euphoric 2; the other five classes have none (what link rot leaves)
    split = load_split(make_folder(tmp_path, [0, 0, 0, 0, 4, 2, 0]), image_size=SIZE)
    assert split.class_names == list(CLASS_NAMES)
    assert len(split.y_train) + len(split.y_val) == 6 and len(split.y_val) == 1  # int(0.2 × 6) = 1


@pytest.mark.parametrize(
    "counts",
    [
        [
            0,
            0,
            0,
            0,
            2,
            2,
            1,
        ],  # round(0.2 × 2) = 0 each: the largest class (Calm, the first of two) gives one image
        [1, 0, 0, 0, 3, 1, 0],  # the single images stay in training; round(0.2 × 3) = 1 Calm image
    ],
)
def test_a_stratified_split_of_tiny_classes_has_a_validation_image(tmp_path, counts):
    split = load_split(make_folder(tmp_path, counts), image_size=SIZE, stratified=True)
    assert np.bincount(split.y_val, minlength=7).tolist() == [0, 0, 0, 0, 1, 0, 0]
    assert np.bincount(split.y_train, minlength=7).tolist() == [c - (k == 4) for k, c in enumerate(counts)]


@pytest.mark.parametrize("n", [0, 1, 4])
def test_too_few_images_to_split_is_a_clear_error(tmp_path, n):
    with pytest.raises(
        ValueError,
        match=rf"{n} image\(s\) in the class folders, too few for a 20% validation split "
        r"\(it needs at least 5\)",
    ):
        load_split(make_folder(tmp_path, [0, 0, 0, 0, n, 0, 0]), image_size=SIZE)
