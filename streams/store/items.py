"""Feed entries in the store: each is recorded before it is processed and marked after, so a
crash re-processes pending entries and a restart never processes a done one again."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from streams.records import FeedItem
from streams.store.db import Store, utcnow
from streams.store.schema import items

PENDING, DONE, FAILED = "pending", "done", "failed"


async def record_item(store: Store, item: FeedItem) -> bool:
    """Record a new entry as pending; False when this entry (feed + GUID) was seen before."""
    values = {
        "key": item.key,
        "feed": item.feed,
        "guid": item.guid,
        "link": item.link,
        "state": PENDING,
        "payload": item.asdict(),
        "recorded": utcnow(),
    }
    async with store.begin() as conn:
        result = await conn.execute(store.insert_ignore(items, values))
    return bool(result.rowcount)


async def seen_keys(store: Store, keys: list[str]) -> set[str]:
    """The subset of these entry keys already recorded (one query, for a whole feed)."""
    if not keys:
        return set()
    async with store.begin() as conn:
        rows = await conn.execute(sa.select(items.c.key).where(items.c.key.in_(keys)))
    return {r[0] for r in rows}


async def mark_item(store: Store, key: str, state: str, error: str | None = None) -> None:
    """Mark an entry done or failed (with the reason)."""
    async with store.begin() as conn:
        await conn.execute(
            sa.update(items)
            .where(items.c.key == key)
            .values(state=state, error=error, done=utcnow() if state == DONE else None)
        )


async def pending_items(
    store: Store, recorded_before: dt.datetime | None = None
) -> list[FeedItem]:
    """Entries recorded but not finished (only those recorded before a moment, if given):
    re-processed at start after a crash."""
    query = sa.select(items.c.payload).where(items.c.state == PENDING)
    if recorded_before is not None:
        query = query.where(items.c.recorded < recorded_before)
    async with store.begin() as conn:
        rows = await conn.execute(query.order_by(items.c.recorded))
    return [FeedItem.from_data(dict(r[0])) for r in rows]


async def count_items(store: Store) -> dict[str, int]:
    """How many entries are in each state."""
    async with store.begin() as conn:
        rows = await conn.execute(sa.select(items.c.state, sa.func.count()).group_by(items.c.state))
    return {state: n for state, n in rows}
