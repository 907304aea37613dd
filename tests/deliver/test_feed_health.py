"""Feed health: a failing feed backs off, raises one operator alert and one recovery notice;
a feed silent for longer than its usual gap raises one too."""

from __future__ import annotations

from aiohttp import web
from feeds_support import Loopback, at, client_for, rss

from streams.config.settings import load_settings
from streams.deliver.feed_health import check_feed_health
from streams.deliver.record import record_alert
from streams.runtime.polling import Schedule, poll_feed
from streams.store.feeds import get_feed, update_feed


async def test_failing_feed_backs_off_alerts_once_and_recovers_once(store):
    up = {"ok": True}
    server = Loopback()

    async def feed(_request: web.Request) -> web.Response:
        if not up["ok"]:
            return web.Response(status=500)
        return web.Response(body=rss([{"title": "A", "link": "http://e.example/a"}]))

    server.route("/feed", feed)
    await server.start()
    url = server.url("/feed")
    settings = load_settings(feed_failing_after=600)
    schedule = Schedule(backoff_base=60, backoff_max=3600)
    raised, delays, t = [], [], 0.0
    try:
        async with client_for(server) as client:
            await poll_feed(client, store, url, at(t), schedule)
            up["ok"] = False
            for _ in range(8):
                t += 120
                result = await poll_feed(client, store, url, at(t), schedule)
                delays.append((result.next_attempt - at(t)).total_seconds())
                raised += await check_feed_health(store, at(t), settings)
            up["ok"] = True
            for _ in range(3):
                t += 60
                assert (await poll_feed(client, store, url, at(t), schedule)).ok
                raised += await check_feed_health(store, at(t), settings)
    finally:
        await server.stop()
    assert delays == sorted(delays) and delays[-1] > 8 * delays[0]  # exponential backoff
    assert [a.rule_id for a in raised] == ["feed-failing", "feed-recovered"]
    failing, recovered = raised
    assert url in failing.message and at(120).isoformat(timespec="minutes") in failing.message
    assert failing.story_id != recovered.story_id
    assert await record_alert(store, failing) and not await record_alert(store, failing)
    row = await get_feed(store, url)
    assert row["failures"] == 0 and row["health"] == "ok"


async def test_silent_feed_alerts_once_after_its_usual_gap(store):
    url = "http://quiet.example/feed"
    settings = load_settings(feed_silent_factor=3, feed_silent_min=3600)
    await update_feed(
        store, url, added=at(0), last_success=at(100), last_new_item=at(0), failures=0,
        usual_gap=7200.0,
    )
    checks = []
    for n in (2, 3, 4, 5):  # polled every two hours, successfully, with nothing new
        await update_feed(store, url, last_attempt=at(7200 * n), last_success=at(7200 * n))
        if n == 5:
            await update_feed(store, url, last_new_item=at(7200 * n))
        checks.append([a.rule_id for a in await check_feed_health(store, at(7200 * n), settings)])
    assert checks == [[], ["feed-silent"], [], ["feed-recovered"]]


async def test_feeds_no_longer_polled_raise_nothing(store):
    settings = load_settings(feed_failing_after=60)
    await update_feed(store, "http://127.0.0.1:9/feed.xml", last_attempt=at(0), failures=3,
                      failing_since=at(0), added=at(0), last_success=at(-60))
    assert await check_feed_health(store, at(30 * 86_400), settings) == []
