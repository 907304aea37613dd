"""The store: one SQLAlchemy async engine over SQLite (embedded) or PostgreSQL (cluster)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from streams.core.errors import StoreError  # the store's errors: streams.core.errors
from streams.store.migrate import MigrationError, migrate
from streams.store.story_index import StoryIndex

__all__ = ["Store", "StoreError"]

# The transaction Store.transaction() holds open: (its store, the task holding it, its
# connection, its memo: `Store.held_memo`). A task started inside copies this variable but
# is another task: it never shares the connection.
_HELD: ContextVar[tuple[Store, asyncio.Task[Any] | None, AsyncConnection, dict[str, Any]]
                  | None] = ContextVar("newswatch_store_transaction", default=None)


def _normalise_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


class Store:
    """Owns the engine; the functions in the sibling modules take it as first argument."""

    def __init__(self, url: str) -> None:
        self.url = _normalise_url(url)
        self._engine: AsyncEngine | None = None
        self._ignoring: dict[str, Any] = {}
        # what story candidates need of each story, kept (streams/store/story_index.py)
        self.story_index = StoryIndex()

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise StoreError(f"store {self.url} is not open")
        return self._engine

    async def open(self) -> Store:
        """Create the engine and the tables (idempotent)."""
        if self.is_sqlite:
            path = self.url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._engine = create_async_engine(self.url, **self._engine_options())
            if self.is_sqlite:
                event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
            async with self._engine.begin() as conn:
                await migrate(conn)  # Alembic, the same for SQLite and PostgreSQL
        except (sa.exc.SQLAlchemyError, OSError, MigrationError) as exc:
            raise StoreError(f"cannot open store {self.url}: {exc}") from exc
        return self

    def _engine_options(self) -> dict[str, Any]:
        if self.url.startswith("sqlite+aiosqlite"):
            from streams.store.sqlite_driver import one_hop_dbapi

            # statements run on the loop's thread (a hop to the connection's thread only to
            # wait for a lock, up to SQLITE_BUSY_MS); the connection used last is taken
            # first, so its page cache (SQLITE_CACHE_KIB each) stays warm rather than each
            # connection of the pool caching the same pages in turn
            return {"module": one_hop_dbapi(SQLITE_BUSY_MS), "pool_use_lifo": True}
        return {}

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed on success, rolled back on error. Inside
        `transaction()` (in the same task), a part of that one instead."""
        held = self._held()
        if held is not None:
            yield held
            return
        async with self._begin() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction for a whole step: the store functions it calls (in this task)
        write in it instead of each in its own, so the step is stored entirely or not at
        all, at the cost of one commit. Committed at the end, rolled back when the step
        raises (a store error inside is the step's: do not catch it inside). Nested: part
        of the outer one."""
        held = self._held()
        if held is not None:
            yield held
            return
        async with self._begin() as conn:
            token = _HELD.set((self, asyncio.current_task(), conn, {}))
            try:
                yield conn
            finally:
                _HELD.reset(token)

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        """The engine's transaction; one rolled back voids what the stories' index kept of
        it (streams/store/story_index.py): the index is forgotten."""
        try:
            async with self.engine.begin() as conn:
                yield conn
        except BaseException:
            self.story_index.forget()
            raise

    def _held(self) -> AsyncConnection | None:
        held = self._holding()
        return None if held is None else held[2]

    def held_memo(self) -> dict[str, Any] | None:
        """What the store functions keep for the rest of the transaction `transaction()`
        holds (in this task): the story types it locked, the silences it read. None outside
        one. It ends with the transaction, committed or rolled back."""
        held = self._holding()
        return None if held is None else held[3]

    def _holding(self) -> tuple[Store, asyncio.Task[Any] | None, AsyncConnection,
                                dict[str, Any]] | None:
        """The transaction this store holds in this task, if any."""
        held = _HELD.get()
        if held is None or held[0] is not self or held[1] is not asyncio.current_task():
            return None
        return held

    def insert_ignore(self, table: sa.Table, values: dict[str, Any] | list[dict[str, Any]]) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING for this store's dialect."""
        dialect_insert = sqlite.insert if self.is_sqlite else postgresql.insert
        return dialect_insert(table).values(values).on_conflict_do_nothing()

    def ignoring(self, table: sa.Table) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING into `table`, built once: execute it with one
        row's values (a dict) as parameters. Cheaper than insert_ignore on a hot path: a
        statement built per call costs the main process about as much as running it."""
        statement = self._ignoring.get(table.name)
        if statement is None:
            dialect_insert = sqlite.insert if self.is_sqlite else postgresql.insert
            statement = dialect_insert(table).on_conflict_do_nothing()
            self._ignoring[table.name] = statement
        return statement


# SQLite's page cache, per connection (KiB). The default 2 MB is outgrown within weeks of
# stories: the indexes every article writes to and reads (events, story_articles, the open
# stories: some 13 MB after a simulated year) no longer fit, and each article reads their
# pages back from the file, so it costs more the larger the store. 16 MB holds them; it
# adds about 20 MB to peak memory over that year (tests/bench/bench_stories.py: 1.15x, bar
# 1.2x); 32 MB went over that bar (1.27x).
SQLITE_CACHE_KIB = 16_000
# WAL pages between two checkpoints (SQLite's default 1000). A checkpoint writes each page
# the WAL holds once, however often it was written since: over a year's store the pages an
# article writes (the indexes of events, story_articles and stories) are spread over
# thousands, and checkpoints every ~45 articles cost 0.20 ms an article at the end of a
# year against 0.08 at its start; every ~180 articles, 0.09 against 0.04. 4000 pages (16 MB
# of WAL at most) stay within the first of SQLite's WAL-index hash tables (4062 frames), so
# reads look pages up in one table as before.
SQLITE_CHECKPOINT_PAGES = 4000
# How long a statement waits for a lock another connection holds (the driver's busy timeout,
# streams/store/sqlite_driver.py: the wait happens off the event loop).
SQLITE_BUSY_MS = 30_000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.close()
