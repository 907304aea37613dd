"""A Python child process spoken to over pipes: what the page-cleaning and extraction worker
pools share (streams/clean/trafilatura_pool.py, streams/extract/process_pool.py).

The child is a fresh `python -m MODULE` that finds this checkout first on its path, in its
own process group: Ctrl-C in the terminal reaches only the parent, which stops the children
itself (its pool's close(); EOF on stdin when the parent dies)."""

from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path


def spawn(module: str) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """Start `python -m module`; returns the process, the connection to send to it and the
    one to receive from it."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
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
