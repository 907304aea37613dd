"""The worker's poll loop (streams/poll/loop.py) polls a feed once per interval, even when
that feed's poll ends while the loop is asking the store which feeds are due: the row it
read then still says "due" (the next attempt was not yet written), and the feed, no longer
being polled, would be fetched again at once, below the floor. And the feeder stops when
cancelled, even as an entry wakes it (else stopping the worker hangs). Real loopback feed,
real SQLite store, the worker's loop and feeder."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from feeds_support import Loopback, at, client_for, rss

from streams.config.settings import load_settings
from streams.core.records import FeedItem
from streams.poll.feeder import FairFeeder
from streams.poll.loop import PollLoop
from streams.runtime.pipeline import Pipeline
from streams.store import Store

pytestmark = pytest.mark.timeout(120)
ROUNDS = 40


@pytest.fixture
async def server() -> AsyncIterator[Loopback]:
    srv = Loopback()
    yield srv
    await srv.stop()


async def test_a_poll_ending_while_the_loop_looks_for_due_feeds_is_not_repeated(
    tmp_path: Path, server: Loopback, store: Store
) -> None:
    gets: list[float] = []

    async def feed(_request: web.Request) -> web.Response:
        gets.append(time.monotonic())
        entries = [{"title": "Port reopens", "guid": "urn:port:1", "description": "It did."}]
        return web.Response(body=rss(entries), content_type="application/rss+xml")

    server.route("/feed", feed)
    await server.start()
    settings = load_settings(data_dir=tmp_path, feeds=[], serve_seeds=False)
    pipeline = Pipeline(settings, store, client_for(server, deadline=30.0, per_host=4),
                        extractor=None, rules=None, rule_state=None)

    async def send(item: FeedItem) -> None:
        feeder.finished(item.key)

    feeder = FairFeeder(send, limit=4, expire_after=600.0)
    loop = PollLoop(pipeline, feeder)
    url = server.url("/feed")
    clock = [at(0)]
    pipeline.clock = lambda: clock[0]
    try:
        for rounds in range(1, ROUNDS + 1):
            clock[0] += dt.timedelta(hours=1)  # due again (the interval is 300 s)
            # the loop looks for due feeds without pause, as a busy worker's ticks do: the
            # poll ends during one of those looks
            await loop.start_due([url])
            while loop.polling:
                await loop.start_due([url])
                await asyncio.sleep(0)
            for _ in range(5):
                await loop.start_due([url])
            await _settled(loop)
            assert len(gets) == rounds, f"polled twice in round {rounds}"
    finally:
        await loop.stop()
        await pipeline.client.aclose()


async def _settled(loop: PollLoop) -> None:
    while loop.polling:
        await asyncio.sleep(0.01)


async def test_the_feeder_stops_when_cancelled_as_an_entry_wakes_it() -> None:
    # asyncio.wait_for (Python 3.11) returns instead of raising when the task is cancelled
    # while what it waits for has just completed: the feeder then ran on after its
    # cancellation, and stopping the worker hung
    sent: list[FeedItem] = []

    async def send(item: FeedItem) -> None:
        sent.append(item)

    feeder = FairFeeder(send, limit=4, expire_after=600.0)
    runner = asyncio.create_task(feeder.run())
    await asyncio.sleep(0.01)  # waiting to be woken
    feeder.add([FeedItem(feed="http://news.example/feed", guid="g1", link="http://x/1")])
    await asyncio.sleep(0)  # the wait it was in completes...
    runner.cancel()  # ...as it is cancelled
    for _ in range(10):  # a few turns of the event loop (a swallowed cancel: never done)
        await asyncio.sleep(0)
    stopped = runner.cancelled()
    if not stopped:  # not left running after the test
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert stopped
