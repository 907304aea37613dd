"""The stages joined for one unit of work each: what a Faust agent or the backtest calls.

Each method takes one stream's record and returns the next stream's records, doing the
store writes that make the step durable and idempotent. CPU-heavy work runs off the loop:
page cleaning in trafilatura processes, spaCy in extraction processes (one per core), each
waited on from an executor thread, so the event loop stays responsive and free for the store
work (story assignment, rules) of the batches already read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from connectors.fetch_page import fetch_page
from streams.clean.page import clean
from streams.config.settings import Settings
from streams.core.clock import utcnow
from streams.core.ordering import publication_key
from streams.core.records import Alert, Article, ArticleEvents, Event, FeedItem
from streams.deliver.make_alert import make_alert
from streams.deliver.record import record_article_alerts
from streams.evaluate.matcher import evaluate, tick
from streams.evaluate.rule_state import RuleState
from streams.extract.consolidate import consolidate
from streams.poll.retry import is_transient, retry_delay
from streams.runtime.metrics import Metrics
from streams.runtime.polling import Schedule, StoreFailures, poll_feeds
from streams.runtime.stories import assign_batch
from streams.store import Store
from streams.store.articles import get_article, save_article
from streams.store.items import DONE, FAILED, mark_item, retry_or_fail

if TYPE_CHECKING:
    from streams.evaluate.hot_reload import RulebookHolder
    from streams.evaluate.matcher import Match
    from streams.extract.extractor import Extractor
    from streams.extract.process_pool import ProcessExtractor

log = logging.getLogger(__name__)

BUG = "bug in newswatch (traceback in the worker's log)"  # an entry failed by a bug says so
CLEANING_THREADS = 2  # pages cleaned at once, each by a cleaning process (streams/clean)


@dataclass
class Pipeline:
    """The stages with the clients and state they need, built by streams.runtime.bootstrap."""

    settings: Settings
    store: Store
    client: httpx.AsyncClient
    extractor: Extractor | ProcessExtractor
    rules: RulebookHolder
    rule_state: RuleState
    clock: Callable[[], dt.datetime] = utcnow
    metrics: Metrics = field(default_factory=Metrics)
    destinations: frozenset[str] | None = None  # configured sinks; None = queue all
    nlp_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="spacy")
    )
    owns_extractor: bool = False  # built for this pipeline: close() stops its processes
    closed: bool = False  # close() was called: batches cut short then stay pending
    clean_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(CLEANING_THREADS, thread_name_prefix="clean")
    )
    # feeds whose entries the store refused, polled again unconditionally (runtime.polling)
    store_failures: StoreFailures = field(default_factory=StoreFailures)
    on_finished: Callable[[str], None] | None = None  # an entry left processing (the feeder)
    wake: asyncio.Event | None = None  # the dispatcher's: set when an alert is recorded

    async def poll(self, urls: Sequence[str]) -> list[FeedItem]:
        """Poll these feeds; each feed's new entries are recorded as pending together with
        its row (one transaction), and returned in order of publication. A feed that fails,
        or whose entries the store refuses, is recorded in its health row (or in memory) and
        logged, never raised; the latter is polled again without ETag/Last-Modified."""
        schedule = Schedule.from_settings(self.settings)
        results = await poll_feeds(
            self.client, self.store, list(urls), self.clock(), schedule,
            store_failures=self.store_failures,
        )
        fresh = []
        for result in results:
            if result.error:
                self.metrics.poll_errors.labels(result.url).inc()
            if result.items:
                self.metrics.items_polled.labels(result.url).inc(len(result.items))
            fresh.extend(result.items)
        # in order of publication, so that articles reach extraction in the order it sorts
        return sorted(fresh, key=lambda it: publication_key(it.published, it.link, it.guid))

    async def clean(self, item: FeedItem) -> Article | None:
        """Fetch and clean an entry's page and store the article (`page`, then `keep`);
        None when the article was already processed."""
        return (await self.keep([(item, await self.page(item))]))[0]

    async def page(self, item: FeedItem) -> Article:
        """Fetch and clean an entry's page (trafilatura off the loop): its article, not
        stored yet (`keep`)."""
        page = await fetch_page(self.client, item.link) if item.link else None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.clean_pool, clean, item, page)

    async def keep(self, cleaned: Sequence[tuple[FeedItem, Article]]) -> list[Article | None]:
        """Store entries' articles, in one transaction (one commit for a whole poll's
        batch): for each, the article to extract, or None when it was already processed
        (another entry's article with the same URL or text: its entry is done)."""
        out: list[Article | None] = []
        done: list[str] = []
        kinds: list[str] = []
        async with self.store.transaction():
            for item, article in cleaned:
                if await save_article(self.store, article):
                    kinds.append("fallback" if article.fallback else "page")
                    out.append(article)
                    continue
                stored = await get_article(self.store, article.id)
                if stored is not None and stored.item_key == item.key:
                    # the same entry again (a crash or a redelivery after the article was
                    # saved): carry on, events and alerts are idempotent; skipping would
                    # lose them
                    out.append(stored)
                    continue
                log.info("duplicate article skipped: %s", article.url)
                kinds.append("duplicate")
                await mark_item(self.store, item.key, DONE)
                done.append(item.key)
                out.append(None)
        for kind in kinds:  # counted once stored (a batch that fails is redone one by one)
            self.metrics.articles.labels(kind).inc()
        for key in done:
            if self.on_finished is not None:
                self.on_finished(key)
        return out

    @property
    def extract_slots(self) -> int:
        """Batches worth having in flight: one per extraction thread (each waits on a batch
        an extraction process holds, or is the one in-process thread), plus the one whose
        stories are being assigned."""
        return self.nlp_pool._max_workers + 1

    async def extract(self, articles: Sequence[Article]) -> list[ArticleEvents]:
        """Extract events from a batch (off the loop) and give each its story, in order of
        publication (streams.core.ordering: the backtest's order too), so the first article of a
        story is the one that opens it."""
        return await self.assign(*await self.read(articles))

    async def read(self, articles: Sequence[Article]) -> tuple[list[Article], list[list[Event]]]:
        """The batch in order of publication and its events, read off the loop: in a worker
        process (streams/extract/process_pool.py) or the in-process thread. Several batches
        may be read at once; `assign` them in the order they were taken."""
        ordered = sorted(articles, key=lambda a: publication_key(a.published, a.url))
        loop = asyncio.get_running_loop()
        return ordered, await loop.run_in_executor(self.nlp_pool, self.extractor.extract, ordered)

    async def assign(
        self, articles: Sequence[Article], lists: Sequence[list[Event]]
    ) -> list[ArticleEvents]:
        """Give each article's events their story (store work, article by article in the
        order given, in one transaction: the batch is stored whole or not at all), then one
        event per happening for the rules."""
        gazetteer = self.extractor.gazetteer
        out = []
        assigned = await assign_batch(self.store, list(zip(articles, lists, strict=True)),
                                      gazetteer)
        for article, storied in zip(articles, assigned, strict=True):
            # the rules see one event per happening; the store keeps every mention
            happenings = consolidate(storied, gazetteer)
            out.append((ArticleEvents(article=article, events=happenings), storied))
        for _, storied in out:  # counted once stored
            for event in storied:
                self.metrics.events.labels(event.type).inc()
        return [result for result, _ in out]

    async def alert(self, batch: ArticleEvents) -> list[Alert]:
        """Evaluate the rules on one article; the new alerts (see `alert_all`)."""
        return (await self.alert_all([batch]))[0]

    async def alert_all(self, batches: Sequence[ArticleEvents]) -> list[list[Alert]]:
        """Evaluate the rules on each article in turn; record new alerts (deduplicated by
        rule and story) and story updates; mark each article's entry done. Returns each
        article's new alerts.

        One transaction (the rules' state, the alerts with their outbox rows, the entries
        done): an entry is done exactly when its alerts are stored, and the articles cost
        one commit. The dispatcher is woken once it is committed (when the caller holds a
        transaction, `Store.transaction()`, it is part of the caller's)."""
        recorded = asyncio.Event()
        out = []
        async with self.store.transaction():
            for batch in batches:
                matches = await evaluate(self.rules.rulebook, batch, self.rule_state)
                out.append(await self._record(matches, updates=True, wake=recorded))
                if batch.article.item_key:
                    await mark_item(self.store, batch.article.item_key, DONE)
        for fresh in out:  # counted once stored (a batch that fails is redone one by one)
            self._count(fresh)
        if recorded.is_set() and self.wake is not None:
            self.wake.set()
        for batch in batches:
            if batch.article.item_key and self.on_finished is not None:
                self.on_finished(batch.article.item_key)
        return out

    async def tick(self) -> list[Alert]:
        """Time-driven rules (flatline) at this moment; records and returns new alerts."""
        fresh = await self._record(await tick(self.rules.rulebook, self.rule_state, self.clock()))
        self._count(fresh)
        return fresh

    def _count(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            self.metrics.alerts.labels(alert.rule_id).inc()

    async def _record(self, matches: Sequence[Match], updates: bool = False,
                      wake: asyncio.Event | None = None) -> list[Alert]:
        """Record each match's alert once per rule and story (with its outbox rows); a
        repeat becomes a story update when `updates`. Returns the alerts that are new.

        One article raises at most one alert per rule: when it is the first to tell several
        stories a rule matches, one story's alert is sent and the others are recorded with
        it, undelivered, so that their later articles are updates, not alerts. Which one,
        and what an article older than a story's recorded articles raises, is decided as if
        articles came in order of publication (streams/deliver/first_tellers.py). `wake`
        is set when an alert is queued (by default the dispatcher's). The caller counts the
        new alerts in the metrics (`_count`), once they are committed."""
        wake = wake if wake is not None else self.wake
        now: dt.datetime = self.clock()
        grouped: dict[tuple[str, str], list[Alert]] = {}  # (rule, article) -> its alerts
        for match in matches:
            alert = make_alert(match, now, self.settings)
            grouped.setdefault((alert.rule_id, alert.article_id), []).append(alert)
        fresh = []
        for alerts in grouped.values():
            raised = await record_article_alerts(
                self.store, alerts, self.destinations, updates=updates, wake=wake)
            fresh += raised
        return fresh

    async def fail(self, item_key: str, exc: BaseException, *, bug: bool = False) -> str | None:
        """Record why an entry could not be processed: retried later (with backoff, up to
        the attempts allowed) when the failure may be transient, failed for good at once
        when not. `bug`: the exception is a bug in newswatch, not the entry's fault (the
        agents decide, streams/runtime/agents.py): failed for good, its reason saying so.
        Never raises: when the store cannot take even this, the entry stays
        pending and the re-send sweep sends it again. Returns the new state (None then)."""
        transient = not bug and is_transient(exc)
        cause = getattr(exc, "orig", None) or exc  # a store error: the driver's own message
        reason = " ".join(f"{type(cause).__name__}: {cause}".split())[:500]
        if bug:
            reason = f"{BUG}: {reason}"
            self.metrics.bugs.inc()
        state: str | None = None
        try:
            state = await retry_or_fail(
                self.store, item_key, reason, transient=transient, now=self.clock(),
                max_attempts=self.settings.item_max_attempts,
                delay=lambda n: retry_delay(
                    n, self.settings.item_retry_base, self.settings.item_retry_max
                ),
            )
        except Exception as store_exc:  # the store itself failing: the entry stays pending
            log.error("item %s failed (%s) and could not be recorded: %s: %s", item_key,
                      reason, type(store_exc).__name__, store_exc)
        else:
            if state == FAILED:
                log.error("item %s failed for good: %s", item_key, reason)
                self.metrics.failed_items.inc()
                await self._failed_alert(item_key, reason)
            else:
                log.warning("item %s failed, will be retried: %s", item_key, reason)
        if self.on_finished is not None:
            self.on_finished(item_key)
        return state

    async def _failed_alert(self, item_key: str, reason: str) -> None:
        """Tell the operator (once per feed and day) that an entry failed for good."""
        from streams.deliver.operator_alerts import operator_alert, record_operator_alert
        from streams.store.items import get_item

        try:
            row = await get_item(self.store, item_key) or {}
            feed, link = row.get("feed") or "?", row.get("link") or item_key
            now = self.clock()
            alert = operator_alert(
                "entry-failed", feed,
                f"an entry of {feed} failed for good: {link}: {reason} "
                "(`newswatch feeds failed` lists every one)",
                now=now, episode=now.date().isoformat(), link=link, settings=self.settings,
            )
            await record_operator_alert(self.store, alert, self.destinations, wake=self.wake)
        except Exception as exc:  # telling the operator must not fail the entry's record
            log.error("operator alert for item %s failed: %s: %s", item_key,
                      type(exc).__name__, exc)

    def close(self) -> int:
        """Stop the executors, and the extraction processes when this pipeline built them
        (a batch being read fails as transient); how many processes were stopped."""
        self.closed = True
        close_workers = getattr(self.extractor, "close", None)  # a ProcessExtractor's
        stopped = close_workers() if self.owns_extractor and close_workers is not None else 0
        self.nlp_pool.shutdown(wait=False, cancel_futures=True)
        self.clean_pool.shutdown(wait=False, cancel_futures=True)
        return int(stopped)
