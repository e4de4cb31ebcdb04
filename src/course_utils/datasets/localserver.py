"""A small web server on 127.0.0.1 that stands in for the archive's site and WikiArt's image hosts.

It serves a folder laid out like a generated sample (``WikiArt-Emotions.zip`` and ``images/<ID>.<ext>``, with
``Image URL``s of the form ``{url}/images/<artist>/<ID>.<ext>``), optionally slowly, and answers with faults
on request: error statuses, ``Retry-After``, HTML pages, empty or truncated bodies, dropped connections.
It can also stand in for link rot: with ``dead_share`` a fixed, deterministic share of the image links answer
404 (WikiArt's 2018 image URLs are largely dead today), always the same ones for a given ``dead_seed``.
It stands in for the NRC VAD lexicon's site too: :func:`write_standin_lexicon` puts a made-up lexicon (in the
official zip's layout, none of its values) where the server serves it, at :attr:`LocalServer.lexicon_url`.
The tests, the download benchmark and the chapter "Collecting the data" all use this one implementation.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import time
import urllib.parse
import zipfile
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import numpy as np

from course_utils.config.study import SEED
from course_utils.data import schema
from course_utils.data.lexicon import COLUMNS as LEXICON_COLUMNS
from course_utils.data.lexicon import (
    LEXICON_FILE,
    LEXICON_FOLDER,
    LEXICON_ZIP,
)
from course_utils.datasets.sample import write_sample
from course_utils.labels import emotion_table

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".zip": "application/zip",
}


HTML_PAGE = b"<!DOCTYPE html><html><head><title>Please wait</title></head><body>Checking your browser</body></html>"


@dataclass(frozen=True)
class Reply:
    """An answer given instead of the file: a status, a body (None: the file's own), headers, a delay, or none."""

    status: int = 200
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering (longer than the client's timeout: a timeout)
    drop: bool = False  # close the connection without answering
    truncate: float | None = (
        None  # send only this fraction of the body, announced complete (a corrupt file)
    )
    note: str = ""  # what the fault stands for, for people reading a table of faults


#: What a dead image link answers.
DEAD_LINK = Reply(
    404, b"not found", note="404 Not Found: a dead link (link rot)"
)


def is_dead_link(name: str, share: float, seed: int = 0) -> bool:
    """Whether link rot took the image file ``name``: a hash of seed and name below ``share`` (always the same)."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


class LocalServer:
    """Serve a folder on a random free port of 127.0.0.1, count requests, and inject faults per file name.

    ``dead_share`` (0 … 1) makes that share of the image links answer 404 for good, chosen by
    :func:`is_dead_link` from the file name and ``dead_seed``; faults set with :meth:`fault` take precedence.
    """

    def __init__(
        self,
        root: str | Path,
        latency: float = 0.0,
        dead_share: float = 0.0,
        dead_seed: int = 0,
    ):
        self.root = Path(root)
        self.latency = latency
        self.dead_links(dead_share, dead_seed)
        self.hits: Counter[str] = Counter()  # requests per file name
        self.user_agents: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: dict[str, list[Reply] | Reply] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base address, e.g. ``http://127.0.0.1:40123``."""
        if self._httpd is None:
            raise RuntimeError(
                "the server is not running; use it as a context manager or call start()"
            )
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def archive_url(self) -> str:
        """Where the archive is served."""
        return f"{self.url}/{schema.ARCHIVE_NAME}"

    @property
    def lexicon_url(self) -> str:
        """Where a stand-in lexicon is served (:func:`write_standin_lexicon` into the server's folder)."""
        return f"{self.url}/{LEXICON_ZIP}"

    @property
    def images_url(self) -> str:
        """The base of the ``Image URL``s (``{images_url}/<artist>/<ID>.<ext>``)."""
        return f"{self.url}/images"

    def dead_links(self, share: float, seed: int = 0) -> None:
        """From now on, answer 404 for this share of the image links (0 brings them all back)."""
        if not 0 <= share <= 1:
            raise ValueError(
                f"dead_share must be between 0 and 1, got {share}"
            )
        self.dead_share, self.dead_seed = float(share), int(seed)

    def is_dead(self, name: str) -> bool:
        """Whether the image file ``name`` (e.g. ``<ID>.jpg``) is one of the dead links."""
        return is_dead_link(name, self.dead_share, self.dead_seed)

    def fault(
        self, name: str, *replies: Reply, always: bool = False
    ) -> None:
        """Answer requests for file ``name`` with ``replies`` in turn (then the file), or always with one reply."""
        if always and len(replies) != 1:
            raise ValueError("always=True takes exactly one reply")
        with self._lock:
            self._faults[name] = replies[0] if always else list(replies)

    def reset(self) -> None:
        """Forget faults and counts (between tests)."""
        with self._lock:
            self._faults.clear()
            self.hits.clear()
            self.user_agents.clear()
            self.max_in_flight = 0

    def start(self) -> LocalServer:
        """Start serving in a background thread."""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="localserver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _begin(self, path: str, name: str, agent: str) -> Reply | None:
        """Count a request and pick its fault (None: serve the file); a dead image link answers 404."""
        with self._lock:
            self.hits[name] += 1
            self.user_agents.add(agent)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fault = self._faults.get(name)
            if isinstance(fault, list):
                fault = fault.pop(0) if fault else None
        if (
            fault is None
            and path.startswith("/images/")
            and self.is_dead(name)
        ):
            return DEAD_LINK
        return fault

    def _end(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _file(self, path: str) -> bytes | None:
        """The bytes for a request path: a file under the root, or ``images/<name>`` for an image URL."""
        parts = [p for p in path.split("/") if p]
        candidates = [self.root.joinpath(*parts)] if parts else []
        if parts[:1] == ["images"]:
            candidates.append(self.root / "images" / parts[-1])
        root = self.root.resolve()
        for candidate in candidates:
            candidate = candidate.resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate.read_bytes()
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many workers connect at once
    owner: LocalServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (the name http.server expects)
        owner = self.server.owner
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        name = path.rsplit("/", 1)[-1]
        reply = owner._begin(path, name, self.headers.get("User-Agent", ""))
        self._counted = True
        try:
            time.sleep(owner.latency)
            self._answer(owner, path, name, reply or Reply())
        except (ConnectionError, TimeoutError):
            pass  # the client gave up (a timeout test): nothing to tell it
        finally:
            self._release(owner)

    def _release(self, owner: LocalServer) -> None:
        """Stop counting this request before its reply leaves, so the client's next request cannot overlap it."""
        if self._counted:
            self._counted = False
            owner._end()

    def _answer(
        self, owner: LocalServer, path: str, name: str, reply: Reply
    ) -> None:
        time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        body = reply.body if reply.body is not None else owner._file(path)
        status = reply.status
        if body is None:
            status, body = 404, b"not found"
        if reply.truncate is not None:
            body = body[: int(len(body) * reply.truncate)]
        headers = dict(reply.headers)
        headers.setdefault("Content-Length", str(len(body)))
        default_type = (
            "text/html"
            if body.lstrip()[:1] == b"<"
            else CONTENT_TYPES.get(Path(name).suffix, "text/plain")
        )
        headers.setdefault("Content-Type", default_type)
        self._release(owner)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the signature http.server defines)
        pass


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression-bomb stand-in)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def encoded(image, fmt: str = "PNG", **options) -> bytes:
    """A Pillow image as file bytes (for faults that serve an unusual but valid picture)."""
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def typical_faults(
    server: LocalServer, names: list[str], retry_after: int = 1
) -> dict[str, str]:
    """Make the first six files misbehave the way real image hosts do; returns file name → what it does."""
    replies = [
        (
            False,
            Reply(
                404, b"not found", note="404 Not Found: the image is gone"
            ),
        ),
        (
            False,
            Reply(
                503, b"busy", note="503 once, then the image: a busy server"
            ),
        ),
        (
            False,
            Reply(
                429,
                b"slow down",
                (("Retry-After", str(retry_after)),),
                note=f"429 Too Many Requests with Retry-After: {retry_after}, then the image",
            ),
        ),
        (
            True,
            Reply(
                200,
                HTML_PAGE,
                note="an HTML page with status 200 instead of the image",
            ),
        ),
        (
            True,
            Reply(
                200,
                truncate=0.5,
                note="half of the image, announced as complete",
            ),
        ),
        (True, Reply(200, b"", note="an empty answer")),
    ]
    if len(names) < len(replies):
        raise ValueError(
            f"typical_faults needs at least {len(replies)} files, got {len(names)}"
        )
    notes = {}
    for name, (always, reply) in zip(names, replies):
        server.fault(name, reply, always=always or reply.status == 404)
        notes[name] = reply.note
    return notes


def serve_sample(
    folder: str | Path,
    n: int = 40,
    seed: int = SEED,
    latency: float = 0.0,
    dead_share: float = 0.0,
    dead_seed: int = 0,
) -> LocalServer:
    """Generate a sample in ``folder`` whose URLs point at a new server, and start serving it (call ``stop()``);
    ``dead_share`` of its image links answer 404 (link rot)."""

    server = LocalServer(
        folder, latency=latency, dead_share=dead_share, dead_seed=dead_seed
    ).start()
    try:
        write_sample(folder, n=n, seed=seed, base_url=server.images_url)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def sample_server(
    folder: str | Path,
    n: int = 40,
    seed: int = SEED,
    latency: float = 0.0,
    dead_share: float = 0.0,
    dead_seed: int = 0,
) -> Iterator[LocalServer]:
    """:func:`serve_sample` as a context manager: the server stops when the block ends."""
    server = serve_sample(
        folder,
        n=n,
        seed=seed,
        latency=latency,
        dead_share=dead_share,
        dead_seed=dead_seed,
    )
    try:
        yield server
    finally:
        server.stop()


#: Made-up words of the stand-in lexicon besides the 20 it must hold (the real one has about 20,000).
STANDIN_FILLERS = 30


def standin_lexicon_text(seed: int = SEED) -> str:
    """A made-up lexicon in the NRC VAD file's format: a header, then each emotion's ``lexicon_word`` and some
    filler words with three scores from 0 to 1 (three decimals). An emotion's scores are its committed
    coordinates moved to 0 … 1 and shifted at random by up to 0.1, so tests can tell them from the committed
    ones; none is a value of the real lexicon."""
    rng = np.random.default_rng(seed)
    table = emotion_table()
    rows = []
    for word, valence, arousal in zip(
        table["lexicon_word"], table["valence"], table["arousal"]
    ):
        v, a = np.clip(
            (np.array([valence, arousal]) + 1) / 2
            + rng.uniform(-0.1, 0.1, 2),
            0,
            1,
        )
        rows.append((word, v, a, rng.uniform(0, 1)))
    for n in range(STANDIN_FILLERS):
        rows.append((f"standin{n:03d}", *rng.uniform(0, 1, 3)))
    rows.sort(key=lambda row: row[0])
    lines = ["\t".join(LEXICON_COLUMNS)]
    lines += [f"{w}\t{v:.3f}\t{a:.3f}\t{d:.3f}" for w, v, a, d in rows]
    return "\n".join(lines) + "\n"


def write_standin_lexicon(
    folder: str | Path, seed: int = SEED, text: str | None = None
) -> Path:
    """Write ``folder/NRC-VAD-Lexicon.zip`` as the official zip lays it out (``NRC-VAD-Lexicon/NRC-VAD-Lexicon.txt``)
    holding :func:`standin_lexicon_text` (or ``text``, e.g. a damaged file for a test) and a note that it is
    made up; a server of ``folder`` serves it at ``lexicon_url``."""
    path = Path(folder) / LEXICON_ZIP
    path.parent.mkdir(parents=True, exist_ok=True)
    body = standin_lexicon_text(seed) if text is None else text
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            f"{LEXICON_FOLDER}/{LEXICON_FILE}", body.encode("utf-8")
        )
        zf.writestr(
            f"{LEXICON_FOLDER}/README.txt",
            "A MADE-UP STAND-IN generated by course_utils for tests; not the NRC VAD lexicon.\n",
        )
    return path
