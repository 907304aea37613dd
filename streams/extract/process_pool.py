"""Extraction in worker processes, one per core: spaCy holds the GIL while it parses, so a
thread gives one core at most; N processes parse N batches at once.

Each worker is a fresh interpreter (`python -m streams.extract.process_pool`, as the page
cleaners are: safe from any thread, and unlike multiprocessing's spawn it never re-runs the
caller's main script) that loads the model by name once and then answers batches: Articles
in, one list of Events per article out (plain dataclasses, pickled over a pipe). A worker
that dies mid-batch (killed, out of memory) fails that batch with ExtractionWorkerDied, a
broken pool in the retry policy's words (transient: the entries are retried), and is
replaced on the next batch. Workers sit in their own process group: Ctrl-C reaches only the
parent, which stops them (close()); if the parent dies, they read EOF and exit.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from streams.core import child_process
from streams.core.errors import ConfigError
from streams.core.records import Article, Event
from streams.knowledge.gazetteer import Gazetteer

_READY_TIMEOUT = 300.0  # loading the model on a loaded machine; a worker that takes longer is dead


class ExtractionWorkerDied(BrokenProcessPool):
    """An extraction worker process died under a batch; the batch may be tried again."""


class ExtractionWorkerError(ConfigError):
    """A worker could not start (the model or the taxonomy would not load): its message."""


def _serve(conn_in: Connection, conn: Connection) -> None:  # runs in the worker
    from streams.extract.extractor import extractor_for

    model, taxonomy_dir, batch_size, matmul = conn_in.recv()
    try:
        extractor = extractor_for(model, Path(taxonomy_dir), batch_size, matmul)
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            articles = conn_in.recv()
        except EOFError:  # the parent closed the pipe (or died): stop
            return
        try:
            conn.send(("ok", extractor.extract(articles)))
        except Exception as exc:  # a bug on this batch: the parent raises it as the error
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, job: tuple[str, str, int, str]) -> None:
        self.proc, self.send, self.conn = child_process.spawn("streams.extract.process_pool")
        self.send.send(job)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> None:
        """Block until the model is loaded; raise ExtractionWorkerError saying why not."""
        try:
            answer = self.conn.recv() if self.conn.poll(_READY_TIMEOUT) else None
        except (EOFError, OSError):
            answer = None
        if not answer or answer[0] != "ready":
            self.kill()
            why = answer[1] if answer else "no answer (it died or took too long)"
            raise ExtractionWorkerError(f"extraction worker could not start: {why}")

    def run(self, articles: list[Article]) -> list[list[Event]]:
        try:
            self.send.send(articles)
            kind, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise ExtractionWorkerDied(
                f"extraction worker {self.pid} died under a batch of {len(articles)} "
                f"article(s) (exit status {self.proc.returncode})"
            ) from exc
        if kind != "ok":
            raise RuntimeError(f"extraction worker {self.pid}: {payload}")
        result: list[list[Event]] = payload
        return result

    def stop(self, timeout: float = 5.0) -> None:
        """Close its pipe (it exits at EOF); killed if it does not within `timeout`."""
        self.send.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.conn.close()

    def kill(self) -> None:
        child_process.kill(self.proc, self.send, self.conn)


class ProcessExtractor:
    """Extractor.extract over `processes` worker processes; thread-safe: call it from as
    many threads as there are processes, each call takes an idle worker (or starts one in
    place of a dead one)."""

    def __init__(self, model: str, taxonomy_dir: Path, batch_size: int, processes: int,
                 gazetteer: Gazetteer, matmul: str = "numpy") -> None:
        if processes < 1:
            raise ValueError("a process pool needs at least one process")
        self.processes = processes
        self.gazetteer = gazetteer  # what story assignment reads in the parent
        self._job = (model, str(taxonomy_dir), batch_size, matmul)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> ProcessExtractor:
        """Start every worker (they load the model side by side); blocks until all are ready."""
        workers = [self._spawn() for _ in range(self.processes)]
        try:
            for worker in workers:
                worker.wait_ready()
        except BaseException:
            self.close()
            raise
        with self._lock:
            self._idle.extend(workers)
        return self

    def _spawn(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise ExtractionWorkerDied("extraction is shutting down")
            worker = _Worker(self._job)
            self._all.add(worker)
        return worker

    def pids(self) -> list[int]:
        """The process ids of the live workers (tests and the log)."""
        with self._lock:
            return sorted(w.pid for w in self._all if w.proc.poll() is None)

    def extract(self, articles: Sequence[Article]) -> list[list[Event]]:
        """One list of events per article, in order, read by a worker process."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:  # the first batch after one died: its replacement
            worker = self._spawn()
            try:
                worker.wait_ready()
            except ExtractionWorkerError as exc:
                self._forget(worker)
                raise ExtractionWorkerDied(str(exc)) from exc
        try:
            result = worker.run(list(articles))
        except ExtractionWorkerDied:
            self._forget(worker)
            raise
        except BaseException:  # an error on the batch: the worker itself is fine
            self._release(worker)
            raise
        self._release(worker)
        return result

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                return
            self._idle.append(worker)

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)

    def close(self) -> int:
        """Stop every worker, busy ones too (their batch fails as transient); how many."""
        with self._lock:
            self._closed = True
            idle, busy = self._idle, self._all - set(self._idle)
            self._all, self._idle = set(), []
        for worker in idle:
            worker.stop(timeout=2.0)
        for worker in busy:  # its thread reads EOF, raises ExtractionWorkerDied, cleans up
            worker.proc.kill()
        return len(idle) + len(busy)

    def __getstate__(self) -> Any:  # never sent anywhere: it holds pipes
        raise TypeError("a ProcessExtractor cannot be pickled")


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent shuts its workers down
    # fd 0 carries batches in, fd 1 answers out; anything a library prints goes to stderr
    _out = os.dup(1)
    os.dup2(2, 1)
    _serve(Connection(0, writable=False), Connection(_out, readable=False))
