"""Coverage counts and too-few-images warnings, checked against values worked out by hand."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from course_utils.datasets import coverage
from course_utils.labels import CLASS_NAMES


def test_coverage_counts_by_hand():
    # six artworks: two Calm (one with an image), one Euphoric with an image, one Aggressive without, two without
    # a class (one with an image); an artwork missing from has_image has no image
    classes = pd.Series(["Calm", "Calm", "Euphoric", "Aggressive", pd.NA, None], index=list("abcdef"))
    has_image = pd.Series([True, False, True, False, True], index=list("abcde"))
    table = coverage.coverage_counts(classes, has_image)
    assert list(table.index) == [*CLASS_NAMES, coverage.NO_CLASS]
    assert table.loc["Calm"].tolist() == [2, 1]
    assert table.loc["Euphoric"].tolist() == [1, 1]
    assert table.loc["Aggressive"].tolist() == [1, 0]
    assert table.loc["Euphoric + Calm"].tolist() == [0, 0]
    assert table.loc[coverage.NO_CLASS].tolist() == [2, 1]
    assert table["artworks"].sum() == 6 and table["with an image"].sum() == 3


def test_coverage_counts_names_an_unknown_class():
    with pytest.raises(ValueError, match="Serene"):
        coverage.coverage_counts(pd.Series(["Serene"], index=["a"]), pd.Series([True], index=["a"]))


def test_coverage_statement_by_hand():
    counts = coverage.coverage_counts(
        pd.Series(["Calm"] * 8 + ["Euphoric"] * 2, index=range(10)),
        pd.Series([True] * 6 + [False] * 2 + [True, False], index=range(10)),
    )
    text = coverage.coverage_statement(counts, "test data")
    # 10 annotated, 6 + 1 = 7 with an image (70.0 %)
    assert text.splitlines()[0] == "test data: 10 annotated artworks, 7 of them (70.0%) with an image."
    assert coverage.COVERAGE_HEADING in text
    assert any(line.split() == ["Calm", "6", "/", "8"] for line in text.splitlines())
    # Calm has 6 images (enough); the six other classes have 0 or 1
    warning = text.splitlines()[-1]
    assert warning.startswith(coverage.WARNING)
    assert "6 of the 7 classes have fewer than 5 images" in warning
    assert "Euphoric 1" in warning and "Aggressive 0" in warning and "Calm 6" not in warning


def test_no_warning_when_every_class_has_enough():
    counts = coverage.coverage_counts(
        pd.Series([c for c in CLASS_NAMES for _ in range(5)]), pd.Series([True] * 35)
    )
    assert coverage.WARNING not in coverage.coverage_statement(counts)


def test_few_images_warning_by_hand():
    assert coverage.few_images({"a": 4, "b": 5, "c": 0}, 5) == {"a": 4, "c": 0}
    assert coverage.few_images_warning({"a": 7, "b": 5}, 5) == ""
    one = coverage.few_images_warning({"Baroque": 3, "Rococo": 12}, 10, "category", "validation images")
    assert one == (
        f"{coverage.WARNING}: 1 of the 2 categories has fewer than 10 validation images (Baroque 3); "
        "any number about it rests on too few images to mean much."
    )
    assert "2 of the 3 classes have" in coverage.few_images_warning({"a": 1, "b": 2, "c": 9}, 5)
    assert "all 2 classes have fewer than 5 images (a 1, b 2)" in coverage.few_images_warning({"a": 1, "b": 2}, 5)
    assert "the only style has fewer than 10 images (Modern Art 3); any number about it" in (
        coverage.few_images_warning({"Modern Art": 3}, 10, "style")
    )


def test_plural_of():
    assert [coverage.plural_of(w) for w in ("class", "category", "label", "style", "day")] == [
        "classes",
        "categories",
        "labels",
        "styles",
        "days",
    ]


def test_set_size_warning_by_hand():
    assert coverage.set_size_warning(50) == ""
    # 20 images: one image is 1/20 = 5 percentage points of accuracy
    assert coverage.set_size_warning(20).endswith("moves an accuracy by 5 percentage points.")
    assert "only 20 validation images (fewer than 50)" in coverage.set_size_warning(20)
    assert "no validation images" in coverage.set_size_warning(0)


def test_split_warnings_by_hand(capsys):
    names = ["A", "B", "C"]
    y = np.array([0] * 6 + [1] * 2)  # 8 images: A 6, B 2, C 0
    assert coverage.class_counts_of(y, names) == {"A": 6, "B": 2, "C": 0}
    warnings = coverage.warn_few_images(y, names)
    assert len(warnings) == 2
    assert "only 8 validation images" in warnings[0]
    assert "2 of the 3 classes have fewer than 5 validation images (B 2, C 0)" in warnings[1]
    printed = capsys.readouterr().out
    assert all(len(line) <= coverage.WIDTH for line in printed.splitlines())  # wrapped to the page
    assert " ".join(printed.split()) == " ".join(" ".join(warnings).split())
    assert coverage.split_warnings(np.repeat([0, 1, 2], 20), names) == []


def test_warn_small_groups_prints_only_a_warning(capsys):
    assert coverage.warn_small_groups({"x": 30, "y": 40}, 10) == ""
    assert capsys.readouterr().out == ""
    text = coverage.warn_small_groups({"x": 3, "y": 40}, 10, "style")
    assert "1 of the 2 styles has fewer than 10" in text and " ".join(capsys.readouterr().out.split()) == text


def test_class_coverage_of_a_sample(tmp_path, capsys):
    from course_utils.datasets.sample import write_sample

    write_sample(tmp_path, n=30, seed=5)
    images = tmp_path / "images"
    gone = sorted(images.iterdir())[:10]
    for path in gone:  # ten dead links
        path.unlink()
    (images / ".partial.jpg.tmp").write_bytes(b"")  # a hidden temporary file is no image
    source = SimpleNamespace(archive_dir=tmp_path / "WikiArt-Emotions", images_dir=images, is_sample=True)
    counts = coverage.print_coverage(source)
    assert counts["artworks"].sum() == 30
    assert counts["with an image"].sum() == 20
    out = capsys.readouterr().out
    assert out.startswith("the offline SAMPLE (not WikiArt): 30 annotated artworks, 20 of them (66.7%)")


def test_image_ids(tmp_path):
    (tmp_path / "abc.jpg").write_bytes(b"x")
    (tmp_path / "def.png").write_bytes(b"x")
    (tmp_path / ".abc.jpg.123.tmp").write_bytes(b"x")
    assert coverage.image_ids(tmp_path) == {"abc", "def"}
    assert coverage.image_ids(tmp_path / "missing") == set()


def test_image_paths_keep_the_order_given_and_skip_missing_images(tmp_path):
    for name in ("b.jpg", "a.png", ".c.jpg.tmp"):
        (tmp_path / name).write_bytes(b"x")
    assert coverage.image_paths(tmp_path, ["c", "b", "x", "a"]) == {
        "b": tmp_path / "b.jpg",
        "a": tmp_path / "a.png",
    }
    assert list(coverage.image_paths(tmp_path, ["a", "b"], limit=1)) == ["a"]
    assert coverage.image_paths(tmp_path / "missing", ["a"]) == {}


def test_in_a_notebook_the_first_warnings_are_one_notice_and_later_ones_a_quiet_line(monkeypatch):
    shown = []
    monkeypatch.setattr(coverage, "_notebook_display", lambda: lambda bundle, raw: shown.append(bundle))
    monkeypatch.setattr(coverage, "_notice_shown", False)
    names = ["A", "B", "C"]
    coverage.warn_few_images(np.array([0] * 6 + [1] * 2), names)  # two warnings: 8 images; B 2, C 0
    coverage.warn_small_groups({"Baroque": 3, "Rococo": 40}, 10, "style")
    assert len(shown) == 2
    notice, again = shown
    assert f"<strong>{coverage.NOTICE_TITLE}</strong>" in notice["text/html"]
    assert 'class="admonition warning"' in notice["text/html"]
    assert notice["text/html"].count("<li>") == 2
    assert "<li>The scores rest on only 8 validation images" in notice["text/html"]
    assert "B 2, C 0" in notice["text/html"] and coverage.WARNING not in notice["text/html"]
    assert notice["text/plain"].startswith(f"{coverage.NOTICE_TITLE}: ")
    assert "admonition" not in again["text/html"] and coverage.AGAIN in again["text/html"]
    assert "Baroque 3" in again["text/html"] and coverage.WARNING not in again["text/plain"]


def test_nothing_is_shown_when_nothing_is_too_few(monkeypatch):
    shown = []
    monkeypatch.setattr(coverage, "_notebook_display", lambda: lambda bundle, raw: shown.append(bundle))
    monkeypatch.setattr(coverage, "_notice_shown", False)
    coverage.warn_small_groups({"x": 30, "y": 40}, 10)
    coverage.show_warnings(["", ""])
    assert shown == [] and coverage._notice_shown is False


def test_a_notice_escapes_its_text():
    assert "&lt;b&gt;" in coverage.notice_html([f"{coverage.WARNING}: <b> 2"])
