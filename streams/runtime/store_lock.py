"""One `newswatch run` per SQLite store: a lock file next to it (newswatch.db.lock) holds
the running process's pid; a second process is refused with a message naming it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from streams.core.errors import StoreError


class StoreLocked(StoreError):
    """Another process runs on this store; the message names its pid."""


def sqlite_path(database: str) -> Path | None:
    """The file of a SQLite store URL; None for other stores and in-memory SQLite."""
    if not database.startswith("sqlite") or ":///" not in database:
        return None
    path = database.split(":///", 1)[1]
    return Path(path) if path and path != ":memory:" else None


def lock_store(database: str) -> int | None:
    """Take the store's lock for the life of this process; the lock's file descriptor (keep
    it open), or None when the store is not a SQLite file (PostgreSQL is shared by design)."""
    path = sqlite_path(database)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreLocked(
            f"{path} is in use by another newswatch run (pid {holder}); stop it first, "
            "or give this one its own NEWSWATCH_DATA_DIR"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd
