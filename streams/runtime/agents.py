"""Thin Faust agents: each reads one stream, calls one pipeline stage, sends on, and records
the failures it expects. All the work is in streams/runtime/pipeline.py. The last stage
records its alerts in the outbox, and recording wakes the dispatcher
(streams/deliver/record.py): no agent stands between an alert and its delivery.

What an agent does when a stage raises (streams/core/errors.py):
- a NewswatchError (a page, a feed, a rule at fault) or a failure that may pass (the store,
  the network, a timeout: streams.poll.retry.is_transient) is the entry's failure: recorded
  (retried or failed for good), and the agent goes on with the next message;
- anything else is a bug in newswatch: logged with its traceback and recorded as a bug on
  the entry (`newswatch feeds failed` shows "bug in newswatch: ..."), never as a bad page.
  The agent goes on: one entry hitting a bug must not stop processing for every feed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

import faust

from streams.config.settings import Settings
from streams.core.errors import NewswatchError
from streams.core.ordering import publication_key
from streams.core.records import Article, ArticleEvents, FeedItem
from streams.poll.retry import is_transient
from streams.runtime.app import Streams
from streams.runtime.bootstrap import Runtime
from streams.runtime.pipeline import Pipeline

log = logging.getLogger(__name__)
U = TypeVar("U")
R = TypeVar("R")

CLEANING_AT_ONCE = 4  # pages fetched and cleaned at once
CLEAN_WITHIN = 0.05  # seconds to gather the entries of one poll (sent in one go)
ALERT_WITHIN = 0.01  # seconds to gather the articles of one extraction batch (sent in one go)

# a batch of articles taken by the extract agent: the articles, their reading (in an
# extraction process) and what acknowledges their messages once their results are sent on
Taken = tuple[list[Article], "asyncio.Future[Any]", Callable[[], Awaitable[None]]]


class RuntimeSource(Protocol):
    """What the agents need of the worker's runtime service (streams/runtime/worker.py)."""

    settings: Settings

    async def ready(self) -> Runtime: ...


def expected(exc: BaseException) -> bool:
    """True for a failure of the input or of the world outside; False for a bug."""
    return isinstance(exc, NewswatchError) or is_transient(exc)


def log_failure(what: str, exc: Exception) -> None:
    """A loop of the worker failed this round and goes on: one line when `expected`, the
    traceback too when it is a bug."""
    if expected(exc):
        log.error("%s failed: %s: %s", what, type(exc).__name__, exc)
    else:
        log.error("bug: %s failed: %s: %s", what, type(exc).__name__, exc, exc_info=exc)


async def record_failure(
    fail: Callable[..., Awaitable[Any]], keys: Iterable[str], exc: Exception, stage: str
) -> None:
    """Record why these entries failed at this stage: as their failure when `expected`,
    else as a bug, logged once with its traceback."""
    keys = list(keys)
    if expected(exc):
        for key in keys:
            await fail(key, exc)
        return
    log.error("bug in the %s stage (entries %s): %s: %s", stage, ", ".join(keys),
              type(exc).__name__, exc, exc_info=exc)
    for key in keys:
        await fail(key, exc, bug=True)


async def together_or_apart(
    run: Callable[[list[U]], Awaitable[list[R]]], units: list[U], key: Callable[[U], str],
    fail: Callable[..., Awaitable[Any]], stage: str,
) -> list[R | None]:
    """run(units) in one go (one transaction, one commit); when that fails, each unit again
    on its own, so that only the entries at fault fail (recorded, None in their place) and
    the others go on as if alone (a failed `run` stores nothing: its transaction is rolled
    back, and what it counts it counts once committed)."""
    if not units:
        return []
    try:
        return list(await run(units))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if len(units) == 1:
            await record_failure(fail, [key(units[0])], exc, stage)
            return [None]
    out: list[R | None] = []
    for unit in units:
        try:
            out += await run([unit])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await record_failure(fail, [key(unit)], exc, stage)
            out.append(None)
    return out


