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
silence term; an early one waits at most two intervals.

Only a regular feed has a phase: one whose gaps stray from their median by at most
`REGULAR` of it (the median absolute deviation, `Rhythm.spread`). A feed publishing at
random moments (gaps of a Poisson process stray about 0.7 of their median) has no next
expected entry to aim at: aiming anyway makes its early entries wait up to two intervals
(simulated, a random feed of one entry a minute: mean wait 10.3-10.9 s by the interval,
11.3-11.6 s aimed), so it keeps the interval alone."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["KEEP", "REGULAR", "Rhythm", "observe", "phase_interval", "rhythm_interval"]

KEEP = 20  # newest dated entries the median gap is taken over
REGULAR = 0.25  # a feed whose gaps stray at most this share of their median is timed by phase
SKEW = dt.timedelta(minutes=5)  # a date this far ahead of our clock is not believed


@dataclass(frozen=True)
class Rhythm:
    """How a feed publishes: the median gap between its recent entries and its newest one."""

    gap: float | None = None  # seconds; None: too few dated entries to tell
    newest: dt.datetime | None = None
    dated: bool = True  # from the entries' own dates (False: from when we saw them arrive)
    # the gaps' median absolute deviation over their median (0: like clockwork); None: unknown
    spread: float | None = None

    @property
    def regular(self) -> bool:
        """Dated, and its gaps keep close to their median: its next entry can be expected."""
        return self.dated and self.spread is not None and self.spread <= REGULAR


def observe(published: Iterable[dt.datetime | None], now: dt.datetime) -> Rhythm:
    """The rhythm of one document's entries (their publication dates; None: undated)."""
    dates = sorted(d for d in published if d is not None and d <= now + SKEW)[-KEEP:]
    if not dates:
        return Rhythm()
    gaps = [(b - a).total_seconds() for a, b in zip(dates, dates[1:], strict=False)]
    newest = min(dates[-1], now)
    if not gaps:
        return Rhythm(None, newest)
    gap = statistics.median(gaps)
    spread = statistics.median(abs(g - gap) for g in gaps) / gap if gap > 0 else None
    return Rhythm(gap, newest, spread=spread)


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
    waits for it, down to the floor. `interval` itself when the rhythm is not regular (no
    dated newest entry, gaps too scattered to expect the next), or when the expected entry is
    already late."""
    if not rhythm.regular or rhythm.gap is None or rhythm.newest is None:
        return interval
    due = (rhythm.newest - now).total_seconds() + rhythm.gap * (1.0 + margin)
    if due <= 0:
        return interval
    polls = max(1, int(due // interval))
    return min(ceiling, max(floor, due / polls))
