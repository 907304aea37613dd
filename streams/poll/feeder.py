"""Entries handed to processing fairly: one queue per feed, sent round-robin across feeds,
with at most `limit` entries in processing at once (embedded mode). A feed bringing 20,000
entries then delays a feed bringing 5 by about one round of sends, not by 20,000 entries.

The pipeline tells the feeder when an entry is finished (done, failed, retrying), which frees
its place; an entry in processing longer than `expire_after` frees its place too (its
processing was lost: the re-send sweep finds it still pending and sends it again). An entry
already queued or in processing is not queued twice. `limit=None` sends at once (cluster
mode: Kafka holds the queue and other workers finish the entries; an entry sent stays "in
processing" here until `expire_after`, so the re-send sweep leaves it alone until then)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from streams.core.records import FeedItem

log = logging.getLogger(__name__)


class FairFeeder:
    """Queues per feed, round-robin sends, a bound on entries in processing."""

    def __init__(
        self,
        send: Callable[[FeedItem], Awaitable[None]],
        limit: int | None,
        expire_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self.limit = limit
        self.expire_after = expire_after
        self._clock = clock
        self._queues: dict[str, deque[FeedItem]] = {}
        self._turns: deque[str] = deque()  # feeds with queued entries, next to send first
        self._queued: set[str] = set()
        self._inflight: dict[str, float] = {}  # entry key -> when it was sent
        self._wake = asyncio.Event()
        self.sent = 0

    def add(self, entries: Iterable[FeedItem]) -> int:
        """Queue entries (each behind its own feed's); returns how many were new here."""
        added = 0
        for item in entries:
            if item.key in self._queued or item.key in self._inflight:
                continue
            if item.feed not in self._queues:
                self._queues[item.feed] = deque()
                self._turns.append(item.feed)
            self._queues[item.feed].append(item)
            self._queued.add(item.key)
            added += 1
        if added:
            self._wake.set()
        return added

    def finished(self, key: str) -> None:
        """An entry left processing (done, failed or waiting for a retry)."""
        if self._inflight.pop(key, None) is not None:
            self._wake.set()

    def held(self) -> set[str]:
        """Keys queued or in processing here (the re-send sweep leaves them alone)."""
        return self._queued | set(self._inflight)

    @property
    def queued(self) -> int:
        return len(self._queued)

    async def run(self) -> None:
        """Send whenever there is room and something queued, until cancelled."""
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # comes as the event is set, and the feeder would run on after being stopped
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._wake.wait()
            self._wake.clear()
            self._expire()
            await self.pump()

    async def pump(self) -> int:
        """Send entries round-robin by feed while there is room; returns how many."""
        sent = 0
        while self._turns and (self.limit is None or len(self._inflight) < self.limit):
            feed = self._turns.popleft()
            queue = self._queues[feed]
            item = queue.popleft()
            if queue:
                self._turns.append(feed)
            else:
                del self._queues[feed]
            self._queued.discard(item.key)
            self._inflight[item.key] = self._clock()
            await self._send(item)
            sent += 1
        self.sent += sent
        return sent

    def _expire(self) -> None:
        cutoff = self._clock() - self.expire_after
        lost = [k for k, sent in self._inflight.items() if sent < cutoff]
        for key in lost:
            del self._inflight[key]
        if lost:
            log.warning("%d entries in processing for over %.0f s: their places freed",
                        len(lost), self.expire_after)
