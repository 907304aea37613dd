"""Adaptive polling (streams/poll/rhythm.py through decide.py): each feed is polled at a
quarter of the gap between its recent entries, between the floor and the ceiling; what the
feed asks (TTL, Cache-Control max-age) and Retry-After win over its rhythm."""

from __future__ import annotations

import datetime as dt

from feeds_support import at

from connectors.poll import FetchedFeed
from streams.config.settings import load_settings
from streams.core.records import FeedItem
from streams.poll.decide import FeedState, Schedule, decide
from streams.poll.rhythm import Rhythm, observe

URL = "http://news.example/feed"
NOW = at(0)
ADAPTIVE = Schedule(interval=300, interval_min=15, interval_max=21_600, adaptive=True,
                    fraction=0.25)


def entries(*ages: float, prefix: str = "e") -> list[FeedItem]:
    """Entries published `age` seconds before NOW."""
    return [
        FeedItem(feed=URL, guid=f"{prefix}{n}", link=f"http://news.example/{prefix}{n}",
                 published=(NOW - dt.timedelta(seconds=age)).isoformat())
        for n, age in enumerate(ages)
    ]


def every(gap: float, count: int = 20, newest_age: float = 0.0) -> list[FeedItem]:
    return entries(*(newest_age + gap * k for k in range(count)))


def poll(items: list[FeedItem], state: FeedState | None = None, now: dt.datetime = NOW,
         schedule: Schedule = ADAPTIVE, **fetched: object) -> float:
    """Seconds to the next poll after a 200 with these entries."""
    got = FetchedFeed(URL, 200, items, **fetched)  # type: ignore[arg-type]
    return decide(state or FeedState(URL), got, set(), now, schedule).delay


def test_a_feed_posting_every_minute_is_polled_every_fifteen_seconds():
    assert poll(every(60, newest_age=10)) == 15.0


def test_a_feed_posting_every_hour_is_polled_every_quarter_hour():
    assert poll(every(3600, newest_age=60)) == 900.0


def test_a_feed_silent_for_a_week_is_polled_at_the_ceiling():
    assert poll(every(3600, newest_age=7 * 86_400)) == 21_600.0


def test_a_bursty_feed_is_polled_fast_right_after_a_burst_then_less_as_silence_grows():
    # bursts of five entries ten seconds apart, every two hours
    ages = [a + burst * 7200 for burst in range(4) for a in (0, 10, 20, 30, 40)]
    assert poll(entries(*(a + 20 for a in ages))) == 15.0  # the burst may not be over
    state = FeedState(URL, entry_gap=10.0, newest_entry=NOW)
    quiet = FetchedFeed(URL, 304)
    later = [decide(state, quiet, set(), at(s), ADAPTIVE).delay for s in (600, 3600, 7000)]
    assert later == [150.0, 900.0, 1750.0]  # a quarter of the silence so far
    assert sorted(later) == later


def test_a_304_keeps_the_rhythm_the_last_document_showed():
    state = FeedState(URL, entry_gap=60.0, newest_entry=at(-30))
    assert decide(state, FetchedFeed(URL, 304), set(), NOW, ADAPTIVE).delay == 15.0


def test_the_rhythm_is_stored_with_the_feed_row():
    got = FetchedFeed(URL, 200, every(60, newest_age=10))
    cols = decide(FeedState(URL), got, set(), NOW, ADAPTIVE).feed.columns()
    assert cols["entry_gap"] == 60.0 and cols["newest_entry"] == NOW - dt.timedelta(seconds=10)


def test_an_undated_feed_follows_when_its_entries_arrive():
    undated = [FeedItem(feed=URL, guid=f"u{n}", link=f"http://news.example/u{n}")
               for n in range(3)]
    state = FeedState(URL, last_new_item=at(-120), usual_gap=120.0)
    assert poll(undated, state) == 30.0  # a quarter of the gap between arrivals
    assert poll(undated, FeedState(URL)) == 300.0  # nothing known yet: the default


def test_future_dates_are_not_believed():
    assert observe([NOW + dt.timedelta(days=3), NOW - dt.timedelta(seconds=60)], NOW) \
        == Rhythm(None, NOW - dt.timedelta(seconds=60))


def test_the_feeds_ttl_wins_over_its_rhythm():
    assert poll(every(60), asks=1800.0) == 1800.0  # <ttl>30</ttl>
    assert poll(every(60), asks=10 * 86_400.0) == 21_600.0  # never above the ceiling


def test_retry_after_wins_over_the_rhythm():
    state = FeedState(URL, entry_gap=60.0, newest_entry=NOW)
    limited = FetchedFeed(URL, 429, error="HTTP 429", retry_after=1200.0)
    assert decide(state, limited, set(), NOW, ADAPTIVE).delay == 1200.0


def test_an_override_and_a_pushed_feed_ignore_the_rhythm():
    assert poll(every(60), FeedState(URL, interval=600.0)) == 600.0
    assert poll(every(60), FeedState(URL, pushed=True)) == 21_600.0  # WebSub: safety net


def test_the_fixed_interval_when_adaptive_polling_is_off():
    assert poll(every(60), schedule=Schedule(interval=300, adaptive=False)) == 300.0


def test_the_settings_turn_adaptive_polling_on_with_a_fifteen_second_floor():
    schedule = Schedule.from_settings(load_settings())
    assert schedule.adaptive and schedule.interval_min == 15.0 and schedule.fraction == 0.25
