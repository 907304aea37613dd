"""A store that fails for a while loses no entry (issue 14, failures 3 and the retry part
of 1): a poll is recorded whole or not at all, so the feed's ETag never moves past entries
that were not stored and the next poll asks unconditionally; entries whose processing the
store could not mark are sent again without a restart; failures that may pass are retried
with backoff up to a limit, failures that will not are failed at once, and both are listed."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import web
from click.testing import CliRunner
from feeds_support import Loopback
from store_faults import FullDisk
from waiting import until

from streams.config.settings import load_settings
from streams.core.records import FeedItem
from streams.poll.feeder import FairFeeder
from streams.poll.loop import PollLoop
from streams.runtime.bootstrap import Runtime, build_runtime
from streams.store.feeds import get_feed
from streams.store.items import (
    DONE,
    count_items,
    due_again,
    failed_items,
    mark_item,
    retry_or_fail,
)

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = 40
ETAG = '"v1"'

pytestmark = pytest.mark.timeout(240)


class NewsServer:
    """A feed of ENTRIES entries with an ETag (answering 304 to it) and a page per entry."""

    def __init__(self) -> None:
        self.server = Loopback()
        self.asked: list[str | None] = []  # If-None-Match of each feed request

    async def feed(self, request: web.Request) -> web.Response:
        self.asked.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        items = "".join(
            f"<item><title>Talks in Istanbul, round {n}</title>"
            f"<link>{self.server.url(f'/a/{n}')}</link><guid>urn:e:{n}</guid>"
            f"<description>Delegations met in Istanbul for round {n} of talks.</description>"
            "</item>"
            for n in range(ENTRIES)
        )
        body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
                f"<link>http://example.org/</link>{items}</channel></rss>")
        return web.Response(body=body.encode(), content_type="application/rss+xml",
                            headers={"ETag": ETAG})

    async def page(self, request: web.Request) -> web.Response:
        n = request.match_info["n"]
        html = (f"<html><head><title>Round {n}</title></head><body><article><p>Round {n} of "
                "the talks between the delegations took place in Istanbul on Monday, the "
                "ministry said, and both sides agreed to meet again.</p></article></body>"
                "</html>")
        return web.Response(text=html, content_type="text/html")

    async def start(self) -> NewsServer:
        self.server.route("/feed", self.feed)
        self.server.app.router.add_get("/a/{n}", self.page)
        await self.server.start()
        return self

    @property
    def url(self) -> str:
        return self.server.url("/feed")


@pytest.fixture
async def news() -> AsyncIterator[NewsServer]:
    server = await NewsServer().start()
    yield server
    await server.server.stop()


@pytest.fixture
async def runtime(tmp_path: Path, news: NewsServer, extractor) -> AsyncIterator[Runtime]:  # type: ignore[no-untyped-def]
    settings = load_settings(
        data_dir=tmp_path, database=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        rules_dir=ROOT / "rules", taxonomy_dir=ROOT / "rules" / "taxonomy",
        serve_seeds=False, feeds=[], allow_hosts=[f"127.0.0.1:{news.server.port}"],
        backoff_base=0.05, backoff_max=0.2, item_retry_base=0.05, item_retry_max=0.2,
        item_max_attempts=3,
    )
    rt = await build_runtime(settings, deliver=False, extractor=extractor)
    yield rt
    await rt.close()


async def _process(rt: Runtime, item: FeedItem) -> None:
    """What the clean, extract and alert agents do with one entry (streams/runtime/agents.py)."""
    try:
        article = await rt.pipeline.clean(item)
        if article is not None:
            for batch in await rt.pipeline.extract([article]):
                await rt.pipeline.alert(batch)
    except Exception as exc:
        await rt.pipeline.fail(item.key, exc)


async def test_full_disk_loses_no_entry_and_the_next_poll_is_unconditional(
    runtime: Runtime, news: NewsServer, tmp_path: Path
) -> None:
    disk = FullDisk(tmp_path / "s.db")
    disk.fill()
    first = await runtime.pipeline.poll([news.url])
    assert first == []
    row = await get_feed(runtime.store, news.url)
    assert row is not None and row["etag"] is None and row["items_seen"] == 0
    assert "database or disk is full" in row["error"]
    assert await count_items(runtime.store) == {}

    # still full: asked again without the ETag, so a 304 cannot hide the entries
    await asyncio.sleep(0.3)  # the backoff after a store failure (backoff_max=0.2 s)
    assert await runtime.pipeline.poll([news.url]) == []
    disk.lift()
    await asyncio.sleep(0.3)
    recorded = await runtime.pipeline.poll([news.url])
    assert news.asked == [None, None, None]
    assert len(recorded) == ENTRIES
    row = await get_feed(runtime.store, news.url)
    assert row is not None and row["etag"] == ETAG and row["items_seen"] == ENTRIES
    assert await count_items(runtime.store) == {"pending": ENTRIES}
    assert await runtime.pipeline.poll([news.url]) == []  # conditional again: a 304
    assert news.asked[-1] == ETAG


async def test_entries_the_store_could_not_mark_are_processed_again_without_a_restart(
    runtime: Runtime, news: NewsServer, tmp_path: Path
) -> None:
    sent: asyncio.Queue[FeedItem] = asyncio.Queue()
    feeder = FairFeeder(sent.put, limit=8, expire_after=60.0)
    runtime.pipeline.on_finished = feeder.finished
    loop = PollLoop(runtime.pipeline, feeder)
    disk = FullDisk(tmp_path / "s.db")
    processed: list[str] = []

    async def agents() -> None:
        while True:
            item = await sent.get()
            await _process(runtime, item)
            processed.append(item.key)
            if len(processed) == 10:
                disk.fill()  # the disk fills up mid-way: marking entries done fails

    tasks = [asyncio.create_task(feeder.run()), asyncio.create_task(agents())]
    try:
        assert await loop.start_due([news.url]) == [news.url]
        await until(lambda: len(processed) >= 20, 120, "20 entries through processing",
                    every=0.05)
        counts = await count_items(runtime.store)
        assert counts.get("pending", 0) >= ENTRIES - 10  # nothing marked since the disk filled
        disk.lift()
        # the sweep finds what stayed pending and sends it again; the worker never restarts
        async def all_done() -> bool:
            await loop.resend(pending_after=0.0)
            return await count_items(runtime.store) == {"done": ENTRIES}

        await until(all_done, 120, "every entry done", every=0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert len(set(processed)) == ENTRIES


async def _polled(runtime: Runtime, news: NewsServer) -> list[FeedItem]:
    items = await runtime.pipeline.poll([news.url])
    assert len(items) == ENTRIES
    return items


async def _store_error(runtime: Runtime, tmp_path: Path, key: str) -> Exception:
    """The error the store raises when a full disk refuses to mark an entry."""
    disk = FullDisk(tmp_path / "s.db")
    disk.fill()
    try:
        await mark_item(runtime.store, key, DONE)
    except Exception as exc:
        return exc
    finally:
        disk.lift()
    raise AssertionError("the store took the write")


async def test_transient_failures_are_retried_with_backoff_then_failed_and_listed(
    runtime: Runtime, news: NewsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = await _polled(runtime, news)
    retried, given_up = items[0], items[1]
    error = await _store_error(runtime, tmp_path, retried.key)
    assert isinstance(error, sa.exc.OperationalError | sa.exc.IntegrityError)

    assert await runtime.pipeline.fail(retried.key, error) == "retrying"
    # due again only after its backoff, then picked up by the sweep and processed
    hour_ago = runtime.pipeline.clock() - dt.timedelta(hours=1)  # no pending entry is stale
    now = runtime.pipeline.clock()
    assert [i.key for i in await due_again(runtime.store, now, hour_ago, set())] == []
    await asyncio.sleep(0.1)
    now = runtime.pipeline.clock()
    assert [i.key for i in await due_again(runtime.store, now, hour_ago, set())] == [retried.key]
    await _process(runtime, retried)
    assert (await count_items(runtime.store))["done"] == 1

    # a failure that keeps coming back is given up after item_max_attempts (3)
    states = [await runtime.pipeline.fail(given_up.key, TimeoutError("page took too long"))
              for _ in range(3)]
    assert states == ["retrying", "retrying", "failed"]
    rows = {r["key"]: r for r in await failed_items(runtime.store)}
    assert rows[given_up.key]["error"] == (
        "gave up after 3 attempts: TimeoutError: page took too long")

    out = await _feeds_failed(runtime, monkeypatch)
    assert given_up.link in out and "gave up after 3 attempts" in out
    # and the operator is told, once for the feed that day
    async with runtime.store.begin() as conn:
        told = (await conn.execute(
            sa.text("SELECT payload FROM alerts WHERE rule_id = 'entry-failed'")
        )).all()
    assert len(told) == 1 and given_up.link in str(told[0][0])


async def test_a_permanent_failure_is_failed_at_once_and_listed(
    runtime: Runtime, news: NewsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = await _polled(runtime, news)
    broken = items[2]
    reason = ValueError("page cannot be parsed: no <html> element")
    assert await runtime.pipeline.fail(broken.key, reason) == "failed"
    await asyncio.sleep(0.3)  # past any retry delay: still never sent again
    now = runtime.pipeline.clock()
    later = now.replace(year=now.year + 1)
    again = await due_again(runtime.store, later, now, set())
    assert broken.key not in {i.key for i in again}
    out = await _feeds_failed(runtime, monkeypatch)
    assert "failed" in out and broken.link in out
    assert "permanent: ValueError: page cannot be parsed" in out


async def test_the_retry_limit_holds_when_retries_are_recorded_directly(runtime: Runtime,
                                                                        news: NewsServer) -> None:
    items = await _polled(runtime, news)
    now = runtime.pipeline.clock()
    states = [
        await retry_or_fail(runtime.store, items[3].key, "OperationalError: locked",
                            transient=True, now=now, max_attempts=2, delay=lambda n: 10.0 * n)
        for _ in range(2)
    ]
    assert states == ["retrying", "failed"]


async def _feeds_failed(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> str:
    """`newswatch feeds failed` on the runtime's store (in a thread: it runs its own loop)."""
    from streams.cli import main

    monkeypatch.setenv("NEWSWATCH_DATABASE", runtime.store.url)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["feeds", "failed"])
    assert result.exit_code == 0, result.output
    return str(result.output)
