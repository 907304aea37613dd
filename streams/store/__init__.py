"""The store: tables in schema.py, the engine in db.py, one module of queries per table."""

from streams.store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
