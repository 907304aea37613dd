"""Helpers for the cluster tests: worker processes on a broker, and reading topics back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from broker import TansuBroker
from ports import free_port
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]

# short consumer-group timing so a start, a rebalance or a dead worker costs seconds
FAST_GROUP = {
    "NEWSWATCH_BROKER_SESSION_TIMEOUT": "6",
    "NEWSWATCH_BROKER_REBALANCE_TIMEOUT": "3",
    "NEWSWATCH_BROKER_HEARTBEAT_INTERVAL": "1",
}


class WorkerProcess:
    """One Faust worker subprocess (`argv`), its own web port, data folder and log."""

    def __init__(self, argv: Sequence[str], tmp: Path, name: str, env: dict[str, str]) -> None:
        self.argv = list(argv)
        self.web_port = free_port()
        self.log = tmp / f"{name}.log"
        self.env = {
            **os.environ,
            **FAST_GROUP,
            "NEWSWATCH_DATA_DIR": str(tmp / name),
            "NEWSWATCH_WEB_PORT": str(self.web_port),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """Poll `predicate` until truthy; fail with the log if the worker dies or time runs out."""
        assert self.proc is not None, "worker not started"
        return wait_for(predicate, timeout, what, every=0.25, proc=self.proc, log=self.log)

    def kill(self) -> None:
        """SIGKILL: no chance to commit, leave the group or flush."""
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C, then SIGKILL if it has not stopped within `timeout`; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)


async def _describe(broker: TansuBroker, topics: list[str]) -> list[Any]:
    """The broker's description of these topics (error_code 0: the topic exists)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        return await admin.describe_topics(topics)
    finally:
        await admin.close()


def topic_partitions(broker: TansuBroker, topics: list[str]) -> dict[str, int]:
    """topic -> number of partitions, for the topics that exist."""

    async def describe() -> dict[str, int]:
        described = await _describe(broker, topics)
        return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}

    return asyncio.run(describe())


def produce(broker: TansuBroker, topic: str, messages: list[tuple[str, bytes]]) -> None:
    """Send (key, value) messages and wait for every acknowledgement."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            futures = [
                await producer.send(topic, value, key=key.encode()) for key, value in messages
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(send())


class FeedServer:
    """A seeds-format folder served as RSS by its own process (tests/support/feedgen.py serve)."""

    def __init__(self, folder: Path, tmp: Path, name: str) -> None:
        self.folder = folder
        self.port = free_port()
        self.log = tmp / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed.xml"

    def __enter__(self) -> FeedServer:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "support" / "feedgen.py"), "serve",
                 str(self.folder),
                 str(self.port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self.log.read_text().strip():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def newswatch_env(broker: str, database: str, app_id: str, feeds: list[str],
                  alerts_jsonl: Path) -> dict[str, str]:
    """The settings of a `newswatch run` worker of a test cluster sharing these feeds."""
    hosts = sorted({u.split("/")[2] for u in feeds})
    return {
        "NEWSWATCH_BROKER": broker,
        "NEWSWATCH_DATABASE": database,
        "NEWSWATCH_APP_ID": app_id,
        "NEWSWATCH_FEEDS": json.dumps(feeds),
        "NEWSWATCH_ALLOW_HOSTS": json.dumps(hosts),
        "NEWSWATCH_SERVE_SEEDS": "false",
        "NEWSWATCH_SEED_PORT": "0",
        "NEWSWATCH_ALERTS_JSONL": str(alerts_jsonl),
        "NEWSWATCH_CONSOLE_ALERTS": "false",
        "NEWSWATCH_POLL_INTERVAL": "3600",
        "NEWSWATCH_LOG_LEVEL": "info",
    }


def pg_query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one query on a PostgreSQL database (asyncpg, a connection of its own)."""

    async def run() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(run())


def pg_progress(url: str) -> dict[str, int]:
    """Item states and open deliveries in a newswatch store ({} before its tables exist)."""
    try:
        rows = pg_query(url, "SELECT state, count(*) FROM items GROUP BY state")
        open_ = pg_query(
            url, "SELECT count(*) FROM deliveries WHERE state IN ('pending','retrying','sending')")
    except asyncpg.UndefinedTableError:
        return {}
    return {**{str(s): int(n) for s, n in rows}, "open_deliveries": int(open_[0][0])}


def group_lag(broker: TansuBroker, group: str, topics: list[str]) -> int:
    """Messages on these topics that the consumer group has not committed yet.

    The end of each partition is found by reading it: Tansu's ListOffsets can under-report
    the high watermark after a batched produce, and its admin OffsetFetch answer does not
    parse in aiokafka's admin client, so the group's offsets are read as its consumers do."""

    async def lag() -> int:
        described = await _describe(broker, topics)
        parts = [TopicPartition(t["topic"], p["partition"])
                 for t in described if t["error_code"] == 0 for p in t["partitions"]]
        reader = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
        group_view = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group,
                                      enable_auto_commit=False)
        await reader.start()
        await group_view.start()
        try:
            reader.assign(parts)
            await reader.seek_to_beginning(*parts)
            ends = dict.fromkeys(parts, 0)
            while batches := await reader.getmany(timeout_ms=1000):
                for tp, messages in batches.items():
                    ends[tp] = max(ends[tp], messages[-1].offset + 1)
            committed = {tp: await group_view.committed(tp) or 0 for tp in parts}
        finally:
            await reader.stop()
            await group_view.stop()
        return sum(max(ends[tp] - committed[tp], 0) for tp in parts)

    return asyncio.run(lag())


def migrate(database: str) -> None:
    """`newswatch db upgrade` on a database, as the compose file's workers do before running
    (two workers' Store.open racing create_all on an empty PostgreSQL database collide)."""
    subprocess.run([sys.executable, "-m", "streams.cli", "db", "upgrade", "--database", database],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
