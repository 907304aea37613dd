"""The Tansu broker fixture speaks enough Kafka for newswatch: topics created with explicit
partition counts, keyed produce spread over them, consume with a fresh group, committed
offsets resumed by the same group."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from broker import TansuBroker, api_versions_ok

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


async def _consume(broker: TansuBroker, topic: str, group: str, n: int) -> list[tuple[int, bytes]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, group_id=group,
        auto_offset_reset="earliest", enable_auto_commit=False,
        # Tansu holds a JoinGroup for the whole rebalance timeout: keep it short
        session_timeout_ms=6000, rebalance_timeout_ms=2000, heartbeat_interval_ms=500,
    )
    await consumer.start()
    got: list[tuple[int, bytes]] = []
    try:
        async with asyncio.timeout(60):
            while len(got) < n:
                batches = await consumer.getmany(timeout_ms=500)
                for tp, messages in batches.items():
                    got.extend((tp.partition, m.value) for m in messages if m.value is not None)
        await consumer.commit()
    finally:
        await consumer.stop()
    return got


async def test_topics_partitions_produce_consume(kafka_broker: TansuBroker, group_id: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic("stories", num_partitions=4, replication_factor=1)])
        [described] = await admin.describe_topics(["stories"])
    finally:
        await admin.close()
    assert described["error_code"] == 0
    assert sorted(p["partition"] for p in described["partitions"]) == [0, 1, 2, 3]

    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(40):
            await producer.send_and_wait("stories", f"article {i}".encode(), key=f"s{i}".encode())
    finally:
        await producer.stop()

    got = await _consume(kafka_broker, "stories", group_id, 40)
    assert sorted(v for _, v in got) == sorted(f"article {i}".encode() for i in range(40))
    assert len({p for p, _ in got}) > 1  # keys spread over the partitions

    # the same group resumes after its committed offsets: only the new message comes back
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait("stories", b"article 40", key=b"s40")
    finally:
        await producer.stop()
    assert [v for _, v in await _consume(kafka_broker, "stories", group_id, 1)] == [b"article 40"]


def test_broker_stops_and_frees_its_port(tmp_path: Path) -> None:
    broker = TansuBroker(tmp_path / "tansu.log").start()
    assert api_versions_ok(broker.port)
    broker.stop()
    assert broker.proc is not None and broker.proc.poll() is not None
    assert not api_versions_ok(broker.port)
