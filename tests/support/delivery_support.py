"""Shared builders for the delivery tests: alerts, stores, a captured sink."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streams.core.records import Alert, Event, alert_id, content_key
from streams.deliver.retry_policy import Message, SendResult, SinkBase
from streams.store import Store


def make_alert(
    rule: str = "mass-casualty-strike", story: str = "story1", article: str = "art1",
    title: str = "Russian strike on Kherson kills at least 24", source: str = "Kyiv Independent",
    killed: float | None = 24, destinations: Sequence[str] = ("console", "jsonl"),
    severity: str = "high", actors: Sequence[str] = ("Russia", "Ukraine"),
    published: str | None = "2026-01-02", roles: dict[str, list[str]] | None = None,
    attribution: str | None = None,
) -> Alert:
    """An alert as the lead's alert stage builds it."""
    quantities: dict[str, Any] = {}
    if killed is not None:
        quantities["killed"] = {"value": killed, "qualifier": "at least",
                                "text": f"at least {killed:g}"}
    event = Event(
        id=content_key("ev", article), article_id=article, type="attack",
        actors=list(actors), location=["Kherson"], quantities=quantities,
        date="2026-01-02", status="occurred",
        evidence=f"{title}, officials said on Friday.", story_id=story,
        roles=roles, attribution=attribution,
    )
    return Alert(
        id=alert_id(rule, story), rule_id=rule, severity=severity, story_id=story, title=title,
        article_url=f"https://news.example/{article}", article_id=article, source=source,
        event=event, message=title, created="2026-01-02T10:00:00+00:00",
        destinations=list(destinations), published=published,
    )


async def open_store(tmp_path: Any) -> Store:
    """A fresh SQLite store in tmp_path."""
    return await Store(f"sqlite+aiosqlite:///{tmp_path / 'nw.db'}").open()


class ScriptedSink(SinkBase):
    """A sink that answers from a script of results (last one repeats) and keeps what it got."""

    def __init__(self, name: str, results: Sequence[SendResult] = (), threads: bool = False,
                 digest_window: float = 0.0) -> None:
        self.name = name
        self.results = list(results) or [SendResult.sent()]
        self.threads = threads
        self.digest_window = digest_window
        self.got: list[list[Message]] = []

    async def send(self, messages: Sequence[Message]) -> SendResult:
        self.got.append(list(messages))
        return self.results.pop(0) if len(self.results) > 1 else self.results[0]
