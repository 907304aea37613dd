"""Fair polling and processing (issue 14, failure 6): a feed dripping a byte at a time holds
up only itself, and a feed with thousands of new entries does not queue ahead of a small
feed added meanwhile: entries go to processing round-robin by feed, a bounded number at
a time. Real loopback feeds, a real SQLite store, the worker's poll loop and feeder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from feeds_support import Loopback, client_for, rss
from waiting import until

from streams.config.settings import load_settings
from streams.core.records import FeedItem
from streams.poll.feeder import FairFeeder
from streams.poll.loop import PollLoop
from streams.runtime.pipeline import Pipeline
from streams.store import Store

pytestmark = pytest.mark.timeout(240)
BIG = 3_000  # entries of the big feed (the attack used 20,000; the order is the same)
INFLIGHT = 16  # one extraction batch


def _entries(name: str, n: int) -> list[dict[str, str]]:
    return [{"title": f"{name} {k}", "guid": f"urn:{name}:{k}",
             "description": f"{name} entry {k}"} for k in range(n)]


@pytest.fixture
async def server() -> AsyncIterator[Loopback]:
    srv = Loopback()
    yield srv
    await srv.stop()


async def _pipeline(tmp_path: Path, server: Loopback, store: Store) -> Pipeline:
    settings = load_settings(data_dir=tmp_path, feeds=[], serve_seeds=False)
    client = client_for(server, deadline=60.0, per_host=4)
    return Pipeline(settings, store, client, extractor=None, rules=None, rule_state=None)


async def _until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    await until(check, 100.0, what, every=0.02)


async def test_a_dripping_feed_does_not_hold_back_a_fast_feeds_entries(
    tmp_path: Path, server: Loopback, store: Store
) -> None:
    stop_drip = asyncio.Event()

    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        while not stop_drip.is_set():  # one byte a second, up to the 60 s deadline
            await resp.write(b" ")
            await asyncio.sleep(1.0)
        return resp

    async def fast(_request: web.Request) -> web.Response:
        return web.Response(body=rss(_entries("fast", 5)), content_type="application/rss+xml")

    server.route("/drip", drip)
    server.route("/fast", fast)
    await server.start()
    pipeline = await _pipeline(tmp_path, server, store)
    processed: list[FeedItem] = []

    async def send(item: FeedItem) -> None:
        processed.append(item)
        pipeline_finished(item.key)

    feeder = FairFeeder(send, limit=INFLIGHT, expire_after=600.0)
    pipeline_finished = feeder.finished
    loop = PollLoop(pipeline, feeder)
    runner = asyncio.create_task(feeder.run())
    try:
        drip_url, fast_url = server.url("/drip"), server.url("/fast")
        assert await loop.start_due([drip_url, fast_url]) == [drip_url, fast_url]
        await _until(lambda: len(processed) == 5, "the fast feed's entries processed")
        # they reached processing while the dripping feed was still being read
        assert drip_url in loop.polling
        assert {i.feed for i in processed} == {fast_url}
    finally:
        stop_drip.set()
        await loop.stop()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await pipeline.client.aclose()


async def test_a_small_feed_added_behind_a_big_one_is_among_the_first_batches(
    tmp_path: Path, server: Loopback, store: Store
) -> None:
    big_doc = rss(_entries("big", BIG))

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=big_doc, content_type="application/rss+xml")

    async def small(_request: web.Request) -> web.Response:
        return web.Response(body=rss(_entries("small", 5)), content_type="application/rss+xml")

    server.route("/big", big)
    server.route("/small", small)
    await server.start()
    pipeline = await _pipeline(tmp_path, server, store)
    sent: asyncio.Queue[FeedItem] = asyncio.Queue()
    feeder = FairFeeder(sent.put, limit=INFLIGHT, expire_after=600.0)
    loop = PollLoop(pipeline, feeder)
    processed: list[FeedItem] = []
    marks: dict[str, int] = {}

    async def processing() -> None:
        # a batch at a time, as the extract agent takes them; each batch frees its places
        while True:
            batch = [await sent.get()]
            while not sent.empty() and len(batch) < INFLIGHT:
                batch.append(sent.get_nowait())
            await asyncio.sleep(0.05)
            processed.extend(batch)
            for item in batch:
                feeder.finished(item.key)

    tasks = [asyncio.create_task(feeder.run()), asyncio.create_task(processing())]
    try:
        big_url, small_url = server.url("/big"), server.url("/small")
        await loop.start_due([big_url])
        await _until(lambda: len(processed) >= 3 * INFLIGHT, "the big feed being processed")
        assert feeder.queued > BIG // 2  # most of the big feed still waits
        assert await loop.start_due([big_url, small_url]) == [small_url]  # big is not due
        await _until(lambda: small_url not in loop.polling, "the small feed polled")
        marks["added"] = len(processed)  # its entries are recorded and queued from here
        await _until(lambda: sum(i.feed == small_url for i in processed) == 5,
                     "the small feed's entries processed")
    finally:
        await loop.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pipeline.client.aclose()
    positions = [n for n, i in enumerate(processed) if i.feed == small_url]
    behind = positions[-1] - marks["added"]
    # the places in processing when it came, then one of its entries in every second send
    assert behind <= INFLIGHT + 2 * 5, (behind, positions, marks)
    assert len(processed) < BIG // 2  # long before the big feed is through
