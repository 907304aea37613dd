"""The thin agents, through Faust's agent.test_context(): each calls its pipeline stage,
sends the result on, and an entry whose stage fails is recorded as failed while the agent
keeps processing the next one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from streams.config.settings import load_settings
from streams.core.records import Article, FeedItem
from streams.runtime.agents import register_agents
from streams.runtime.app import create_app, create_streams


@dataclass
class FakePipeline:
    """Stands in for streams.runtime.pipeline.Pipeline: records what the agents asked of it."""

    cleaned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    async def clean(self, item: FeedItem) -> Article | None:
        if "hostile" in item.link:
            raise ValueError(f"cannot parse {item.link}")
        self.cleaned.append(item.link)
        return Article(id=item.key, url=item.link, title=item.title, text="x", item_key=item.key)

    async def fail(self, item_key: str, exc: BaseException) -> None:
        self.failed.append((item_key, str(exc)))


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


def item(link: str) -> FeedItem:
    return FeedItem(feed="http://feed.example/rss", guid=link, link=link, title=link)


async def test_clean_agent_records_a_failure_and_goes_on(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    app = create_app(settings)
    articles = Recorder()
    streams = replace(create_streams(app, settings), articles=articles)
    service = FakeService(settings)
    agents = register_agents(app, streams, service)  # type: ignore[arg-type]
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
