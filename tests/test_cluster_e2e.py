"""The issue's end-to-end test of cluster mode: two `newswatch run` workers on a real
Kafka-protocol broker (Tansu, four partitions per topic) sharing one PostgreSQL store take the
seed feed and a generated feed of 300 articles; one worker is SIGKILLed mid-stream and
restarted. Every alert the embedded backtest raises for the same articles is in PostgreSQL
and in the sink (one JSONL file both workers append to) exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from broker import TansuBroker
from cluster_support import (
    FeedServer,
    WorkerProcess,
    newswatch_env,
    pg_progress,
    pg_query,
    topic_partitions,
)
from feedgen import combine, write_feed

from streams.app import ITEMS_TOPIC

ROOT = Path(__file__).resolve().parents[1]
GENERATED = 300
TOTAL = GENERATED + 5  # the five seed articles

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e"), pytest.mark.timeout(1200)]


def backtest_rules(folder: Path) -> Counter[str]:
    """How many alerts of each rule the embedded backtest raises for a folder."""
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "backtest", str(folder), "--format", "jsonl"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=True)
    return Counter(json.loads(line)["rule"] for line in done.stdout.splitlines() if line.strip())


def sink_keys(path: Path) -> Counter[tuple[str, str]]:
    """(rule, story) of each alert line in the JSONL sink (story updates left out)."""
    if not path.exists():
        return Counter()
    records = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]
    return Counter((r["alert"]["rule_id"], r["alert"]["story_id"])
                   for r in records if r["kind"] == "alert")


def test_two_workers_sigkill_restart_every_alert_once(
    kafka_broker: TansuBroker, pg_url: str, group_id: str, tmp_path: Path
) -> None:
    generated = write_feed(tmp_path / "generated", GENERATED)
    # both feeds' articles in one folder, for the embedded backtest
    combined = combine([ROOT / "seeds", generated], tmp_path / "combined")
    expected = backtest_rules(combined)
    assert sum(expected.values()) > 0

    sink = tmp_path / "alerts.jsonl"
    with FeedServer(ROOT / "seeds", tmp_path, "seed-feed") as seeds, \
            FeedServer(generated, tmp_path, "generated-feed") as gen:
        env = newswatch_env(kafka_broker.url, pg_url, group_id, [seeds.url, gen.url], sink)
        argv = [sys.executable, "-m", "streams.cli", "run"]
        a = WorkerProcess(argv, tmp_path, "worker-a", env).start()
        b = WorkerProcess(argv, tmp_path, "worker-b", env).start()
        workers = [a, b]
        try:
            a.wait_for(lambda: sum(pg_progress(pg_url).get(s, 0) for s in ("done", "failed"))
                       >= TOTAL // 3, 900, "a third of the articles")
            a.kill()  # mid-stream: no commit, no goodbye to the group
            a = WorkerProcess(argv, tmp_path, "worker-a2", env).start()
            workers.append(a)

            def finished() -> bool:
                p = pg_progress(pg_url)
                return (p.get("pending", 0) == 0 and p.get("done", 0) + p.get("failed", 0) == TOTAL
                        and p.get("open_deliveries", 1) == 0)

            b.wait_for(finished, 900, f"all {TOTAL} articles processed and delivered")
            assert topic_partitions(kafka_broker, [ITEMS_TOPIC]) == {ITEMS_TOPIC: 4}
        finally:
            for w in workers:
                w.stop()

    stored = Counter(pg_query(pg_url, "SELECT rule_id, story_id FROM alerts"))
    assert max(stored.values()) == 1
    assert Counter(rule for rule, _ in stored) == expected
    delivered = sink_keys(sink)
    assert set(delivered) == set(stored)
    assert max(delivered.values()) == 1, "an alert reached the sink twice"
