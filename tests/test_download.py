"""The image downloader against a local server with faults: what is kept, what is reported, what is asked again."""

import csv
import dataclasses
import os
import subprocess
import sys
import threading
import time
import zipfile
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import course_utils.data.download as download
import course_utils.data.images as images
from course_utils.data import schema
from course_utils.data.download import FAILURES_FILE, download_all
from course_utils.data.fetch import (
    USER_AGENT,
    Fetcher,
    FetchError,
    Gate,
    HttpPolicy,
    retry_after,
)
from course_utils.datasets.localserver import (
    HTML_PAGE,
    LocalServer,
    Reply,
    encoded,
    png_header,
    sample_server,
)

N = 30
FAST = HttpPolicy(timeout=2.0, backoff=0.01, max_backoff=0.02, max_retry_after=0.05)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with sample_server(tmp_path_factory.mktemp("site") / "site", n=N, seed=3) as server:
        yield server


@pytest.fixture
def server(site):
    settle(site)
    site.reset()
    site.latency = 0.0
    yield site
    site.reset()


@pytest.fixture(scope="module")
def files(site):
    """The sample's image file names (``<ID>.<ext>``), in the archive's row order."""
    table = pd.read_csv(site.root / schema.ARCHIVE_FOLDER / schema.ALL_FILE, sep="\t", dtype=str)
    return [url.rsplit("/", 1)[-1] for url in table["Image URL"]]


def settle(server, timeout: float = 5.0):
    """Wait until the server answers no request of an earlier test: a reply delayed past the client's timeout
    keeps its handler busy after the client gave up, and would count as in flight in the next test."""
    deadline = time.monotonic() + timeout
    while server.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not server.in_flight, f"{server.in_flight} request(s) of an earlier test still in flight"


def run(server, out, **kw):
    kw = {"http": FAST, "progress": False, "workers": 4, **kw}
    return download_all(out, archive_url=server.archive_url, **kw)


def ident(name):
    return name.split(".")[0]


def failures(out):
    with open(out / FAILURES_FILE, newline="") as f:
        return {row["ID"]: row for row in csv.DictReader(f)}


def leftovers(out):
    """Temporary files anywhere in the output (there must be none after a run)."""
    return [p for p in out.rglob(".*") if p.name != ".extracted.json"]


def image_hits(server):
    return sum(n for name, n in server.hits.items() if name != schema.ARCHIVE_NAME)


def test_every_fault_is_kept_or_reported(server, files, tmp_path):
    wide = Image.new("RGBA", (300, 120), (255, 0, 0, 0))
    faults = {
        0: [Reply(404, b"gone")],
        1: [Reply(500, b"oops"), None],
        2: [Reply(429, b"slow down", (("Retry-After", "1"),)), None],
        3: [Reply(200, HTML_PAGE)],
        4: [Reply(200, b"")],
        5: [Reply(200, truncate=0.6)],
        6: [Reply(200, png_header(20_000, 20_000))],
        7: [Reply(200, encoded(wide)), None],  # fully transparent: white after flattening
        8: [Reply(200, encoded(Image.new("RGB", (90, 60), (0, 200, 0)).convert("P"), transparency=3)), None],
        9: [Reply(200, encoded(Image.new("CMYK", (80, 80), (0, 255, 255, 0)), "JPEG")), None],
        10: [Reply(200, encoded(Image.new("I;16", (70, 50), 32896))), None],
        11: [Reply(delay=3.0), None],  # longer than the 2 s timeout
        12: [Reply(drop=True), None],
        13: [Reply(headers=(("Content-Length", "99999999"),)), None],  # a cut connection
        14: [Reply(403, b"forbidden")],
    }
    for i, replies in faults.items():
        if replies[-1] is None:
            server.fault(files[i], *[r for r in replies if r is not None])
        else:
            server.fault(files[i], replies[0], always=True)
    report = run(server, tmp_path)

    failed = failures(tmp_path)
    expected = {
        0: "HTTP 404",
        3: "an HTML page",
        4: "empty file",
        5: "truncated",
        6: "decompression bomb",
        14: "HTTP 403",
    }
    assert set(failed) == {ident(files[i]) for i in expected}
    for i, words in expected.items():
        row = failed[ident(files[i])]
        assert words in row["reason"] and row["URL"].endswith(files[i])
        assert row["permanent"] == ("yes" if i in (0, 14) else "no")
    assert (report.total, report.fetched, report.kept, report.failed) == (N, N - 6, 0, 6)
    kept = sorted(p.stem for p in report.images_dir.glob("*.jpg"))
    assert kept == sorted(ident(f) for i, f in enumerate(files) if i not in expected)
    for path in report.images_dir.glob("*.jpg"):
        with Image.open(path) as im:
            assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (125, 125))
    pixel = {i: Image.open(report.images_dir / f"{ident(files[i])}.jpg").getpixel((60, 60)) for i in (7, 8, 9, 10)}
    assert min(pixel[7]) > 245  # transparent → white
    assert pixel[8][1] > 180 and pixel[8][0] < 40  # palette → its green
    assert pixel[9][0] > 200 and max(pixel[9][1:]) < 60  # CMYK (0, 255, 255, 0) → red
    assert 110 < pixel[10][0] < 145 and pixel[10][0] == pixel[10][2]  # 16-bit mid-grey, not clipped to white
    for i in (0, 3, 4, 5, 6, 14):  # no retry for client errors and bad content
        assert server.hits[files[i]] == 1, i
    for i in (1, 2, 11, 12, 13):  # one retry, then success
        assert server.hits[files[i]] == 2, i
    assert server.hits[schema.ARCHIVE_NAME] == 1
    assert report.retries == 5 and report.requests == N + 5 + 1
    assert leftovers(tmp_path) == []


