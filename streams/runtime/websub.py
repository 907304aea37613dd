"""WebSub around the pure decisions (streams/poll/websub.py): send the subscription requests
that are due, answer a hub's verification, and record pushed content exactly as a poll
would: the new entries as pending together with the feed's row, in one transaction. Polling
goes on at the ceiling for a pushed feed, as a safety net (streams/poll/decide.py)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.poll import feed_items, parse_feed
from connectors.websub import subscribe
from streams.core.clock import utcnow
from streams.core.records import FeedItem
from streams.poll.decide import FeedState, decide_push
from streams.poll.websub import ACCEPTING, WebSubPolicy, requests_due, signature_ok, verification
from streams.store.db import Store
from streams.store.feeds import get_feed
from streams.store.polls import add_pending, seen_keys, write_feed
from streams.store.subscriptions import get_subscription, hub_feeds, save_subscription

__all__ = ["WebSubPolicy", "callback_url", "receive", "subscribe_due", "verify"]

log = logging.getLogger("newswatch.websub")


def callback_url(public_url: str, callback_id: str) -> str:
    return f"{public_url.rstrip('/')}/websub/{callback_id}"


async def subscribe_due(
    store: Store, client: httpx.AsyncClient, public_url: str, feeds: list[str],
    now: dt.datetime, policy: WebSubPolicy,
) -> int:
    """Send the subscription (and renewal) requests due among `feeds`; returns how many the
    hubs accepted. Each is stored before it is sent: a hub may verify before it answers."""
    accepted = 0
    for req in requests_due(await hub_feeds(store, feeds), now, policy):
        await save_subscription(
            store, req.feed, callback_id=req.callback_id, hub=req.hub, topic=req.topic,
            secret=req.secret, state=req.state, requested=now, attempts=req.attempts,
            lease_seconds=policy.lease,
        )
        error = await subscribe(
            client, req.hub, req.topic, callback_url(public_url, req.callback_id), req.secret,
            policy.lease,
        )
        if error is None:
            accepted += 1
            log.info("feed %s: subscription %s to hub %s",
                     req.feed, "renewal asked" if req.state == "renewing" else "asked", req.hub)
            continue
        state = "renewing" if req.state == "renewing" else "failed"
        await save_subscription(store, req.feed, state=state, attempts=req.attempts + 1,
                                error=error)
        log.warning("feed %s: subscription refused: %s (polled as before)", req.feed, error)
    return accepted


async def verify(
    store: Store, callback_id: str, query: Mapping[str, str], now: dt.datetime,
    policy: WebSubPolicy,
) -> tuple[int, str]:
    """Answer a hub's verification GET: (status, body)."""
    sub = await get_subscription(store, callback_id)
    answer = verification(sub, query, now, policy)
    if sub is not None and answer.update:
        await save_subscription(store, sub["feed"], **answer.update)
    if answer.status == 200 and answer.update.get("state") == "active":
        log.info("feed %s: subscription verified by %s, lease %s s",
                 sub["feed"] if sub else "?", query.get("hub.topic"),
                 answer.update["lease_seconds"])
    elif answer.log:
        log.warning("websub callback %s: verification refused: %s", callback_id, answer.log)
    return answer.status, answer.body


async def receive(
    store: Store, callback_id: str, signature: str | None, body: bytes, content_type: str,
    now: dt.datetime,
) -> tuple[int, list[FeedItem]]:
    """Take content a hub pushed: (status to answer, new entries recorded as pending).
    Unsigned or wrongly signed content is ignored (2xx all the same, as section 8 asks,
    so a forger learns nothing), with one log line; nothing is recorded."""
    sub = await get_subscription(store, callback_id)
    if sub is None:
        log.warning("websub callback %s: content refused: no such subscription", callback_id)
        return 410, []
    if sub["state"] not in ACCEPTING:
        log.warning("feed %s: pushed content refused: subscription is %s", sub["feed"],
                    sub["state"])
        return 410, []
    if not signature_ok(sub["secret"], signature, body):
        log.warning("feed %s: pushed content refused: %s X-Hub-Signature (%d bytes ignored)",
                    sub["feed"], "bad" if signature else "no", len(body))
        return 202, []
    try:
        parsed = parse_feed(body, sub["topic"], httpx.Headers({"content-type": content_type}))
    except ValueError as exc:
        log.warning("feed %s: pushed content refused: %s", sub["feed"], exc)
        return 202, []
    return 202, await _record(store, sub["feed"], feed_items(sub["feed"], parsed), now)


async def _record(
    store: Store, url: str, entries: list[FeedItem], now: dt.datetime
) -> list[FeedItem]:
    """The pushed entries not seen before, recorded with the feed's row in one transaction."""
    row: dict[str, Any] | None = await get_feed(store, url)
    state = FeedState.from_row(url, row)
    async with store.begin() as conn:
        seen = await seen_keys(conn, [e.key for e in entries])
        decision = decide_push(state, entries, seen, now)
        await add_pending(store, conn, decision.new, utcnow())
        if decision.columns or decision.new:
            await write_feed(store, conn, url, decision.columns, now, len(decision.new))
    if decision.new:
        log.info("feed %s: %d new entries pushed by its hub", url, len(decision.new))
    return decision.new
