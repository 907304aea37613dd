"""Resolve a date expression ("on Thursday", "Jan. 3", "a day earlier", "19 November 2025")
to an absolute date, against the article's publication date.

Only expressions that name one day resolve; vague ones ("earlier this week", "in 2022",
"this summer") give None: an event date is absent rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

Tense = Literal["past", "future"] | None

MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
WEEKDAYS = {
    name: n
    for n, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
HOLIDAYS = {  # (month, day); the year is the one nearest the publication date
    "new year's eve": (12, 31),
    "new year's day": (1, 1),
    "new year's": (1, 1),
    "christmas eve": (12, 24),
    "christmas day": (12, 25),
    "orthodox christmas": (1, 7),
    "christmas": (12, 25),
}
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s*(?P<year>\d{4}))?"
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}")
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}")
_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_WEEKDAY = re.compile(
    r"\b(?:(?P<rel>this|next|last|past|coming|on)\s+)?(?P<wd>"
    + "|".join(sorted(WEEKDAYS, key=len, reverse=True))
    + r")\b"
)
_OFFSET = re.compile(
    r"\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+days?\s+"
    r"(?P<dir>earlier|before|later|after|ago|prior)\b"
)
_DEICTIC = {
    "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
    "yesterday": -1, "last night": -1, "tomorrow": 1,
    "the day before yesterday": -2, "the day after tomorrow": 2,
}  # fmt: skip
_RELATIVE = {  # relative to the date last mentioned (the reference), not publication
    "the day before": -1, "the previous day": -1, "the following day": 1, "the next day": 1,
    "the day after": 1,
}  # fmt: skip


def parse_published(value: str | None) -> dt.date | None:
    """The date part of an ISO date or datetime string; None when missing or unreadable."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def resolve_date(
    text: str, published: dt.date, reference: dt.date | None = None, tense: Tense = None
) -> dt.date | None:
    """The day a date expression names, or None when it names no single day.

    published anchors deictic words (today, Thursday); reference (the date the article last
    mentioned, else published) anchors "a day earlier"; tense picks the direction of a bare
    weekday (past: the latest on or before publication; future: the next on or after)."""
    t = " ".join(text.lower().replace("’", "'").split())
    ref = reference or published
    for regex in (_ISO, _MONTH_DAY, _DAY_MONTH):
        m = regex.search(t)
        if m:
            return _month_day(m, published)
    for name, (month, day) in HOLIDAYS.items():
        if name in t:
            return _nearest_year(published, month, day)
    for phrase, days in _DEICTIC.items():
        if re.search(rf"\b{phrase}\b", t):
            return published + dt.timedelta(days=days)
    m = _OFFSET.search(t)
    if m:
        n = int(m["n"]) if m["n"].isdigit() else NUMBERS[m["n"]]
        sign = 1 if m["dir"] in ("later", "after") else -1
        base = published if m["dir"] == "ago" else ref
        return base + dt.timedelta(days=sign * n)
    for phrase, days in _RELATIVE.items():
        if phrase in t:
            return ref + dt.timedelta(days=days)
    m = _WEEKDAY.search(t)
    if m:
        return _weekday(WEEKDAYS[m["wd"]], m["rel"], published, tense)
    return None


def _month_day(m: re.Match[str], published: dt.date) -> dt.date | None:
    month = m["month"]
    month_n = int(month) if month.isdigit() else MONTHS[month]
    try:
        if m["year"]:
            return dt.date(int(m["year"]), month_n, int(m["day"]))
        return _nearest_year(published, month_n, int(m["day"]))
    except ValueError:  # "February 30"
        return None


def _nearest_year(published: dt.date, month: int, day: int) -> dt.date | None:
    """The month/day in the year that puts it nearest the publication date."""
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - published).days), default=None)


def _weekday(target: int, rel: str | None, published: dt.date, tense: Tense) -> dt.date:
    ahead = (target - published.weekday()) % 7
    back = (published.weekday() - target) % 7
    if rel == "next":
        return published + dt.timedelta(days=ahead or 7)
    if rel in ("last", "past"):
        return published - dt.timedelta(days=back or 7)
    if rel == "coming" or tense == "future":
        return published + dt.timedelta(days=ahead)
    if tense == "past":
        return published - dt.timedelta(days=back)
    # unknown tense: the nearer one, the past on a tie (news reports more than it announces)
    return published + dt.timedelta(days=ahead) if ahead < back else published - dt.timedelta(
        days=back
    )
