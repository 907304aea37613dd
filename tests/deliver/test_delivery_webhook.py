"""Webhook delivery to a loopback aiohttp server: signed JSON, retries, permanent refusals."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa
from aiohttp import web
from delivery_support import make_alert, open_store

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.webhook import WebhookSink, signature
from streams.store.schema import deliveries

SECRET = "whsec-test"


@pytest.fixture
async def receiver():
    """A receiver that verifies the signature, answering from a script of statuses."""
    got: list[dict] = []
    script: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers["X-Newswatch-Timestamp"]
        if request.headers["X-Newswatch-Signature"] != signature(SECRET, stamp, body):
            return web.Response(status=401)
        status = script.pop(0) if script else 204
        if status < 300:
            got.append(json.loads(body))
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/hook", got, script
    await runner.cleanup()


async def _drive(store, sink):
    dispatcher = Dispatcher(store, {"webhook": sink}, policy=RetryPolicy(4, 0.05, 0.1))
    await dispatcher.drain()
    async with store.begin() as conn:
        (row,) = (await conn.execute(sa.select(deliveries))).all()
    while row.state == "retrying":
        await asyncio.sleep(0.05)
        await dispatcher.drain()
        async with store.begin() as conn:
            (row,) = (await conn.execute(sa.select(deliveries))).all()
    await sink.aclose()
    return row


async def test_signed_post_after_a_503(receiver, tmp_path):
    url, got, script = receiver
    script.append(503)
    store = await open_store(tmp_path)
    alert = make_alert(destinations=["webhook"])
    await record_alert(store, alert)
    row = await _drive(store, WebhookSink(url, SECRET))
    assert row.state == "sent" and row.attempts == 2
    assert [g["key"] for g in got] == [alert.id]
    assert got[0]["alert"]["event"]["quantities"]["killed"]["value"] == 24
    await store.close()


async def test_wrong_secret_is_dead_and_flagged(receiver, tmp_path):
    url, got, _ = receiver
    store = await open_store(tmp_path)
    await record_alert(store, make_alert(destinations=["webhook"]))
    row = await _drive(store, WebhookSink(url, "not-the-secret"))
    assert row.state == "dead" and "401" in row.error and got == []
    await store.close()
