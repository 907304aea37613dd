"""The alert stage's pure part: the one constructor of a new Alert (`new_alert`: a
deterministic id, destinations by the routing rule) and a rule match made into one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


def new_alert(
    rule_id: str,
    severity: str,
    event: Event,
    *,
    title: str,
    message: str,
    now: dt.datetime,
    destinations: Sequence[str] = (),
    settings: Settings | None = None,
    article_url: str = "",
    article_id: str = "",
    source: str = "",
    published: str | None = None,
    group_wait: float = 0.0,
    group_interval: float = 0.0,
) -> Alert:
    """Every new Alert is made here (a rule's match, a flatline tick, an operator alert):
    its id from rule and story (so it is recorded once), its destinations by the one
    routing rule (streams.deliver.routing.route): `destinations` when it names its own (a
    rule's, or the others of a dead destination), else the route of its severity."""
    return Alert(
        id=alert_id(rule_id, event.story_id),
        rule_id=rule_id,
        severity=severity,
        story_id=event.story_id,
        title=title,
        article_url=article_url,
        article_id=article_id,
        source=source,
        event=event,
        message=message,
        created=now.isoformat(),
        destinations=list(route(destinations, severity, settings)),
        group_wait=group_wait,
        group_interval=group_interval,
        published=published,
    )


def make_alert(match: _Match, now: dt.datetime, settings: Settings | None = None) -> Alert:
    """The Alert for a rule's match (an article's event, or a flatline's silence): one per
    rule and story, whatever article or worker found it."""
    rule, event, article = match.rule, match.event, match.article
    return new_alert(
        rule.id, rule.severity, event, title=article.title, message=match.message, now=now,
        destinations=rule.destinations, settings=settings, article_url=article.url,
        article_id=article.id, source=article.source, published=article.published,
        # a digest rule: its deliveries wait for the group (streams/deliver/record.py)
        group_wait=rule.group.wait if rule.group else 0.0,
        group_interval=rule.group.interval if rule.group else 0.0,
    )
