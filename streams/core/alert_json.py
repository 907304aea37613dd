"""An Alert as plain JSON and back: how the store keeps an alert's payload and how a JSONL
line or webhook carries it. The one reader of a stored alert (no other code rebuilds an
Alert from its fields); new alerts are made by streams.deliver.make_alert.new_alert."""

from __future__ import annotations

import json
from typing import Any

from streams.core.records import Alert, Event


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """The alert as plain JSON data (no Faust namespace markers)."""
    return _strip_ns(json.loads(alert.dumps()))


def alert_from_json(data: dict[str, Any]) -> Alert:
    """Rebuild an Alert (with its Event) from `alert_to_json` output."""
    data = _strip_ns(dict(data))
    data["event"] = Event(**data["event"])
    return Alert(**data)


def _strip_ns(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_ns(v) for k, v in value.items() if k != "__faust"}
    if isinstance(value, list):
        return [_strip_ns(v) for v in value]
    return value
