"""The backtest: replay articles through clean, extract, evaluate and alert deduplication,
in order of publication, with an empty store of its own and no delivery.

Sources: a seeds-format folder (served on loopback and polled like any feed), a feed URL,
or the articles already stored by the running service (`since`: the last 7 days...).
With a second rule folder, the same articles are replayed under both rule sets and the
alerts that the change would add and remove are reported (what `newswatch backtest` prints).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from streams.config.settings import Settings
from streams.core.clock import utcnow
from streams.core.ordering import UNDATED, publication_key
from streams.core.records import Alert, Article, Event, FeedItem
from streams.runtime.bootstrap import Runtime, build_runtime
from streams.store import Store
from streams.store.schema import articles as articles_table

if TYPE_CHECKING:
    from streams.extract.extractor import Extractor
    from streams.extract.process_pool import ProcessExtractor
    from streams.runtime.pipeline import Pipeline

CLEANING = 4  # pages fetched and cleaned at once (the service runs 4 clean agents)


def alert_json(alert: Alert, article: str) -> dict[str, Any]:
    """One backtest line: the alert with the event that fired it."""
    ev = alert.event
    return {
        "rule": alert.rule_id,
        "article": article,
        "title": alert.title,
        "story": alert.story_id,
        "severity": alert.severity,
        "event": {
            "type": ev.type,
            "actors": list(ev.actors),
            "location": list(ev.location),
            "date": ev.date,
            "status": ev.status,
            "quantities": dict(ev.quantities),
            "attribution": ev.attribution,
            "evidence": ev.evidence,
        },
    }


@dataclass
class Replayed:
    """One replayed article, for measuring: its name in the output, the events the rules
    saw (one per happening, with story ids) and the alerts it raised."""

    article: str
    events: list[Event]
    alerts: list[Alert]


def _publication_order(items: list[FeedItem]) -> list[FeedItem]:
    # the service's order (streams.core.ordering): time, then URL, then entry id
    return sorted(items, key=lambda it: publication_key(it.published, it.link, it.guid))


@dataclass
class _Source:
    """Where the articles come from, and how to name one in the output."""

    feed_url: str | None = None
    name: Callable[[str], str | None] = lambda url: None
    stored: list[Article] | None = None


@asynccontextmanager
async def _open_source(source: str | None, since: dt.timedelta | None, settings: Settings
                       ) -> AsyncIterator[_Source]:
    if source is None:
        if since is None:
            raise ValueError("a backtest needs a folder, a feed URL, or --since")
        yield _Source(stored=await stored_articles(settings.database, utcnow() - since))
    elif Path(source).is_dir():
        from connectors.seed_server import SeedServer

        async with SeedServer(Path(source), port=0) as server:
            yield _Source(feed_url=server.feed_url, name=server.article_file)
    else:
        yield _Source(feed_url=source)


async def stored_articles(database: str, after: dt.datetime) -> list[Article]:
    """Articles the service stored after a moment, in order of publication."""
    store = await Store(database).open()
    try:
        async with store.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(articles_table).where(articles_table.c.created >= after)
                )
            ).mappings().all()
    finally:
        await store.close()
    found = [
        Article(
            id=r["id"], url=r["url"], title=r["title"], text=r["text"],
            published=r["published"], source=r["source"], language=r["language"],
            feed=r["feed"], fallback=r["fallback"],
        )
        for r in rows
    ]
    return sorted(found, key=lambda a: publication_key(a.published, a.url))


async def _replay(runtime: Runtime, src: _Source, replayed: list[Replayed] | None = None
                  ) -> list[dict[str, Any]]:
    pipeline = runtime.pipeline
    if src.stored is not None:
        articles: AsyncIterator[Article] = _each(src.stored)
    else:
        assert src.feed_url is not None
        items = _publication_order(await pipeline.poll([src.feed_url]))
        articles = _cleaned(pipeline, items)
    out: list[dict[str, Any]] = []
    async for batch_articles, lists in _read_ahead(pipeline, articles):
        # a batch's stories and alerts in one transaction (one commit): the backtest's
        # store is its own, nobody else waits on it
        async with pipeline.store.transaction():
            for article, events in zip(batch_articles, lists, strict=True):
                # one article at a time: its alerts are decided before the next one's stories
                for batch in await pipeline.assign([article], [events]):
                    fresh = await pipeline.alert(batch)
                    for alert in fresh:
                        out.append(alert_json(alert,
                                              src.name(alert.article_url) or alert.article_url))
                    if replayed is not None:
                        name = src.name(batch.article.url) or batch.article.url
                        replayed.append(Replayed(name, list(batch.events), fresh))
    return out


async def _each(articles: list[Article]) -> AsyncIterator[Article]:
    for article in articles:
        yield article


def _moment(article: Article) -> dt.datetime:
    return publication_key(article.published, article.url)[0]


async def _cleaned(pipeline: Pipeline, items: list[FeedItem]) -> AsyncIterator[Article]:
    """The entries' articles (pages fetched and cleaned a few at a time, as the service's
    clean agents do; stored in the entries' order), in order of publication (the service's:
    streams.core.ordering), each as soon as no entry still being cleaned can come before it,
    so that extraction starts with the first pages rather than after the last. `items` are
    in order of publication; an entry without a date takes its page's, which may come
    before any other: with one such entry, every page is cleaned first."""
    gate = asyncio.Semaphore(CLEANING)

    async def page(item: FeedItem) -> Article:
        async with gate:
            return await pipeline.page(item)

    tasks = [asyncio.ensure_future(page(item)) for item in items]
    dated = all(publication_key(it.published, it.link)[0] != UNDATED for it in items)
    held: list[Article] = []
    done = 0
    try:
        while done < len(tasks):
            await asyncio.wait([tasks[done]])
            upto = done
            while upto < len(tasks) and tasks[upto].done():
                upto += 1
            kept = await pipeline.keep([(items[k], tasks[k].result()) for k in range(done, upto)])
            held += [article for article in kept if article is not None]
            done = upto
            if dated and done < len(items):
                # an article is dated as its entry: none to come is older than this entry
                frontier = publication_key(items[done].published, items[done].link)[0]
                ready = [a for a in held if _moment(a) < frontier]
                held = [a for a in held if _moment(a) >= frontier]
                for article in sorted(ready, key=lambda a: publication_key(a.published, a.url)):
                    yield article
        for article in sorted(held, key=lambda a: publication_key(a.published, a.url)):
            yield article
    finally:
        for task in tasks:
            task.cancel()


async def _read_ahead(pipeline: Pipeline, articles: AsyncIterator[Article]
                      ) -> AsyncIterator[tuple[list[Article], list[list[Event]]]]:
    """The articles' batches with their events, in order, while the next ones are read:
    every extraction process busy while the caller assigns stories and evaluates rules."""
    size = pipeline.settings.batch_size
    ahead: deque[asyncio.Task[tuple[list[Article], list[list[Event]]]]] = deque()
    batch: list[Article] = []
    try:
        async for article in articles:
            batch.append(article)
            if len(batch) < size:
                continue
            ahead.append(asyncio.create_task(pipeline.read(batch)))
            batch = []
            if len(ahead) >= pipeline.extract_slots:
                yield await ahead.popleft()
        if batch:
            ahead.append(asyncio.create_task(pipeline.read(batch)))
        while ahead:
            yield await ahead.popleft()
    finally:
        for task in ahead:
            task.cancel()


async def _run_once(src: _Source, settings: Settings, rules_dir: Path | None,
                    extractor: Extractor | ProcessExtractor | None,
                    replayed: list[Replayed] | None = None) -> list[dict[str, Any]]:
    from streams.clean.trafilatura_pool import POOL
    from streams.runtime.pipeline import CLEANING_THREADS

    with tempfile.TemporaryDirectory(prefix="newswatch-backtest-") as tmp:
        own = settings.model_copy(
            update={
                "database": f"sqlite+aiosqlite:///{Path(tmp) / 'backtest.db'}",
                "feeds": [src.feed_url] if src.feed_url else [],
                "serve_seeds": False,
                "data_dir": Path(tmp),
            }
        )
        POOL.prestart(CLEANING_THREADS)  # they start while the runtime is built
        runtime = await build_runtime(own, deliver=False, rules_dir=rules_dir, extractor=extractor)
        try:
            return await _replay(runtime, src, replayed)
        finally:
            await runtime.close()


async def backtest(
    source: str | None,
    settings: Settings,
    rules_dir: Path | None = None,
    extractor: Extractor | ProcessExtractor | None = None,
    since: dt.timedelta | None = None,
    replayed: list[Replayed] | None = None,
) -> list[dict[str, Any]]:
    """The alerts a folder, a feed URL or the stored history raises, one dict per alert.
    With a `replayed` list, each article's events and alerts are appended to it as well."""
    async with _open_source(source, since, settings) as src:
        return await _run_once(src, settings, rules_dir, extractor, replayed)


async def compare(
    source: str | None,
    settings: Settings,
    rules_dir: Path,
    extractor: Extractor | ProcessExtractor | None = None,
    since: dt.timedelta | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(added, removed): the alerts `rules_dir` raises and the configured rules do not, and
    the reverse, over the same articles (one model load for both runs)."""
    from streams.evaluate.matcher import diff_alerts
    from streams.runtime.bootstrap import make_extractor

    own = extractor is None
    model = extractor or make_extractor(settings)  # one model load (per process) for both runs
    try:
        # one source for both runs: the same URLs, so the same article and story ids
        async with _open_source(source, since, settings) as src:
            current = await _run_once(src, settings, None, model)
            changed = await _run_once(src, settings, rules_dir, model)
    finally:
        if own and hasattr(model, "close"):
            model.close()
    return diff_alerts(current, changed)
