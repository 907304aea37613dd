"""The evaluate stage: an article's events against the rulebook -> Matches. No Faust here.

Per event, the view (names, phrases, dates) is computed once and only the rules the index
offers are tried. A rule's kind decides whether it fires (with history from RuleState); its
throttle can hold it back; at most one Match per rule and story leaves one batch (the alert
stage's unique key keeps it to one per rule and story for good). Flatline rules fire on
silence: checked at each batch, and by `tick` which the worker calls on a timer.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.core.records import Article, ArticleEvents, Event, content_key
from streams.evaluate.event_view import EventView, parse_time
from streams.evaluate.kinds import KINDS, Context, FlatlineKind
from streams.evaluate.message import render_message
from streams.evaluate.rule_state import RuleState
from streams.evaluate.rulebook import Rule, Rulebook
from streams.knowledge.gazetteer import fold

__all__ = ["Match", "diff_alerts", "evaluate", "tick"]


@dataclass(frozen=True)
class Match:
    """A rule that fired on an event of an article, with its rendered message."""

    rule: Rule
    event: Event
    article: Article
    message: str


def batch_time(article: Article, now: float | None = None) -> float:
    """The clock of a batch: the article's publication time, else now (epoch seconds)."""
    published = parse_time(article.published)
    return published if published is not None else (now if now is not None else time.time())


async def evaluate(
    rulebook: Rulebook, batch: ArticleEvents, state: RuleState, now: float | None = None
) -> list[Match]:
    """The matches of one article's events; state is read and written for stateful kinds."""
    article, at = batch.article, batch_time(batch.article, now)
    ctx = Context(state)
    matches = await _silences(rulebook, at, state)  # silence before this article, if any
    await _count_feed_items(rulebook, article, at, state)
    fired: set[tuple[str, str]] = set()
    for event in batch.events:
        view = EventView(event, article, rulebook.gazetteer, rulebook.matcher, at)
        for rule in rulebook.candidates(view):
            if not rule.condition.test(view):
                continue
            decision = await KINDS[rule.kind].observe(rule, view, ctx)
            if decision is None or (rule.id, event.story_id) in fired:
                continue
            if rule.throttle is not None and not await state.allow(
                rule.id, f"throttle:{_throttle_key(rule, view)}", at, rule.throttle.period, event.id
            ):
                continue
            fired.add((rule.id, event.story_id))
            story = await ctx.story(event.story_id)
            message = render_message(rule, event, article, story, decision.detail)
            matches.append(Match(rule, event, article, message))
    return matches


async def tick(rulebook: Rulebook, state: RuleState, now: float | dt.datetime) -> list[Match]:
    """Flatline checks at `now` (call it every minute or so): one Match per silent window."""
    at = now.timestamp() if isinstance(now, dt.datetime) else float(now)
    return await _silences(rulebook, at, state)


async def _silences(rulebook: Rulebook, at: float, state: RuleState) -> list[Match]:
    kind = KINDS["flatline"]
    assert isinstance(kind, FlatlineKind)
    out = []
    for rule in _of_kind(rulebook.rules, "flatline"):
        decision = await kind.tick(rule, at, state)
        if decision is not None and decision.story_id:
            event, article = _silence_records(rule, decision.story_id, at, decision.detail)
            out.append(Match(rule, event, article, render_message(rule, event, article, None,
                                                                  decision.detail)))  # fmt: skip
    return out


async def _count_feed_items(rulebook: Rulebook, article: Article, at: float, state: Any) -> None:
    kind = KINDS["flatline"]
    assert isinstance(kind, FlatlineKind)
    for rule in _of_kind(rulebook.rules, "flatline"):
        feed = rule.params["feed"]
        if feed and fold(feed) in fold(article.feed or article.url):
            await kind.count_in(rule, article.id, at, state)


def _of_kind(rules: Iterable[Rule], kind: str) -> list[Rule]:
    return [r for r in rules if r.enabled and r.kind == kind]


def _silence_records(rule: Rule, story_id: str, at: float, detail: str) -> tuple[Event, Article]:
    """A flatline has no article: an Article and Event that describe the silence."""
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    article = Article(
        id=content_key("flatline", story_id),
        url="",
        title=f"{rule.name}: {detail}",
        text=detail,
        published=moment.isoformat(),
        source="newswatch",
        feed=str(rule.params.get("feed") or ""),
    )
    event = Event(
        id=content_key("flatline-event", story_id),
        article_id=article.id,
        type="flatline",
        actors=[],
        location=[],
        quantities={},
        date=moment.date().isoformat(),
        status="occurred",
        evidence=detail,
        story_id=story_id,
        story_new=True,
    )
    return event, article


def _throttle_key(rule: Rule, view: EventView) -> str:
    key = rule.throttle.key if rule.throttle else "rule"
    if key == "story":
        return view.event.story_id
    if key == "type":
        return view.type
    if key == "source":
        return view.source
    if key in ("actors", "location"):
        return "|".join(sorted(view.actors if key == "actors" else view.regions))
    return ""


def _alert_key(alert: dict[str, Any]) -> tuple[str, str]:
    rule = alert.get("rule", alert.get("rule_id", ""))
    return str(rule), str(alert.get("story") or alert.get("story_id") or alert.get("article", ""))


def diff_alerts(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(added, removed): alerts of `new` not in `old` and of `old` not in `new`, by rule
    and story (backtest JSON objects or Alert dicts), each in its list's order."""
    old_keys = {_alert_key(a) for a in old}
    new_keys = {_alert_key(a) for a in new}
    added = [a for a in new if _alert_key(a) not in old_keys]
    removed = [a for a in old if _alert_key(a) not in new_keys]
    return added, removed
