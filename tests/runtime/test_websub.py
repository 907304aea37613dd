"""WebSub subscriptions through streams/runtime/websub.py, with a real store and the
loopback hub (tests/support/websub_hub.py): asked once, stored before the hub answers,
renewed with the same secret before the lease ends; a hub that refuses is recorded, logged
and asked again only after a wait."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from feeds_support import at
from websub_hub import NewsSite

from connectors.http import GuardedClient
from streams.poll.websub import ACCEPTING, WebSubPolicy, callback_id
from streams.runtime.websub import subscribe_due, verify
from streams.store.feeds import update_feed
from streams.store.subscriptions import get_subscription, pushed_feeds

POLICY = WebSubPolicy(lease=3600, verify_within=300)
CALLBACK_BASE = "http://127.0.0.1:9"  # nobody answers: the hub's own verification fails


@pytest.fixture
def site() -> Iterator[NewsSite]:
    s = NewsSite(hub=True).start()
    yield s
    s.stop()


async def test_a_subscription_is_verified_then_renewed_with_the_same_secret(store, site):
    feed = site.feed_url
    await update_feed(store, feed, hub=f"http://127.0.0.1:{site.port}/hub", topic=feed)
    async with GuardedClient(allow=[f"127.0.0.1:{site.port}"], timeout=5) as client:
        assert await subscribe_due(store, client, CALLBACK_BASE, [feed], at(0), POLICY) == 1
        assert await subscribe_due(store, client, CALLBACK_BASE, [feed], at(5), POLICY) == 0
        (asked,) = site.requests
        assert asked["hub.callback"] == f"{CALLBACK_BASE}/websub/{callback_id(feed)}"
        sub = await get_subscription(store, callback_id(feed))
        assert sub is not None and sub["state"] == "requested"
        assert sub["secret"] == asked["hub.secret"]
        # not pushed before it is verified
        assert await pushed_feeds(store, [feed], at(5), ACCEPTING) == set()

        query = {"hub.mode": "subscribe", "hub.topic": feed, "hub.challenge": "xyz",
                 "hub.lease_seconds": "3600"}
        assert await verify(store, callback_id(feed), query, at(10), POLICY) == (200, "xyz")
        assert await pushed_feeds(store, [feed], at(20), ACCEPTING) == {feed}
        assert await verify(store, callback_id(feed), query, at(11), POLICY) == \
            (404, "no such request")  # answered once: a replay is refused

        assert await subscribe_due(store, client, CALLBACK_BASE, [feed], at(3000), POLICY) == 0
        assert await subscribe_due(store, client, CALLBACK_BASE, [feed], at(3300), POLICY) == 1
    renewal = site.requests[-1]
    assert len(site.requests) == 2 and renewal["hub.secret"] == asked["hub.secret"]
    # the lease runs on while the renewal awaits verification: still pushed
    assert await pushed_feeds(store, [feed], at(3300), ACCEPTING) == {feed}


async def test_a_hub_that_refuses_is_logged_and_asked_again_later(store, site, caplog):
    feed = site.feed_url
    await update_feed(store, feed, hub=f"http://127.0.0.1:{site.port}/no-hub-here", topic=feed)
    caplog.set_level(logging.WARNING, "newswatch.websub")
    async with GuardedClient(allow=[f"127.0.0.1:{site.port}"], timeout=5) as client:
        assert await subscribe_due(store, client, CALLBACK_BASE, [feed], at(0), POLICY) == 0
        sub = await get_subscription(store, callback_id(feed))
        assert sub["state"] == "failed" and "HTTP 404" in sub["error"]
        assert "subscription refused" in caplog.text and feed in caplog.text
        assert await subscribe_due(store, client, CALLBACK_BASE, [feed], at(100), POLICY) == 0
        assert (await get_subscription(store, callback_id(feed)))["attempts"] == 1
