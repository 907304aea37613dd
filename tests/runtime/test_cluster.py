"""Cluster mode on a real Kafka-protocol broker: newswatch's Faust app (create_app and
create_streams with NEWSWATCH_BROKER=kafka://...) declares its topics with four partitions
and passes records from one topic to the next in a worker process; a restarted worker
resumes after what it committed and processes nothing twice."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from broker import TansuBroker
from cluster_support import WorkerProcess, produce, topic_partitions

from streams.core.records import FeedItem, content_key
from streams.runtime import wire
from streams.runtime.app import ARTICLES_TOPIC, EVENTS_TOPIC, ITEMS_TOPIC

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

TOPICS = [ITEMS_TOPIC, ARTICLES_TOPIC, EVENTS_TOPIC]


def _items(start: int, stop: int) -> list[FeedItem]:
    return [
        FeedItem(feed="https://example.org/feed", guid=f"g{i}",
                 link=f"https://example.org/a/{i}", title=f"Article {i}", summary=f"Text {i}.")
        for i in range(start, stop)
    ]


def _seen(out: Path) -> Counter[str]:
    if not out.exists():
        return Counter()
    return Counter(line.split()[1] for line in out.read_text().splitlines() if line.strip())


def test_worker_passes_records_through_two_topics(
    kafka_broker: TansuBroker, group_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "articles.txt"
    env = {"NEWSWATCH_BROKER": kafka_broker.url, "NEWSWATCH_APP_ID": group_id,
           "CLUSTER_OUT": str(out)}
    argv = [sys.executable, "tests/support/cluster_app.py", "worker", "--loglevel", "info"]
    worker = WorkerProcess(argv, tmp_path, "worker", env).start()
    try:
        partitions = worker.wait_for(
            lambda: (p := topic_partitions(kafka_broker, TOPICS)) and len(p) == len(TOPICS) and p,
            90, "the worker to declare its topics")
        assert partitions == dict.fromkeys(TOPICS, 4)

        first = _items(0, 40)
        produce(kafka_broker, ITEMS_TOPIC, [(i.key, wire.dumps(i)) for i in first])
        expected = {content_key(i.link) for i in first}
        worker.wait_for(lambda: set(_seen(out)) == expected, 90, "40 articles")
        assert max(_seen(out).values()) == 1
        assert worker.stop() == 0, worker.tail()

        # a restart of the same group resumes after its committed offsets
        worker = WorkerProcess(argv, tmp_path, "worker2", env).start()
        later = _items(40, 50)
        produce(kafka_broker, ITEMS_TOPIC, [(i.key, wire.dumps(i)) for i in later])
        expected |= {content_key(i.link) for i in later}
        worker.wait_for(lambda: set(_seen(out)) == expected, 90, "the 10 later articles")
        assert max(_seen(out).values()) == 1  # nothing before the restart came back
    finally:
        worker.stop()
