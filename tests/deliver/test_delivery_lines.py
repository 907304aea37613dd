"""Destinations written a line a message (the console, a JSONL file) take their due deliveries
together: one claim, one write (one fsync for the file), one record, each delivery still its
own line, attempt and state. A store that fails around the batch loses nothing and sends
nothing twice; a destination of one message a send (Slack, a webhook) is not batched."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from delivery_support import ScriptedSink, make_alert, open_store
from store_faults import FullDisk

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import Message, RetryPolicy, SendResult
from streams.deliver.sinks.jsonl import JsonlSink
from streams.store.schema import attempts, deliveries

TABLES = ("deliveries", "attempts", "alerts")
STORIES = [f"story{i}" for i in range(5)]


class CountedJsonl(JsonlSink):
    """The real JSONL sink, its sends counted (what each was handed)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sends: list[int] = []

    async def send(self, messages: Sequence[Message]) -> SendResult:
        self.sends.append(len(messages))
        return await super().send(messages)


class LineSink(ScriptedSink):
    lines = True


async def _record_five(store, destination: str) -> None:  # type: ignore[no-untyped-def]
    for i, story in enumerate(STORIES):
        await record_alert(store, make_alert(story=story, article=f"art{i}",
                                             destinations=[destination]))


async def _rows(store):  # type: ignore[no-untyped-def]
    async with store.begin() as conn:
        rows = (await conn.execute(sa.select(deliveries).order_by(deliveries.c.id))).all()
        tries = (await conn.execute(sa.select(attempts))).all()
    return rows, tries


async def test_a_burst_to_a_jsonl_file_is_one_write_of_a_line_each(tmp_path):
    store = await open_store(tmp_path)
    path = tmp_path / "alerts.jsonl"
    sink = CountedJsonl(path)
    try:
        await _record_five(store, "jsonl")
        assert await Dispatcher(store, {"jsonl": sink}).drain() == 5
        assert sink.sends == [5]
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert sorted(line["alert"]["story_id"] for line in lines) == STORIES
        rows, tries = await _rows(store)
        assert [r.state for r in rows] == ["sent"] * 5 and all(r.attempts == 1 for r in rows)
        assert sorted(t.delivery_id for t in tries) == [r.id for r in rows]
        assert {t.outcome for t in tries} == {"sent"}
    finally:
        await store.close()


async def test_a_destination_of_one_message_a_send_is_not_batched(tmp_path):
    store = await open_store(tmp_path)
    sink = ScriptedSink("webhook")
    try:
        await _record_five(store, "webhook")
        await Dispatcher(store, {"webhook": sink}).drain()
        assert [len(batch) for batch in sink.got] == [1] * 5
    finally:
        await store.close()


async def test_a_failed_write_retries_every_line_of_the_batch(tmp_path):
    store = await open_store(tmp_path)
    sink = LineSink("jsonl", [SendResult.retry("cannot append: disk full"), SendResult.sent()])
    try:
        await _record_five(store, "jsonl")
        dispatcher = Dispatcher(store, {"jsonl": sink}, policy=RetryPolicy(8, 0.01, 0.01))
        await dispatcher.settle()
        assert [len(batch) for batch in sink.got] == [5, 5]
        rows, tries = await _rows(store)
        assert [(r.state, r.attempts) for r in rows] == [("sent", 2)] * 5
        assert sorted(t.outcome for t in tries) == ["retry"] * 5 + ["sent"] * 5
    finally:
        await store.close()


class DiskFillsDuringSend(LineSink):
    def __init__(self, disk: FullDisk) -> None:
        super().__init__("jsonl")
        self.disk = disk

    async def send(self, messages: Sequence[Message]) -> SendResult:
        if not self.got:
            self.disk.fill()
        return await super().send(messages)


async def test_answers_the_full_store_could_not_take_are_all_recorded_after(tmp_path):
    store = await open_store(tmp_path)
    disk = FullDisk(tmp_path / "nw.db", TABLES)
    sink = DiskFillsDuringSend(disk)
    try:
        await _record_five(store, "jsonl")
        dispatcher = Dispatcher(store, {"jsonl": sink}, policy=RetryPolicy(8, 0.01, 0.01))
        with pytest.raises(sa.exc.DBAPIError, match="disk is full"):
            await dispatcher.drain_destination("jsonl")
        rows, _ = await _rows(store)
        assert [r.state for r in rows] == ["sending"] * 5  # sent, not recorded
        disk.lift()
        await dispatcher.settle()  # the same dispatcher, no restart
        rows, tries = await _rows(store)
        assert [r.state for r in rows] == ["sent"] * 5
        assert [len(batch) for batch in sink.got] == [5]  # none sent twice
        assert sorted(t.outcome for t in tries) == ["sent"] * 5
    finally:
        await store.close()


async def test_a_store_failing_while_the_batch_is_claimed_sends_none_and_all_after(tmp_path):
    store = await open_store(tmp_path)
    disk = FullDisk(tmp_path / "nw.db", ("attempts",))  # the fourth claim's attempt fails
    sink = LineSink("jsonl")
    try:
        await _record_five(store, "jsonl")
        dispatcher = Dispatcher(store, {"jsonl": sink}, policy=RetryPolicy(8, 0.01, 0.01))
        disk.fill()
        with pytest.raises(sa.exc.DBAPIError, match="disk is full"):
            await dispatcher.drain_destination("jsonl")
        rows, tries = await _rows(store)
        assert sink.got == [] and tries == []
        assert [r.state for r in rows] == ["pending"] * 5  # no claim kept: nothing in doubt
        disk.lift()
        await dispatcher.settle()
        rows, _ = await _rows(store)
        assert [r.state for r in rows] == ["sent"] * 5 and [len(b) for b in sink.got] == [5]
    finally:
        await store.close()
