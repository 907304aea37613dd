"""SQLAlchemy's aiosqlite driver with statements run on the event loop's own thread, and one
thread hop only when SQLite is busy.

aiosqlite runs each call on the connection's own thread and hands the result back to the
event loop; SQLAlchemy's adapter makes one call to open a cursor, one to execute, one to
fetch the rows and one to close: each a queue put, a thread wake-up and a loop wake-up.
Even one such hop per statement cost the main process more CPU than most statements
themselves (a SQLite statement of the pipeline takes tens of microseconds; the hop, under
the GIL the extraction threads also want, about a tenth of a millisecond). So a statement
runs where it is awaited, with SQLite's busy timeout at 0: it never waits there for a lock.
When another connection holds the write lock (SQLITE_BUSY: nothing was done), the statement
is run again on the connection's thread with the patient timeout (`busy_ms`, waiting as
before while the loop goes on), so a transaction of this process that holds the lock can
finish meanwhile. The connection also knows whether SQLite has a transaction open, so a
commit or rollback with nothing to end (the pool's reset, a transaction that only read)
costs nothing. Everything else is SQLAlchemy's adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, int, Any, list[Any] | None, bool]  # description, rowcount, lastrowid, rows


def _run(db: sqlite3.Connection, many: bool, operation: str, parameters: Any) -> Outcome:
    """The statement executed and its rows fetched."""
    cursor = db.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows, db.in_transaction
    finally:
        cursor.close()


def _end(db: sqlite3.Connection, commit: bool) -> None:
    if commit:
        db.commit()
    else:
        db.rollback()


def _busy(exc: BaseException) -> bool:
    """SQLite refused for a lock another connection holds (the statement did nothing)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF in (
        sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _patiently(db: sqlite3.Connection, busy_ms: int, call: Callable[..., Any], *args: Any
               ) -> Any:
    """On the connection's thread: `call` with the patient busy timeout, then 0 again."""
    db.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    try:
        return call(db, *args)
    finally:
        db.execute("PRAGMA busy_timeout=0")


async def _call_inline(adapt: OneHopConnection, call: Callable[..., Any], *args: Any) -> Any:
    """`call(db, *args)` on this thread without waiting for a lock; on the connection's
    thread, waiting up to the busy timeout, when SQLite is busy."""
    conn: Any = adapt._connection
    db: sqlite3.Connection = conn._conn
    if adapt._patient:  # the connection was opened (or left) with a busy timeout
        db.execute("PRAGMA busy_timeout=0")
        adapt._patient = False
    try:
        return call(db, *args)
    except sqlite3.OperationalError as exc:
        if not _busy(exc):
            raise
    return await conn._execute(_patiently, db, adapt._busy_ms, call, *args)


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose execute is one call on the connection's thread; the rows come back
    with it (server-side cursors keep SQLAlchemy's own class)."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: OneHopConnection) -> None:  # no hop: nothing opened
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: Any = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return  # the sqlite3 cursor was closed on the connection's thread

    def close(self) -> None:
        self._rows.clear()

    async def _call(self, many: bool, operation: Any, parameters: Any) -> None:
        adapt: Any = self._adapt_connection
        conn: Any = self._connection
        if not conn._running or not conn._conn:
            raise ValueError("Connection closed")
        async with adapt._execute_mutex:
            try:
                outcome = await _call_inline(adapt, _run, many, operation, parameters)
            except BaseException:
                adapt._in_transaction = True  # unknown: the next end makes its hop
                raise
        self._description, self._rowcount, self._lastrowid, rows, open_ = outcome
        adapt._in_transaction = open_
        self._rows = collections.deque(rows) if rows else collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._call(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._call(True, operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection with OneHopCursor, and commit/rollback skipped when SQLite
    has no transaction open."""

    __slots__ = ("_in_transaction", "_patient", "_busy_ms")
    _cursor_cls = OneHopCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any, busy_ms: int) -> None:
        super().__init__(dbapi, connection)
        self._in_transaction = True  # unknown until the first statement
        self._patient = True  # sqlite3.connect's timeout, or a PRAGMA busy_timeout, is set
        self._busy_ms = busy_ms

    def _finish(self, commit: bool) -> None:
        if not self._in_transaction or not self._connection._connection:
            return
        try:
            await_(_call_inline(self, _end, commit))
        except Exception as error:
            self._handle_exception(error)
        self._in_transaction = False

    def rollback(self) -> None:
        self._finish(False)

    def commit(self) -> None:
        self._finish(True)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite module as SQLAlchemy adapts it, its connections OneHopConnection
    (used from the event loop's thread as well as from their own)."""

    def __init__(self, aiosqlite: Any, sqlite: Any, busy_ms: int) -> None:
        super().__init__(aiosqlite, sqlite)
        self.busy_ms = busy_ms

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        kw["check_same_thread"] = False  # our calls never overlap: one at a time, awaited
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection, self.busy_ms)


def one_hop_dbapi(busy_ms: int = 30_000) -> OneHopDBAPI:
    """The module to pass as `module=` to create_async_engine for a sqlite+aiosqlite URL;
    `busy_ms`: how long a statement waits (on the connection's thread) for a lock."""
    return OneHopDBAPI(aiosqlite, sqlite3, busy_ms)
