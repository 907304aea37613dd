"""Rule kinds: one class each, in a registry (elastalert's ruletypes, without the I/O at init).

A kind decides, for an event that met a rule's conditions, whether the rule fires, using
the history kept in a RuleState. Kinds declare their own parameters (window, min_sources...)
which the rulebook validates. Time is the batch clock: the article's publication time (so a
backtest replays windows as they were), else the arrival time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from streams.core.rule_yaml import Path_, RuleSyntaxError, parse_duration
from streams.evaluate.event_view import EventView
from streams.evaluate.rule_state import RuleState
from streams.knowledge.gazetteer import fold


class Rule(Protocol):
    """What a kind reads of a rule (streams.evaluate.rulebook.Rule is one): its id and the
    kind's parameters. A protocol, so that the rulebook, which holds the kinds, is not
    imported back."""

    @property
    def id(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

TERM_FIELDS = ("actors", "sides", "location", "type", "source")


@dataclass(frozen=True)
class Param:
    """A kind's parameter: how to read it and its default (REQUIRED when none)."""

    type: str  # duration | count | number | text | choice
    default: Any = None
    choices: tuple[str, ...] = ()
    required: bool = False
    zero_ok: bool = False  # a duration of 0 is meaningful (learn_for: 0d)

    def parse(self, value: Any, path: Path_) -> Any:
        if self.type == "duration":
            seconds = parse_duration(value, path)
            if seconds <= 0 and not self.zero_ok:
                raise RuleSyntaxError(path, "expected a duration above zero")
            return seconds
        if self.type in ("count", "number"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RuleSyntaxError(path, f"expected a number, got {value!r}")
            if self.type == "count" and (value != int(value) or value < 1):
                raise RuleSyntaxError(path, f"expected a whole number of at least 1, got {value}")
            return int(value) if self.type == "count" else float(value)
        if self.type == "choice" and value not in self.choices:
            raise RuleSyntaxError(path, f"expected one of: {', '.join(self.choices)}")
        if not isinstance(value, str) or not value:
            raise RuleSyntaxError(path, f"expected a text value, got {value!r}")
        return value


@dataclass(frozen=True)
class Fire:
    """A kind's decision to fire; detail goes into the message, story_id overrides the event's."""

    detail: str = ""
    story_id: str | None = None


class Context:
    """What a kind may consult while a batch is evaluated: the state, stories (cached)."""

    def __init__(self, state: RuleState) -> None:
        self.state = state
        self._stories: dict[str, dict[str, Any] | None] = {}

    async def story(self, story_id: str) -> dict[str, Any] | None:
        if story_id not in self._stories:
            self._stories[story_id] = await self.state.story(story_id) if story_id else None
        return self._stories[story_id]


class RuleKind:
    """Base class: `observe` is called for each event that meets the rule's conditions."""

    name: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[dict[str, Param]] = {}

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        raise NotImplementedError


KINDS: dict[str, RuleKind] = {}


def register(cls: type[RuleKind]) -> type[RuleKind]:
    KINDS[cls.name] = cls()
    return cls


def parse_params(kind: RuleKind, raw: Mapping[str, Any], base: Path_) -> tuple[dict, list]:
    """The kind's parameters from a rule's fields: (values, RuleSyntaxErrors)."""
    values: dict[str, Any] = {}
    errors: list[RuleSyntaxError] = []
    for name, param in kind.params.items():
        if name not in raw:
            if param.required:
                errors.append(RuleSyntaxError((*base, "kind"), f"kind {kind.name} needs '{name}'"))
            values[name] = param.default
            continue
        try:
            values[name] = param.parse(raw[name], (*base, name))
        except RuleSyntaxError as exc:
            errors.append(exc)
    return values, errors


def _span(seconds: float) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


@register
class MatchKind(RuleKind):
    name = "match"
    summary = "every event that meets the conditions (at most one alert per story)"

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        return Fire()


@register
class NewKind(RuleKind):
    name = "new"
    summary = "the first article of a story that meets the conditions; not its later articles"

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        if view.event.story_new:
            return Fire("new story")
        # a second event of the opening article, or the same article processed again
        story = await ctx.story(view.event.story_id)
        if story is not None and story.get("first_article") == view.article.id:
            return Fire("new story")
        return None


@register
class CorroboratedKind(RuleKind):
    name = "corroborated"
    summary = "at least min_sources distinct sources report the same story within window"
    params = {"min_sources": Param("count", 2), "window": Param("duration", 86400.0)}

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        window, wanted = rule.params["window"], rule.params["min_sources"]
        key = f"story:{view.event.story_id}"
        source = view.source or fold(view.article.feed or view.article.url)
        await ctx.state.record(rule.id, key, view.event.id, view.at, source)
        count = await ctx.state.sources(rule.id, key, view.at - window, view.at)
        if count < wanted:
            return None
        return Fire(f"{count} sources within {_span(window)}")


@register
class SpikeKind(RuleKind):
    name = "spike"
    summary = "matching events in window exceed factor x the trailing baseline's rate"
    params = {
        "window": Param("duration", 3600.0),
        "baseline": Param("duration", 7 * 86400.0),
        "factor": Param("number", 3.0),
        "min_count": Param("count", 3),
    }

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        p, at, state = rule.params, view.at, ctx.state
        await state.record(rule.id, "events", view.event.id, at, view.source)
        armed = await state.mark(rule.id, "armed", at, "")
        # like elastalert's alert_on_new_data=False: no verdict before a full baseline
        if armed.at > at - p["window"] - p["baseline"]:
            return None
        current = await state.count(rule.id, "events", at - p["window"], at)
        past = await state.count(
            rule.id, "events", at - p["window"] - p["baseline"], at - p["window"]
        )
        expected = past * p["window"] / p["baseline"]
        await state.prune(rule.id, at - p["window"] - p["baseline"])
        if current < p["min_count"] or current <= p["factor"] * expected:
            return None
        if not await state.allow(rule.id, "spike", at, p["window"], view.event.id):
            return None  # one alert per spike: the window that tipped it
        return Fire(f"{current} in {_span(p['window'])}, baseline {expected:.1f}")


@register
class FlatlineKind(RuleKind):
    name = "flatline"
    summary = "fewer than min_count matching events (or items of a feed) within window"
    params = {
        "window": Param("duration", required=True),
        "min_count": Param("count", 1),
        "feed": Param("text"),  # count the articles of this feed (a part of its URL)
    }

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        if rule.params["feed"] is None:
            await self.count_in(rule, view.event.id, view.at, ctx.state)
        return None  # a flatline fires on silence, in `tick`, never on an event

    async def count_in(self, rule: Rule, ref: str, at: float, state: RuleState) -> None:
        """Count one event (or feed article) into the window."""
        await state.mark(rule.id, "armed", at, "")
        await state.record(rule.id, "events", ref, at, "")

    async def tick(self, rule: Rule, at: float, state: RuleState) -> Fire | None:
        """Fire if the window ending at `at` holds too few events; once per window."""
        window, wanted = rule.params["window"], rule.params["min_count"]
        armed = await state.mark(rule.id, "armed", at, "")
        if armed.at > at - window:
            return None  # not watched for a whole window yet: no false alarm at start
        count = await state.count(rule.id, "events", at - window, at)
        await state.prune(rule.id, at - 2 * window)
        if count >= wanted:
            return None
        bucket = str(math.floor(at / window))
        # a tick is not a re-delivered message: a second tick in the window must not fire
        if not await state.allow(rule.id, "flatline", at, window, f"{bucket}@{at}"):
            return None
        what = f"items from {rule.params['feed']}" if rule.params["feed"] else "matching events"
        return Fire(f"{count} {what} in the last {_span(window)} (expected at least {wanted})",
                    story_id=f"flatline-{rule.id}-{bucket}")  # fmt: skip


@register
class NewTermKind(RuleKind):
    name = "new_term"
    summary = "the first time a value of a field (an actor, a place...) is ever seen"
    params = {
        "field": Param("choice", choices=TERM_FIELDS, required=True),
        "learn_for": Param("duration", 0.0, zero_ok=True),
    }

    async def observe(self, rule: Rule, view: EventView, ctx: Context) -> Fire | None:
        armed = await ctx.state.mark(rule.id, "armed", view.at, "")
        fresh = []
        for value in _terms(rule.params["field"], view):
            mark = await ctx.state.mark(rule.id, f"term:{fold(value)}", view.at, view.event.id)
            if mark.ref == view.event.id:  # ours: first seen now (or this event re-processed)
                fresh.append(value)
        learning = view.at < armed.at + (rule.params["learn_for"] or 0.0)
        if not fresh or learning:
            return None
        return Fire(f"new {rule.params['field']}: {', '.join(fresh)}")


def _terms(field: str, view: EventView) -> list[str]:
    event = view.event
    if field == "actors":
        return list(dict.fromkeys(event.actors))
    if field == "location":
        return list(dict.fromkeys(event.location))
    if field == "sides":
        return sorted(view.sides)
    if field == "type":
        return [event.type]
    return [view.article.source] if view.article.source else []
