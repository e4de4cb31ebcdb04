"""Hand-worked cases for course_utils.data.fetch that the other tests left open (mutants that survived
benchmarks/mutation.py). No network and no server: the module's opener is replaced by one that plays back
answers, so each case is milliseconds."""

import email.message
import http.client
import io
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from course_utils.data import fetch
from course_utils.data.fetch import Fetcher, FetchError, Gate, HttpPolicy, describe, is_retryable, retry_after


def exactly(message: str) -> str:
    """A pattern that matches only the whole message."""
    return "^" + re.escape(message) + "$"


def headers(**values: str) -> email.message.Message:
    """HTTP headers as urllib gives them (names case-insensitive)."""
    message = email.message.Message()
    for name, value in values.items():
        message[name.replace("_", "-")] = value
    return message


class Answer:
    """A response body read as urllib reads one; records how much each read asked for."""

    def __init__(self, body: bytes, **head: str):
        self.body, self.pos, self.asked = body, 0, []
        self.headers = headers(**head)

    def read(self, n=None) -> bytes:
        self.asked.append(n)
        end = len(self.body) if n is None or n < 0 else self.pos + n
        chunk = self.body[self.pos : end]
        self.pos += len(chunk)
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Opener:
    """Plays back answers (or raises errors) in order, recording the requests."""

    def __init__(self, *outcomes):
        self.outcomes, self.requests = list(outcomes), []

    def open(self, request, timeout):
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def http_error(code: int, **head: str) -> urllib.error.HTTPError:
    return urllib.error.HTTPError("http://x/a", code, "Reason", headers(**head), io.BytesIO(b""))


@pytest.fixture
def sleeps():
    return []


def fetcher(sleeps, retries=1, max_bytes=64 * 2**20) -> Fetcher:
    return Fetcher(HttpPolicy(retries=retries, backoff=0.5, max_bytes=max_bytes, sleep=sleeps.append))


def test_which_statuses_are_asked_again():
    assert [is_retryable(s) for s in (407, 408, 409, 429, 499, 500, 599, 600)] == [
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        False,
    ]


def test_a_retry_after_date_without_a_zone_is_read_as_utc():
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    naive = format_datetime(when.replace(tzinfo=None))  # "-0000": no zone given
    assert 25 <= retry_after(naive, 60.0) <= 30


def test_describe_says_why_in_a_few_words():
    assert describe(urllib.error.URLError(TimeoutError())) == "timed out"
    plain = urllib.error.URLError("no route")
    assert describe(plain) == f"URLError: {plain}"
    assert describe(http.client.RemoteDisconnected("x")) == "connection closed without an answer"
    assert describe(ConnectionRefusedError(111, "Connection refused")) == "connection failed (Connection refused)"
    assert describe(ConnectionResetError()) == "connection failed (ConnectionResetError)"
    assert describe(ValueError("odd")) == "ValueError: odd"


def test_a_short_body_is_an_incomplete_read_of_the_missing_bytes():
    with pytest.raises(http.client.IncompleteRead) as err:
        fetch._check_length(Answer(b"", Content_Length="10"), 4)
    assert err.value.partial == b"" and err.value.expected == 6
    fetch._check_length(Answer(b"", Content_Length="4"), 4)  # as announced: nothing raised


def test_read_takes_at_most_one_byte_over_the_limit(sleeps):
    f = fetcher(sleeps, max_bytes=4)
    exact = Answer(b"abcd")
    assert f._read(exact) == b"abcd" and exact.asked == [5]
    with pytest.raises(FetchError, match=exactly("larger than 4 bytes")) as err:
        f._read(Answer(b"abcdefgh"))
    assert err.value.permanent is True


def test_stream_rewrites_the_file_in_64_kib_chunks_and_stops_past_the_limit(sleeps, tmp_path):
    f = fetcher(sleeps, max_bytes=10)
    path = tmp_path / "out"
    with open(path, "wb") as out:
        out.write(b"an older, longer attempt")
        assert f._stream(Answer(b"0123456789"), out) == 10  # exactly the limit: kept
    assert path.read_bytes() == b"0123456789"
    huge = Answer(b"x" * (1 << 20))
    with open(path, "wb") as out, pytest.raises(FetchError, match=exactly("larger than 10 bytes")) as err:
        f._stream(huge, out)
    assert err.value.permanent is True
    assert huge.asked == [1 << 16]  # one chunk read, not the whole answer


