"""What story candidates need of each story, kept in memory by the store: per event type,
the stories whose `closes` falls on or after a floor day, each as (closes, id, opened,
sides, created, updated), in order of `closes`. An article's candidates are then a bisect
and a scan of its windows' stories: read from the candidates' index in a query per
article, they cost about 3 us a story read, and an article late in a simulated year reads
100 of them (tests/bench/bench_stories.py: the query and its rows 0.34 -> 0.19 ms an
article early in the year, 0.48 -> 0.28 late).

Trusted only while this worker is the only writer of the type: every transaction that
assigns stories bumps the type's lock row (streams/store/stories.py), and the version it
reads back must be the one after its own last bump; else (another worker wrote, or a
transaction of ours was rolled back) the type is forgotten and read again from the store
when next asked; a rolled-back transaction of the store's forgets every type at once.
The stories table is written only there, under that lock.

Bounded: a type keeps the stories that close within KEEP_DAYS of the latest window asked
(a month more before it lets go); a window starting earlier within that reads the days it
lacks from the store and keeps them (`missing`), one reaching further back (a recall dated
years ago; articles out of order) reads them for itself alone (`beside`): kept, they would
be let go at the next article and read again.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

# The days of closing stories a type keeps behind the latest window asked (a recall reaches
# back 120 days: streams/stories/identity.py RECALL_DAYS), and how much further back a
# missing stretch is read at once (one query for many articles' windows).
KEEP_DAYS = 150
READ_AHEAD_DAYS = 30
LAST = "\uffff"  # after every day and id (an unknown first day: never within a window)


class Entry(NamedTuple):
    """A story as the candidates read it (created and updated as the driver reads
    them: ordered and compared only). Entries order by closing day, then id."""

    closes: str
    id: str
    opened: str
    sides: str
    created: Any
    updated: Any


class TypeIndex:
    """The stories of one type closing on or after `floor` (an ISO day; None: none read)."""

    def __init__(self) -> None:
        self.version: int | None = None  # the lock version after this worker's last bump
        self.floor: str | None = None
        self.latest = ""  # the latest window start asked
        self.entries: dict[str, Entry] = {}  # by id
        self.order: list[Entry] = []  # sorted

    def forget(self) -> None:
        self.floor, self.latest = None, ""
        self.entries.clear()
        self.order.clear()

    def missing(self, closes_from: dt.date) -> tuple[str, str | None] | None:
        """The days of `closes` to read from the store and keep before a window from
        `closes_from` can be served here (`trim` first): (from, before; None: no end), or
        None when none. Never below KEEP_DAYS before the latest window: what a window
        needs further back is read for it alone (`beside`), not kept."""
        if self.latest:
            closes_from = max(closes_from, dt.date.fromisoformat(self.latest)
                              - dt.timedelta(days=KEEP_DAYS))
        if self.floor is not None and closes_from.isoformat() >= self.floor:
            return None
        return (closes_from - dt.timedelta(days=READ_AHEAD_DAYS)).isoformat(), self.floor

    def read(self, start: str, entries: Iterable[Entry]) -> None:
        """The stories read from the store for the days from `start` to the floor."""
        fresh = sorted(e for e in entries if e.id not in self.entries)
        self.entries.update((e.id, e) for e in fresh)
        self.order[:0] = fresh  # (all close before the old floor)
        self.floor = start

    def beside(self, entries: Iterable[Entry]) -> TypeIndex:
        """A passing index of these stories (read from the store: those closing from a
        window's start to the floor) and of those kept here, for windows that reach below
        the floor; nothing of it is kept."""
        passing = TypeIndex()
        passing.order = sorted(entries) + self.order
        return passing

    def put(self, entry: Entry) -> None:
        """A story saved (or read): kept when it closes on or after the floor."""
        old = self.entries.get(entry.id)
        keep = self.floor is not None and entry.closes >= self.floor
        if old is not None:
            at = bisect.bisect_left(self.order, (old.closes, old.id))
            if keep and old.closes == entry.closes:
                self.entries[entry.id] = self.order[at] = entry  # (its place unchanged)
                return
            del self.entries[entry.id]
            del self.order[at]
        if keep:
            self.entries[entry.id] = entry
            bisect.insort(self.order, entry)

    def trim(self, latest: dt.date) -> None:
        """The latest window start asked (this article's latest): the stories that close
        more than KEEP_DAYS before it are forgotten, a month of them at a time."""
        low = latest.isoformat()
        if low <= self.latest:
            return
        self.latest = low
        cut = latest - dt.timedelta(days=KEEP_DAYS)
        if self.floor is not None and self.floor < (
                cut - dt.timedelta(days=READ_AHEAD_DAYS)).isoformat():
            drop = bisect.bisect_left(self.order, (cut.isoformat(),))
            for entry in self.order[:drop]:
                del self.entries[entry.id]
            del self.order[:drop]
            self.floor = cut.isoformat()

    def window(self, closes_from: dt.date, closes_until: dt.date, opened_until: dt.date,
               limit: int | None, wanted: Callable[[Entry], bool]) -> list[Entry]:
        """The stories closing from closes_from to closes_until, first told on or before
        opened_until, that are `wanted`; with a limit, of the `limit` last to close (among
        equal days, by id), those wanted. Call `missing` first."""
        low, high, opened = (closes_from.isoformat(), closes_until.isoformat(),
                             opened_until.isoformat())
        order = self.order
        start = bisect.bisect_left(order, (low,))
        end = bisect.bisect_right(order, (high, LAST))
        if limit is None:
            return [e for e in order[start:end] if e.opened <= opened and wanted(e)]
        taken: list[Entry] = []
        for i in range(end - 1, start - 1, -1):  # the last to close first
            entry = order[i]
            if len(taken) >= limit and entry.closes != taken[-1].closes:
                break  # (equal days all read: their ids decide below)
            if entry.opened <= opened:
                taken.append(entry)
        taken.sort(key=lambda e: e.id)
        taken.sort(key=lambda e: e.closes, reverse=True)
        return [e for e in taken[:limit] if wanted(e)]


class StoryIndex:
    """A store's TypeIndex per event type."""

    def __init__(self) -> None:
        self.types: dict[str, TypeIndex] = {}

    def locked(self, versions: Mapping[str, int]) -> None:
        """This worker bumped these types' lock rows and read these versions back: a type
        whose version is not the one after ours is forgotten."""
        for type_, version in versions.items():
            index = self.types.get(type_)
            if index is None:
                index = self.types[type_] = TypeIndex()
            elif index.version is None or version != index.version + 1:
                index.forget()
            index.version = version

    def forget(self) -> None:
        """A transaction that wrote here was rolled back: nothing kept is trusted."""
        for index in self.types.values():
            index.forget()
            index.version = None
