"""The queries one poll is recorded with, inside the caller's transaction
(streams/runtime/polling.py opens one per poll): which entry keys are already stored, the new
entries added as pending, the feed's row written. Run in one transaction, either all are
written or none: a feed's ETag or Last-Modified never moves past entries that were not stored."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.records import FeedItem
from streams.store.db import Store
from streams.store.items import PENDING
from streams.store.schema import feeds, items

_CHUNK = 500  # bound on IN (...) lists and multi-row inserts (SQLite's variable limit)


async def seen_keys(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    """Those of `keys` the items table already holds."""
    seen: set[str] = set()
    keys = list(keys)
    for n in range(0, len(keys), _CHUNK):
        rows = await conn.execute(sa.select(items.c.key).where(items.c.key.in_(keys[n:n + _CHUNK])))
        seen.update(r[0] for r in rows)
    return seen


async def add_pending(
    store: Store, conn: AsyncConnection, entries: Sequence[FeedItem], recorded: dt.datetime
) -> None:
    """Add entries as pending (those already there are left alone)."""
    rows = [
        {"key": i.key, "feed": i.feed, "guid": i.guid, "link": i.link, "state": PENDING,
         "payload": i.to_dict(), "recorded": recorded}
        for i in entries
    ]
    for n in range(0, len(rows), _CHUNK):
        await conn.execute(store.insert_ignore(items, rows[n:n + _CHUNK]))


async def write_feed(
    store: Store,
    conn: AsyncConnection,
    url: str,
    columns: Mapping[str, Any],
    now: dt.datetime,
    new_entries: int = 0,
) -> None:
    """Set these columns of the feed's row (created, added `now`, if missing) and raise its
    items seen by `new_entries`. Every poll of every feed writes its row: one UPDATE by a
    statement built once per set of columns; the INSERT only for a feed without a row."""
    names = tuple(sorted(columns))
    params = {f"v_{name}": value for name, value in columns.items()}
    params["v_url"] = url
    if new_entries:
        params["v_new_entries"] = new_entries
    update = _feed_update(names, bool(new_entries))
    if (await conn.execute(update, params)).rowcount:
        return
    await conn.execute(store.ignoring(feeds), {"url": url, "added": now, "title": ""})
    await conn.execute(update, params)


@functools.lru_cache(maxsize=128)
def _feed_update(names: tuple[str, ...], counts: bool) -> Any:
    """UPDATE feeds SET these columns (and items_seen raised, if `counts`) for one URL, the
    values bound when executed (v_<column>, v_new_entries, v_url)."""
    values: dict[Any, Any] = {
        feeds.c[name]: sa.bindparam(f"v_{name}", type_=feeds.c[name].type) for name in names}
    if counts:
        values[feeds.c.items_seen] = feeds.c.items_seen + sa.bindparam(
            "v_new_entries", type_=sa.Integer)
    return sa.update(feeds).where(feeds.c.url == sa.bindparam("v_url")).values(values)