def test_http_and_https_are_asked_and_a_malformed_url_is_a_permanent_failure(sleeps, monkeypatch):
    opener = Opener(Answer(b"one"), Answer(b"two"))
    monkeypatch.setattr(fetch, "_OPENER", opener)
    f = fetcher(sleeps)
    assert f.get("https://x/a") == b"one" and f.get("http://x/b") == b"two"
    assert opener.requests[0].get_header("User-agent") == f.policy.user_agent
    with pytest.raises(FetchError, match=r"^not a valid URL \(") as err:
        f.get("http://x]")
    assert err.value.permanent is True


def test_a_stopped_download_asks_nothing(sleeps, monkeypatch):
    monkeypatch.setattr(fetch, "_OPENER", Opener())
    f = fetcher(sleeps)
    f.cancelled.set()
    with pytest.raises(FetchError, match=exactly("not tried: the download was stopped")):
        f.get("http://x/a")


def test_a_client_error_is_permanent_with_its_status(sleeps, monkeypatch):
    monkeypatch.setattr(fetch, "_OPENER", Opener(http_error(400), http_error(499), http_error(600)))
    f = fetcher(sleeps)
    for code, permanent in ((400, True), (499, True), (600, False)):
        with pytest.raises(FetchError, match=exactly(f"HTTP {code} Reason")) as err:
            f.get("http://x/a")
        assert err.value.status == code and err.value.permanent is permanent
    assert f.requests == 3 and not sleeps  # none of them asked again


def test_a_network_failure_backs_off_and_names_the_last_reason(sleeps, monkeypatch):
    timeout = urllib.error.URLError(TimeoutError())
    monkeypatch.setattr(fetch, "_OPENER", Opener(timeout, timeout))
    f = fetcher(sleeps)
    with pytest.raises(FetchError, match=exactly("timed out (gave up after 2 attempts)")) as err:
        f.get("http://x/a")
    assert err.value.status is None and err.value.permanent is False
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5  # the first back-off, with jitter


def test_a_server_error_given_up_keeps_its_status_and_retry_after_replaces_the_back_off(sleeps, monkeypatch):
    monkeypatch.setattr(fetch, "_OPENER", Opener(http_error(503, Retry_After="0"), http_error(503)))
    f = fetcher(sleeps)
    with pytest.raises(FetchError, match=exactly("HTTP 503 Reason (gave up after 2 attempts)")) as err:
        f.get("http://x/a")
    assert err.value.status == 503 and f.retries == 1
    assert sleeps == []  # Retry-After: 0 waited nothing, and no back-off on top of it


def test_fetch_error_keeps_its_status():
    assert FetchError("m", status=404).status == 404


def test_the_gate_waits_out_a_short_pause():
    gate, waited = Gate(), []
    gate.hold(0.5)
    gate.wait(waited.append)
    assert len(waited) == 1 and 0 < waited[0] <= 0.5


def test_redirects_to_https_are_followed_and_refusals_keep_the_answer():
    handler = fetch._HttpOnlyRedirects()
    request = urllib.request.Request("http://x/a")
    assert handler.redirect_request(request, None, 302, "Found", {}, "https://y/b").full_url == "https://y/b"
    fp, head = io.BytesIO(b""), headers(Location="ftp://y/b")
    with pytest.raises(urllib.error.HTTPError) as err:
        handler.redirect_request(request, fp, 302, "Found", head, "ftp://y/b")
    assert err.value.filename == "ftp://y/b" and err.value.hdrs is head and err.value.fp is fp
    post = urllib.request.Request("http://x/a", data=b"q")  # urllib itself refuses a 307 after a POST
    with pytest.raises(urllib.error.HTTPError) as err:
        handler.redirect_request(post, fp, 307, "Temporary", head, "http://y/b")
    assert err.value.msg == "Temporary" and err.value.hdrs is head and err.value.fp is fp
