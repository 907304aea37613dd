"""One poll recorded in one transaction: the feed's new entries (pending) and its row (status,
validators, items seen, next attempt). Either both are written or neither: a feed's ETag or
Last-Modified never moves past entries that were not stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from streams.core.records import FeedItem
from streams.store.db import Store, utcnow
from streams.store.items import PENDING
from streams.store.schema import feeds, items

_CHUNK = 500  # bound on IN (...) lists and multi-row inserts (SQLite's variable limit)


async def record_poll(
    store: Store,
    url: str,
    values: dict[str, Any],
    entries: list[FeedItem],
    now: dt.datetime,
    if_new: dict[str, Any] | None = None,
) -> list[FeedItem]:
    """Record the entries not seen before and write the feed's row with `values` (plus
    `if_new` when there were new entries, and the items seen raised by their number), all
    in one transaction. Returns the new entries; raises the store's error, having written
    nothing, when the store fails."""
    recorded = utcnow()  # real time, as liveness and the re-send sweep measure it
    async with store.begin() as conn:
        seen: set[str] = set()
        keys = [i.key for i in entries]
        for n in range(0, len(keys), _CHUNK):
            rows = await conn.execute(
                sa.select(items.c.key).where(items.c.key.in_(keys[n:n + _CHUNK]))
            )
            seen.update(r[0] for r in rows)
        new = [i for i in entries if i.key not in seen]
        rows_new = [
            {"key": i.key, "feed": i.feed, "guid": i.guid, "link": i.link, "state": PENDING,
             "payload": i.to_dict(), "recorded": recorded}
            for i in new
        ]
        for n in range(0, len(rows_new), _CHUNK):
            await conn.execute(store.insert_ignore(items, rows_new[n:n + _CHUNK]))
        await conn.execute(store.insert_ignore(feeds, {"url": url, "added": now, "title": ""}))
        update = dict(values)
        if new:
            update.update(if_new or {})
            update["items_seen"] = feeds.c.items_seen + len(new)
        await conn.execute(sa.update(feeds).where(feeds.c.url == url).values(**update))
    return new
