"""The local stand-in for the archive site and WikiArt's image hosts: link rot (a fixed share of dead image links)."""

import pytest
from test_book import http_status as status  # one HTTP helper for the tests

from course_utils.datasets.localserver import (
    LocalServer,
    Reply,
    is_dead_link,
    sample_server,
)


def test_dead_links_are_a_fixed_share_chosen_by_name():
    names = [f"{i:024x}.jpg" for i in range(2000)]
    dead = [n for n in names if is_dead_link(n, 0.92, seed=1)]
    assert abs(len(dead) / len(names) - 0.92) < 0.02
    assert dead == [n for n in names if is_dead_link(n, 0.92, seed=1)]  # the same ones every time
    assert dead != [n for n in names if is_dead_link(n, 0.92, seed=2)]  # another seed, other links
    assert not any(is_dead_link(n, 0.0) for n in names) and all(is_dead_link(n, 1.0) for n in names)
    # a larger share keeps every link a smaller one killed (the same hash, a higher bar)
    assert set(dead) <= {n for n in names if is_dead_link(n, 0.95, seed=1)}


def test_a_rotten_site_answers_404_for_dead_images_only(tmp_path):
    with sample_server(tmp_path / "site", n=30, seed=4, dead_share=0.5, dead_seed=7) as server:
        names = sorted(p.name for p in (tmp_path / "site" / "images").iterdir())
        dead = [n for n in names if server.is_dead(n)]
        alive = [n for n in names if not server.is_dead(n)]
        assert dead and alive
        assert status(f"{server.images_url}/someone/{dead[0]}") == 404
        assert status(f"{server.images_url}/someone/{alive[0]}") == 200
        assert status(server.archive_url) == 200  # only image links rot
        server.fault(dead[1], Reply(200, b"an explicit fault wins"), always=True)
        assert status(f"{server.images_url}/someone/{dead[1]}") == 200
        server.dead_links(0.0)
        assert status(f"{server.images_url}/someone/{dead[0]}") == 200


def test_a_share_outside_0_to_1_is_refused(tmp_path):
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        LocalServer(tmp_path, dead_share=1.5)


def test_a_download_from_a_rotten_site_lists_every_dead_link(tmp_path):
    from course_utils.data.download import download_all

    with sample_server(tmp_path / "site", n=40, seed=4, dead_share=0.9) as server:
        names = sorted(p.name for p in (tmp_path / "site" / "images").iterdir())
        expected_dead = {n.split(".")[0] for n in names if server.is_dead(n)}
        report = download_all(tmp_path / "out", archive_url=server.archive_url, workers=4, progress=False)
    assert {f.ident for f in report.failures} == expected_dead
    assert all(f.permanent and "404" in f.reason for f in report.failures)
    assert report.fetched == 40 - len(expected_dead) and not report.stopped
