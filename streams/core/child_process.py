"""A Python child process spoken to over pipes: what the page-cleaning and extraction worker
pools share (streams/clean/trafilatura_pool.py, streams/extract/process_pool.py).

The child is a fresh `python -m MODULE` that finds this checkout first on its path, in its
own process group: Ctrl-C in the terminal reaches only the parent, which stops the children
itself (its pool's close(); EOF on stdin when the parent dies)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path


def spawn(module: str, env: Mapping[str, str] | None = None
          ) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """Start `python -m module` (in `env`, by default this process's environment); returns
    the process, the connection to send to it and the one to receive from it."""
    root = str(Path(__file__).resolve().parents[2])
    base = os.environ if env is None else env
    env = {**base, "PYTHONPATH": os.pathsep.join(
        p for p in (root, base.get("PYTHONPATH", "")) if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, process_group=0,
    )
    assert proc.stdin is not None and proc.stdout is not None
    send = Connection(os.dup(proc.stdin.fileno()), readable=False)
    receive = Connection(os.dup(proc.stdout.fileno()), writable=False)
    proc.stdin.close()
    proc.stdout.close()
    return proc, send, receive


def kill(proc: subprocess.Popen[bytes], *connections: Connection) -> None:
    """Kill the child, reap it and close its connections."""
    proc.kill()
    proc.wait(5)
    for conn in connections:
        if not conn.closed:
            conn.close()