def test_second_run_asks_only_for_what_is_missing(server, files, tmp_path):
    server.fault(files[0], Reply(404), always=True)
    server.fault(files[1], Reply(200, HTML_PAGE), always=True)
    first = run(server, tmp_path)
    assert (first.fetched, first.failed) == (N - 2, 2)

    server.reset()
    server.fault(files[0], Reply(404), always=True)
    second = run(server, tmp_path)
    assert dict(server.hits) == {files[1]: 1}  # not the archive, not the kept images, not the 404
    assert (second.kept, second.fetched, second.failed, second.skipped) == (N - 2, 1, 1, 1)
    assert set(failures(tmp_path)) == {ident(files[0])}  # rewritten: only current failures

    server.reset()
    server.fault(files[0], Reply(404), always=True)
    third = run(server, tmp_path, retry_failed=True)
    assert dict(server.hits) == {files[0]: 1}
    assert (third.failed, third.skipped) == (1, 0)


def test_plan_sorts_every_artwork_into_kept_no_url_known_or_asked(tmp_path):
    """`plan` on seven hand-made artworks, each answer worked by hand: an image already there is kept; an empty
    or missing URL is a permanent failure without a request; a permanent failure of an earlier run is skipped
    only while its URL is unchanged; a temporary one, or one at a changed URL, is asked for again."""
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.jpg").write_bytes(b"kept as it is")
    table = pd.DataFrame(
        {
            "ID": ["a", "b", "c", "d", "e", "f", "g"],
            "Image URL": [
                "http://h/a.jpg",
                None,
                "  ",
                "http://h/d.jpg",
                "http://new/e.jpg",
                "http://h/f.jpg",
                "http://h/g.jpg",
            ],
        }
    )
    known = {
        "b": download.Failure("b", "http://h/b.jpg", "HTTP 404", True),
        "d": download.Failure("d", "http://h/d.jpg", "HTTP 404", True),
        "e": download.Failure("e", "http://old/e.jpg", "HTTP 404", True),
        "f": download.Failure("f", "http://h/f.jpg", "timed out", False),
    }
    report = download.DownloadReport(tmp_path, tmp_path / schema.ARCHIVE_FOLDER, images)
    todo = download.plan(table, report, known)
    assert todo == [("e", "http://new/e.jpg"), ("f", "http://h/f.jpg"), ("g", "http://h/g.jpg")]
    no_url = "no Image URL in the annotations"
    assert report.failures == [
        download.Failure("b", "", no_url, True),
        download.Failure("c", "", no_url, True),
        download.Failure("d", "http://h/d.jpg", "HTTP 404", True),
    ]
    assert (report.total, report.kept, report.skipped, report.failed) == (7, 1, 1, 3)


