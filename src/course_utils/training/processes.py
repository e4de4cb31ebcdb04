"""Running several Python processes as one local cluster: free ports, and start-wait-collect that fails fast.

Multi-worker training (chapter 18) and the distributed search (chapter 11, ``tuning.distributed_check``) start
one process per worker on 127.0.0.1. Members of a cluster wait for ever on one that died, so
:func:`run_together` stops them all at the first failure and raises it with the end of its error output.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports on 127.0.0.1 that were free a moment ago (for a local cluster)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_together(
    cmd: list[str], envs: dict[str, dict[str, str]], timeout: float = 300
) -> dict[str, str]:
    """Run ``cmd`` once per named environment, all at once (a cluster); each one's standard output.

    A cluster's members wait for ever on one that died, so the first failure stops them all and is raised with
    the end of its error output.
    """
    with tempfile.TemporaryDirectory(prefix="cluster-") as folder:
        logs = {
            name: (
                Path(folder) / f"{name}.out",
                Path(folder) / f"{name}.err",
            )
            for name in envs
        }
        procs = {}
        for name, env in envs.items():
            with (
                open(logs[name][0], "w") as out,
                open(logs[name][1], "w") as err,
            ):
                procs[name] = subprocess.Popen(
                    cmd, env=env, stdout=out, stderr=err
                )
        deadline = time.monotonic() + timeout
        try:
            while (
                any(p.poll() is None for p in procs.values())
                and time.monotonic() < deadline
            ):
                if any(p.poll() not in (None, 0) for p in procs.values()):
                    break
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                proc.kill()
                proc.wait()
        texts = {
            name: (out.read_text(), err.read_text())
            for name, (out, err) in logs.items()
        }
    # the process that failed on its own is named first; those stopped by the kill (negative codes) after
    for name, proc in sorted(
        procs.items(), key=lambda item: item[1].returncode < 0
    ):
        if proc.returncode != 0:
            why = (
                f"exit {proc.returncode}"
                if proc.returncode > 0
                else f"stopped: over {timeout:.0f} s, or another process failed"
            )
            raise RuntimeError(
                f"{name} of {' '.join(cmd)} failed ({why}):\n{texts[name][1][-3000:]}"
            )
    return {name: out for name, (out, _) in texts.items()}
