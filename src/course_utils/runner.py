"""Running notebooks as the book build does: a cell that stalls is told from a cell that computes.

The book (myst-nb, through jupyter-cache) executes chapters with nbclient, which knows one limit: the seconds a
cell may take. A limit low enough to catch a stall (a cell whose reply was lost while the kernel sat idle) also
kills honest work on a slow or busy CPU, and one high enough for the slowest laptop waits that long on a stall.

:class:`WatchfulClient` is nbclient's own client with a watch beside each cell. It fails a cell fast when

- the kernel reported itself idle ``stall_after_s`` ago and the cell's reply has still not come (the kernel sends
  its reply *before* it reports idle, so after a few seconds the reply is lost), or
- the kernel has sent nothing for ``quiet_after_s`` and used less than ``MIN_CPU_SHARE`` of one CPU in that time
  (with its child processes): no output, no work, nothing to wait for;

while a cell whose kernel is computing may run up to nbclient's ``timeout``, a generous ceiling (the profile's
``cell_timeout_s``). :func:`install` makes jupyter-cache's runner, the one myst-nb calls, use this client; the
book's Sphinx extension (``book/_ext/course_edition.py``) and ``tools/bookexec.py`` call it. Every failure,
stalled or not, carries a note naming the cell, its first line and how long it ran.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import nbclient
import psutil
from nbclient.exceptions import CellTimeoutError
from nbformat import NotebookNode
from traitlets import Float

#: Below this share of one CPU (kernel and its children together) a silent kernel counts as doing nothing.
MIN_CPU_SHARE = 0.01


class CellStallError(CellTimeoutError):
    """A cell whose kernel is idle or doing nothing while its reply has not come: it would never finish."""


def cell_label(nb: NotebookNode, cell: NotebookNode) -> str:
    """How a failure names a cell: its index in the notebook (as ``bookexec`` does) and its first line."""
    index = next((i for i, c in enumerate(nb.cells) if c is cell), -1)
    first = (cell.source.strip().splitlines() or [""])[0]
    return f"cell {index} ({first[:60]!r})"


class WatchfulClient(nbclient.NotebookClient):
    """nbclient's client, with a watch that fails a stalled cell in seconds and lets a busy one run."""

    stall_after_s = Float(
        20.0,
        help="Seconds a cell may still wait for its reply after the kernel reported itself idle.",
    ).tag(config=True)
    quiet_after_s = Float(
        300.0,
        help="Seconds without a message from the kernel and without its CPU work before a cell stalls.",
    ).tag(config=True)
    watch_every_s = Float(
        0.5, help="How often the watch looks at the kernel."
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_message = self._idle_at = None

    def process_message(
        self, msg: dict, cell: NotebookNode, cell_index: int
    ) -> Any:
        """Note when the kernel last spoke for this cell, and when it said it was idle."""
        self._last_message = time.monotonic()
        content = msg.get("content", {})
        if (
            msg.get("msg_type") == "status"
            and content.get("execution_state") == "idle"
        ):
            self._idle_at = self._last_message
        return super().process_message(msg, cell, cell_index)

    async def async_execute_cell(
        self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any
    ) -> Any:
        """nbclient's cell execution; any failure gets a note naming the cell and its time."""
        started = time.monotonic()
        try:
            return await super().async_execute_cell(
                cell, cell_index, *args, **kwargs
            )
        except Exception as error:
            if not isinstance(error, CellStallError):
                how = (
                    "timed out"
                    if isinstance(error, CellTimeoutError)
                    else "failed"
                )
                error.add_note(
                    f"{cell_label(self.nb, cell)} {how} after {time.monotonic() - started:,.0f} s"
                )
            raise

    async def _async_poll_for_reply(
        self,
        msg_id: str,
        cell: NotebookNode,
        timeout: int | None,
        task_poll_output_msg: asyncio.Future,
        task_poll_kernel_alive: asyncio.Future,
    ) -> dict:
        """Wait for the cell's reply as nbclient does, beside a watch that raises when the cell stalls."""
        self._last_message, self._idle_at = time.monotonic(), None
        reply = asyncio.ensure_future(
            super()._async_poll_for_reply(
                msg_id,
                cell,
                timeout,
                task_poll_output_msg,
                task_poll_kernel_alive,
            )
        )
        watch = asyncio.ensure_future(self._watch(cell))
        try:
            await asyncio.wait(
                {reply, watch}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (reply, watch) if not reply.done() else (watch,):
                task.cancel()
        if reply.done() and not reply.cancelled():
            return reply.result()
        task_poll_output_msg.cancel()
        task_poll_kernel_alive.cancel()
        raise watch.result()

    async def _watch(self, cell: NotebookNode) -> CellStallError:
        """Look at the kernel until the cell stalls; return the error that says how."""
        started = time.monotonic()
        process = self._kernel_process()
        samples: deque[tuple[float, float]] = deque()
        while True:
            await asyncio.sleep(self.watch_every_s)
            now = time.monotonic()
            if (
                self._idle_at is not None
                and now - self._idle_at > self.stall_after_s
            ):
                why = f"the kernel reported idle {now - self._idle_at:.0f} s ago, but the cell's reply never came"
                return self._stall(cell, started, why)
            if process is None:
                continue
            samples.append((now, _cpu_seconds(process)))
            while (
                len(samples) > 1
                and samples[1][0] <= now - self.quiet_after_s
            ):
                samples.popleft()
            silent = now - self._last_message
            span = now - samples[0][0]
            if silent >= self.quiet_after_s and span >= self.quiet_after_s:
                used = samples[-1][1] - samples[0][1]
                if used < MIN_CPU_SHARE * span:
                    why = f"the kernel sent nothing for {silent:.0f} s and used {used:.1f} CPU-s in that time"
                    return self._stall(cell, started, why)

    def _stall(
        self, cell: NotebookNode, started: float, why: str
    ) -> CellStallError:
        """The error for a stalled cell: which cell, after how long, and why it can never finish."""
        return CellStallError(
            f"{cell_label(self.nb, cell)} stalled after {time.monotonic() - started:,.0f} s: {why}. "
            "It was stopped; a cell that computes is never stopped before the ceiling "
            f"of {self.timeout} s."
        )

    def _kernel_process(self) -> psutil.Process | None:
        """The kernel's process where it runs on this machine (None for a remote kernel)."""
        pid = getattr(
            getattr(getattr(self.km, "provisioner", None), "process", None),
            "pid",
            None,
        )
        try:
            return psutil.Process(pid) if pid else None
        except psutil.Error:
            return None


def _cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds a process and all its children have used so far (0 once it is gone)."""
    try:
        family = [process, *process.children(recursive=True)]
        ended = process.cpu_times()  # children that ended and were waited for count in the parent's record
    except psutil.Error:
        return 0.0
    total = ended.children_user + ended.children_system
    for member in family:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def execute(
    nb: NotebookNode, cwd: str | None = None, km: Any = None, **kwargs: Any
) -> NotebookNode:
    """``nbclient.execute`` with the watchful client: what jupyter-cache's runner calls once installed."""
    resources = {"metadata": {"path": cwd}} if cwd is not None else {}
    return WatchfulClient(
        nb=nb, resources=resources, km=km, **kwargs
    ).execute()


def install() -> None:
    """Make jupyter-cache's notebook runner (``single_nb_execution``, which myst-nb calls) use this client."""
    from jupyter_cache.executors import (
        utils,
    )  # deferred: only a book build needs jupyter-cache

    utils.executenb = execute
