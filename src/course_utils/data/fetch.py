"""Polite, fault-tolerant HTTP GET with the standard library (urllib): the archive's and the images' downloads.

Polite: a User-Agent that names the course, bounded retries, exponential back-off with jitter, and a
``Retry-After`` that every worker honours (capped). Fault-tolerant: timeouts, dropped connections, short bodies,
429 and 5xx answers are asked again; 404 and the other client errors are not, because asking again cannot help.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable, TypeVar

from course_utils import __version__
from course_utils.config.settings import REPOSITORY_URL

USER_AGENT = f"EmotionsInArtCourse/{__version__} (educational course downloader; +{REPOSITORY_URL})"


#: Requests in flight at once, at most: more would hammer WikiArt's servers (which rate-limit heavy clients).
MAX_WORKERS = 32


T = TypeVar("T")


class FetchError(Exception):
    """A URL that could not be fetched; ``permanent`` when asking again later cannot help (404, 403 …)."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        status: int | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


def is_retryable(status: int) -> bool:
    """Whether an HTTP status is worth asking again: 408 (timeout), 429 (too
    many requests) and the 5xx errors."""
    return status in (408, 429) or 500 <= status <= 599


@dataclass(frozen=True)
class HttpPolicy:
    """How patient and how polite a download is; tests shorten the waits, nothing else changes."""

    timeout: float = 30.0  # seconds a connection or a read may stall
    retries: int = 4  # extra attempts after the first, per URL
    backoff: float = 1.0  # first wait in seconds; doubles with each retry
    max_backoff: float = 30.0
    max_retry_after: float = (
        60.0  # a server asking for a longer pause gets this much
    )
    max_bytes: int = (
        64 * 2**20
    )  # a larger answer is refused (no painting on WikiArt comes close)
    user_agent: str = USER_AGENT
    sleep: Callable[[float], None] = field(
        default=time.sleep, compare=False, repr=False
    )

    def backoff_delay(self, attempt: int) -> float:
        """Wait before retry ``attempt`` (0-based): doubling, capped, with jitter so workers do not retry in step."""
        base = min(self.max_backoff, self.backoff * 2**attempt)
        return base * (0.5 + 0.5 * random.random())


def retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped; None when absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return min(cap, max(0.0, seconds))


class Gate:
    """Shared by all workers: after a server asks for a pause (Retry-After), nobody asks it anything before then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        """Close the gate for ``seconds`` from now (a later deadline wins)."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def wait(self, sleep: Callable[[float], None]) -> None:
        """Wait until the gate opens."""
        delay = self._until - time.monotonic()
        if delay > 0:
            sleep(delay)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): urllib would also follow one to ftp://."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(
                newurl, code, f"redirect to {newurl!r} refused", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


class Fetcher:
    """GET requests under one policy, shared by a download's worker threads (one gate, one request count)."""

    def __init__(self, policy: HttpPolicy | None = None):
        self.policy = policy or HttpPolicy()
        self.gate = Gate()
        self.cancelled = (
            threading.Event()
        )  # set on interruption: no new attempts start
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def get(self, url: str) -> bytes:
        """The body of ``url`` (at most ``max_bytes``), or FetchError saying why not."""
        return self._with_retries(url, self._read)

    def save(self, url: str, path: Path) -> int:
        """Stream ``url`` into ``path`` (rewritten on each attempt); returns the number of bytes."""
        with open(path, "wb") as f:
            return self._with_retries(
                url, lambda response: self._stream(response, f)
            )

    def _count(self, retry: bool) -> None:
        """Count a request (and a retry) under the lock: workers run in threads."""
        with self._lock:
            self.requests += 1
            self.retries += retry

    def _with_retries(
        self, url: str, consume: Callable[[http.client.HTTPResponse], T]
    ) -> T:
        """Request ``url`` and ``consume`` the answer, asking again on transient failures."""
        policy = self.policy
        try:  # urlsplit refuses a malformed URL (e.g. "http://x]"), as Request does
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise FetchError(  # never file://, ftp://, …
                    f"not an http(s) URL: {url!r}", permanent=True
                )
            request = urllib.request.Request(
                url, headers={"User-Agent": policy.user_agent}
            )
        except ValueError as err:
            raise FetchError(
                f"not a valid URL ({err})", permanent=True
            ) from None
        last, status = "", None
        for attempt in range(policy.retries + 1):
            if self.cancelled.is_set():
                raise FetchError("not tried: the download was stopped")
            self.gate.wait(policy.sleep)
            self._count(retry=attempt > 0)
            delay = None
            try:
                with _OPENER.open(
                    request, timeout=policy.timeout
                ) as response:
                    return consume(response)
            except urllib.error.HTTPError as err:
                status, last = (
                    err.code,
                    f"HTTP {err.code} {err.reason}".strip(),
                )
                err.close()
                if not is_retryable(err.code):
                    raise FetchError(
                        last,
                        permanent=400 <= err.code < 500,
                        status=err.code,
                    ) from None
                delay = retry_after(
                    err.headers.get("Retry-After"), policy.max_retry_after
                )
                if delay is not None:
                    self.gate.hold(
                        delay
                    )  # every worker pauses, not only this one
            except (
                urllib.error.URLError,
                http.client.HTTPException,
                OSError,
            ) as err:
                status, last = None, describe(err)
            if attempt < policy.retries:
                if delay is None:
                    policy.sleep(policy.backoff_delay(attempt))
        raise FetchError(
            f"{last} (gave up after {policy.retries + 1} attempts)",
            status=status,
        )

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        """The whole body, refused when too large or shorter than announced."""
        data = response.read(self.policy.max_bytes + 1)
        if len(data) > self.policy.max_bytes:
            raise FetchError(
                f"larger than {self.policy.max_bytes} bytes", permanent=True
            )
        _check_length(response, len(data))
        return data

    def _stream(
        self, response: http.client.HTTPResponse, f: BinaryIO
    ) -> int:
        """Copy the body into an open file in chunks (the file restarts on each attempt)."""
        f.seek(0)
        f.truncate()
        total = 0
        while chunk := response.read(1 << 16):
            total += len(chunk)
            if total > self.policy.max_bytes:
                raise FetchError(
                    f"larger than {self.policy.max_bytes} bytes",
                    permanent=True,
                )
            f.write(chunk)
        _check_length(response, total)
        return total


def _check_length(
    response: http.client.HTTPResponse, received: int
) -> None:
    """A body shorter than its Content-Length is a cut connection: raise so that it is asked again."""
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and int(announced) != received:
        raise http.client.IncompleteRead(b"", int(announced) - received)


def describe(err: BaseException) -> str:
    """A short reason for a network failure, e.g. ``timed out`` or ``connection refused``."""
    if isinstance(err, urllib.error.URLError) and not isinstance(
        err, urllib.error.HTTPError
    ):
        err = err.reason if isinstance(err.reason, BaseException) else err
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, http.client.IncompleteRead):
        return f"connection cut ({err.expected} bytes missing)"
    if isinstance(err, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(err, ConnectionError):
        return f"connection failed ({err.strerror or type(err).__name__})"
    return f"{type(err).__name__}: {err}"
