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
import operator
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
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
from streams.store.story_index import LAST, Entry, TypeIndex
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


class Found(NamedTuple):
    """A candidate story as `StoryBatch.candidates` finds it: `created` and `updated` as the
    driver reads them (to order and compare only); `told`: the article already told it."""

    id: str
    created: Any
    updated: Any
    told: bool


_OLDEST = operator.attrgetter("created", "id")


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
                         needs: Iterable[SideNeed] | None = None) -> list[Found]:
        """The stories in the windows (`closes` from closes_from to closes_until, `opened`
        on or before opened_until; with a limit, that many, the last to close first), each
        once, oldest first; `told`: the article already told it (a redelivery, or its other
        events saved before). With `needs`, only those the article told or that meet one of
        the needs of their type (after the limit: the same stories as without needs, less
        those no event can join). Their rows: `rows`. `created` and `updated` are as the
        driver reads them: to order and compare (`stamp`) only. Served from the store's
        index of the stories (streams/store/story_index.py), which reads what it lacks from
        the candidates' index first."""
        needs_by: dict[str, Needs] | None = None
        if needs is not None:
            by_type: dict[str, list[tuple[frozenset[str], int]]] = {}
            for need in needs:
                by_type.setdefault(need.type, []).append((need.sides, need.shared))
            needs_by = {t: needs_of(n) for t, n in by_type.items()}
        groups: dict[str, list[Window]] = {}
        for w in windows:
            groups.setdefault(w.type, []).append(w)
        if not groups:
            return []
        told = {r[0] for r in await self.conn.execute(_TOLD, {"article": article_id})}
        found: dict[str, Entry] = {}
        for type_, group in groups.items():
            index, far = await self._index(type_, group)
            wanted = _wanted(told, None if needs_by is None else needs_by.get(type_, ()))
            for w in group:
                below = index.floor is not None and w.closes_from.isoformat() < index.floor
                served = far if below else index
                found.update((e.id, e) for e in served.window(
                    w.closes_from, w.closes_until, w.opened_until, w.limit, wanted))
        return [Found(e.id, e.created, e.updated, e.id in told)
                for e in sorted(found.values(), key=_OLDEST)]

    async def _index(self, type_: str, windows: list[Window]) -> tuple[TypeIndex, TypeIndex]:
        """The type's index, holding the stories of the windows it keeps (a type this
        transaction did not lock: a new one, read for them alone), and for the windows
        starting below its floor an index passing with this article (else the same)."""
        index = self.store.story_index.types.get(type_)
        if index is None or index.version is None:
            index = TypeIndex()
        index.trim(max(w.closes_from for w in windows))
        lowest = min(w.closes_from for w in windows)
        gap = index.missing(lowest)
        if gap is not None:
            index.read(gap[0], await self._read(type_, *gap))
        if index.floor is None or lowest.isoformat() >= index.floor:
            return index, index
        return index, index.beside(await self._read(type_, lowest.isoformat(), index.floor))

    async def _read(self, type_: str, start: str, before: str | None) -> list[Entry]:
        """The type's stories closing from `start` to before `before` (None: no end)."""
        rows = await self.conn.execute(_READ, {"type": type_, "start": start,
                                               "before": before or LAST})
        return [Entry(r.closes, r.id, r.opened or LAST, r.sides or "", r.created, r.updated)
                for r in rows]

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
        stamp = self.stamp(now)
        for row in new:
            self._kept(row["id"], row, stamp, stamp)
        for row in changed:
            self._kept(row["story_id"], row, None, stamp)

    def _kept(self, story_id: str, row: Mapping[str, Any], created: Any, updated: Any) -> None:
        """A story saved (`created`: it is new, else None; both stamps as `stamp` makes
        them), into the store's index; a type whose index lacks the row of a story changed
        (its `created` unknown here) is read again when next asked."""
        index = self.store.story_index.types.get(row["type"])
        if index is None or index.version is None:
            return
        if created is None:
            old = index.entries.get(story_id)
            if old is None:
                if index.floor is not None and row["closes"] >= index.floor:
                    index.forget()
                return
            created = old.created
        index.put(Entry(row["closes"], story_id, row["opened"] or LAST, row["sides"], created,
                        updated))

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
_TOLD = sa.select(story_articles.c.story_id).where(
    story_articles.c.article_id == sa.bindparam("article"))
# A type's stories closing from `start` to before `before`, as the index keeps them; they
# are read from the candidates' index alone (`ix_stories_candidates`). Created and updated
# as the driver reads them (`stamp`): a candidate's are only ordered and compared.
_READ = sa.select(
    stories_table.c.id, stories_table.c.closes, stories_table.c.opened, stories_table.c.sides,
    sa.type_coerce(stories_table.c.created, sa.String).label("created"),
    sa.type_coerce(stories_table.c.updated, sa.String).label("updated"),
).where(stories_table.c.type == sa.bindparam("type"),
        stories_table.c.closes >= sa.bindparam("start"),
        stories_table.c.closes < sa.bindparam("before"))


@functools.lru_cache(maxsize=32)
def _lock(types: int) -> sa.TextClause:
    """Bump so many types' lock rows (:t0, :t1...; a new one inserted at version 1) and read
    their versions back: one statement, in SQL that SQLite and PostgreSQL both take (through
    SQLAlchemy's insert with RETURNING, many rows cost the article a third more)."""
    rows = ", ".join(f"(:t{i}, 1)" for i in range(types))
    table = story_locks.name
    return sa.text(f"INSERT INTO {table} (type, version) VALUES {rows} ON CONFLICT (type) "
                   f"DO UPDATE SET version = {table}.version + 1 RETURNING type, version")


@functools.cache
def _insert_ignore(is_sqlite: bool, table: sa.Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, its rows given when executed."""
    return (sqlite.insert if is_sqlite else postgresql.insert)(table).on_conflict_do_nothing()


@asynccontextmanager
async def story_batch(store: Store, types: Iterable[str]) -> AsyncIterator[StoryBatch]:
    """One transaction with the story lock of each event type taken (inside
    `Store.transaction()`, a part of that one: see `lock_story_types`)."""
    async with store.begin() as conn:  # (rolled back, it makes the store forget its index)
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
    # sorted: two workers lock in one order, no deadlock (the rows are taken in order)
    locked = sorted(set(types))
    # a transaction that holds these locks already (`lock_story_types`, an earlier article
    # of its batch) keeps them to its end: bumped again, they would cost a statement each
    # article and tell the index nothing new (nobody else writes these types meanwhile)
    memo = store.held_memo()
    held: set[str] | None = None if memo is None else memo.setdefault("story locks", set())
    if held is not None and held.issuperset(locked):
        return
    if locked:
        versions = await conn.execute(_lock(len(locked)),
                                      {f"t{i}": t for i, t in enumerate(locked)})
        store.story_index.locked({t: v for t, v in versions})
        if held is not None:
            held.update(locked)


def _wanted(told: set[str], needs: Needs | None) -> Callable[[Entry], bool]:
    """Whether a story of a window is a candidate: the article told it, or it meets one of
    the needs of its type (None: every story). Each sides value weighed once an article."""
    if needs is None:
        return lambda entry: True
    weighed: dict[str, bool] = {}

    def wanted(entry: Entry) -> bool:
        ok = weighed.get(entry.sides)
        if ok is None:
            ok = weighed[entry.sides] = meets(entry.sides, needs)
        return ok or entry.id in told

    return wanted


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
