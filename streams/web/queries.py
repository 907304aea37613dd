"""Small helpers the dashboard's read queries share: times, dates and JSON-ready values.

Every page and its /api/ twin are built from the same plain dicts (JSON types only), so the
HTML and the JSON can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from streams.core.clock import day_start, moment

__all__ = ["aware", "day_start", "iso", "number", "one", "parse_day", "quantity_text",
           "quantity_value"]


def aware(value: object) -> dt.datetime | None:
    """A timezone-aware UTC datetime from a column value (SQLite returns naive ones)."""
    return moment(value)


def iso(value: object) -> str | None:
    """ISO 8601 text of a datetime column (UTC), or None."""
    moment = aware(value)
    return moment.isoformat() if moment else None


def parse_day(text: str | None) -> dt.date | None:
    """A date from '2026-01-01' (or the date part of a datetime); None when absent or bad."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return None


def one(params: Mapping[str, object], name: str) -> str:
    """One query parameter, stripped; '' when absent."""
    value = params.get(name)
    return str(value).strip() if value is not None else ""


def number(value: object) -> str:
    """24.0 -> '24', 2.5 -> '2.5'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def quantity_text(quantity: object) -> str:
    """A stated quantity as the article put it: 'at least 24'."""
    if isinstance(quantity, Mapping):
        if quantity.get("text"):
            return str(quantity["text"])
        parts = [quantity.get("qualifier"), number(quantity.get("value"))]
        return " ".join(str(p) for p in parts if p)
    return number(quantity)


def quantity_value(quantity: object) -> float | None:
    """The number of a stated quantity, or None."""
    raw = quantity.get("value") if isinstance(quantity, Mapping) else quantity
    if not isinstance(raw, str | int | float):  # what float() takes of a JSON value
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None
