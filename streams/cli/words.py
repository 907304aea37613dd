"""How the CLI says numbers, spans and times: counted nouns in the right number ("1 feed",
"2 feeds"), a span as the user writes one ("2h", "1d 6h"), a time in UTC marked as such."""

from __future__ import annotations

import datetime as dt

from streams.core.clock import aware


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 alert', '3 alerts' ('1 story', '2 stories' with plural='stories')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def span(value: dt.timedelta) -> str:
    """A duration in the units `--for` takes: '2h', '1d 6h', '45m', '30s'."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


def utc(value: dt.datetime | None) -> str:
    """'2026-12-01 18:40Z' (UTC, to the minute), or '-' for none."""
    return f"{aware(value).astimezone(dt.UTC):%Y-%m-%d %H:%M}Z" if value is not None else "-"


def clip(text: str, width: int) -> str:
    """text if it fits in width characters, else its start and '…' (width in all), so a reader
    sees that it was cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
