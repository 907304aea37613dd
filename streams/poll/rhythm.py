"""A feed's own rhythm, and the poll interval it earns (pure: no I/O).

Miniflux's entry-frequency scheduler, in spirit: a feed that publishes often is polled
often, one that publishes rarely is polled rarely, between a floor and a ceiling. Miniflux
divides a week by the entries of the last week; that rate cannot tell a feed posting every
minute from one posting sixty entries in one burst an hour, and a week of history reacts
slowly. Here the interval follows the gaps between the feed's recent entries:

    interval = fraction x max(median recent gap, silence since the newest entry)

clamped to [floor, ceiling]. With fraction 1/4 a feed posting every minute is polled every
15 s: an entry waits on average half of that, so it reaches processing ~8 s after it is
published. The silence term keeps bursty and dormant feeds polite: right after a burst the
feed is polled at the floor, then each quiet poll lengthens the next by a quarter (a silence
of S seconds costs about ln(S / floor) / ln 1.25 polls: ~25 for an hour, a handful more for
a week), up to the ceiling. Most of those polls are conditional GETs answered 304.

The gaps come from the entries' own dates (the newest `KEEP`, future dates ignored); a feed
without dates falls back to the times newest entries were first seen (the stored usual
gap). A feed with neither gets the fixed default interval. What the feed asks (TTL,
Cache-Control max-age) and Retry-After are lower bounds over all this (decide.py).

Phase (`phase_interval`): the interval says how often, not when. Polls at a fixed interval
fall anywhere in a feed's gap, so an entry waits half the interval on average (7.5 s at the
15 s floor). A feed with dated entries tells when its next one is due, newest + usual gap;
the polls before it are spread evenly, each at least the rhythm's interval apart, so that
one lands a small margin (a share of the gap) after it. A punctual feed is then seen within
the margin, with no more polls than before: the intervals are stretched to fit, and only a
poll already closer to the expected entry than the interval is brought to it (never below
the floor). An entry later than expected falls back to the rhythm's interval and its
silence term; an early one waits at most two intervals."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["KEEP", "Rhythm", "observe", "phase_interval", "rhythm_interval"]

KEEP = 20  # newest dated entries the median gap is taken over
SKEW = dt.timedelta(minutes=5)  # a date this far ahead of our clock is not believed


@dataclass(frozen=True)
class Rhythm:
    """How a feed publishes: the median gap between its recent entries and its newest one."""

    gap: float | None = None  # seconds; None: too few dated entries to tell
    newest: dt.datetime | None = None
    dated: bool = True  # from the entries' own dates (False: from when we saw them arrive)


def observe(published: Iterable[dt.datetime | None], now: dt.datetime) -> Rhythm:
    """The rhythm of one document's entries (their publication dates; None: undated)."""
    dates = sorted(d for d in published if d is not None and d <= now + SKEW)[-KEEP:]
    if not dates:
        return Rhythm()
    gaps = [(b - a).total_seconds() for a, b in zip(dates, dates[1:], strict=False)]
    return Rhythm(statistics.median(gaps) if gaps else None, min(dates[-1], now))


def rhythm_interval(
    rhythm: Rhythm, now: dt.datetime, *, fraction: float, floor: float, ceiling: float,
    default: float,
) -> float:
    """Seconds to the next poll for this rhythm: a fraction of the longer of the usual gap
    and the silence since the newest entry, within [floor, ceiling]; `default` when the
    rhythm is unknown."""
    if rhythm.gap is None:
        return default
    silence = (now - rhythm.newest).total_seconds() if rhythm.newest is not None else 0.0
    return min(ceiling, max(floor, fraction * max(rhythm.gap, silence, 0.0)))


def phase_interval(
    rhythm: Rhythm, now: dt.datetime, interval: float, *, margin: float, floor: float,
    ceiling: float,
) -> float:
    """Seconds to the next poll so that one poll lands `margin` (a share of the gap) after
    the next expected entry (newest + gap), the polls until then spread evenly and each at
    least `interval` (the rhythm's) apart; a poll closer than that to the expected entry
    waits for it, down to the floor. `interval` itself when the rhythm has no dated newest
    entry, or when the expected entry is already late."""
    if not rhythm.dated or rhythm.gap is None or rhythm.newest is None:
        return interval
    due = (rhythm.newest - now).total_seconds() + rhythm.gap * (1.0 + margin)
    if due <= 0:
        return interval
    polls = max(1, int(due // interval))
    return min(ceiling, max(floor, due / polls))
