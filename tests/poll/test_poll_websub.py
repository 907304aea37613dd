"""WebSub decisions (streams/poll/websub.py), hub discovery (connectors/poll.py) and the
recording of pushed content (streams/runtime/websub.py) over a real SQLite store: a
subscription is asked once and renewed before its lease ends; only a verification we asked
for is confirmed; content counts only when signed with the subscription's secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import httpx
from feeds_support import at, rss

from connectors.poll import parse_feed, websub_links
from streams.poll.websub import (
    ACCEPTING,
    WebSubPolicy,
    callback_id,
    requests_due,
    signature_ok,
    verification,
)
from streams.runtime.websub import receive
from streams.store.feeds import get_feed, remove_feed, update_feed
from streams.store.subscriptions import pushed_feeds, save_subscription

FEED = "http://news.example/feed.xml"
HUB = "http://hub.example/"
POLICY = WebSubPolicy(lease=3600, verify_within=300)
ATOM = '<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="{rel}" href="{href}"/>'


def row(**sub: object) -> dict[str, object]:
    base: dict[str, object] = {"url": FEED, "hub": HUB, "topic": FEED}
    return {**base, **{f"sub_{k}": v for k, v in sub.items()}}


def active(**extra: object) -> dict[str, object]:
    return row(state="active", hub=HUB, topic=FEED, secret="s3cret", attempts=0,
               callback_id=callback_id(FEED), lease_seconds=3600, expires=at(3600),
               requested=at(0), **extra)


def test_a_feed_with_a_hub_is_subscribed_once_with_a_fresh_secret():
    (req,) = requests_due([row()], at(0), POLICY)
    assert (req.hub, req.topic, req.state) == (HUB, FEED, "requested")
    assert req.callback_id == callback_id(FEED) and FEED not in req.callback_id
    assert len(req.secret) == 64 and requests_due([row()], at(0), POLICY)[0].secret != req.secret


def test_an_active_subscription_is_renewed_a_tenth_before_its_lease_ends():
    assert requests_due([active()], at(3000), POLICY) == []
    (renewal,) = requests_due([active()], at(3240), POLICY)
    assert renewal.state == "renewing" and renewal.secret == "s3cret"


def test_an_unverified_request_is_asked_again_after_a_growing_wait():
    waiting = row(state="requested", hub=HUB, topic=FEED, secret="s", attempts=0,
                  callback_id="c", requested=at(0))
    assert requests_due([waiting], at(200), POLICY) == []
    assert requests_due([waiting], at(300), POLICY)[0].attempts == 1
    refused = {**waiting, "sub_state": "failed", "sub_attempts": 5}
    assert requests_due([refused], at(1000), POLICY) == []  # 60 x 2^5 s
    assert requests_due([refused], at(1920), POLICY)[0].state == "requested"


def test_a_new_hub_means_a_new_subscription():
    moved = {**active(), "hub": "http://other-hub.example/"}
    (req,) = requests_due([moved], at(10), POLICY)
    assert req.hub == "http://other-hub.example/" and req.secret != "s3cret"


def test_the_challenge_is_echoed_only_for_a_request_awaiting_verification():
    sub = {"topic": FEED, "state": "requested", "lease_seconds": 3600}
    query = {"hub.mode": "subscribe", "hub.topic": FEED, "hub.challenge": "c-123",
             "hub.lease_seconds": "600"}
    answer = verification(sub, query, at(0), POLICY)
    assert (answer.status, answer.body) == (200, "c-123")
    assert answer.update["state"] == "active" and answer.update["expires"] == at(600)
    assert verification({**sub, "state": "active"}, query, at(0), POLICY).status == 404
    other = {**query, "hub.topic": "http://elsewhere.example/feed"}
    assert verification(sub, other, at(0), POLICY).status == 404
    assert verification(None, query, at(0), POLICY).status == 404
    unsubscribe = {**query, "hub.mode": "unsubscribe"}
    assert verification(sub, unsubscribe, at(0), POLICY).body != "c-123"


def test_a_denial_is_recorded_with_the_hubs_reason():
    sub = {"topic": FEED, "state": "requested"}
    answer = verification(sub, {"hub.mode": "denied", "hub.topic": FEED,
                                "hub.reason": "not allowed"}, at(0), POLICY)
    assert answer.update["state"] == "denied" and answer.update["error"] == "not allowed"


def test_signatures_are_the_hmac_of_the_body_with_the_secret():
    body = b"<rss/>"
    good = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert signature_ok("k", f"sha256={good}", body)
    assert signature_ok("k", "sha1=" + hmac.new(b"k", body, hashlib.sha1).hexdigest(), body)
    assert not signature_ok("k", f"sha256={good}", body + b" ")
    assert not signature_ok("other", f"sha256={good}", body)
    assert not signature_ok("k", None, body) and not signature_ok("k", f"md5={good}", body)


def test_hub_and_self_come_from_the_document_or_the_link_header():
    doc = rss([], extra=ATOM.format(rel="hub", href=HUB) + ATOM.format(rel="self", href=FEED))
    assert websub_links(parse_feed(doc, FEED), None) == (HUB, FEED)
    plain = parse_feed(rss([]), FEED)
    header = httpx.Headers({"Link": f'<{HUB}>; rel="hub", <{FEED}>; rel="self"'})
    assert websub_links(plain, header) == (HUB, FEED)
    assert websub_links(plain, None) == (None, None)
    hub_only = rss([], extra=ATOM.format(rel="hub", href=HUB))
    assert websub_links(parse_feed(hub_only, FEED), None) == (None, None)  # no self: no topic


async def test_pushed_content_is_recorded_only_when_signed_with_the_secret(store):
    await update_feed(store, FEED, hub=HUB, topic=FEED)
    await save_subscription(store, FEED, callback_id="cb1", hub=HUB, topic=FEED,
                            secret="s3cret", state="active", expires=at(3600))
    body = rss([{"guid": "urn:a", "title": "A", "pubDate": "Thu, 01 Jan 2026 00:00:00 GMT"},
                {"guid": "urn:b", "title": "B", "pubDate": "Thu, 01 Jan 2026 00:01:00 GMT"}])
    forged = "sha256=" + hmac.new(b"guess", body, hashlib.sha256).hexdigest()
    status, new = await receive(store, "cb1", forged, body, "application/rss+xml", at(90))
    assert status == 202 and new == []
    assert (await get_feed(store, FEED))["items_seen"] == 0
    signed = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    status, new = await receive(store, "cb1", signed, body, "application/rss+xml", at(90))
    assert status == 202 and sorted(i.guid for i in new) == ["urn:a", "urn:b"]
    feed = await get_feed(store, FEED)
    assert feed["items_seen"] == 2 and feed["entry_gap"] == 60.0
    assert feed["etag"] is None  # the poll's validators stay the poll's
    _, again = await receive(store, "cb1", signed, body, "application/rss+xml", at(95))
    assert again == []  # seen: not processed twice
    assert (await receive(store, "nope", signed, body, "application/rss+xml", at(95)))[0] == 410


async def test_a_feed_is_pushed_while_its_lease_runs(store):
    await save_subscription(store, FEED, callback_id="cb1", hub=HUB, topic=FEED,
                            secret="s", state="active", expires=at(3600))
    both = [FEED, "http://other.example/"]
    assert await pushed_feeds(store, both, at(0), ACCEPTING) == {FEED}
    after = at(3600) + dt.timedelta(seconds=1)
    assert await pushed_feeds(store, [FEED], after, ACCEPTING) == set()


def test_a_public_url_that_is_not_http_is_refused_naming_the_variable():
    import pytest

    from streams.config.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="NEWSWATCH_PUBLIC_URL: .*'ftp://news' is not"):
        load_settings(public_url="ftp://news")
    assert load_settings(public_url="https://news.example.org/").public_url \
        == "https://news.example.org"


async def test_a_removed_feeds_pushes_are_refused_as_gone(store):
    await update_feed(store, FEED, hub=HUB, topic=FEED)
    await save_subscription(store, FEED, callback_id="cb1", hub=HUB, topic=FEED,
                            secret="s3cret", state="active", expires=at(3600))
    assert await remove_feed(store, FEED)
    body = rss([{"guid": "urn:a", "title": "A"}])
    signed = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert await receive(store, "cb1", signed, body, "application/rss+xml", at(9)) == (410, [])
