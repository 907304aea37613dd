"""SQLAlchemy's aiosqlite driver with one thread hop per statement instead of three or four.

aiosqlite runs each call on the connection's own thread and hands the result back to the
event loop; SQLAlchemy's adapter makes one call to open a cursor, one to execute, one to
fetch the rows and one to close: each a queue put, a thread wake-up and a loop wake-up,
which cost the main process more CPU than the statement itself. Here a statement is one
call doing all four on the connection's thread. The connection also remembers whether
SQLite has a transaction open (`in_transaction`, read on that thread after each call), so
a commit or rollback with nothing to end (the pool's reset when a connection comes back,
a transaction that only read) costs no hop. Everything else is SQLAlchemy's adapter.
"""

from __future__ import annotations

import collections
import sqlite3
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


def _run(conn: aiosqlite.Connection, many: bool, operation: str, parameters: Any) -> Outcome:
    """On the connection's thread: the statement executed and its rows fetched."""
    db: sqlite3.Connection = conn._conn
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


def _end(conn: aiosqlite.Connection, commit: bool) -> None:
    db: sqlite3.Connection = conn._conn
    if commit:
        db.commit()
    else:
        db.rollback()


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
        async with adapt._execute_mutex:
            try:
                outcome = await conn._execute(_run, conn, many, operation, parameters)
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

    __slots__ = ("_in_transaction",)
    _cursor_cls = OneHopCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._in_transaction = True  # unknown until the first statement

    def _finish(self, commit: bool) -> None:
        if not self._in_transaction or not self._connection._connection:
            return
        try:
            await_(self._connection._execute(_end, self._connection, commit))
        except Exception as error:
            self._handle_exception(error)
        self._in_transaction = False

    def rollback(self) -> None:
        self._finish(False)

    def commit(self) -> None:
        self._finish(True)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite module as SQLAlchemy adapts it, its connections OneHopConnection."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    """The module to pass as `module=` to create_async_engine for a sqlite+aiosqlite URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
