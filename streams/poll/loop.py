"""The worker's polling and re-sending, feed by feed.

Each due feed is polled as a task of its own (at most `concurrency` at once), and its new
entries go to the feeder as soon as that feed is done: a feed dripping bytes until its
deadline holds up only itself. The re-send sweep hands the feeder again the entries whose
processing was lost (pending longer than a setting: a crash, a store that failed while they
were being marked) and the failed ones whose retry time has come, without a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

from streams.poll.feeder import FairFeeder
from streams.store.feeds import due_feeds
from streams.store.items import due_again

if TYPE_CHECKING:
    from streams.runtime.pipeline import Pipeline

log = logging.getLogger("newswatch.poll")


class PollLoop:
    """Starts a poll task per due feed (never two for one feed) and re-sends lost entries."""

    def __init__(self, pipeline: Pipeline, feeder: FairFeeder, concurrency: int = 32) -> None:
        self.pipeline = pipeline
        self.feeder = feeder
        self._gate = asyncio.Semaphore(concurrency)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.polls = 0  # feed polls completed

    @property
    def polling(self) -> set[str]:
        return set(self._tasks)

    async def start_due(self, feeds: list[str]) -> list[str]:
        """Start polling the feeds whose time has come and that are not being polled."""
        now = self.pipeline.clock()
        # a poll that ends while the store is asked may have been read as due before it
        # wrote its next attempt: those being polled when we asked wait for the next look
        busy = set(self._tasks)
        due = [u for u in await due_feeds(self.pipeline.store, feeds, now)
               if u not in busy and u not in self._tasks]
        due = self.pipeline.store_failures.due(due, now)
        for url in due:
            task = asyncio.create_task(self._poll(url), name=f"poll {url}")
            self._tasks[url] = task
            task.add_done_callback(self._forget)
        return due

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks = {u: t for u, t in self._tasks.items() if t is not task}

    async def _poll(self, url: str) -> None:
        async with self._gate:
            try:
                fresh = await self.pipeline.poll([url])
            except Exception as exc:  # a bug in polling must not stop the others
                log.exception("poll of %s failed: %s: %s", url, type(exc).__name__, exc)
                return
        self.feeder.add(fresh)
        self.polls += 1

    async def resend(self, pending_after: float) -> int:
        """Queue again the entries pending for longer than `pending_after` seconds and the
        retrying ones now due, except those the feeder holds; returns how many."""
        now: dt.datetime = self.pipeline.clock()
        cutoff = now - dt.timedelta(seconds=pending_after)
        entries = await due_again(self.pipeline.store, now, cutoff, self.feeder.held())
        added = self.feeder.add(entries)
        if added:
            log.info("%d entries sent to processing again (lost or due for a retry)", added)
        return added

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
