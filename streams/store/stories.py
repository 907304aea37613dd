"""Stories in the store: give each event of an article its story, save the events, and
create or update the stories they tell. The store only loads the candidates (stories of the
article's types still open, by their `closes` date) and saves the result; the pure matcher
(streams/stories/match.py) decides.

Race-free: one transaction per article that first bumps a lock row per event type (a row
lock on PostgreSQL, the write lock on SQLite), so concurrent workers assign stories of a
type one at a time. Idempotent: a redelivered article finds its events saved and gets the
same story ids back, with no new rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.records import Article, Event
from streams.knowledge.gazetteer import Gazetteer
from streams.store.db import Store, utcnow
from streams.store.schema import events as events_table
from streams.store.schema import stories as stories_table
from streams.store.schema import story_locks
from streams.stories.match import closes, match_article, published_day, since
from streams.stories.state import StoryState

_gazetteer: Gazetteer | None = None


def use_gazetteer(gazetteer: Gazetteer) -> None:
    """Set the gazetteer story matching uses when assign_stories is given none (the
    composition root, streams/runtime/bootstrap.py, calls it)."""
    global _gazetteer
    _gazetteer = gazetteer


def _gaz(gazetteer: Gazetteer | None) -> Gazetteer:
    found = gazetteer or _gazetteer
    if found is None:
        raise RuntimeError("story matching needs a gazetteer: pass one, or call use_gazetteer")
    return found


async def assign_stories(
    store: Store, article: Article, events: list[Event], gazetteer: Gazetteer | None = None
) -> list[Event]:
    """The events with story_id and story_new set; events and stories saved."""
    if not events:
        return []
    gazetteer = _gaz(gazetteer)
    async with store.begin() as conn:
        await _lock(store, conn, sorted({e.type for e in events}))
        saved = await _saved(conn, [e.id for e in events])
        if len(saved) == len({e.id for e in events}):
            return [_with_story(e, *saved[e.id]) for e in events]  # a redelivery
        today = utcnow().date()
        bounds = since([e for e in events if e.id not in saved], published_day(article, today))
        candidates = await _candidates(conn, bounds)
        matching = match_article(article, events, candidates, gazetteer, today, saved)
        now = utcnow()
        for story in matching.touched.values():
            await _save_story(store, conn, story, article.id, now, story.id in matching.opened)
        rows = [_event_row(e, now) for e in matching.events if e.id not in saved]
        await conn.execute(store.insert_ignore(events_table, rows))
        return matching.events


async def _lock(store: Store, conn: AsyncConnection, types: list[str]) -> None:
    insert = sqlite.insert if store.is_sqlite else postgresql.insert
    for etype in types:  # sorted: two workers take the locks in one order, no deadlock
        stmt = insert(story_locks).values(type=etype, version=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["type"], set_={"version": story_locks.c.version + 1}
        )
        await conn.execute(stmt)


async def _saved(conn: AsyncConnection, ids: list[str]) -> dict[str, tuple[str, bool]]:
    rows = await conn.execute(
        sa.select(events_table.c.id, events_table.c.story_id, events_table.c.payload).where(
            events_table.c.id.in_(ids)
        )
    )
    return {r.id: (r.story_id, bool((r.payload or {}).get("story_new"))) for r in rows}


async def _candidates(conn: AsyncConnection, bounds: dict[str, dt.date]) -> list[StoryState]:
    """Stories of each type still open on its bound (streams/stories/match.py `since`)."""
    if not bounds:
        return []
    rows = await conn.execute(
        sa.select(stories_table).where(
            sa.or_(*(
                sa.and_(stories_table.c.type == etype, stories_table.c.closes >= low.isoformat())
                for etype, low in sorted(bounds.items())
            ))
        ).order_by(stories_table.c.created, stories_table.c.id)
    )
    return [_state(r) for r in rows]


def _state(row: Any) -> StoryState:
    summary = row.summary or {}
    first = dt.date.fromisoformat(row.anchor)
    return StoryState(
        id=row.id,
        type=row.type,
        actors=list(row.actors or []),
        location=list(row.location or []),
        first=first,
        last=dt.date.fromisoformat(summary.get("last") or row.anchor),
        date=row.date,
        articles=list(summary.get("article_ids") or []),
        sources=list(row.sources or []),
        quantities=dict(summary.get("quantities") or {}),
        status=str(summary.get("status") or "occurred"),
        opened=_day(summary.get("opened")),
        seen=_day(summary.get("seen")),
        sides=list(summary.get("sides") or []),
        topic=list(summary.get("topic") or []),
        authority=list(summary.get("authority") or []),
        agreed=bool(summary.get("agreed")),
        hours=summary.get("hours"),
        start=summary.get("start"),
    )


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


async def _save_story(
    store: Store,
    conn: AsyncConnection,
    story: StoryState,
    article_id: str,
    now: dt.datetime,
    new: bool,
) -> None:
    values = {
        "type": story.type,
        "actors": story.actors,
        "location": story.location,
        "date": story.date,
        "anchor": story.first.isoformat(),
        "closes": closes(story).isoformat(),
        "sources": story.sources,
        "articles": len(story.articles),
        "summary": {
            "last": story.last.isoformat(),
            "article_ids": story.articles,
            "quantities": story.quantities,
            "status": story.status,
            "date": story.date,
            "opened": story.opened.isoformat() if story.opened else None,
            "seen": story.seen.isoformat() if story.seen else None,
            "sides": story.sides,
            "topic": story.topic,
            "authority": story.authority,
            "agreed": story.agreed,
            "hours": story.hours,
            "start": story.start,
        },
        "updated": now,
    }
    if new:
        row = {"id": story.id, "first_article": article_id, "created": now, **values}
        await conn.execute(store.insert_ignore(stories_table, row))
    else:
        await conn.execute(
            sa.update(stories_table).where(stories_table.c.id == story.id).values(**values)
        )


def _with_story(event: Event, story_id: str, new: bool) -> Event:
    return replace(event, story_id=story_id, story_new=new)


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


async def load_story(store: Store, story_id: str) -> StoryState | None:
    """One story as the store holds it, or None."""
    async with store.begin() as conn:
        row = (
            await conn.execute(sa.select(stories_table).where(stories_table.c.id == story_id))
        ).first()
    return _state(row) if row else None
