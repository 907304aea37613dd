"""The subscriptions table: one WebSub subscription per feed (its hub, topic, secret, the
request awaiting the hub's verification, the lease's end). Stores; decides nothing: what to
request and what to accept is streams/poll/websub.py's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from streams.core.clock import aware
from streams.store.db import Store
from streams.store.schema import feeds, subscriptions

_TIMES = ("requested", "expires", "sub_requested", "sub_expires")


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for name in _TIMES:
        if isinstance(out.get(name), dt.datetime):
            out[name] = aware(out[name])
    return out


async def hub_feeds(store: Store, urls: list[str]) -> list[dict[str, Any]]:
    """The feeds among `urls` that advertise a hub, with their subscription's columns
    (prefixed `sub_`, None when there is none)."""
    if not urls:
        return []
    s = subscriptions
    query = (
        sa.select(
            feeds.c.url, feeds.c.hub, feeds.c.topic,
            *(c.label(f"sub_{c.name}") for c in s.c if c.name != "feed"),
        )
        .select_from(feeds.outerjoin(s, s.c.feed == feeds.c.url))
        .where(feeds.c.url.in_(urls), feeds.c.hub.is_not(None))
    )
    async with store.begin() as conn:
        rows = await conn.execute(query)
    return [_row(r) for r in rows]


async def get_subscription(store: Store, callback_id: str) -> dict[str, Any] | None:
    """The subscription behind a callback id, or None."""
    async with store.begin() as conn:
        row = (await conn.execute(
            sa.select(subscriptions).where(subscriptions.c.callback_id == callback_id)
        )).first()
    return _row(row) if row is not None else None


async def save_subscription(store: Store, feed: str, **values: Any) -> None:
    """Create or update a feed's subscription with these columns."""
    async with store.begin() as conn:
        exists = await conn.scalar(
            sa.select(sa.func.count()).select_from(subscriptions)
            .where(subscriptions.c.feed == feed)
        )
        if exists:
            await conn.execute(
                sa.update(subscriptions).where(subscriptions.c.feed == feed).values(**values)
            )
        else:
            await conn.execute(sa.insert(subscriptions).values(feed=feed, **values))


async def pushed_feeds(
    store: Store, urls: list[str], now: dt.datetime, states: tuple[str, ...]
) -> set[str]:
    """The feeds among `urls` whose subscription is in one of `states` (those in which a
    hub pushes) with its lease not over."""
    if not urls:
        return set()
    s = subscriptions
    async with store.begin() as conn:
        rows = await conn.execute(
            sa.select(s.c.feed, s.c.expires).where(s.c.feed.in_(urls), s.c.state.in_(states))
        )
    return {r.feed for r in rows if r.expires is not None and aware(r.expires) > now}
