"""Each destination drains on its own: a Slack that takes a minute per message (or hangs)
holds up only Slack, while email (aiosmtpd) and JSONL deliveries of the same alerts, and of
alerts recorded after Slack got stuck, go out at once."""

from __future__ import annotations

import asyncio
import contextlib
import json

import sqlalchemy as sa
from delivery_support import make_alert
from slack_server import SlackServer
from smtp_server import Handler, LoopbackSmtp

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.sinks.jsonl import JsonlSink
from streams.deliver.sinks.slack import SlackSink
from streams.deliver.sinks.smtp import SmtpSink
from streams.store import Store
from streams.store.schema import deliveries

SLOW = 60.0  # seconds the loopback Slack takes per message
BOUND = 45.0  # generous bound on waiting for email and JSONL (well under one Slack message)
DESTS = ["slack", "email", "jsonl"]


async def _until(check, bound: float = BOUND) -> bool:
    """Poll `check` until it holds or `bound` seconds have passed; whether it held."""
    loop = asyncio.get_running_loop()
    end = loop.time() + bound
    while not check():
        if loop.time() > end:
            return False
        await asyncio.sleep(0.05)
    return True


async def _states(store, dest: str) -> list[str]:
    async with store.begin() as conn:
        return list((await conn.execute(sa.select(deliveries.c.state).where(
            deliveries.c.destination == dest))).scalars())


async def _settles(store, dest: str, want: set[str], bound: float = BOUND) -> set[str]:
    """Poll `dest`'s delivery states until they are `want` or `bound` seconds have passed;
    the states last read. (A message reaches its server a moment before the dispatcher
    records it sent.)"""
    loop = asyncio.get_running_loop()
    end = loop.time() + bound
    while (states := set(await _states(store, dest))) != want and loop.time() <= end:
        await asyncio.sleep(0.05)
    return states


async def test_a_slow_slack_delays_neither_email_nor_jsonl(store, tmp_path):
    slack = await SlackServer(delay=SLOW).start()
    handler = Handler()
    smtp = LoopbackSmtp(handler)
    smtp.start()
    path = tmp_path / "alerts.jsonl"
    sinks = {
        "slack": SlackSink(webhook_url=slack.webhook_url, timeout=2 * SLOW, min_interval=1.0),
        "email": SmtpSink("127.0.0.1", smtp.bound_port, ["ops@example.org"],
                          "newswatch@example.org", timeout=10),
        "jsonl": JsonlSink(path),
    }
    dispatcher = Dispatcher(store, sinks, send_timeout=3 * SLOW)
    wake = asyncio.Event()

    def jsonl_keys() -> set[str]:
        lines = path.read_text().splitlines() if path.exists() else []
        return {json.loads(line)["key"] for line in lines}

    def mailed() -> set[str]:
        return {m["X-Newswatch-Alert"] for _, m in handler.received}

    first = [make_alert(story=f"s{i}", article=f"a{i}", destinations=DESTS) for i in range(3)]
    later = [make_alert(story=f"t{i}", article=f"b{i}", destinations=DESTS) for i in range(3)]
    runner = asyncio.create_task(dispatcher.run(wake))
    try:
        for a in first:
            await record_alert(store, a)
        wake.set()
        assert await _until(lambda: slack.requests >= 1), "slack never got a request"
        assert await _until(lambda: {a.id for a in first} <= mailed() & jsonl_keys())
        # Slack is now stuck on its first message; alerts recorded meanwhile still go out
        for a in later:
            await record_alert(store, a)
        wake.set()
        every = {a.id for a in first + later}
        assert await _until(lambda: every <= mailed() & jsonl_keys()), (
            "email/JSONL waited for Slack", mailed(), jsonl_keys())
        assert slack.messages == []  # Slack still has all six to do
        assert set(await _states(store, "slack")) <= {"pending", "sending"}
        assert await _settles(store, "email", {"sent"}) == {"sent"}
        assert await _settles(store, "jsonl", {"sent"}) == {"sent"}
        assert len(handler.received) == 6 and len(jsonl_keys()) == 6  # each once
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await slack.stop()
        for sink in sinks.values():
            await sink.aclose()
        smtp.stop()


async def test_a_second_dispatcher_starting_mid_send_does_not_resend(store, tmp_path):
    """A second `newswatch run` on the same store while the first is sending: the first
    holds the store's sender lock, so the second leaves the row in flight to it (its lease
    has not run out) instead of calling it in doubt and sending it again."""
    gate = asyncio.Event()
    slack = await SlackServer(gate=gate).start()
    second_store = await Store(store.url).open()
    first_sink = SlackSink(webhook_url=slack.webhook_url, timeout=BOUND * 4, min_interval=0)
    second_sink = SlackSink(webhook_url=slack.webhook_url, timeout=BOUND * 4, min_interval=0)
    first = Dispatcher(store, {"slack": first_sink}, send_timeout=BOUND * 4)
    await record_alert(store, make_alert(destinations=["slack"]))
    runner = asyncio.create_task(first.run(asyncio.Event()))
    second_drain: asyncio.Task[int] | None = None
    try:
        assert await _until(lambda: slack.requests == 1), "the first never sent"
        assert await _states(store, "slack") == ["sending"]  # mid-send
        second = Dispatcher(second_store, {"slack": second_sink})  # exclusive, as embedded
        second_drain = asyncio.create_task(second.drain())
        await _until(lambda: second_drain.done() or slack.requests > 1)
        assert slack.requests == 1, "the second dispatcher sent it again"
        assert second_drain.done() and second_drain.result() == 0
        assert await _states(store, "slack") == ["sending"]
        gate.set()  # the first send completes
        assert await _until(lambda: len(slack.messages) == 1)
        assert await _until_state(store, "sent")
        assert await second.drain() == 0
        assert slack.requests == 1 and len(slack.messages) == 1
    finally:
        for task in (runner, second_drain):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await slack.stop()
        await first_sink.aclose()
        await second_sink.aclose()
        await second_store.close()


async def _until_state(store, state: str) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + BOUND
    while await _states(store, "slack") != [state]:
        if loop.time() > end:
            return False
        await asyncio.sleep(0.05)
    return True
