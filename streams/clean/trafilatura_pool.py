"""trafilatura in child processes, so that a page which makes extraction hang can be cut off
by a hard time limit (a thread cannot be stopped; a process can be killed).

Workers are fresh interpreters (`python -m streams.clean.trafilatura_pool`: safe from any
thread, and unlike multiprocessing's spawn they never re-run the caller's main script), import
trafilatura once, and are reused; one that overruns its limit is killed and replaced on next
use. The service starts its workers with itself (`prestart`: a cold start costs the first page
about 0.25 s). This module imports nothing heavy so that a child starts fast.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from streams.core import child_process
from streams.core.errors import PageError

_READY_TIMEOUT = 120.0  # a cold start imports lxml and trafilatura; not part of the limit


class ExtractionTimeout(PageError):
    """Extraction overran the hard time limit; the worker was killed."""


class ExtractionFailed(PageError):
    """trafilatura raised, or its worker died; the message says which."""


@dataclass(frozen=True)
class Extracted:
    """What trafilatura found on a page."""

    text: str
    title: str | None
    date: str | None
    url: str | None  # the page's declared canonical URL
    sitename: str | None
    language: str | None


def _serve(conn_in: Connection, conn: Connection) -> None:  # runs in the child
    import trafilatura

    conn.send("ready")
    while True:
        try:
            html, url = conn_in.recv()
        except EOFError:
            return
        try:
            doc = trafilatura.bare_extraction(
                html, url=url, with_metadata=True, include_comments=False, include_tables=True
            )
            # bare_extraction returns a Document (or a dict with as_dict=True in old versions)
            data: Any = {} if doc is None else doc if isinstance(doc, dict) else doc.as_dict()
            conn.send(("ok", {k: data.get(k) for k in
                              ("text", "title", "date", "url", "sitename", "language")}))
        except Exception as exc:  # reported to the parent, which falls back to the summary
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self) -> None:
        self.proc, self.send, self.conn = child_process.spawn("streams.clean.trafilatura_pool")
        self.started = False  # its "ready" read (trafilatura imported)

    def wait_ready(self) -> None:
        """Block until it has imported trafilatura (once); ExtractionFailed if it never does."""
        if self.started:
            return
        try:
            ready = self.conn.poll(_READY_TIMEOUT) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise ExtractionFailed("extraction worker did not start")
        self.started = True

    def run(self, html: str, url: str | None, limit: float) -> Extracted:
        self.send.send((html, url))
        if not self.conn.poll(limit):
            self.kill()
            raise ExtractionTimeout(f"extraction exceeded {limit:g} s")
        kind, payload = self.conn.recv()
        if kind != "ok":
            raise ExtractionFailed(payload)
        return Extracted(text=payload.get("text") or "", **{
            k: payload.get(k) for k in ("title", "date", "url", "sitename", "language")})

    def kill(self) -> None:
        child_process.kill(self.proc, self.send, self.conn)


class WorkerPool:
    """Idle workers shared by the threads that call `extract`; grows to the callers' count."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def prestart(self, workers: int) -> int:
        """Start workers until `workers` are idle, without waiting for them: they import
        trafilatura while the caller goes on (the service's first pages then cost no start);
        how many were started."""
        with self._lock:
            fresh = [_Worker() for _ in range(workers - len(self._idle))]
            self._idle.extend(fresh)
        return len(fresh)

    def extract(self, html: str, url: str | None, limit: float) -> Extracted:
        """Run trafilatura on html within `limit` seconds; raise ExtractionTimeout/Failed."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        worker = worker or _Worker()
        worker.wait_ready()  # one prestarted, or just started; killed if it never starts
        try:
            result = worker.run(html, url, limit)
        except ExtractionTimeout:
            raise  # already killed
        except (EOFError, OSError) as exc:
            worker.kill()
            raise ExtractionFailed(f"extraction worker died: {exc or type(exc).__name__}") from exc
        except ExtractionFailed:  # trafilatura raised; the worker itself is fine
            with self._lock:
                self._idle.append(worker)
            raise
        except BaseException:  # interrupted mid-job: a stale answer may be in the pipe
            worker.kill()
            raise
        with self._lock:
            self._idle.append(worker)
        return result

    def close(self) -> int:
        """Stop every idle worker; how many were stopped."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
        return len(idle)


POOL = WorkerPool()
atexit.register(POOL.close)


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent shuts its workers down
    # fd 0 carries jobs in, fd 1 answers out; anything a library prints goes to stderr
    _out = os.dup(1)
    os.dup2(2, 1)
    _serve(Connection(0, writable=False), Connection(_out, readable=False))
