"""What the dashboard reads of the items table: how many items each feed gave lately."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from streams.store.db import Store
from streams.store.schema import items


async def items_per_feed(store: Store, since: dt.datetime) -> dict[str, int]:
    """feed URL -> items recorded since `since` (feeds with none left out)."""
    query = (
        sa.select(items.c.feed, sa.func.count())
        .where(items.c.recorded >= since).group_by(items.c.feed)
    )
    async with store.begin() as conn:
        return {feed: int(n) for feed, n in (await conn.execute(query)).all()}
