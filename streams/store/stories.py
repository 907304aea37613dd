"""Stories in the store: the rows of the events and stories tables, read and written inside
one transaction per article. The store decides nothing: the runtime
(streams/runtime/stories.py) asks it for the candidates, has the pure matcher
(streams/stories/match.py) decide, and hands back the rows to save.

Race-free: `story_batch` first bumps a lock row per event type (a row lock on PostgreSQL,
the write lock on SQLite), so concurrent workers assign stories of a type one at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.records import Event
from streams.store.db import Store
from streams.store.schema import events as events_table
from streams.store.schema import stories as stories_table
from streams.store.schema import story_locks


class StoryBatch:
    """One article's transaction on the events and stories tables, its types locked."""

    def __init__(self, store: Store, conn: AsyncConnection) -> None:
        self.store = store
        self.conn = conn

    async def saved(self, ids: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """event id -> (story_id, story_new) of the events already saved."""
        rows = await self.conn.execute(
            sa.select(events_table.c.id, events_table.c.story_id, events_table.c.payload)
            .where(events_table.c.id.in_(list(ids)))
        )
        return {r.id: (r.story_id, bool((r.payload or {}).get("story_new"))) for r in rows}

    async def candidates(self, bounds: Mapping[str, dt.date]) -> list[dict[str, Any]]:
        """Rows of the stories of each type whose `closes` is on or after its bound, oldest
        first."""
        if not bounds:
            return []
        rows = await self.conn.execute(
            sa.select(stories_table).where(sa.or_(*(
                sa.and_(stories_table.c.type == etype, stories_table.c.closes >= low.isoformat())
                for etype, low in sorted(bounds.items())
            ))).order_by(stories_table.c.created, stories_table.c.id)
        )
        return [dict(r._mapping) for r in rows]

    async def save_story(
        self, story_id: str, values: Mapping[str, Any], *, new: bool, article_id: str,
        now: dt.datetime,
    ) -> None:
        """Insert a story opened by `article_id`, or update one, with these column values."""
        if new:
            row = {"id": story_id, "first_article": article_id, "created": now,
                   **values, "updated": now}
            await self.conn.execute(self.store.insert_ignore(stories_table, row))
        else:
            await self.conn.execute(sa.update(stories_table).where(
                stories_table.c.id == story_id).values(**values, updated=now))

    async def save_events(self, events: Iterable[Event], now: dt.datetime) -> None:
        """Insert the events (with their story ids); one already saved is left as it is."""
        rows = [_event_row(e, now) for e in events]
        if rows:
            await self.conn.execute(self.store.insert_ignore(events_table, rows))


@asynccontextmanager
async def story_batch(store: Store, types: Iterable[str]) -> AsyncIterator[StoryBatch]:
    """One transaction with the story lock of each event type taken."""
    async with store.begin() as conn:
        insert = sqlite.insert if store.is_sqlite else postgresql.insert
        for etype in sorted(set(types)):  # sorted: two workers lock in one order, no deadlock
            stmt = insert(story_locks).values(type=etype, version=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=["type"], set_={"version": story_locks.c.version + 1}
            )
            await conn.execute(stmt)
        yield StoryBatch(store, conn)


def _event_row(event: Event, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": event.id,
        "article_id": event.article_id,
        "story_id": event.story_id,
        "type": event.type,
        "date": event.date,
        "status": event.status,
        "payload": event.to_dict(),
        "created": now,
    }


async def story_row(store: Store, story_id: str) -> dict[str, Any] | None:
    """One stories row as plain values, or None."""
    async with store.begin() as conn:
        row = (
            await conn.execute(sa.select(stories_table).where(stories_table.c.id == story_id))
        ).first()
    return dict(row._mapping) if row else None