def test_a_changed_url_is_asked_again_and_an_unchanged_one_is_not(server, files, tmp_path):
    """End to end: a 404 is remembered with its URL; while the URL stays, the next run does not ask again; when
    failures.csv holds another URL for it (the archive's link changed since), it is asked for again."""
    server.fault(files[0], Reply(404), always=True)
    run(server, tmp_path, limit=3)
    remembered = failures(tmp_path)[ident(files[0])]
    assert remembered["permanent"] == "yes" and remembered["URL"].endswith(files[0])

    server.reset()
    server.fault(files[0], Reply(404), always=True)
    unchanged = run(server, tmp_path, limit=3)
    assert dict(server.hits) == {} and (unchanged.skipped, unchanged.failed) == (1, 1)

    rows = list(failures(tmp_path).values())
    rows[0]["URL"] = "http://127.0.0.1:9/an/older/link.jpg"
    with open(tmp_path / FAILURES_FILE, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    server.reset()
    changed = run(server, tmp_path, limit=3)
    assert dict(server.hits) == {files[0]: 1}  # the archive's current URL, asked once
    assert (changed.skipped, changed.fetched, changed.failed) == (0, 1, 0)
    assert not failures(tmp_path)


def test_an_interrupted_run_loses_nothing(server, files, tmp_path, monkeypatch):
    calls, lock = [0], threading.Lock()
    real = download.open_validated

    def interrupt_on_the_tenth(data, source):
        with lock:
            calls[0] += 1
            if calls[0] == 10:
                raise KeyboardInterrupt
        return real(data, source)

    monkeypatch.setattr(download, "open_validated", interrupt_on_the_tenth)
    with pytest.raises(KeyboardInterrupt):
        run(server, tmp_path, workers=2)
    kept = sorted(tmp_path.glob("images/*.jpg"))
    assert 5 <= len(kept) < N
    for path in kept:  # every file there is a whole image
        with Image.open(path) as im:
            im.load()
            assert im.size == (125, 125)
    assert leftovers(tmp_path) == []

    monkeypatch.setattr(download, "open_validated", real)
    server.reset()
    report = run(server, tmp_path)
    assert (report.kept, report.fetched, report.failed) == (len(kept), N - len(kept), 0)
    assert image_hits(server) == N - len(kept)
    assert set(server.hits).isdisjoint({f"{p.stem}.jpg" for p in kept} | {f"{p.stem}.png" for p in kept})


def test_stale_temporary_images_are_swept(server, tmp_path):
    stale = tmp_path / "images" / ".0123-abandoned.jpg"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half an image")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    run(server, tmp_path, limit=2)
    assert not stale.exists()


def test_pixel_limit_refuses_large_images(server, tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)  # every sample picture is at least 150 × 150
    report = run(server, tmp_path, limit=3)
    assert report.failed == 3 and report.fetched == 0
    assert all("exceeds the limit of 10000" in row["reason"] for row in failures(tmp_path).values())


def test_resize_policies(server, files, tmp_path):
    stripes = np.zeros((100, 300, 3), np.uint8)
    stripes[:, :100] = (255, 0, 0)
    stripes[:, 100:200] = (0, 255, 0)
    stripes[:, 200:] = (0, 0, 255)
    server.fault(files[0], Reply(200, encoded(Image.fromarray(stripes), "PNG")), always=True)
    squash = run(server, tmp_path / "squash", limit=1, size=48, policy="squash")
    crop = run(server, tmp_path / "crop", limit=1, size=48, policy="crop")
    left = {
        name: Image.open(r.images_dir / f"{ident(files[0])}.jpg").getpixel((2, 24))
        for name, r in (("squash", squash), ("crop", crop))
    }
    assert Image.open(crop.images_dir / f"{ident(files[0])}.jpg").size == (48, 48)
    assert left["squash"][0] > 200  # squash keeps the red third on the left
    assert left["crop"][1] > 200  # the centre crop shows only the green middle


def test_no_images_and_limit(server, tmp_path):
    report = run(server, tmp_path / "a", images=False)
    assert dict(server.hits) == {schema.ARCHIVE_NAME: 1} and report.total == 0
    assert not (tmp_path / "a" / "images").exists()
    report = run(server, tmp_path / "b", limit=4)
    assert report.total == 4 and report.fetched == 4 and image_hits(server) == 4


def test_urls_come_from_the_info_file_when_the_all_file_lacks_them(server, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    with (
        zipfile.ZipFile(server.root / schema.ARCHIVE_NAME) as src,
        zipfile.ZipFile(site / schema.ARCHIVE_NAME, "w") as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(schema.ALL_FILE):
                table = pd.read_csv(src.open(info), sep="\t", dtype=str)
                data = table.drop(columns=list(schema.URL_COLUMNS)).to_csv(sep="\t", index=False).encode()
            dst.writestr(info.filename, data)
    with LocalServer(site) as archive_only:
        report = download_all(
            tmp_path / "out", archive_url=archive_only.archive_url, http=FAST, progress=False, limit=5
        )
    assert report.fetched == 5 and image_hits(server) == 5  # images from the URLs of WikiArt-info.tsv


def test_user_agent_and_bounded_concurrency(server, tmp_path):
    server.latency = 0.1
    # A patient client: a retry after a timeout on a loaded machine would
    # leave the abandoned request in flight on the server beside its retry.
    patient = dataclasses.replace(FAST, timeout=30.0)
    report = run(server, tmp_path, workers=3, limit=12, http=patient)
    assert report.fetched == 12 and report.retries == 0
    assert server.user_agents == {USER_AGENT} and "EmotionsInArt" in USER_AGENT
    assert server.max_in_flight == 3


def test_many_network_failures_in_a_row_stop_the_run(server, files, tmp_path):
    for name in files:
        server.fault(name, Reply(drop=True), always=True)
    report = run(server, tmp_path, workers=1, give_up_after=3)
    assert "3 requests in a row failed" in report.stopped
    attempts = FAST.retries + 1  # the one worker may have started a fourth image before the run stopped
    assert 3 * attempts <= image_hits(server) <= 4 * attempts
    rows = failures(tmp_path)
    assert len(rows) == N and sum(r["reason"].startswith("not tried") for r in rows.values()) >= N - 4


@pytest.mark.parametrize(
    "status, header, wait",
    [
        (429, "7", 7),
        (503, "600", 60),
        (429, "in 30 s", 30),  # seconds; capped at 60; an HTTP date
    ],
)
def test_retry_after_is_honoured_and_capped(server, files, status, header, wait):
    if header == "in 30 s":
        header = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    slept = []  # a fake sleep: the test records the waits instead of waiting
    fetcher = Fetcher(HttpPolicy(timeout=2, max_retry_after=60, sleep=slept.append))
    server.fault(files[0], Reply(status, headers=(("Retry-After", header),)))
    assert fetcher.get(f"{server.images_url}/x/{files[0]}")[:2] in (b"\xff\xd8", b"\x89P")
    assert len(slept) == 1 and wait - 1.5 < slept[0] <= wait
    assert fetcher.retries == 1 and server.hits[files[0]] == 2


def test_retry_after_parsing():
    assert retry_after("soon", 60) is None and retry_after(None, 60) is None
    assert retry_after("-5", 60) == 0 and retry_after("2.5", 60) == 2.5


def test_gate_makes_every_worker_wait():
    gate, slept = Gate(), []
    gate.hold(5)
    gate.hold(2)  # a shorter pause does not shorten the longer one
    gate.wait(slept.append)
    assert 4.9 < slept[0] <= 5


def test_backoff_doubles_is_capped_and_jittered():
    policy = HttpPolicy(backoff=1, max_backoff=8)
    for attempt, base in enumerate([1, 2, 4, 8, 8]):
        delays = [policy.backoff_delay(attempt) for _ in range(200)]
        assert base / 2 <= min(delays) and max(delays) <= base
        assert len(set(delays)) > 100  # jitter: workers do not retry in step


@pytest.mark.parametrize(
    "status, asked_again",
    [(408, True), (429, True), (500, True), (502, True), (503, True), (599, True)]
    + [(400, False), (401, False), (403, False), (404, False), (410, False), (451, False)],
)
def test_which_statuses_are_asked_again(server, files, status, asked_again):
    """408 (the server timed out waiting for us), 429 and 5xx are asked again and then succeed; another 4xx is
    asked once and reported as permanent."""
    fetcher = Fetcher(FAST)
    server.fault(files[0], Reply(status, b"no"))
    url = f"{server.images_url}/x/{files[0]}"
    if asked_again:
        assert fetcher.get(url)[:2] in (b"\xff\xd8", b"\x89P")
        assert (server.hits[files[0]], fetcher.retries) == (2, 1)
    else:
        with pytest.raises(FetchError, match=f"HTTP {status}") as err:
            fetcher.get(url)
        assert err.value.permanent and err.value.status == status
        assert (server.hits[files[0]], fetcher.retries) == (1, 0)


def test_bounded_retries_then_a_clear_reason(server, files):
    slept = []
    fetcher = Fetcher(HttpPolicy(timeout=2, retries=3, backoff=1, sleep=slept.append))
    server.fault(files[0], Reply(502, b"bad gateway"), always=True)
    with pytest.raises(FetchError, match=r"HTTP 502 Bad Gateway \(gave up after 4 attempts\)") as err:
        fetcher.get(f"{server.images_url}/x/{files[0]}")
    assert not err.value.permanent and server.hits[files[0]] == 4
    assert len(slept) == 3
    assert 0.5 <= slept[0] <= 1 and 1 <= slept[1] <= 2 and 2 <= slept[2] <= 4


def test_bad_arguments_are_refused(server, tmp_path):
    with pytest.raises(ValueError, match="workers must be 1 … 32"):
        run(server, tmp_path, workers=100)
    with pytest.raises(ValueError, match="unknown resize policy 'stretch'"):
        run(server, tmp_path, policy="stretch")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "course_utils", "download", *args], capture_output=True, text=True
    )


def test_cli_downloads_and_sums_up(server, tmp_path):
    server.fault(next(iter(sorted(server.root.glob("images/*")))).name, Reply(404), always=True)
    res = run_cli("--out", str(tmp_path), "--archive-url", server.archive_url, "--workers", "4", "--size", "32")
    assert res.returncode == 0, res.stderr
    assert f"{N} artworks: {N - 1} images fetched now, 0 already there, 1 failed" in res.stdout
    assert len(failures(tmp_path)) == 1
    with Image.open(next(tmp_path.glob("images/*.jpg"))) as im:
        assert im.size == (32, 32)


@pytest.mark.parametrize(
    "setup, args, words",
    [
        (
            lambda s: s.fault(schema.ARCHIVE_NAME, Reply(404), always=True),
            [],
            "could not download the archive: HTTP 404",
        ),
        (
            lambda s: s.fault(schema.ARCHIVE_NAME, Reply(200, HTML_PAGE), always=True),
            [],
            "an HTML page, not a zip archive (expected WikiArt-Emotions.zip: a zip holding",
        ),
        (lambda s: None, ["--workers", "64"], "workers must be 1 … 32"),
    ],
)
def test_cli_errors_are_one_line(server, tmp_path, setup, args, words):
    setup(server)
    res = run_cli("--out", str(tmp_path / "out"), "--archive-url", server.archive_url, *args)
    assert res.returncode == 2
    assert words in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.jpg", "nan"])
def test_only_http_urls_are_fetched(url):
    fetcher = Fetcher(FAST)
    with pytest.raises(FetchError, match="not an http\\(s\\) URL") as err:
        fetcher.get(url)
    assert err.value.permanent and fetcher.requests == 0


def test_a_garbled_failure_list_means_asking_again(server, files, tmp_path):
    server.fault(files[0], Reply(404), always=True)
    run(server, tmp_path, limit=3)
    (tmp_path / FAILURES_FILE).write_text("what,is,this\n1,2,3\n")
    server.reset()
    report = run(server, tmp_path, limit=3)
    assert dict(server.hits) == {files[0]: 1} and report.skipped == 0


def test_cli_ctrl_c_keeps_the_images_and_a_rerun_resumes(server, tmp_path):
    import signal

    # one image per half second: the rest of the download takes over 10 s, so the interrupt lands while it runs
    server.latency = 0.5
    cmd = [
        sys.executable,
        "-m",
        "course_utils",
        "download",
        "--out",
        str(tmp_path),
        "--archive-url",
        server.archive_url,
        "--workers",
        "1",
    ]
    # a suite started in the background (`cmd &`, nohup) ignores SIGINT, and children inherit that: give the
    # download the default handler a terminal's Ctrl-C would meet
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("images/*.jpg"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert (
        stderr.strip().splitlines()[-1].startswith("course-utils download: interrupted")
        and "Traceback" not in stderr
    )
    kept = list(tmp_path.glob("images/*.jpg"))
    assert 2 <= len(kept) < N and leftovers(tmp_path) == []
    for path in kept:
        with Image.open(path) as im:
            im.load()
    server.reset()
    server.latency = 0.0
    report = run(server, tmp_path)
    assert report.kept == len(kept) and report.fetched == N - len(kept) and image_hits(server) == N - len(kept)


def test_redirects_are_followed_to_http_only(server, files):
    fetcher = Fetcher(FAST)
    server.fault("moved.jpg", Reply(301, b"", (("Location", f"{server.images_url}/x/{files[0]}"),)))
    assert fetcher.get(f"{server.url}/moved.jpg")[:2] in (b"\xff\xd8", b"\x89P")
    server.fault("away.jpg", Reply(302, b"", (("Location", "ftp://127.0.0.1/secret.jpg"),)), always=True)
    with pytest.raises(FetchError, match="redirect to 'ftp://127.0.0.1/secret.jpg' refused"):
        fetcher.get(f"{server.url}/away.jpg")
