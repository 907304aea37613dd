"""An Alert as plain JSON and back: how the store keeps an alert's payload and how a JSONL
line or webhook carries it. The one reader of a stored alert (no other code rebuilds an
Alert from its fields); new alerts are made by streams.deliver.make_alert.new_alert."""

from __future__ import annotations

from typing import Any

from streams.core.records import Alert


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """The alert as plain JSON data (its event nested as a dict)."""
    return alert.to_dict()


def alert_from_json(data: dict[str, Any]) -> Alert:
    """Rebuild an Alert (with its Event) from `alert_to_json` output."""
    return Alert.from_dict(data)
