"""The poll decider on its own (streams/poll/decide.py): no HTTP server, no store. What the
store knows of a feed plus what a fetch gave decide the new entries, the next attempt and the
feed's health columns."""

from __future__ import annotations

import random

from feeds_support import at, rss

from connectors.poll import FetchedFeed, feed_items, parse_feed
from streams.core.records import FeedItem
from streams.poll.decide import FeedState, Schedule, decide

URL = "http://news.example/feed"


def item(guid: str, title: str = "") -> FeedItem:
    return FeedItem(feed=URL, guid=guid, link=f"http://news.example/{guid}", title=title)


def fetched(*items: FeedItem, etag: str | None = None, last_modified: str | None = None
            ) -> FetchedFeed:
    """A 200 with these entries, as connectors.poll.fetch_feed would give it."""
    return FetchedFeed(URL, 200, list(items), etag=etag, last_modified=last_modified)


def test_new_entries_are_those_whose_keys_the_store_has_not_seen_in_document_order():
    a, b, c = item("a"), item("b"), item("c")
    got = fetched(c, a, b, a, etag='"v2"', last_modified="Thu, 01 Jan 2026 00:00:00 GMT")
    decision = decide(FeedState(URL, etag='"v1"'), got, {b.key}, at(0), Schedule(interval=300))
    assert [i.guid for i in decision.new] == ["c", "a"]  # b seen; a repeated counts once
    cols = decision.feed.columns()
    assert cols["etag"] == '"v2"' and cols["last_modified"].startswith("Thu")
    assert cols["last_new_item"] == at(0) and decision.feed.new_entries == 2
    assert cols["next_attempt"] == at(300) and cols["status"] == 200 and cols["error"] is None


def test_no_new_entry_leaves_last_new_item_and_usual_gap_alone():
    a = item("a")
    decision = decide(FeedState(URL, usual_gap=50.0), fetched(a), {a.key}, at(0), Schedule())
    assert decision.new == [] and decision.feed.new_entries == 0
    assert "last_new_item" not in decision.feed.columns()
    assert "usual_gap" not in decision.feed.columns()


def test_the_usual_gap_follows_polls_that_bring_new_entries():
    state = FeedState(URL, last_new_item=at(0), usual_gap=1000.0)
    decision = decide(state, fetched(item("a")), set(), at(2000), Schedule())
    assert decision.feed.usual_gap == 0.7 * 1000 + 0.3 * 2000
    first = decide(FeedState(URL, last_new_item=at(0)), fetched(item("a")), set(), at(600),
                   Schedule())
    assert first.feed.usual_gap == 600


def test_an_entry_edited_under_its_guid_is_seen_and_one_without_id_or_link_is_new():
    before = feed_items(URL, parse_feed(rss([
        {"guid": "urn:story-1", "title": "Bridge closed"},
        {"title": "River rising", "description": "Water at two metres"},
    ]), URL))
    after = feed_items(URL, parse_feed(rss([
        {"guid": "urn:story-1", "title": "Bridge closed for a week"},
        {"title": "River rising", "description": "Water at three metres"},
    ]), URL))
    seen = {i.key for i in before}
    decision = decide(FeedState(URL), fetched(*after), seen, at(0), Schedule())
    assert [i.title for i in decision.new] == ["River rising"]  # keyed by what it says
    assert decision.new[0].summary == "Water at three metres"


def test_not_modified_keeps_the_validators_and_counts_as_a_success():
    state = FeedState(URL, etag='"v1"', last_modified="yesterday", title="Local news",
                      failures=2, failing_since=at(-600))
    got = FetchedFeed(URL, 304, asks=900.0)
    decision = decide(state, got, set(), at(0), Schedule(interval=300, interval_max=3600))
    cols = decision.feed.columns()
    assert decision.new == [] and decision.error is None and decision.title == "Local news"
    assert "etag" not in cols and "last_modified" not in cols and "title" not in cols
    assert cols["status"] == 304 and cols["last_success"] == at(0)
    assert cols["failures"] == 0 and cols["failing_since"] is None
    assert cols["next_attempt"] == at(900)  # the feed asked (max-age) for longer than 300 s


def test_failures_back_off_exponentially_up_to_the_ceiling():
    schedule = Schedule(backoff_base=60, backoff_max=2000, rng=random.Random(7))
    state = FeedState(URL)
    delays, failing_since = [], []
    for n in range(8):
        got = FetchedFeed(URL, 500, error="HTTP 500")
        decision = decide(state, got, set(), at(n), schedule)
        assert decision.new == [] and decision.feed.failures == n + 1
        delays.append(decision.delay)
        failing_since.append(decision.feed.failing_since)
        state = FeedState(URL, failures=decision.feed.failures,
                          failing_since=decision.feed.failing_since)
    assert 48 <= delays[0] <= 72  # the base, jittered by a fifth either way
    assert all(b >= a * 1.3 or b >= 1600 for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) <= 2000 and delays[-1] >= 1600  # capped, jitter included
    assert set(failing_since) == {at(0)}  # since the first failure of the run


def test_a_failure_keeps_validators_and_last_success_and_says_why_in_one_line():
    state = FeedState(URL, etag='"v1"', failures=0)
    got = FetchedFeed(URL, None, [item("a")], error="connect failed:\n  refused")
    decision = decide(state, got, set(), at(0), Schedule())
    cols = decision.feed.columns()
    assert decision.new == [] and cols["error"] == "connect failed: refused"
    assert cols["status"] is None
    assert not {"etag", "last_modified", "last_success", "title", "items_seen"} & set(cols)


def test_retry_after_is_believed_within_the_ceiling():
    schedule = Schedule(backoff_base=60, backoff_max=3600)
    asked = decide(FeedState(URL), FetchedFeed(URL, 429, error="HTTP 429", retry_after=120.0),
                   set(), at(0), schedule)
    too_long = decide(FeedState(URL), FetchedFeed(URL, 503, error="HTTP 503",
                                                  retry_after=86_400.0), set(), at(0), schedule)
    assert asked.delay == 120 and too_long.delay == 3600


def test_a_success_after_failures_resets_the_health_and_says_it_recovered():
    state = FeedState(URL, failures=5, failing_since=at(-3600), title="Old title")
    got = FetchedFeed(URL, 200, [item("a")], title="New title")
    decision = decide(state, got, set(), at(0), Schedule(interval=300))
    cols = decision.feed.columns()
    assert decision.recovered_after == 5 and decision.error is None
    assert cols["failures"] == 0 and cols["failing_since"] is None and cols["error"] is None
    assert cols["title"] == "New title" and cols["last_success"] == at(0)
    assert decision.feed.next_attempt == at(300)
    steady = decide(FeedState(URL), got, set(), at(0), Schedule())
    assert steady.recovered_after == 0


def test_state_from_a_store_row_and_from_no_row():
    row = {"etag": '"e"', "last_modified": None, "title": None, "interval": 900.0,
           "failures": None, "failing_since": None, "last_new_item": at(0), "usual_gap": 12.0}
    state = FeedState.from_row(URL, row)
    assert state.etag == '"e"' and state.title == "" and state.failures == 0
    assert state.interval == 900.0 and state.last_new_item == at(0)
    assert FeedState.from_row(URL, None) == FeedState(URL)
    got = decide(state, fetched(), set(), at(0), Schedule(interval=300))
    assert got.feed.next_attempt == at(900)  # the per-feed override
