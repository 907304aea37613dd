"""The one health model: a pure function from facts to a status and its reasons.

/health, /ready, `feeds list`, /feeds, /api/feeds and the metrics all read it, so they never
disagree. The facts are gathered by streams.runtime.health_facts (the only part doing I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OK, DEGRADED, STARTING = "ok", "degraded", "starting"
FAILING, SILENT = "failing", "silent"
FAILING_ATTEMPTS = 3  # this many failed attempts in a row: the destination is failing


def feed_state(row: Mapping[str, Any]) -> str:
    """A feed row's health: failing when its last poll failed (or it never succeeded),
    silent when feed_health found it quiet for longer than usual, else ok."""
    if row.get("failures") or (row.get("last_attempt") and not row.get("last_success")):
        return FAILING
    return SILENT if row.get("health") == SILENT else OK


def watched(row: Mapping[str, Any], now: dt.datetime, settings: Any) -> bool:
    """A feed polled recently; one dropped from the settings (or an old seed-server port) is
    not failing or silent: it is simply not watched any more."""
    horizon = 2 * max(settings.backoff_max, settings.poll_interval_max)
    last = row.get("last_attempt")
    return last is not None and last >= now - dt.timedelta(seconds=horizon)


@dataclass(frozen=True)
class DestinationFacts:
    """The latest finished delivery attempts to one destination, newest first."""

    name: str
    outcomes: tuple[str, ...] = ()  # sent | retry | dead | in_doubt
    last_error: str = ""
    flagged: str = ""  # a permanent refusal recorded for the destination


@dataclass(frozen=True)
class Facts:
    started: bool = True
    store_error: str = ""  # why the store's write probe failed ("" = it worked)
    rules: int = 0
    rule_problems: tuple[str, ...] = ()  # e.g. "rules folder missing: ..." (last rules kept)
    lag: float = 0.0  # seconds the oldest pending entry has waited
    stuck_deliveries: int = 0  # due deliveries overdue by more than the lag limit
    feeds: tuple[Mapping[str, Any], ...] = ()  # the watched feeds' rows
    destinations: tuple[DestinationFacts, ...] = ()


@dataclass(frozen=True)
class Health:
    status: str  # ok | degraded | starting
    reasons: tuple[str, ...] = ()
    ready: bool = False  # can take work: started and the store writable
    feed_states: Mapping[str, str] = field(default_factory=dict)  # url -> feed_state
    failing_destinations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == OK


def destination_failing(dest: DestinationFacts) -> str:
    """Why the destination is failing ("" when it is not): flagged, its latest attempt
    dead, or its last FAILING_ATTEMPTS attempts all failed."""
    if dest.flagged:
        return f"destination {dest.name} flagged: {dest.flagged}"
    recent = dest.outcomes[:FAILING_ATTEMPTS]
    error = f": {dest.last_error}" if dest.last_error else ""
    if recent and recent[0] == "dead":
        return f"destination {dest.name} failing: last delivery dead{error}"
    if len(recent) == FAILING_ATTEMPTS and "sent" not in recent:
        return f"destination {dest.name} failing: last {FAILING_ATTEMPTS} attempts failed{error}"
    return ""


def assess(facts: Facts, lag_limit: float) -> Health:
    """The status and every reason it is not ok, in a fixed order."""
    states = {str(f["url"]): feed_state(f) for f in facts.feeds}
    if not facts.started:
        return Health(STARTING, ("starting",), False, states)
    reasons: list[str] = []
    if facts.store_error:
        reasons.append(f"store failing: {facts.store_error}")
    if facts.rules == 0:
        reasons.append("no rules loaded")
    reasons.extend(facts.rule_problems)
    if facts.lag > lag_limit:
        reasons.append(f"lag {facts.lag:.0f}s: the oldest pending entry has waited longer "
                       f"than {lag_limit:.0f}s")
    if facts.stuck_deliveries:
        reasons.append(f"{facts.stuck_deliveries} deliveries overdue by more than "
                       f"{lag_limit:.0f}s")
    failing = []
    for dest in facts.destinations:
        why = destination_failing(dest)
        if why:
            failing.append(dest.name)
            reasons.append(why)
    for feed in facts.feeds:
        if states[str(feed["url"])] == FAILING:
            failures = int(feed.get("failures") or 0)
            error = feed.get("error") or "never succeeded"
            reasons.append(f"feed {feed['url']} failing: {failures} failures, last error: {error}")
    return Health(DEGRADED if reasons else OK, tuple(reasons), not facts.store_error, states,
                  tuple(failing))


def as_json(health: Health, facts: Facts, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The body of /health and /ready."""
    body: dict[str, Any] = {
        "status": health.status,
        "ready": health.ready,
        "reasons": list(health.reasons),
        "lag_seconds": round(facts.lag, 1),
        "rules": facts.rules,
        "feed_states": summarize(list(health.feed_states.values())),
        "failing_destinations": list(health.failing_destinations),
    }
    body.update(extra or {})
    return body


def summarize(states: Sequence[str]) -> dict[str, int]:
    """How many feeds are in each state."""
    out: dict[str, int] = {}
    for s in states:
        out[s] = out.get(s, 0) + 1
    return out
