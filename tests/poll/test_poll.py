"""Polling: new entries once, conditional GET, feed health, backoff, schedule, due feeds."""

from __future__ import annotations

import logging
import random
from pathlib import Path

from aiohttp import web
from feeds_support import Loopback, at, client_for, rss

from connectors.seed_server import SeedServer
from streams.config.settings import load_settings
from streams.runtime.polling import Schedule, poll_feed
from streams.store.feeds import due_feeds, ensure_feeds, get_feed
from streams.store.items import record_item

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


async def test_seed_feed_polls_by_default_settings_then_answers_304(store):
    from connectors.http import make_client

    async with SeedServer(SEEDS) as srv, make_client(load_settings()) as client:
        first = await poll_feed(client, store, srv.feed_url, now=at(0))
        second = await poll_feed(client, store, srv.feed_url, now=at(400))
    assert first.ok and len(first.items) == 5
    item = first.items[0]
    assert item.guid == "seeds/004_9f486ea33ae97183.txt"
    assert srv.article_file(item.link) == "004_9f486ea33ae97183.txt"
    assert item.published.startswith("2025-05-15")
    assert item.source and item.summary
    assert second.ok and second.not_modified and second.items == []
    row = await get_feed(store, srv.feed_url)
    assert row["status"] == 304 and row["items_seen"] == 5 and row["failures"] == 0
    assert row["last_success"] == at(400) and row["next_attempt"] == at(700)


async def test_entries_already_recorded_are_not_returned_again(store):
    entries = [{"title": "A", "link": "http://example.org/a"}, {"title": "B", "guid": "urn:b-1"}]
    server = Loopback()

    async def feed(_request: web.Request) -> web.Response:
        return web.Response(body=rss(entries), content_type="application/rss+xml")

    server.route("/feed", feed)
    await server.start()
    try:
        async with client_for(server) as client:
            first = await poll_feed(client, store, server.url("/feed"), now=at(0))
            for item in first.items:
                await record_item(store, item)
            entries.append({"title": "C", "link": "http://example.org/c"})
            second = await poll_feed(client, store, server.url("/feed"), now=at(300))
    finally:
        await server.stop()
    assert sorted(i.guid for i in first.items) == ["http://example.org/a", "urn:b-1"]
    assert [i.title for i in second.items] == ["C"]  # GUID else link, remembered in the store
    assert (await get_feed(store, server.url("/feed")))["items_seen"] == 3


async def test_broken_feeds_return_an_error_log_one_line_and_back_off(store, caplog):
    server = Loopback()

    async def missing(_request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def garbage(_request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01 this is no feed", content_type="text/plain")

    server.route("/missing", missing)
    server.route("/garbage", garbage)
    await server.start()
    schedule = Schedule(backoff_base=60, backoff_max=1000, rng=random.Random(1))
    try:
        async with client_for(server) as client:
            caplog.set_level(logging.WARNING, "newswatch.poll")
            results = [
                await poll_feed(client, store, server.url("/missing"), at(0), schedule),
                await poll_feed(client, store, server.url("/garbage"), at(0), schedule),
            ]
            refused = await poll_feed(client, store, "http://127.0.0.1:1/feed", at(0), schedule)
            delays = []
            for n in range(6):
                r = await poll_feed(client, store, server.url("/missing"), at(n), schedule)
                delays.append((r.next_attempt - at(n)).total_seconds())
    finally:
        await server.stop()
    assert results[0].error == "HTTP 404" and results[0].status == 404
    assert results[1].error.startswith("not a feed")
    assert "SSRF" in refused.error  # not on the allow-list: refused before connecting
    lines = [r.getMessage() for r in caplog.records]
    assert any(server.url("/missing") in line and "HTTP 404" in line for line in lines)
    assert all(b >= a * 1.3 or b >= 800 for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) <= 1000  # the ceiling holds, jitter included
    row = await get_feed(store, server.url("/missing"))
    assert row["failures"] == 7 and row["failing_since"] == at(0)


async def test_ttl_and_per_feed_interval_set_the_next_attempt(store):
    server = Loopback()

    async def slow_feed(_request: web.Request) -> web.Response:
        return web.Response(body=rss([], extra="<ttl>120</ttl>"), content_type="text/xml")

    server.route("/ttl", slow_feed)
    await server.start()
    schedule = Schedule(interval=300, interval_max=3600)
    try:
        async with client_for(server) as client:
            ttl = await poll_feed(client, store, server.url("/ttl"), at(0), schedule)
    finally:
        await server.stop()
    assert ttl.next_attempt == at(3600)  # 120 minutes asked, capped at the ceiling
    assert Schedule(interval=300).next_interval(900.0, None) == 900.0
    assert Schedule(interval=300, interval_min=60).next_interval(5.0, None) == 60.0


async def test_due_feeds_respects_next_attempt(store):
    await ensure_feeds(store, ["http://a.example/feed", "http://b.example/feed"])
    assert await ensure_feeds(store, ["http://a.example/feed"]) == 0
    from streams.store.feeds import update_feed

    await update_feed(store, "http://b.example/feed", next_attempt=at(100))
    urls = ["http://a.example/feed", "http://b.example/feed", "http://new.example/feed"]
    assert await due_feeds(store, urls, at(50)) == [urls[0], urls[2]]
    assert await due_feeds(store, urls, at(100)) == urls
