"""Extraction in worker processes, one per core: spaCy holds the GIL while it parses, so a
thread gives one core at most; N processes parse N batches at once.

Each worker is a fresh interpreter (`python -m streams.extract.process_pool`, as the page
cleaners are: safe from any thread, and unlike multiprocessing's spawn it never re-runs the
caller's main script) that loads the model by name once and then answers batches: Articles
in, one list of Events per article out (plain dataclasses, pickled over a pipe). A worker
holds two batches at once, the one it reads and the next waiting in its pipe, so that it
reads on while the parent takes an answer. A worker that dies (killed, out of memory) fails
the batches it held with ExtractionWorkerDied, a broken pool in the retry policy's words
(transient: the entries are retried), and is replaced on the next batch. Workers sit in
their own process group: Ctrl-C reaches only the parent, which stops them (close()); if the
parent dies, they read EOF and exit.
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


# Batches a worker holds at once: the one it reads and the next, waiting in its pipe. With
# one, a worker idles between batches while the parent takes its answer and sends the next
# (a thread of the parent waiting for the GIL the event loop holds); with two it reads on.
DEPTH = 2


class _Worker:
    """One worker process and its two pipes. Messages are answered in the order sent: the
    job (answered "ready" or "error"), then each batch. A thread sends under `_sending`,
    taking the next ticket, and reads its answer when every earlier ticket has been read."""

    def __init__(self, job: tuple[str, str, int, str]) -> None:
        self.proc, self.send, self.conn = child_process.spawn("streams.extract.process_pool")
        self.load = 0  # batches taken and not yet answered (the pool's lock guards it)
        self.dead = False
        self._sending = threading.Lock()
        self._turn = threading.Condition()
        self._sent = self._answered = 0
        self._ask(job)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _ask(self, message: Any) -> int:
        """Send a message; its ticket (the answer to wait for)."""
        with self._sending:
            if self.dead:
                raise OSError("the worker died")
            ticket, self._sent = self._sent, self._sent + 1
            self.send.send(message)
        return ticket

    def _answer(self, ticket: int, timeout: float | None = None) -> Any:
        """The answer to `ticket`, once the earlier ones are read; None when none came
        within `timeout`. OSError or EOFError when the worker died (before or under it)."""
        with self._turn:
            self._turn.wait_for(lambda: self._answered == ticket or self.dead)
            if self.dead:
                raise OSError("the worker died")
            try:
                if timeout is not None and not self.conn.poll(timeout):
                    return None
                answer = self.conn.recv()
            except BaseException:
                self.dead = True
                self._turn.notify_all()
                raise
            self._answered += 1
            self._turn.notify_all()
        return answer

    def wait_ready(self) -> None:
        """Block until the model is loaded; raise ExtractionWorkerError saying why not."""
        try:
            answer = self._answer(0, _READY_TIMEOUT)
        except (EOFError, OSError):
            answer = None
        if not answer or answer[0] != "ready":
            self.kill()
            why = answer[1] if answer else "no answer (it died or took too long)"
            raise ExtractionWorkerError(f"extraction worker could not start: {why}")

    def run(self, articles: list[Article]) -> list[list[Event]]:
        try:
            kind, payload = self._answer(self._ask(articles))
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
        self.proc.kill()  # first: a thread reading its answer (holding the turn) reads EOF
        with self._turn:  # the threads waiting for theirs learn it died
            self.dead = True
            self._turn.notify_all()
        child_process.kill(self.proc, self.send, self.conn)


class ProcessExtractor:
    """Extractor.extract over `processes` worker processes; thread-safe: each call hands its
    batch to the least loaded worker, which holds up to DEPTH batches (`slots`: as many
    calls at once keep every worker reading); a dead worker is replaced on the next call."""

    def __init__(self, model: str, taxonomy_dir: Path, batch_size: int, processes: int,
                 gazetteer: Gazetteer, matmul: str = "numpy") -> None:
        if processes < 1:
            raise ValueError("a process pool needs at least one process")
        self.processes = processes
        self.slots = processes * DEPTH
        self.gazetteer = gazetteer  # what story assignment reads in the parent
        self._job = (model, str(taxonomy_dir), batch_size, matmul)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> ProcessExtractor:
        """Start every worker (they load the model side by side); blocks until all are ready."""
        with self._lock:
            self._workers = [_Worker(self._job) for _ in range(self.processes)]
        try:
            for worker in list(self._workers):
                worker.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def pids(self) -> list[int]:
        """The process ids of the live workers (tests and the log)."""
        with self._lock:
            return sorted(w.pid for w in self._workers if w.proc.poll() is None)

    def extract(self, articles: Sequence[Article]) -> list[list[Event]]:
        """One list of events per article, in order, read by a worker process."""
        fresh = None
        with self._lock:
            if self._closed:
                raise ExtractionWorkerDied("extraction is shutting down")
            self._workers = [w for w in self._workers if not w.dead]
            if len(self._workers) < self.processes:  # one died: its replacement
                fresh = _Worker(self._job)
                self._workers.append(fresh)
            worker = fresh or min(self._workers, key=lambda w: w.load)
            worker.load += 1
        try:
            if fresh is not None:
                try:
                    fresh.wait_ready()
                except ExtractionWorkerError as exc:
                    raise ExtractionWorkerDied(str(exc)) from exc
            return worker.run(list(articles))
        finally:
            with self._lock:
                worker.load -= 1

    def close(self) -> int:
        """Stop every worker, busy ones too (their batches fail as transient); how many."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            if worker.load == 0:
                worker.stop(timeout=2.0)
            else:  # its threads read EOF, raise ExtractionWorkerDied
                worker.kill()
        return len(workers)

    def __getstate__(self) -> Any:  # never sent anywhere: it holds pipes
        raise TypeError("a ProcessExtractor cannot be pickled")


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent shuts its workers down
    # fd 0 carries batches in, fd 1 answers out; anything a library prints goes to stderr
    _out = os.dup(1)
    os.dup2(2, 1)
    _serve(Connection(0, writable=False), Connection(_out, readable=False))
