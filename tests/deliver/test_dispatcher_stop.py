"""The dispatcher stops when the service stops, even when an alert wakes it at that moment
(`newswatch run` hung at Ctrl-C about 1 run in 5, then was killed: asyncio.wait_for of
Python 3.11 returns, dropping the cancel, when the cancel arrives as the awaited event
fires; the dispatcher, or one of its destination loops, then ran on and on_stop awaited
it forever)."""

from __future__ import annotations

import asyncio

from delivery_support import make_alert

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.sinks.jsonl import JsonlSink


async def test_the_dispatcher_stops_when_cancelled_as_an_alert_wakes_it(store, tmp_path):
    path = tmp_path / "alerts.jsonl"
    sink = JsonlSink(path)
    await record_alert(store, make_alert(story="s1", article="a1", destinations=["jsonl"]))
    try:
        # the stop lands 0, 1, 2, ... loop turns after the wake: while the dispatcher's own
        # wait ends, while it kicks its destination loops, while theirs end
        for turns in range(12):
            wake = asyncio.Event()
            runner = asyncio.create_task(Dispatcher(store, {"jsonl": sink}).run(wake))
            await asyncio.sleep(0.3)  # recovered, drained, waiting for an alert
            assert path.read_text().count("\n") == 1  # the alert sent, once
            wake.set()  # an alert recorded
            for _ in range(turns):
                await asyncio.sleep(0)
            runner.cancel()  # the service stops
            done, _ = await asyncio.wait({runner}, timeout=5)
            assert runner in done, f"the dispatcher ran on after it was stopped ({turns})"
            assert runner.cancelled()
    finally:
        runner.cancel()
        await asyncio.wait({runner}, timeout=5)
        await sink.aclose()
