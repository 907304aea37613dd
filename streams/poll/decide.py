"""What one poll of a feed means, decided without I/O (reader's update Decider, in spirit):
given what the store knows of the feed (FeedState), what the fetch gave (connectors/poll.py's
FetchedFeed, or anything shaped like it) and which of its entry keys the store has already
seen, decide the entries to record as new, the feed's next attempt (the interval its rhythm
earns, streams/poll/rhythm.py, or the fixed one; the ceiling for a feed a WebSub hub pushes;
backoff after failures), its health columns, its rhythm and the hub it advertises.
streams/runtime/polling.py loads the state, fetches, calls decide() and writes the decision
in one transaction; decide_push() does the same for content a hub pushed
(streams/runtime/websub.py), leaving the poll's schedule and validators alone.

An entry's key is its feed plus its GUID (else its link, else a hash of what it says): an
entry edited under the same GUID is seen, not processed again; one with neither id nor link
that changes is a new entry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from streams.poll.rhythm import Rhythm, observe, phase_interval, rhythm_interval

__all__ = [
    "Entry", "FeedState", "FeedUpdate", "Fetched", "PollDecision", "PushDecision", "Schedule",
    "StoreFailures", "decide", "decide_push", "usual_gap",
]


class Entry(Protocol):
    """A feed entry as the decider sees it: its stable key and its date (ISO 8601 or None)."""

    @property
    def key(self) -> str: ...
    @property
    def published(self) -> str | None: ...


E = TypeVar("E", bound=Entry)
E_co = TypeVar("E_co", bound=Entry, covariant=True)


class Fetched(Protocol[E_co]):
    """What a fetch of the feed gave (connectors.poll.FetchedFeed has this shape)."""

    @property
    def status(self) -> int | None: ...
    @property
    def items(self) -> Sequence[E_co]: ...
    @property
    def error(self) -> str | None: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def asks(self) -> float | None: ...
    @property
    def retry_after(self) -> float | None: ...
    @property
    def hub(self) -> str | None: ...
    @property
    def topic(self) -> str | None: ...


@dataclass(frozen=True)
class Schedule:
    """When to poll again: interval (fixed, or the feed's rhythm when `adaptive`), its
    bounds, and the backoff after failures."""

    interval: float = 300.0  # fixed interval; adaptive: the one for a feed of unknown rhythm
    interval_min: float = 60.0
    interval_max: float = 21_600.0
    backoff_base: float = 60.0
    backoff_max: float = 21_600.0
    adaptive: bool = False  # follow each feed's rhythm (streams/poll/rhythm.py)
    fraction: float = 0.25  # adaptive: the share of the feed's usual gap between two polls
    phase_margin: float | None = None  # adaptive: aim a poll this share of the gap after the
    # next expected entry (rhythm.phase_interval); None: the interval alone, from any phase
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def from_settings(cls, settings: Any) -> Schedule:
        return cls(
            interval=settings.poll_interval,
            interval_min=settings.poll_interval_min,
            interval_max=settings.poll_interval_max,
            backoff_base=settings.backoff_base,
            backoff_max=settings.backoff_max,
            adaptive=settings.poll_adaptive,
            fraction=settings.poll_rhythm_fraction,
            phase_margin=settings.poll_phase_margin if settings.poll_phase else None,
        )

    def backoff(self, failures: int) -> float:
        """Exponential delay after `failures` consecutive failures, jittered so feeds that
        failed together do not retry together, never above the ceiling."""
        delay = self.backoff_base * 2 ** min(max(failures - 1, 0), 30)
        return min(self.backoff_max, delay * self.rng.uniform(0.8, 1.2))

    def next_interval(
        self, override: float | None, feed_asks: float | None,
        rhythm: Rhythm | None = None, now: dt.datetime | None = None, pushed: bool = False,
    ) -> float:
        """The per-feed override, else (adaptive) the interval the feed's rhythm earns, else
        the default; the ceiling for a feed that pushes (WebSub: polling is a safety net);
        with a phase margin, timed so that a poll follows the feed's next expected entry;
        then lengthened to what the feed asks (TTL, Cache-Control max-age) within the
        ceiling: the feed's word wins over its rhythm."""
        if override:
            interval = max(self.interval_min, override)
        elif pushed:
            interval = self.interval_max
        elif self.adaptive and rhythm is not None and now is not None:
            interval = rhythm_interval(
                rhythm, now, fraction=self.fraction, floor=self.interval_min,
                ceiling=self.interval_max, default=self.interval,
            )
            if self.phase_margin is not None:
                interval = phase_interval(
                    rhythm, now, interval, margin=self.phase_margin, floor=self.interval_min,
                    ceiling=self.interval_max,
                )
        else:
            interval = self.interval
        if feed_asks:
            interval = max(interval, min(feed_asks, self.interval_max))
        return interval


@dataclass(frozen=True)
class FeedState:
    """What the store knows of a feed before it is polled (its row; defaults if none)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    title: str = ""
    interval: float | None = None  # the per-feed override of the poll interval, seconds
    failures: int = 0  # consecutive failed polls
    failing_since: dt.datetime | None = None
    last_new_item: dt.datetime | None = None
    usual_gap: float | None = None  # seconds between polls that brought new entries (EMA)
    entry_gap: float | None = None  # median seconds between the entries' own dates
    entry_spread: float | None = None  # how far those gaps stray (Rhythm.spread)
    newest_entry: dt.datetime | None = None  # the newest entry's own date
    pushed: bool = False  # a WebSub hub pushes this feed (an active subscription)

    @classmethod
    def from_row(
        cls, url: str, row: Mapping[str, Any] | None, pushed: bool = False
    ) -> FeedState:
        """From a feeds row as the store hands it (None: a feed never recorded)."""
        row = row or {}
        return cls(
            url=url,
            etag=row.get("etag"),
            last_modified=row.get("last_modified"),
            title=row.get("title") or "",
            interval=row.get("interval"),
            failures=int(row.get("failures") or 0),
            failing_since=row.get("failing_since"),
            last_new_item=row.get("last_new_item"),
            usual_gap=row.get("usual_gap"),
            entry_gap=row.get("entry_gap"),
            entry_spread=row.get("entry_spread"),
            newest_entry=row.get("newest_entry"),
            pushed=pushed,
        )

    def rhythm(self) -> Rhythm:
        """The stored rhythm: from the entries' dates, else from when entries arrived."""
        if self.entry_gap is not None:
            return Rhythm(self.entry_gap, self.newest_entry, spread=self.entry_spread)
        return Rhythm(self.usual_gap, self.last_new_item, dated=False)


@dataclass(frozen=True)
class FeedUpdate:
    """The feed row's columns one poll sets; None in an optional field leaves it as it is."""

    last_attempt: dt.datetime
    next_attempt: dt.datetime
    status: int | None
    error: str | None
    failures: int
    failing_since: dt.datetime | None
    last_success: dt.datetime | None = None  # set on success
    validators: tuple[str | None, str | None] | None = None  # (etag, last_modified); on 2xx
    title: str | None = None  # when the feed named itself
    new_entries: int = 0  # items seen grows by this; last_new_item and usual_gap set if > 0
    last_new_item: dt.datetime | None = None
    usual_gap: float | None = None
    rhythm: Rhythm | None = None  # from the document's dated entries (None: leave as is)
    hub: tuple[str | None, str | None] | None = None  # (hub, self URL); on 2xx

    def columns(self) -> dict[str, Any]:
        """The columns to write, by name (items seen apart: the store adds new_entries)."""
        out: dict[str, Any] = {
            "last_attempt": self.last_attempt, "next_attempt": self.next_attempt,
            "status": self.status, "error": self.error, "failures": self.failures,
            "failing_since": self.failing_since,
        }
        if self.last_success is not None:
            out["last_success"] = self.last_success
        if self.validators is not None:
            out["etag"], out["last_modified"] = self.validators
        if self.title:
            out["title"] = self.title
        if self.new_entries:
            out["last_new_item"], out["usual_gap"] = self.last_new_item, self.usual_gap
        if self.rhythm is not None:
            out.update(rhythm_columns(self.rhythm))
        if self.hub is not None:
            out["hub"], out["topic"] = self.hub
        return out


@dataclass(frozen=True)
class PollDecision(Generic[E]):
    """What to record of one poll: the new entries (pending) and the feed's row."""

    url: str
    new: list[E]
    feed: FeedUpdate
    title: str  # the feed's title, the stored one when the fetch did not say
    recovered_after: int = 0  # consecutive failures a success ended (0: none)

    @property
    def error(self) -> str | None:
        return self.feed.error

    @property
    def delay(self) -> float:
        """Seconds until the next attempt."""
        return (self.feed.next_attempt - self.feed.last_attempt).total_seconds()


def decide(
    state: FeedState,
    fetched: Fetched[E],
    seen: AbstractSet[str],
    now: dt.datetime,
    schedule: Schedule,
) -> PollDecision[E]:
    """The entries of `fetched` whose keys are not in `seen` (in document order, each key
    once), and the feed's row after this poll: on success the failures reset and the next
    attempt is an interval away; on failure the failures grow and the next attempt backs off
    exponentially (jittered, capped), or waits what Retry-After asked, within the ceiling."""
    if fetched.error is not None:
        return _failed(state, fetched, now, schedule)
    new: list[E] = []
    keys: set[str] = set(seen)
    for entry in fetched.items:
        if entry.key not in keys:
            keys.add(entry.key)
            new.append(entry)
    seen_now = _rhythm_seen(state, fetched.items, now)
    gap = usual_gap(state, now) if new else None
    rhythm = seen_now or (
        Rhythm(gap, now, dated=False) if new and state.entry_gap is None else state.rhythm()
    )
    interval = schedule.next_interval(state.interval, fetched.asks, rhythm, now, state.pushed)
    parsed = fetched.status != 304
    validators = (fetched.etag, fetched.last_modified) if parsed else None
    update = FeedUpdate(
        last_attempt=now,
        next_attempt=now + dt.timedelta(seconds=interval),
        status=fetched.status,
        error=None,
        failures=0,
        failing_since=None,
        last_success=now,
        validators=validators,
        title=fetched.title or None,
        new_entries=len(new),
        last_new_item=now if new else None,
        usual_gap=gap,
        rhythm=seen_now,
        hub=(fetched.hub, fetched.topic) if parsed else None,
    )
    return PollDecision(state.url, new, update, fetched.title or state.title, state.failures)


@dataclass(frozen=True)
class PushDecision(Generic[E]):
    """What to record of content a WebSub hub pushed: the new entries and the feed's
    columns (its rhythm, its last new entry); the poll schedule and validators stay."""

    url: str
    new: list[E]
    columns: dict[str, Any]


def decide_push(
    state: FeedState, entries: Sequence[E], seen: AbstractSet[str], now: dt.datetime
) -> PushDecision[E]:
    """The pushed entries not seen before, as a poll would find them; the ETag and
    Last-Modified are the poll's own and stay as they are, so a poll misses nothing."""
    keys: set[str] = set(seen)
    new: list[E] = []
    for entry in entries:
        if entry.key not in keys:
            keys.add(entry.key)
            new.append(entry)
    columns: dict[str, Any] = {}
    if new:
        columns = {"last_new_item": now, "usual_gap": usual_gap(state, now)}
    rhythm = _rhythm_seen(state, entries, now)
    if rhythm is not None:
        columns.update(rhythm_columns(rhythm))
    return PushDecision(state.url, new, columns)


def _rhythm_seen(state: FeedState, entries: Sequence[E], now: dt.datetime) -> Rhythm | None:
    """The rhythm of these entries' dates; None when they have too few (keep the stored)."""
    seen = observe((_date(e.published) for e in entries), now)
    if seen.gap is None:
        return None
    if state.newest_entry is not None and seen.newest is not None:
        seen = dataclasses.replace(seen, newest=max(seen.newest, state.newest_entry))
    return seen


def rhythm_columns(rhythm: Rhythm) -> dict[str, Any]:
    """The feeds row's columns holding a rhythm seen in entries' dates."""
    return {"entry_gap": rhythm.gap, "entry_spread": rhythm.spread,
            "newest_entry": rhythm.newest}


def _date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _failed(
    state: FeedState, fetched: Fetched[E], now: dt.datetime, schedule: Schedule
) -> PollDecision[E]:
    failures = state.failures + 1
    delay = schedule.backoff(failures)
    if fetched.retry_after is not None:  # the server said when; believe it, up to the ceiling
        delay = min(max(fetched.retry_after, 1.0), schedule.backoff_max)
    update = FeedUpdate(
        last_attempt=now,
        next_attempt=now + dt.timedelta(seconds=delay),
        status=fetched.status,
        error=_one_line(fetched.error or "failed"),
        failures=failures,
        failing_since=state.failing_since or now,
    )
    return PollDecision(state.url, [], update, "")


def usual_gap(state: FeedState, now: dt.datetime) -> float | None:
    """The usual gap between polls that brought new entries, with this one: an exponential
    moving average (the stored one while no new entry was ever recorded)."""
    if state.last_new_item is None:
        return state.usual_gap
    gap = (now - state.last_new_item).total_seconds()
    old = state.usual_gap
    return gap if old is None else 0.7 * old + 0.3 * gap


class StoreFailures:
    """The feeds whose last poll could not be stored (in memory: the store may refuse the
    feed's row as well). Such a feed is polled again without ETag/Last-Modified, so the
    entries that were not stored come back, after a backoff that grows per failure."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, dt.datetime] = {}

    def unconditional(self, url: str) -> bool:
        return url in self._failures

    def due(self, urls: list[str], now: dt.datetime) -> list[str]:
        """Those of `urls` not waiting out a store failure."""
        return [u for u in urls if u not in self._not_before or self._not_before[u] <= now]

    def failed(self, url: str, now: dt.datetime, schedule: Schedule) -> dt.datetime:
        self._failures[url] = self._failures.get(url, 0) + 1
        when = now + dt.timedelta(seconds=schedule.backoff(self._failures[url]))
        self._not_before[url] = when
        return when

    def stored(self, url: str) -> None:
        self._failures.pop(url, None)
        self._not_before.pop(url, None)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
