"""Durations as people write them, one grammar for rules, silences and commands:
a number and a unit, repeated ('90s', '15m', '24h', '7d', '2w', '1h30m', '1.5h'), units
s, m, h, d, w in either case, and a sign ('-60d', '+7d') where the caller allows one."""

from __future__ import annotations

import datetime as dt
import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhdw])")
_WHOLE = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)[smhdw])+")


class DurationError(ValueError):
    """Text that is not a duration; the message quotes it."""


def parse_duration(text: object, *, signed: bool = False) -> dt.timedelta:
    """The timedelta `text` says; DurationError when it is not text of the grammar above
    (a sign only when `signed`)."""
    raw = text.strip().lower() if isinstance(text, str) else ""
    sign = 1
    if signed and raw[:1] in ("+", "-") and raw:
        sign, raw = (-1 if raw[0] == "-" else 1), raw[1:]
    if not raw or not _WHOLE.fullmatch(raw):
        raise DurationError(f"{text!r} is not a duration; write e.g. 30m, 24h or 7d")
    seconds = sum(float(n) * UNITS[u] for n, u in _PART.findall(raw))
    return dt.timedelta(seconds=sign * seconds)


def positive_duration(text: object) -> dt.timedelta:
    """A duration longer than zero (how long a silence lasts); DurationError otherwise."""
    try:
        span = parse_duration(text)
    except DurationError:
        span = dt.timedelta(0)
    if span <= dt.timedelta(0):
        raise DurationError(f"cannot read duration {text!r}: use e.g. 30m, 2h, 1d")
    return span
