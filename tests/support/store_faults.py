"""A real SQLite store that refuses writes for a while, as a full disk does: triggers make
SQLite itself abort each INSERT/UPDATE on the chosen tables with its own message ("database
or disk is full"); `lift()` drops them. Root ignores file modes and no tiny filesystem is
at hand, so this is how the tests fail the store's writes without mocks."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class FullDisk:
    """`fill()` makes writes to `tables` fail, `lift()` lets them through again."""

    def __init__(self, db_path: Path, tables: tuple[str, ...] = ("items",)) -> None:
        self.db_path = db_path
        self.tables = tables

    def _run(self, statements: list[str]) -> None:
        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            for sql in statements:
                conn.execute(sql)
            conn.commit()
        finally:
            conn.close()

    def fill(self) -> None:
        self._run([
            f"CREATE TRIGGER IF NOT EXISTS full_{op.lower()}_{table} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            for table in self.tables for op in ("INSERT", "UPDATE")
        ])

    def lift(self) -> None:
        self._run([
            f"DROP TRIGGER IF EXISTS full_{op.lower()}_{table}"
            for table in self.tables for op in ("INSERT", "UPDATE")
        ])
