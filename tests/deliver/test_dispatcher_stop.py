"""The dispatcher stops when the service stops, even when an alert wakes it at that moment
(`newswatch run` used to hang at Ctrl-C, then be killed: asyncio.wait_for of Python 3.11
drops a cancellation that arrives as the awaited event fires)."""

from __future__ import annotations

import asyncio

from delivery_support import make_alert

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.sinks.jsonl import JsonlSink


async def _idle(dispatcher_task: asyncio.Task[None], path) -> None:
    """Until the dispatcher has sent what there was and waits for the next alert."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 20
    while not (path.exists() and path.read_text().count("\n") == 1):
        assert loop.time() < end and not dispatcher_task.done(), "the alert was never sent"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)


async def test_the_dispatcher_stops_when_cancelled_as_an_alert_wakes_it(store, tmp_path):
    path = tmp_path / "alerts.jsonl"
    sink = JsonlSink(path)
    wake = asyncio.Event()
    runner = asyncio.create_task(Dispatcher(store, {"jsonl": sink}).run(wake))
    try:
        await record_alert(store, make_alert(story="s1", article="a1", destinations=["jsonl"]))
        wake.set()
        await _idle(runner, path)
        wake.set()  # an alert recorded: the dispatcher's wait for one ends...
        await asyncio.sleep(0)
        runner.cancel()  # ...and the service stops before the dispatcher runs again
        done, _ = await asyncio.wait({runner}, timeout=5)
        assert runner in done, "the dispatcher went on after it was stopped"
        assert runner.cancelled()
    finally:
        runner.cancel()
        await asyncio.wait({runner}, timeout=5)
        await sink.aclose()
