"""The store: tables in schema.py, the engine in db.py, one module of queries per table.

`Store` is imported on first use, so that a module of the package that needs no SQLAlchemy
(sqlite_read.py, for the CLI's quick reads) does not load it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.store.db import Store, StoreError

__all__ = ["Store", "StoreError"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from streams.store import db

        return getattr(db, name)
    raise AttributeError(f"module 'streams.store' has no attribute {name!r}")
