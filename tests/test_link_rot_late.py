"""Every chapter that reads the images survives link rot, second half: chapters 11–18 but 18 (the machinery, the
reasons and chapters 01–10 are in ``test_link_rot.py``; a second file lets ``pytest -n 2 --dist loadfile`` run both
halves at once)."""

import pytest
from test_link_rot import chapter_params, check_chapter, rotten_site  # noqa: F401 (rotten_site: a fixture)


@pytest.mark.slow
@pytest.mark.parametrize("path", chapter_params(late=True), ids=lambda p: p.stem)
def test_chapter_survives_link_rot(path, rotten_site, monkeypatch):  # noqa: F811 (the fixture, by name)
    check_chapter(path, rotten_site, monkeypatch)
