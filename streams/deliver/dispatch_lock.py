"""Who works a SQLite store's outbox alone: an advisory lock beside the database file.

An embedded dispatcher believes it is the only sender, so at start every row left `sending`
is in doubt and resent at once. A second `newswatch run` on the same store would then resend
what the first one is sending right now. Holding this lock proves the belief: the kernel
releases it when the holder dies (kill -9 included), so after a crash the next dispatcher
gets it and recovers at once, while one that finds it held falls back to the leases (a row
is in doubt only once its lease has run out), as dispatchers sharing PostgreSQL do.
"""

from __future__ import annotations

import fcntl
import logging
import os
from typing import IO

log = logging.getLogger(__name__)


def sqlite_path(url: str) -> str | None:
    """The database file of a SQLite URL (None: not SQLite, or in memory)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    path = path.split("?", 1)[0]
    return path if path and path != ":memory:" else None


class SenderLock:
    """`acquire()` once; True when this process is the store's only sender. Held until
    `release()` or the process ends."""

    def __init__(self, url: str) -> None:
        db = sqlite_path(url)
        self.path = f"{db}.dispatch.lock" if db else None
        self._fh: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; True if we hold it (or there is no file)."""
        if self.path is None:
            return True  # not a SQLite file: the caller's setting stands
        if self._fh is not None:
            return True
        fh = open(self.path, "a+")  # noqa: SIM115 - held open on purpose: the lock lives with it
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            log.warning("another dispatcher holds %s: rows it is sending are left to it "
                        "until their lease runs out", self.path)
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
