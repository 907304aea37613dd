"""The CLI's wording of counts, spans and times (streams/cli/words.py), as a user reads them."""

from __future__ import annotations

import datetime as dt

from streams.cli.words import clip, count, span, utc


def test_counted_nouns_agree_with_their_number():
    assert count(1, "new feed") == "1 new feed"
    assert count(0, "alert") == "0 alerts"
    assert count(2, "story", "stories") == "2 stories"
    assert count(1, "story", "stories") == "1 story"


def test_a_span_reads_as_the_user_wrote_it():
    assert span(dt.timedelta(hours=2)) == "2h"
    assert span(dt.timedelta(days=1, hours=6)) == "1d 6h"
    assert span(dt.timedelta(minutes=90)) == "1h 30m"
    assert span(dt.timedelta(seconds=45)) == "45s"


def test_times_are_utc_and_say_so():
    naive = dt.datetime(2026, 1, 3, 9, 30)  # the store's naive values are UTC
    assert utc(naive) == "2026-01-03 09:30Z"
    istanbul = dt.datetime(2026, 1, 3, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert utc(istanbul) == "2026-01-03 09:30Z"
    assert utc(None) == "-"


def test_a_cut_text_says_it_was_cut():
    assert clip("Alpha, Beta", 60) == "Alpha, Beta"
    assert clip("x" * 60, 60) == "x" * 60
    assert clip("x" * 61, 60) == "x" * 59 + "…"
    assert len(clip("y" * 200, 60)) == 60
