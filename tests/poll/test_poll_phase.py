"""Polls timed by a feed's phase (streams/poll/rhythm.py phase_interval, through decide.py):
a feed with dated entries is polled so that one poll lands a twentieth of its gap after
its next expected entry, the polls before it spread evenly and never closer than its
rhythm's interval, and never below the floor; the feed's word (TTL, Cache-Control,
Retry-After) still wins. Twins: a punctual feed, an irregular one, a silent one, one with
a TTL, an undated one."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from typing import Any

import pytest
from feeds_support import at

from connectors.poll import FetchedFeed
from streams.config.settings import load_settings
from streams.core.records import FeedItem
from streams.poll.decide import FeedState, Schedule, decide
from streams.poll.rhythm import Rhythm, observe, phase_interval

URL = "http://news.example/feed"
NOW = at(0)
RHYTHM = Schedule(interval=300, interval_min=15, interval_max=21_600, adaptive=True,
                  fraction=0.25)
PHASED = Schedule(interval=300, interval_min=15, interval_max=21_600, adaptive=True,
                  fraction=0.25, phase_margin=0.05)


def ago(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


def delay(state: FeedState, schedule: Schedule = PHASED, **fetched: Any) -> float:
    """Seconds to the next poll after a 304 (or what `fetched` says) at NOW."""
    got = FetchedFeed(URL, fetched.pop("status", 304), **fetched)
    return decide(state, got, set(), NOW, schedule).delay


def minute_feed(newest_age: float) -> FeedState:
    """A feed that publishes every minute, its newest entry `newest_age` seconds old."""
    return FeedState(URL, entry_gap=60.0, entry_spread=0.0, newest_entry=ago(newest_age))


def simulate(published: list[float], until: float, schedule: Schedule,
             asks: float | None = None) -> tuple[list[float], list[float]]:
    """Poll from t=0 to `until` a feed whose entries appear at `published` (seconds, each
    dated exactly when it appears; the ETag counts them), each poll when the previous
    decided. Returns the poll times and, per entry appearing after t=0, how long it
    waited for the poll that saw it."""
    row: dict[str, Any] = {}
    seen: set[str] = set()
    polls: list[float] = []
    waits: list[float] = []
    t = 0.0
    while t < until:
        items = [
            FeedItem(feed=URL, guid=f"e{n}", link=f"http://news.example/{n}",
                     published=at(p).isoformat())
            for n, p in enumerate(published) if p <= t
        ][-20:]
        fresh = [i for i in items if i.key not in seen]
        got = FetchedFeed(URL, 200 if fresh else 304, items if fresh else [],
                          etag=f'"{len(items)}"', asks=asks)
        decision = decide(FeedState.from_row(URL, row), got, seen, at(t), schedule)
        row.update(decision.feed.columns())
        seen |= {i.key for i in decision.new}
        waits += [t - published[int(i.guid[1:])] for i in decision.new
                  if published[int(i.guid[1:])] > 0]
        polls.append(t)
        t += decision.delay
    return polls, waits


def gaps(polls: list[float]) -> list[float]:
    return [b - a for a, b in zip(polls, polls[1:], strict=False)]


# --- the pure function ----------------------------------------------------------------

def test_the_polls_before_the_expected_entry_are_spread_to_land_just_after_it():
    # newest 5 s old, due at 60 + 3 (a twentieth of the gap): 58 s, in three polls
    assert phase_interval(Rhythm(60.0, ago(5), spread=0.0), NOW, 15.0, margin=0.05, floor=15.0,
                          ceiling=21_600.0) == pytest.approx(58 / 3)
    # 23 s to go: one poll of 23 s (not 15 then 8, below the floor)
    assert phase_interval(Rhythm(60.0, ago(40), spread=0.0), NOW, 15.0, margin=0.05, floor=15.0,
                          ceiling=21_600.0) == pytest.approx(23.0)


def test_the_floor_holds_when_the_expected_entry_is_closer_than_it():
    assert phase_interval(Rhythm(60.0, ago(55), spread=0.0), NOW, 15.0, margin=0.05, floor=15.0,
                          ceiling=21_600.0) == 15.0


def test_a_late_entry_or_an_unknown_phase_leaves_the_rhythms_interval():
    late = Rhythm(60.0, ago(70), spread=0.0)  # due 63 s after the newest: 7 s late
    undated = Rhythm(60.0, ago(5), dated=False)  # when entries arrived, not their dates
    for rhythm in (late, undated, Rhythm(None, ago(5)), Rhythm(60.0, None)):
        assert phase_interval(rhythm, NOW, 17.5, margin=0.05, floor=15.0,
                              ceiling=21_600.0) == 17.5


# --- through decide(): twins ----------------------------------------------------------

def test_a_punctual_feed_is_seen_a_twentieth_of_its_gap_after_each_entry():
    published = [7.0 + 60 * k for k in range(-5, 60)]  # every minute, for an hour
    polls, waits = simulate(published, 3600, PHASED)
    plain_polls, plain_waits = simulate(published, 3600, RHYTHM)
    assert waits[2:] == pytest.approx([3.0] * (len(waits) - 2))  # once the phase is found
    assert statistics.median(plain_waits) == pytest.approx(8.0)  # the floor, any phase
    assert min(gaps(polls)) >= 15.0  # never below the floor
    assert len(polls) <= len(plain_polls)  # and no more polls than by the interval alone


def test_an_irregular_feed_keeps_the_floor_and_is_polled_no_more_often():
    steps = [20, 95, 40, 130, 60, 15, 75, 50, 110, 30, 65, 45, 150, 25, 80, 55]
    published = [-300.0, -240.0, -180.0]
    for step in steps * 4:
        published.append(published[-1] + step)
    polls, waits = simulate(published, published[-1] + 60, PHASED)
    plain_polls, plain_waits = simulate(published, published[-1] + 60, RHYTHM)
    assert min(gaps(polls)) >= 15.0
    assert len(polls) <= len(plain_polls)
    assert max(waits) <= 2 * max(plain_waits)  # an early entry waits at most two intervals
    assert len(waits) == len(plain_waits) == sum(p > 0 for p in published)  # all seen


def random_feed(seed: int, mean_gap: float = 60.0, hours: float = 4.0) -> list[float]:
    """Entries at random moments (a Poisson process), one a minute on average."""
    rng = random.Random(seed)
    published = [-600.0]
    while published[-1] < hours * 3600:
        published.append(published[-1] + rng.expovariate(1 / mean_gap))
    return published


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_feed_publishing_at_random_moments_is_polled_by_its_interval_alone(seed: int):
    published = random_feed(seed)
    polls, waits = simulate(published, published[-1], PHASED)
    plain_polls, plain_waits = simulate(published, published[-1], RHYTHM)
    # no next entry to expect: aiming at one made early entries wait longer on average
    assert statistics.mean(waits) == pytest.approx(statistics.mean(plain_waits), rel=0.02)
    assert len(polls) == pytest.approx(len(plain_polls), rel=0.02)


def test_a_punctual_feed_with_seconds_of_jitter_is_still_timed_by_phase():
    rng = random.Random(5)
    published = [7.0 + 60 * k + rng.uniform(-2, 2) for k in range(-5, 60)]
    _, waits = simulate(published, 3600, PHASED)
    # within a tenth of the gap (by the interval alone, 7.5 s on average at the 15 s floor)
    assert statistics.median(waits) <= 6.0


def test_the_spread_of_a_feeds_gaps_says_whether_it_is_regular():
    def rhythm_of(offsets: list[float]) -> Rhythm:
        return observe((NOW + dt.timedelta(seconds=o) for o in offsets), NOW + dt.timedelta(days=1))

    assert rhythm_of([60.0 * k for k in range(20)]).regular  # like clockwork
    assert rhythm_of([60.0 * k + (3 if k % 2 else -3) for k in range(20)]).regular
    assert not rhythm_of(random_feed(4)[:20]).regular  # Poisson: gaps stray ~0.7 of the median
    assert not rhythm_of([0.0, 0.0, 0.0, 0.0]).regular  # a burst: no gap to expect
    assert not Rhythm(60.0, NOW, spread=None).regular  # stored before spreads were: unknown


def test_a_silent_feed_is_polled_by_its_silence_as_before():
    silent = minute_feed(newest_age=3600)
    assert delay(silent) == delay(silent, RHYTHM) == 900.0
    assert delay(minute_feed(newest_age=7 * 86_400)) == 21_600.0


@pytest.mark.parametrize("asks", [300.0, 3600.0])  # <ttl>5</ttl>, Cache-Control max-age
def test_what_the_feed_asks_wins_over_its_phase(asks: float):
    assert delay(minute_feed(newest_age=50), asks=asks) == asks
    polls, _ = simulate([60.0 * k for k in range(-5, 300)], 4 * asks, PHASED, asks=asks)
    assert min(gaps(polls)) == asks


def test_retry_after_wins_over_the_phase():
    assert delay(minute_feed(newest_age=50), status=429, error="HTTP 429",
                 retry_after=1200.0) == 1200.0


def test_an_undated_feed_is_not_timed_by_phase():
    undated = FeedState(URL, last_new_item=ago(5), usual_gap=60.0)
    assert delay(undated) == delay(undated, RHYTHM) == 15.0


def test_an_override_and_a_pushed_feed_ignore_the_phase():
    assert delay(FeedState(URL, interval=600.0, entry_gap=60.0, newest_entry=ago(5))) == 600.0
    pushed = FeedState(URL, entry_gap=60.0, newest_entry=ago(5), pushed=True)
    assert delay(pushed) == 21_600.0


def test_the_settings_time_polls_by_phase_a_twentieth_of_the_gap_late():
    schedule = Schedule.from_settings(load_settings())
    assert schedule.phase_margin == 0.05
    off = Schedule.from_settings(load_settings().model_copy(update={"poll_phase": False}))
    assert off.phase_margin is None
