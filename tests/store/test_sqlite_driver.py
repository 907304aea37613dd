"""The store's SQLite driver (streams/store/sqlite_driver.py: statements on the event loop's thread)
behaves as a DB-API cursor must, and Store.transaction() makes a step one transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from streams.core.records import Article
from streams.store import Store
from streams.store.articles import get_article, save_article
from streams.store.sqlite_driver import OneHopConnection

notes = sa.Table("driver_notes", sa.MetaData(),
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("word", sa.String, unique=True))


def an_article(n: int) -> Article:
    return Article(id=f"art-{n}", url=f"https://example.test/{n}", title=f"Harbour note {n}",
                   text=f"The ferry to the island number {n} sailed at dawn.",
                   published="2025-05-01T08:00:00+00:00", source="Example wire")


async def open_store(tmp_path: Path) -> Store:
    store = await Store(f"sqlite+aiosqlite:///{tmp_path / 'newswatch.db'}").open()
    async with store.begin() as conn:
        await conn.run_sync(notes.metadata.create_all)
    return store


def test_statements_give_rows_counts_and_ids_and_errors(tmp_path: Path) -> None:
    async def run() -> None:
        store = await open_store(tmp_path)
        try:
            async with store.begin() as conn:
                raw = await conn.get_raw_connection()
                assert isinstance(raw.dbapi_connection, OneHopConnection)
                first = await conn.execute(sa.insert(notes).values(word="tide"))
                assert first.inserted_primary_key == (1,) and first.rowcount == 1
                await conn.execute(sa.insert(notes), [{"word": "gull"}, {"word": "reef"}])
                changed = await conn.execute(
                    sa.update(notes).where(notes.c.word != "tide").values(word=notes.c.word + "s"))
                assert changed.rowcount == 2
            async with store.begin() as conn:
                rows = (await conn.execute(sa.select(notes.c.id, notes.c.word)
                                           .order_by(notes.c.id))).all()
                assert [tuple(r) for r in rows] == [(1, "tide"), (2, "gulls"), (3, "reefs")]
                assert (await conn.execute(sa.select(notes).where(notes.c.id > 9))).first() is None
            with pytest.raises(sa.exc.IntegrityError):
                async with store.begin() as conn:
                    await conn.execute(sa.insert(notes).values(word="kelp"))
                    await conn.execute(sa.insert(notes).values(word="tide"))  # not unique
            async with store.begin() as conn:  # the failed transaction left nothing, no lock
                await conn.execute(sa.insert(notes).values(word="dune"))
                words = (await conn.execute(sa.select(notes.c.word))).scalars().all()
            assert sorted(words) == ["dune", "gulls", "reefs", "tide"]
        finally:
            await store.close()

    asyncio.run(run())


def test_a_connection_back_in_the_pool_holds_no_transaction(tmp_path: Path) -> None:
    """A write left uncommitted (the block failed after it) is rolled back: another
    connection (here the sqlite3 module's own) can write at once."""
    import sqlite3

    async def run() -> None:
        store = await open_store(tmp_path)
        try:
            with pytest.raises(RuntimeError):
                async with store.begin() as conn:
                    await conn.execute(sa.insert(notes).values(word="spray"))
                    raise RuntimeError("the step failed after its write")
            other = sqlite3.connect(tmp_path / "newswatch.db", timeout=0)
            try:
                other.execute("INSERT INTO driver_notes (word) VALUES ('foam')")
                other.commit()
                assert [r[0] for r in other.execute("SELECT word FROM driver_notes")] == ["foam"]
            finally:
                other.close()
        finally:
            await store.close()

    asyncio.run(run())


def test_a_transaction_is_the_steps_calls_together(tmp_path: Path) -> None:
    async def run() -> None:
        store = await open_store(tmp_path)
        try:
            async with store.transaction():
                assert await save_article(store, an_article(1))
                assert await get_article(store, "art-1") is not None  # its own write
                # another task has its own connection: the write is not committed yet
                assert await asyncio.create_task(get_article(store, "art-1")) is None
            assert await get_article(store, "art-1") is not None  # committed at the end
            with pytest.raises(RuntimeError):
                async with store.transaction():
                    assert await save_article(store, an_article(2))
                    async with store.transaction():  # nested: part of the outer one
                        assert await save_article(store, an_article(3))
                    raise RuntimeError("the step failed after both writes")
            assert await get_article(store, "art-2") is None
            assert await get_article(store, "art-3") is None
        finally:
            await store.close()

    asyncio.run(run())



def _holding_the_lock(tmp_path: Path) -> Any:
    """A plain sqlite3 connection to the store holding its write lock (a row written, not
    committed): commit or close it to release."""
    import sqlite3

    other = sqlite3.connect(tmp_path / "newswatch.db", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO driver_notes (word) VALUES ('shell')")
    return other


def test_a_write_waits_for_a_lock_another_connection_holds_without_stopping_the_loop(
    tmp_path: Path,
) -> None:
    """Statements run on the event loop's thread; one that finds the write lock taken (here
    by the sqlite3 module's own connection) waits for it on the connection's thread: the
    loop goes on meanwhile, and the write lands once the lock is released."""
    import time

    async def run() -> None:
        store = await open_store(tmp_path)
        other = _holding_the_lock(tmp_path)
        try:
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            async def write() -> float:
                async with store.begin() as conn:
                    await conn.execute(sa.insert(notes).values(word="sand"))
                return time.monotonic()

            ticker = asyncio.create_task(tick())
            writing = asyncio.create_task(write())
            await asyncio.sleep(0.3)
            assert not writing.done() and ticks >= 10  # waiting, the loop not held
            released = time.monotonic()
            other.execute("COMMIT")
            landed = await asyncio.wait_for(writing, 10)
            ticker.cancel()
            assert landed >= released
            async with store.begin() as conn:
                words = (await conn.execute(sa.select(notes.c.word))).scalars().all()
            assert sorted(words) == ["sand", "shell"]
            # the next statements run at once again: no lock is waited for with nothing held
            async with store.begin() as conn:
                await conn.execute(sa.insert(notes).values(word="crab"))
        finally:
            other.close()
            await store.close()

    asyncio.run(run())


def test_a_write_waiting_for_a_lock_when_its_task_is_cancelled_leaves_the_loop_free(
    tmp_path: Path,
) -> None:
    """A task stopped (the service stopping) while its write waits for a lock another
    connection holds: the loop goes on meanwhile (the holder can finish), the task ends as
    soon as the lock is released, and its write is undone, not left holding the lock; its
    connection goes back to the pool."""
    import time

    async def run() -> None:
        store = await open_store(tmp_path)
        other = _holding_the_lock(tmp_path)
        try:

            async def write() -> None:
                async with store.begin() as conn:
                    await conn.execute(sa.insert(notes).values(word="sand"))

            writing = asyncio.create_task(write())
            await asyncio.sleep(0.2)  # waiting for the lock
            writing.cancel()
            loop = asyncio.get_running_loop()
            loop.call_later(0.5, other.execute, "COMMIT")  # the holder finishes
            started = time.monotonic()
            done, _ = await asyncio.wait({writing}, timeout=10)
            assert writing in done and writing.cancelled()
            assert time.monotonic() - started < 5
            async with store.begin() as conn:
                words = (await conn.execute(sa.select(notes.c.word))).scalars().all()
            assert words == ["shell"]  # the cancelled write undone
            assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
            other.execute("INSERT INTO driver_notes (word) VALUES ('foam')")  # no lock left
        finally:
            other.close()
            await store.close()

    asyncio.run(run())



def test_the_write_ahead_log_stays_bounded_however_many_commits(tmp_path: Path) -> None:
    """A long run's commits are checkpointed into the file as they come: the WAL beside the
    store stops growing at about SQLITE_CHECKPOINT_PAGES pages (an operator's disk), and
    every row written is there after the checkpoints."""
    from streams.store.db import SQLITE_CHECKPOINT_PAGES

    rows = 3 * SQLITE_CHECKPOINT_PAGES // 2  # two pages a commit: three checkpoints
    wal, frame = tmp_path / "newswatch.db-wal", 4096 + 24

    async def run() -> tuple[int, int]:
        store, largest = await open_store(tmp_path), 0
        try:
            for n in range(rows):
                async with store.begin() as conn:
                    await conn.execute(sa.insert(notes).values(word=f"{n:05d}" + "swell" * 700))
                largest = max(largest, wal.stat().st_size // frame)
            async with store.begin() as conn:
                count = (await conn.execute(sa.select(sa.func.count()).select_from(notes))).scalar()
        finally:
            await store.close()
        return count or 0, largest

    count, largest = asyncio.run(run())
    assert count == rows
    assert SQLITE_CHECKPOINT_PAGES // 2 < largest <= SQLITE_CHECKPOINT_PAGES + 50
