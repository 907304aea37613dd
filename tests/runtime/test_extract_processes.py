"""`newswatch run` with two extraction processes, for real: an extraction process killed with
SIGKILL while it reads a batch loses no entry (the batch is retried) and is replaced; Ctrl-C
in the terminal stops the service with no extraction process left behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feedgen import write_feed
from ports import free_port
from procs import stat_fields
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ARTICLES = 60


def extraction_pids() -> set[int]:
    """Live extraction worker processes on this machine started from this repository."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = stat_fields(entry.name)[0]
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if b"streams.extract.process_pool" in argv and state != "Z" and cwd == str(ROOT):
            found.add(int(entry.name))
    return found


def children(parent: int) -> set[int]:
    return {pid for pid in extraction_pids()
            if int(stat_fields(pid)[1]) == parent}


def cpu_ticks(pid: int) -> int:
    fields = stat_fields(pid)
    return int(fields[11]) + int(fields[12])


def states(db: Path) -> dict[str, int]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return dict(conn.execute("SELECT state, count(*) FROM items GROUP BY state"))
    except sqlite3.OperationalError:
        return {}


def test_a_killed_extraction_process_loses_nothing_and_ctrl_c_leaves_none(tmp_path):
    feed = write_feed(tmp_path / "feed", ARTICLES)
    db = tmp_path / "var" / "newswatch.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")},
        "NEWSWATCH_NLP_PROCESSES": "2",
        "NEWSWATCH_DATA_DIR": str(tmp_path / "var"),
        "NEWSWATCH_FEEDS": '["seeds"]',
        "NEWSWATCH_SEEDS_DIR": str(feed),
        "NEWSWATCH_SEED_PORT": str(free_port()),
        "NEWSWATCH_WEB_PORT": str(free_port()),
        "NEWSWATCH_CONSOLE_ALERTS": "false",
        "NEWSWATCH_BATCH_SIZE": "8",
        "NEWSWATCH_RESEND_PENDING_AFTER": "20",  # the retry sweep every 5 s
        "NEWSWATCH_ITEM_RETRY_BASE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    # its own session: Ctrl-C is then sent to its whole group, as a terminal does
    proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "run"], cwd=ROOT, env=env,
                            stdout=log.open("a"), stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)

    def wait(predicate, what: str, timeout: float = 240):  # type: ignore[no-untyped-def]
        return wait_for(predicate, timeout, what, every=0.05, proc=proc, log=log)

    try:
        started = wait(lambda: (c := children(proc.pid)) and len(c) == 2 and c,
                       "two extraction processes")
        wait(lambda: sum(states(db).values()) > 0, "entries recorded")

        def busy() -> int | None:  # a process reading a batch: its CPU time grows
            before = {pid: cpu_ticks(pid) for pid in started}
            time.sleep(0.2)
            return next((pid for pid in started if cpu_ticks(pid) > before[pid] + 5), None)

        victim = wait(busy, "an extraction process reading a batch")
        os.kill(victim, signal.SIGKILL)
        wait(lambda: states(db).get("done", 0) == ARTICLES, f"all {ARTICLES} entries done")
        assert states(db) == {"done": ARTICLES}, "an entry was lost or failed"
        now = children(proc.pid)
        assert len(now) == 2 and victim not in now, "the dead process was not replaced"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
        code = proc.wait(timeout=60)
    out = log.read_text()
    assert code == 0, out[-3000:]
    assert f"extraction worker {victim} died" in out and "will be retried" in out, out[-3000:]
    # the batches being read at Ctrl-C are dropped quietly (their entries stay pending)
    assert "never retrieved" not in out and "process_pool.py" not in out, out[-3000:]
    stopping = out[out.index("stopping (Ctrl-C)"):]
    assert "[ERROR] streams.runtime" not in stopping, stopping[:3000]
    assert "stopped: 2 extraction worker process(es)" in out
    time.sleep(0.5)
    assert not (started | now) & extraction_pids(), "an extraction process outlived Ctrl-C"
