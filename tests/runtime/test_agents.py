"""The thin agents, through Faust's agent.test_context(): each calls its pipeline stage,
sends the result on, and an entry whose stage fails is recorded as failed while the agent
keeps processing the next one; a bug (not a NewswatchError) is logged with its traceback and
recorded as a bug, never as a bad page."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from streams.config.settings import load_settings
from streams.core.errors import PageError, StoreError
from streams.core.records import Article, FeedItem
from streams.runtime.agents import register_agents
from streams.runtime.app import create_app, create_streams


@dataclass
class FakePipeline:
    """Stands in for streams.runtime.pipeline.Pipeline: records what the agents asked of it."""

    cleaned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    bugs: list[tuple[str, str]] = field(default_factory=list)

    kept: list[list[str]] = field(default_factory=list)  # the links of each `keep` call

    async def page(self, item: FeedItem) -> Article:
        if "hostile" in item.link:
            raise PageError(f"{item.link}: cannot parse")
        if "buggy" in item.link:
            return {}["headline"]  # type: ignore[no-any-return]  # a KeyError: a bug
        if "slow" in item.link:  # a page that takes its time to come
            await asyncio.sleep(0.3)
        self.cleaned.append(item.link)
        return Article(id=item.key, url=item.link, title=item.title, text="x", item_key=item.key)

    async def keep(self, cleaned: list[tuple[FeedItem, Article]]) -> list[Article | None]:
        """Stores the articles together; a disk that refuses one refuses the whole call."""
        self.kept.append([item.link for item, _ in cleaned])
        refused = [item.link for item, _ in cleaned if "refused" in item.link]
        if refused:
            raise StoreError(f"cannot store {refused[0]}: disk I/O error")
        return [article for _, article in cleaned]

    async def fail(self, item_key: str, exc: BaseException, *, bug: bool = False) -> None:
        (self.bugs if bug else self.failed).append((item_key, str(exc)))


@dataclass
class FakeRuntime:
    pipeline: FakePipeline


@dataclass
class Recorder:
    """A stream the agent sends on: keeps what was sent."""

    sent: list[Any] = field(default_factory=list)

    async def send(self, key: Any = None, value: Any = None) -> None:
        self.sent.append(value)


class FakeService:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.runtime = FakeRuntime(FakePipeline())

    async def ready(self) -> FakeRuntime:
        return self.runtime


def item(link: str, published: str | None = None) -> FeedItem:
    return FeedItem(feed="http://feed.example/rss", guid=link, link=link, title=link,
                    published=published)


async def sent(articles: Recorder, n: int) -> None:
    """Wait (up to 5 s) until the agent has sent n articles on."""
    for _ in range(100):
        if len(articles.sent) >= n:
            return
        await asyncio.sleep(0.05)


def clean_agents(tmp_path: Path) -> tuple[Any, Recorder, FakeService, dict[str, Any]]:
    """An app with the agents registered over a fake service, its articles stream recorded."""
    settings = load_settings(data_dir=tmp_path)
    app = create_app(settings)
    articles = Recorder()
    streams = replace(create_streams(app, settings), articles=articles)
    service = FakeService(settings)
    return app, articles, service, register_agents(app, streams, service)  # type: ignore[arg-type]


async def test_clean_agent_records_a_failure_and_goes_on(tmp_path: Path) -> None:
    app, articles, service, agents = clean_agents(tmp_path)
    async with agents["clean"].test_context() as agent:
        await agent.put(item("http://a.example/1"))
        await agent.put(item("http://a.example/hostile"))
        await agent.put(item("http://a.example/2"))
    # iterating a stream builds app.consumer, whose consumer thread (never started without
    # Kafka) owns an event loop of its own: close it, or its __del__ fails at session end
    app.consumer._thread.thread_loop.close()
    assert [a.url for a in articles.sent] == ["http://a.example/1", "http://a.example/2"]
    pipeline = service.runtime.pipeline
    assert pipeline.cleaned == ["http://a.example/1", "http://a.example/2"]
    assert len(pipeline.failed) == 1
    key, reason = pipeline.failed[0]
    assert key == item("http://a.example/hostile").key
    assert "hostile" in reason


async def test_a_bug_is_logged_with_its_traceback_and_not_recorded_as_a_bad_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, articles, service, agents = clean_agents(tmp_path)
    with caplog.at_level(logging.ERROR, logger="streams.runtime.agents"):
        async with agents["clean"].test_context() as agent:
            await agent.put(item("http://a.example/buggy"))
            await agent.put(item("http://a.example/hostile"))
            await agent.put(item("http://a.example/3"))
    app.consumer._thread.thread_loop.close()
    pipeline = service.runtime.pipeline
    # the agent went on after both
    assert [a.url for a in articles.sent] == ["http://a.example/3"]
    # the NewswatchError is the page's failure; the KeyError is a bug, not a bad page
    assert pipeline.failed == [(item("http://a.example/hostile").key,
                                "http://a.example/hostile: cannot parse")]
    assert [key for key, _ in pipeline.bugs] == [item("http://a.example/buggy").key]
    bug_lines = [r for r in caplog.records if "bug" in r.getMessage()]
    assert len(bug_lines) == 1
    assert bug_lines[0].exc_info is not None and bug_lines[0].exc_info[0] is KeyError
    assert "Traceback" in caplog.text and "KeyError" in caplog.text
    assert "hostile" not in caplog.text  # an expected failure is no bug


async def test_articles_go_on_in_order_of_publication_whichever_page_comes_first(
    tmp_path: Path,
) -> None:
    """The entries of a poll are cleaned at once, and a slow page does not let the newer
    articles reach extraction first (they would open the story the older one told first)."""
    app, articles, service, agents = clean_agents(tmp_path)
    async with agents["clean"].test_context() as agent:
        await agent.put(item("http://a.example/newest", "2030-03-02T09:00:00+00:00"))
        await agent.put(item("http://a.example/oldest-slow", "2030-03-01T08:00:00+00:00"))
        await agent.put(item("http://a.example/middle", "2030-03-01T12:00:00+00:00"))
        await sent(articles, 3)
    app.consumer._thread.thread_loop.close()
    pipeline = service.runtime.pipeline
    # the fast pages were cleaned before the slow one, yet they went on after it
    assert pipeline.cleaned.index("http://a.example/oldest-slow") == 2
    assert [a.url for a in articles.sent] == [
        "http://a.example/oldest-slow", "http://a.example/middle", "http://a.example/newest"]


async def test_a_batch_the_store_refuses_is_stored_entry_by_entry_and_only_the_refused_fails(
    tmp_path: Path,
) -> None:
    """The entries of a poll are stored together (one commit); when that fails, each is
    stored on its own, so one entry the store refuses does not fail the others."""
    app, articles, service, agents = clean_agents(tmp_path)
    links = [f"http://a.example/{n}" for n in ("1", "refused", "2")]
    async with agents["clean"].test_context() as agent:
        for n, link in enumerate(links):
            await agent.put(item(link, f"2030-03-01T0{n}:00:00+00:00"))
        await sent(articles, 2)
    app.consumer._thread.thread_loop.close()
    pipeline = service.runtime.pipeline
    assert pipeline.kept == [links, *([link] for link in links)]  # together, then apart
    assert [a.url for a in articles.sent] == ["http://a.example/1", "http://a.example/2"]
    assert [key for key, _ in pipeline.failed] == [item(links[1]).key]
    assert "disk I/O error" in pipeline.failed[0][1]
    assert pipeline.bugs == []