async def assign_loop(
    pipeline: Pipeline, taken: asyncio.Queue[Taken], streams: Streams
) -> None:
    """The extract agent's second half: each batch, in the order taken, once read: its
    stories assigned and its articles sent on to the rules; a failure is the batch's. Its
    messages are acknowledged only then (on Kafka a worker killed before this point leaves
    them uncommitted, and the broker gives them to the worker that takes its partitions)."""
    while True:
        batch, reading, done = await taken.get()
        try:
            results = await pipeline.assign(*await reading)
        except asyncio.CancelledError:
            reading.cancel()
            raise
        except Exception as exc:
            if pipeline.closed:  # stopping: its entries stay pending for the next start
                continue
            keys = [article.item_key for article in batch]
            await record_failure(pipeline.fail, keys, exc, "extract")
            await done()
            continue
        for result in results:
            await streams.events.send(key=result.article.id, value=result)
        await done()


def register_agents(
    app: faust.App, streams: Streams, service: RuntimeSource
) -> dict[str, faust.types.AgentT]:
    """Attach the clean, extract and alert agents to the app."""
    settings = service.settings

    @app.agent(streams.items, name="clean")
    async def clean_agent(stream: faust.StreamT[FeedItem]) -> None:
        runtime = await service.ready()
        gate = asyncio.Semaphore(CLEANING_AT_ONCE)

        pipeline = runtime.pipeline

        async def one(item: FeedItem) -> tuple[FeedItem, Article] | None:
            async with gate:
                try:
                    return item, await pipeline.page(item)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await record_failure(pipeline.fail, [item.key], exc, "clean")
                    return None

        # the entries of a poll arrive together: cleaned at once, stored together (one
        # commit), sent on in order of publication whichever page came first, so that
        # extraction gives their stories in that order (a slow page would otherwise let a
        # newer article open its story)
        async for items in stream.take(settings.batch_size, within=CLEAN_WITHIN):
            items = sorted(items, key=lambda it: publication_key(it.published, it.link, it.guid))
            cleaned = [c for c in await asyncio.gather(*(one(item) for item in items)) if c]
            kept = await together_or_apart(pipeline.keep, cleaned, lambda c: c[0].key,
                                           pipeline.fail, "clean")
            for article in kept:
                if article is not None:
                    await streams.articles.send(key=article.id, value=article)

    @app.agent(streams.articles, name="extract")
    async def extract_agent(stream: faust.StreamT[Article]) -> None:
        runtime = await service.ready()
        pipeline = runtime.pipeline
        # batches being read (one per extraction process) wait here in the order taken;
        # assign_loop gives their stories in that order while the next ones are read, and
        # acknowledges each batch's messages once its results are sent on (noack_take: a
        # batch taken is not yet a batch done)
        taken: asyncio.Queue[Taken] = asyncio.Queue(maxsize=pipeline.extract_slots)
        assigner = asyncio.ensure_future(assign_loop(pipeline, taken, streams))

        def acknowledge(events: list[faust.EventT[Article]]) -> Callable[[], Awaitable[None]]:
            async def done() -> None:
                for event in events:
                    await stream.ack(event)
            return done

        try:
            # faust types noack_take's batches as values; they are its events
            taking: Any = stream
            async for events in taking.noack_take(settings.batch_size,
                                                  within=settings.batch_within):
                batch = [event.value for event in events]
                await taken.put((batch, asyncio.ensure_future(pipeline.read(batch)),
                                 acknowledge(list(events))))
        finally:  # stopping: the batches not assigned stay pending, re-sent at the next start
            assigner.cancel()
            while not taken.empty():
                taken.get_nowait()[1].cancel()

    @app.agent(streams.events, name="alert")
    async def alert_agent(stream: faust.StreamT[ArticleEvents]) -> None:
        runtime = await service.ready()
        pipeline = runtime.pipeline
        # the articles of an extraction batch arrive together: their rules evaluated in
        # order, their alerts recorded in one transaction (one commit), which wakes the
        # dispatcher; acknowledged once recorded (or their failure is)
        taking: Any = stream  # faust types noack_take's batches as values; they are events
        async for events in taking.noack_take(settings.batch_size, within=ALERT_WITHIN):
            await together_or_apart(pipeline.alert_all, [e.value for e in events],
                                    lambda b: b.article.item_key, pipeline.fail, "alert")
            for event in events:
                await stream.ack(event)

    return {
        "clean": clean_agent,
        "extract": extract_agent,
        "alert": alert_agent,
    }
