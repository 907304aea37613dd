"""One line per wrong or missed alert of a corpus replay, saying what the extractor read.

A wrong alert shows the event that fired it; a missed alert shows the events of the rule's
type extracted from each article the entry accepts, or "no <type> event extracted".
Pure: takes the replayed articles (streams.runtime.backtest.Replayed) and the alert score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from streams.core.records import Event
from streams.quality.alerts import AlertScore, stem
from streams.runtime.backtest import Replayed

EVIDENCE = 160  # characters of evidence a line shows


def rule_types(docs: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """rule id -> the event types its `when.type` names, from parsed rule files."""
    out: dict[str, tuple[str, ...]] = {}
    for doc in docs:
        for rule in (doc or {}).get("rules") or []:
            value = (rule.get("when") or {}).get("type")
            if isinstance(value, Mapping):
                value = value.get("any") or value.get("all") or []
            types = [value] if isinstance(value, str) else list(value or [])
            out[str(rule.get("id"))] = tuple(str(t) for t in types)
    return out


def describe(event: Event) -> str:
    """The event's fields a reader needs to see why it fired or failed to."""
    counts = " ".join(
        f"{role}={_number(event.quantity(role))}" for role in ("killed", "prisoners")
        if event.quantity(role) is not None
    )
    evidence = " ".join(event.evidence.split())
    if len(evidence) > EVIDENCE:
        evidence = evidence[: EVIDENCE - 1] + "…"
    parts = [
        event.type,
        f"sides=[{', '.join(event.sides or [])}]",
        f"actors=[{', '.join(event.actors)}]",
        f"place=[{', '.join(event.location)}]",
        f"date={event.date or '-'}",
        f"status={event.status}",
        counts or "count=-",
        f"topic=[{', '.join(event.topic or [])}]",
        f"background={'yes' if event.background else 'no'}",
        f"story={_short(event.story_id) or '-'}",
        f'"{evidence}"',
    ]
    return " ".join(parts)


def _short(story_id: str) -> str:
    """A story id shortened to tell stories apart: its day (a dated id) and 8 hex digits."""
    day, _, key = story_id.rpartition("-")
    return f"{day}-{key[:8]}" if day else key[:8]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def diagnose(
    score: AlertScore, replayed: Sequence[Replayed], types: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every wrong, repeated and missed alert of every rule scored, one line each (a missed
    entry with several extracted events takes one line per event)."""
    by_stem = {stem(r.article): r for r in replayed}
    lines: list[str] = []
    for rule, s in score.rules.items():
        for art in s.wrong:
            lines += _fired(rule, art, by_stem, "wrong   ", first=True)
        for art in dict.fromkeys(s.repeated):
            lines += _fired(rule, art, by_stem, "repeat  ", first=False)
        for entry in s.missed:
            lines += _missed(rule, entry, by_stem, types.get(rule, ()))
    return lines


def _fired(rule: str, art: str, by_stem: Mapping[str, Replayed], mark: str, first: bool
           ) -> list[str]:
    found = [a.event for a in by_stem[art].alerts if a.rule_id == rule] if art in by_stem else []
    found = found[:1] if first else found[1:]
    return [f"{mark}{rule} {art}: {describe(e)}" for e in found] or [
        f"{mark}{rule} {art}: (alert not found in the replay)"
    ]


def _missed(rule: str, entry: str, by_stem: Mapping[str, Replayed], types: Sequence[str]
            ) -> list[str]:
    lines = []
    label = "/".join(types) or "matching"
    for art in entry.split("|"):
        replay = by_stem.get(art)
        events = [e for e in (replay.events if replay else []) if not types or e.type in types]
        head = f"missed  {rule} {entry}: {art}"
        if replay is None:
            lines.append(f"{head} not replayed (not in the feed, or not cleaned)")
        elif not events:
            lines.append(f"{head} no {label} event extracted")
        else:
            lines += [f"{head} {describe(e)}" for e in events]
    return lines
