"""Which failures to process an entry are worth another attempt, and when.

Transient: the store failing (disk full, locked, connection lost), a timeout, the network, the
service shutting down under the entry, memory running out. Anything else (a page or an
article the code cannot handle) fails the same way every time: it is failed for good at once,
with its reason, and listed by `newswatch feeds failed`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import httpx
import sqlalchemy as sa

from streams.store.db import StoreError

_TRANSIENT: tuple[type[BaseException], ...] = (
    sa.exc.SQLAlchemyError,  # the store: full, read-only, locked, gone
    StoreError,
    OSError,  # includes ConnectionError and the built-in TimeoutError
    asyncio.TimeoutError,
    httpx.TransportError,  # timeouts and network errors on the way to a page
    concurrent.futures.BrokenExecutor,
    asyncio.CancelledError,  # a shutdown under the entry
    MemoryError,
)


def is_transient(exc: BaseException) -> bool:
    """True when the same attempt may succeed later."""
    if isinstance(exc, _TRANSIENT):
        return True
    # a pool shut down while the worker stops: "cannot schedule new futures after shutdown"
    return isinstance(exc, RuntimeError) and "shutdown" in str(exc)


def retry_delay(attempts: int, base: float, ceiling: float) -> float:
    """Seconds before attempt `attempts + 1`: base, doubling per attempt, at most ceiling."""
    return float(min(ceiling, base * 2 ** min(max(attempts - 1, 0), 30)))
