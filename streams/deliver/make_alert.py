"""The alert stage's pure part: a rule match becomes an Alert with a deterministic id."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from streams.config.settings import Settings
from streams.core.records import Alert, Article, Event, alert_id
from streams.deliver.routing import route


class _Group(Protocol):
    @property
    def wait(self) -> float: ...
    @property
    def interval(self) -> float: ...


class _Rule(Protocol):
    @property
    def group(self) -> _Group | None: ...
    @property
    def id(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def destinations(self) -> tuple[str, ...]: ...


class _Match(Protocol):
    @property
    def rule(self) -> _Rule: ...
    @property
    def event(self) -> Event: ...
    @property
    def article(self) -> Article: ...
    @property
    def message(self) -> str: ...


def make_alert(match: _Match, now: dt.datetime, settings: Settings | None = None) -> Alert:
    """The Alert for a match: one per rule and story, whatever article or worker found it.
    Destinations: the rule's own, else the route for its severity (streams.deliver.routing)."""
    event, article = match.event, match.article
    return Alert(
        id=alert_id(match.rule.id, event.story_id),
        rule_id=match.rule.id,
        severity=match.rule.severity,
        story_id=event.story_id,
        title=article.title,
        article_url=article.url,
        article_id=article.id,
        source=article.source,
        event=event,
        message=match.message,
        created=now.isoformat(),
        destinations=list(route(match.rule.destinations, match.rule.severity, settings)),
        # a digest rule: its deliveries wait for the group (streams/deliver/dispatcher.py)
        group_wait=match.rule.group.wait if match.rule.group else 0.0,
        group_interval=match.rule.group.interval if match.rule.group else 0.0,
        published=article.published,
    )
