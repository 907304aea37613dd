"""Stories in the store: the rows of the events, stories and story_articles tables, read
and written inside one transaction per article. The store decides nothing: the runtime
(streams/runtime/stories.py) asks it for the candidates, has the pure matcher
(streams/stories/match.py) decide, and hands back the rows to save.

Race-free: `story_batch` first bumps a lock row per event type (a row lock on PostgreSQL,
the write lock on SQLite), so concurrent workers assign stories of a type one at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.records import Event
from streams.store.db import Store
from streams.store.schema import events as events_table
from streams.store.schema import stories as stories_table
from streams.store.schema import story_articles, story_locks
from streams.store.story_sides import Needs, meets, needs_of, sides_column


class Window(Protocol):
    """Which stories of a type to load (streams/stories/match.py Window decides them)."""

    @property
    def type(self) -> str: ...
    @property
    def closes_from(self) -> dt.date: ...
    @property
    def closes_until(self) -> dt.date: ...
    @property
    def opened_until(self) -> dt.date: ...
    @property
    def limit(self) -> int | None: ...


class SideNeed(Protocol):
    """What a candidate of a type must share with an event (streams/stories/match.py Sides):
    at least `shared` of `sides`, or all of its own when it has fewer."""

    @property
    def type(self) -> str: ...
    @property
    def sides(self) -> frozenset[str]: ...
    @property
    def shared(self) -> int: ...


class StoryBatch:
    """One article's transaction on the events and stories tables, its types locked."""

    def __init__(self, store: Store, conn: AsyncConnection) -> None:
        self.store = store
        self.conn = conn

    async def saved(self, ids: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """event id -> (story_id, story_new) of the events already saved."""
        rows = await self.conn.execute(_SAVED, {"ids": list(ids)})
        return {r.id: (r.story_id, bool((r.payload or {}).get("story_new"))) for r in rows}

    async def candidates(self, windows: Iterable[Window], article_id: str,
                         needs: Iterable[SideNeed] | None = None) -> list[dict[str, Any]]:
        """{id, created, updated, told} of the stories in the windows (`closes` from
        closes_from to closes_until, `opened` on or before opened_until; with a limit, that
        many, the last to close first), each once, oldest first; `told`: the article already
        told it (a redelivery, or its other events saved before). With `needs`, only those
        the article told or that meet one of the needs of their type (after the limit: the
        same stories as without needs, less those no event can join). Their rows: `rows`.
        `created` and `updated` are as the driver reads them: to order and compare (`stamp`)
        only."""
        wanted: dict[str, Needs] | None = None
        if needs is not None:
            by_type: dict[str, list[tuple[frozenset[str], int]]] = {}
            for need in needs:
                by_type.setdefault(need.type, []).append((need.sides, need.shared))
            wanted = {t: needs_of(n) for t, n in by_type.items()}
        # the windows without a limit in one query, each with a limit in its own
        plain = [w for w in windows if w.limit is None]
        groups: list[tuple[int | None, list[Window]]] = [(None, plain)] if plain else []
        groups += [(w.limit, [w]) for w in windows if w.limit is not None]
        found: dict[str, dict[str, Any]] = {}
        for limit, group in groups:
            shape = Shape(limit, _slots(len(group)))
            params: dict[str, Any] = {"article": article_id}
            for i in range(shape.windows):  # the slots beyond the group's: NULL
                params |= _window_params(f"w{i}", group[i] if i < len(group) else None)
            result = await self.conn.execute(_candidates_query(shape), params)
            for story_id, type_, sides, created, updated, told in result:  # (rows unpack)
                if story_id in found or not (told or wanted is None
                                             or meets(sides, wanted.get(type_, ()))):
                    continue  # (a type no event needs: no story meets its none)
                found[story_id] = {"id": story_id, "created": created, "updated": updated,
                                   "told": told}
        return sorted(found.values(), key=lambda r: (r["created"], r["id"]))

    def stamp(self, updated: dt.datetime) -> Any:
        """The `updated` that `candidates` reads back from a row saved with this one (it
        hands the column's values over as the database driver reads them: no conversion per
        candidate, and in one form, fixed in width, that orders as the times do)."""
        dialect = self.conn.dialect
        write = stories_table.c.updated.type.dialect_impl(dialect).bind_processor(dialect)
        return write(updated) if write else updated

    async def rows(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> the stories row, of these ids."""
        wanted = list(ids)
        if not wanted:
            return {}
        return {r.id: dict(r._mapping) for r in await self.conn.execute(_ROWS, {"ids": wanted})}

    async def save_stories(self, stories: Mapping[str, Mapping[str, Any]], opened: Iterable[str],
                           *, article_id: str, now: dt.datetime) -> None:
        """Insert the stories `opened` (by `article_id`), update the others: id -> column
        values. One statement each, for all of them."""
        new, changed = [], []
        fresh = set(opened)
        for story_id, values in stories.items():
            row = {**values, "sides": sides_column(values.get("sides") or []), "updated": now}
            if story_id in fresh:
                new.append({"id": story_id, "first_article": article_id, "created": now, **row})
            else:
                changed.append({"story_id": story_id, **row})
        if new:
            await self.conn.execute(_insert_ignore(self.store.is_sqlite, stories_table), new)
        if changed:
            await self.conn.execute(_UPDATE_STORY, changed)

    async def save_told(self, story_ids: Iterable[str], article: Mapping[str, Any],
                        now: dt.datetime) -> None:
        """The article ({id, source, published}) among the articles of these stories (once)."""
        rows = [{"story_id": sid, "article_id": article["id"], "source": article["source"],
                 "published": article["published"], "added": now} for sid in story_ids]
        if rows:
            await self.conn.execute(_insert_ignore(self.store.is_sqlite, story_articles), rows)

    async def save_events(self, events: Iterable[Event], now: dt.datetime) -> None:
        """Insert the events (with their story ids); one already saved is left as it is."""
        rows = [_event_row(e, now) for e in events]
        if rows:
            await self.conn.execute(_insert_ignore(self.store.is_sqlite, events_table), rows)


# Statements built once, their rows passed as parameters (one executemany), so that the
# same statement is not built and compiled again for every article.
_UPDATE_STORY = sa.update(stories_table).where(stories_table.c.id == sa.bindparam("story_id"))
_SAVED = sa.select(events_table.c.id, events_table.c.story_id, events_table.c.payload).where(
    events_table.c.id.in_(sa.bindparam("ids", expanding=True)))
_ROWS = sa.select(stories_table).where(stories_table.c.id.in_(sa.bindparam("ids", expanding=True)))


@functools.cache
def _lock(is_sqlite: bool) -> Any:
    """Bump a type's lock row (insert it at version 1)."""
    insert = (sqlite.insert if is_sqlite else postgresql.insert)(story_locks)
    return insert.on_conflict_do_update(index_elements=["type"],
                                        set_={"version": story_locks.c.version + 1})


@functools.cache
def _insert_ignore(is_sqlite: bool, table: sa.Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, its rows given when executed."""
    return (sqlite.insert if is_sqlite else postgresql.insert)(table).on_conflict_do_nothing()


@asynccontextmanager
async def story_batch(store: Store, types: Iterable[str]) -> AsyncIterator[StoryBatch]:
    """One transaction with the story lock of each event type taken (inside
    `Store.transaction()`, a part of that one: see `lock_story_types`)."""
    async with store.begin() as conn:
        await _take_locks(store, conn, types)
        yield StoryBatch(store, conn)


async def lock_story_types(store: Store, types: Iterable[str]) -> None:
    """Take the story lock of each type for the transaction held (`Store.transaction()`),
    before a batch of articles is given its stories in it: every type the batch will lock,
    taken first and in one order, so that two workers' batches cannot deadlock (each
    article's `story_batch` then finds its types held by its own transaction)."""
    async with store.begin() as conn:
        await _take_locks(store, conn, types)


async def _take_locks(store: Store, conn: AsyncConnection, types: Iterable[str]) -> None:
    # sorted: two workers lock in one order, no deadlock (executemany runs them in order)
    locks = [{"type": t, "version": 1} for t in sorted(set(types))]
    if locks:
        await conn.execute(_lock(store.is_sqlite), locks)


class Shape(NamedTuple):
    """The candidates query's shape: its limit, and slots for so many windows (a power of
    two, the slots an article does not fill bound to NULL, which meets nothing): a few
    shapes serve every article, each built and compiled once."""

    limit: int | None
    windows: int


def _slots(n: int) -> int:
    """The power of two at or above n (0 for 0)."""
    return 0 if n <= 0 else 1 << (n - 1).bit_length()


@functools.lru_cache(maxsize=64)
def _candidates_query(shape: Shape) -> sa.Select[Any]:
    """The candidates query of windows ORed (with a limit: one window), its values bound
    (`_window_params`): built once per shape, then only its values change from one article
    to the next. A window bound to NULL matches nothing (NULL in a WHERE is not true, and
    every condition here is ANDed or ORed, never negated). It reads the candidates' index
    alone (`ix_stories_candidates`), the sides included: `candidates` keeps those the
    article told or that meet a need (streams/store/story_sides.py `meets`)."""
    c = stories_table.c
    told = c.id.in_(sa.select(story_articles.c.story_id)
                    .where(story_articles.c.article_id == sa.bindparam("article")))
    # created and updated as the driver reads them (`stamp`): a candidate's are only
    # ordered and compared, never converted
    loaded = sa.select(c.id, c.type, c.sides,
                       sa.type_coerce(c.created, sa.String).label("created"),
                       sa.type_coerce(c.updated, sa.String).label("updated"), told.label("told"))
    wheres = []
    for i in range(shape.windows):
        where = sa.and_(c.type == sa.bindparam(f"w{i}type"),
                        c.closes.between(sa.bindparam(f"w{i}closes"), sa.bindparam(f"w{i}until")),
                        c.opened <= sa.bindparam(f"w{i}opened"))
        if shape.limit is not None:
            last = (sa.select(c.id).where(where).order_by(c.closes.desc(), c.id)
                    .limit(shape.limit).scalar_subquery())
            return loaded.where(c.id.in_(last))
        wheres.append(where)
    return loaded.where(sa.or_(*wheres))


def _window_params(key: str, window: Window | None) -> dict[str, Any]:
    """The values of a window's slots (None: an unused window)."""
    return {f"{key}type": window and window.type,
            f"{key}closes": window and window.closes_from.isoformat(),
            f"{key}until": window and window.closes_until.isoformat(),
            f"{key}opened": window and window.opened_until.isoformat()}


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


async def story_article_ids(store: Store, story_id: str) -> list[str]:
    """The ids of a story's articles, in the order they joined it."""
    async with store.begin() as conn:
        rows = await conn.execute(
            sa.select(story_articles.c.article_id).where(story_articles.c.story_id == story_id)
            .order_by(story_articles.c.added, story_articles.c.article_id))
        return [r.article_id for r in rows]
