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

from connectors.jsonl import JsonlSink
from connectors.slack import SlackSink
from connectors.smtp import SmtpSink
from streams.dispatch import Dispatcher
from streams.store.alerts import record_alert
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
        assert set(await _states(store, "email")) == {"sent"}
        assert set(await _states(store, "jsonl")) == {"sent"}
        assert len(handler.received) == 6 and len(jsonl_keys()) == 6  # each once
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await slack.stop()
        for sink in sinks.values():
            await sink.aclose()
        smtp.stop()
