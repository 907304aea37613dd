"""Which silences hold an alert, free of I/O: a silence holds an alert when every criterion
it sets (rule, story, actor) matches; it holds it at its destination, or everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streams.core.records import Alert


def matches(silence: Any, alert: Alert) -> bool:
    """True when every criterion the silence sets matches the alert (a silence of the store,
    streams.store.silences.Silence, or a row of its table)."""
    if silence.rule_id and silence.rule_id != alert.rule_id:
        return False
    if silence.story_id and silence.story_id != alert.story_id:
        return False
    if silence.actor:
        actors = {a.casefold() for a in alert.event.actors}
        if silence.actor.casefold() not in actors:
            return False
    return True


def silencing(active: Iterable[Any], alert: Alert) -> dict[str, str]:
    """destination (or "*") -> the reason, for every active silence matching the alert."""
    out: dict[str, str] = {}
    for silence in active:
        if matches(silence, alert):
            reason = f"silenced by #{silence.id} until {silence.until:%Y-%m-%d %H:%M}Z"
            if silence.reason:
                reason += f" ({silence.reason})"
            out.setdefault(silence.destination or "*", reason)
    return out
