"""The issue's end-to-end test of cluster mode: two `newswatch run` workers on a real
Kafka-protocol broker (Tansu, four partitions per topic) sharing one PostgreSQL store take the
seed feed and a generated feed of 300 articles; one worker is SIGKILLed mid-stream and
restarted. The batches it had taken come back from the broker (nothing is acknowledged
before its results are sent on), not from the sweep of entries stuck for an hour. Then nothing
is lost: every event `newswatch extract` finds in those articles is
in the store, and every rule alerts at least as often as the embedded backtest; and nothing
is doubled: each alert is in PostgreSQL and in the sink (one JSONL file both workers append
to) exactly once. (Alert counts may exceed the backtest's: which articles share a story
depends on processing order, sequential in the backtest, parallel here.)"""

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
    group_lag,
    migrate,
    newswatch_env,
    pg_progress,
    pg_query,
    topic_partitions,
)
from feedgen import combine, write_feed

from streams.runtime.app import ARTICLES_TOPIC, EVENTS_TOPIC, ITEMS_TOPIC

ROOT = Path(__file__).resolve().parents[2]
GENERATED = 300
TOTAL = GENERATED + 5  # the five seed articles
TOPICS = [ITEMS_TOPIC, ARTICLES_TOPIC, EVENTS_TOPIC]
# alerts that were sent: a story first told by an article that raised the rule's alert for
# another story is recorded "covered", never sent
SENT_ALERTS = "SELECT rule_id, story_id FROM alerts WHERE status != 'covered'"
SENT_RULES = "SELECT rule_id FROM alerts WHERE status != 'covered'"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e"), pytest.mark.timeout(1200)]


def cli_jsonl(*args: str) -> subprocess.Popen[str]:
    """A `newswatch ... --format jsonl` process (read with .communicate())."""
    return subprocess.Popen([sys.executable, "-m", "streams.cli", *args, "--format", "jsonl"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


def jsonl_of(proc: subprocess.Popen[str]) -> list[dict]:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0
    return [json.loads(line) for line in out.splitlines() if line.strip()]


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
    # the references, from the embedded code paths, computed while the cluster runs
    backtest, extract = cli_jsonl("backtest", str(combined)), cli_jsonl("extract", str(combined))

    try:
        migrate(pg_url)  # as the compose file's workers do before `newswatch run`
        sink = tmp_path / "alerts.jsonl"
        with FeedServer(ROOT / "seeds", tmp_path, "seed-feed") as seeds, \
                FeedServer(generated, tmp_path, "generated-feed") as gen:
            env = newswatch_env(kafka_broker.url, pg_url, group_id, [seeds.url, gen.url], sink)
            # what the killed worker had taken comes back from the broker (its offsets were
            # never committed), not from the sweep of entries stuck past stall_after
            env["NEWSWATCH_STALL_AFTER"] = "3600"
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
                    # every message consumed and committed, every entry finished, every
                    # delivery made (entries alone are not enough: a duplicate of an entry
                    # that is still being processed elsewhere is marked done at once)
                    p = pg_progress(pg_url)
                    finished_items = p.get("done", 0) + p.get("failed", 0)
                    return (p.get("pending", 0) == 0 and finished_items == TOTAL
                            and group_lag(kafka_broker, group_id, TOPICS) == 0
                            and p.get("open_deliveries", 1) == 0)

                b.wait_for(finished, 900, f"all {TOTAL} articles processed and delivered")
                assert topic_partitions(kafka_broker, TOPICS) == dict.fromkeys(TOPICS, 4)
            finally:
                for w in workers:
                    w.stop()

        [(events,)] = pg_query(pg_url, "SELECT count(*) FROM events")
        assert events == len(jsonl_of(extract)), "events were lost"
        assert pg_progress(pg_url).get("failed", 0) == 0
        stored = Counter(pg_query(pg_url, SENT_ALERTS))
        assert max(stored.values()) == 1
        # every story the embedded run alerted is recorded here too, sent or covered (which
        # of an article's stories leads its one alert depends on the order articles arrive)
        recorded = Counter(rule for (rule,) in pg_query(pg_url, "SELECT rule_id FROM alerts"))
        expected = Counter(a["rule"] for a in jsonl_of(backtest))
        assert expected and all(recorded[r] >= n for r, n in expected.items()), (
            recorded, expected)
        delivered = sink_keys(sink)
        assert set(delivered) == set(stored)
        assert max(delivered.values()) == 1, "an alert reached the sink twice"
    finally:
        for proc in (backtest, extract):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_seeds_raise_the_backtests_alerts_in_cluster_mode(
    kafka_broker: TansuBroker, pg_url: str, group_id: str, tmp_path: Path
) -> None:
    backtest = cli_jsonl("backtest", str(ROOT / "seeds"))
    try:
        migrate(pg_url)
        sink = tmp_path / "alerts.jsonl"
        with FeedServer(ROOT / "seeds", tmp_path, "seed-feed") as seeds:
            env = newswatch_env(kafka_broker.url, pg_url, group_id, [seeds.url], sink)
            argv = [sys.executable, "-m", "streams.cli", "run"]
            workers = [WorkerProcess(argv, tmp_path, f"worker-{n}", env).start() for n in "ab"]
            try:
                workers[0].wait_for(
                    lambda: (p := pg_progress(pg_url)).get("done", 0) == 5
                    and p["open_deliveries"] == 0
                    and group_lag(kafka_broker, group_id, TOPICS) == 0, 600, "the five seeds")
            finally:
                for w in workers:
                    w.stop()
        expected = Counter(a["rule"] for a in jsonl_of(backtest))
        stored = Counter(rule for (rule,) in pg_query(pg_url, SENT_RULES))
        assert stored == expected
        assert Counter(rule for rule, _ in sink_keys(sink)) == expected
    finally:
        if backtest.poll() is None:
            backtest.kill()
            backtest.wait()
