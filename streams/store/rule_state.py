"""The history rule kinds need (first mentions, windows, baselines, throttles), in the store.

RuleState is the protocol the evaluate stage uses; StoreRuleState keeps it in the tables
rule_marks, rule_windows and rule_throttle, so it survives a restart and is shared by the
workers of a cluster. MemoryRuleState is the same in dictionaries, for `rules test` and
benchmarks. Times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from streams.store.db import Store
from streams.store.schema import rule_marks, rule_throttle, rule_windows, stories


@dataclass(frozen=True)
class Mark:
    """The first time a rule saw a key, and the event (ref) that saw it."""

    at: float
    ref: str


class RuleState(Protocol):
    """What stateful rule kinds read and write; all methods are idempotent per ref."""

    async def story(self, story_id: str) -> dict[str, Any] | None:
        """The story row (sources, articles, first_article...), or None."""

    async def mark(self, rule_id: str, key: str, at: float, ref: str) -> Mark:
        """Record the first sighting of key (kept if one exists); return the first one."""

    async def record(self, rule_id: str, key: str, ref: str, at: float, source: str) -> None:
        """Add an event to a rule's window (once per ref)."""

    async def count(self, rule_id: str, key: str, start: float, end: float) -> int:
        """Events recorded with start < at <= end."""

    async def sources(self, rule_id: str, key: str, start: float, end: float) -> int:
        """Distinct non-empty sources recorded with start < at <= end."""

    async def allow(self, rule_id: str, key: str, at: float, period: float, ref: str) -> bool:
        """Throttle: True (and hold the key for period) unless held by another ref."""

    async def prune(self, rule_id: str, before: float) -> None:
        """Forget window rows older than `before`."""


class StoreRuleState:
    """RuleState over the store (SQLite embedded, PostgreSQL in a cluster)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def story(self, story_id: str) -> dict[str, Any] | None:
        async with self.store.begin() as conn:
            row = (await conn.execute(sa.select(stories).where(stories.c.id == story_id))).first()
        return dict(row._mapping) if row else None

    async def mark(self, rule_id: str, key: str, at: float, ref: str) -> Mark:
        values = {"rule_id": rule_id, "key": key, "at": at, "ref": ref}
        where = (rule_marks.c.rule_id == rule_id) & (rule_marks.c.key == key)
        async with self.store.begin() as conn:
            await conn.execute(self.store.insert_ignore(rule_marks, values))
            row = (
                await conn.execute(sa.select(rule_marks.c.at, rule_marks.c.ref).where(where))
            ).one()
        return Mark(row.at, row.ref)

    async def record(self, rule_id: str, key: str, ref: str, at: float, source: str) -> None:
        values = {"rule_id": rule_id, "key": key, "ref": ref, "at": at, "source": source}
        async with self.store.begin() as conn:
            await conn.execute(self.store.insert_ignore(rule_windows, values))

    def _window(self, rule_id: str, key: str, start: float, end: float) -> Any:
        c = rule_windows.c
        return (c.rule_id == rule_id) & (c.key == key) & (c.at > start) & (c.at <= end)

    async def count(self, rule_id: str, key: str, start: float, end: float) -> int:
        query = sa.select(sa.func.count()).where(self._window(rule_id, key, start, end))
        async with self.store.begin() as conn:
            return int(await conn.scalar(query) or 0)

    async def sources(self, rule_id: str, key: str, start: float, end: float) -> int:
        c = rule_windows.c
        query = sa.select(sa.func.count(sa.distinct(c.source))).where(
            self._window(rule_id, key, start, end) & (c.source != "")
        )
        async with self.store.begin() as conn:
            return int(await conn.scalar(query) or 0)

    async def allow(self, rule_id: str, key: str, at: float, period: float, ref: str) -> bool:
        c = rule_throttle.c
        where = (c.rule_id == rule_id) & (c.key == key)
        async with self.store.begin() as conn:
            row = (await conn.execute(sa.select(c.until, c.ref).where(where))).first()
            if row is not None and row.ref == ref:
                return True  # the same event again (re-processing): same answer
            if row is not None and row.until > at:
                return False
            await conn.execute(sa.delete(rule_throttle).where(where))
            values = {"rule_id": rule_id, "key": key, "until": at + period, "ref": ref}
            await conn.execute(sa.insert(rule_throttle).values(values))
        return True

    async def prune(self, rule_id: str, before: float) -> None:
        c = rule_windows.c
        async with self.store.begin() as conn:
            await conn.execute(
                sa.delete(rule_windows).where((c.rule_id == rule_id) & (c.at <= before))
            )


@dataclass
class MemoryRuleState:
    """RuleState in dictionaries: for `rules test`, benchmarks and unit tests."""

    stories: dict[str, dict[str, Any]] = field(default_factory=dict)
    marks: dict[tuple[str, str], Mark] = field(default_factory=dict)
    windows: dict[tuple[str, str], dict[str, tuple[float, str]]] = field(default_factory=dict)
    throttles: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)

    async def story(self, story_id: str) -> dict[str, Any] | None:
        return self.stories.get(story_id)

    async def mark(self, rule_id: str, key: str, at: float, ref: str) -> Mark:
        return self.marks.setdefault((rule_id, key), Mark(at, ref))

    async def record(self, rule_id: str, key: str, ref: str, at: float, source: str) -> None:
        self.windows.setdefault((rule_id, key), {}).setdefault(ref, (at, source))

    def _rows(self, rule_id: str, key: str, start: float, end: float) -> list[tuple[float, str]]:
        rows = self.windows.get((rule_id, key), {}).values()
        return [r for r in rows if start < r[0] <= end]

    async def count(self, rule_id: str, key: str, start: float, end: float) -> int:
        return len(self._rows(rule_id, key, start, end))

    async def sources(self, rule_id: str, key: str, start: float, end: float) -> int:
        return len({s for _, s in self._rows(rule_id, key, start, end) if s})

    async def allow(self, rule_id: str, key: str, at: float, period: float, ref: str) -> bool:
        held = self.throttles.get((rule_id, key))
        if held is not None and held[1] != ref and held[0] > at:
            return False
        if held is None or held[1] != ref:
            self.throttles[(rule_id, key)] = (at + period, ref)
        return True

    async def prune(self, rule_id: str, before: float) -> None:
        for (rid, _key), rows in self.windows.items():
            if rid == rule_id:
                for ref in [r for r, (at, _) in rows.items() if at <= before]:
                    del rows[ref]
