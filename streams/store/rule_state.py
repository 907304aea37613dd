"""The history rule kinds need (first mentions, windows, baselines, throttles), in the store.

StoreRuleState keeps it in the tables rule_marks, rule_windows and rule_throttle, so it
survives a restart and is shared by the workers of a cluster. It implements the evaluate
stage's protocol streams.evaluate.rule_state.RuleState structurally (the store imports no
stage); MemoryRuleState there is the same in dictionaries. Times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from streams.store.db import Store
from streams.store.schema import rule_marks, rule_throttle, rule_windows, stories

# read for every story an article's events tell, on each article: built once
_STORY = sa.select(stories).where(stories.c.id == sa.bindparam("story"))


@dataclass(frozen=True)
class Mark:
    """The first time a rule saw a key, and the event (ref) that saw it."""

    at: float
    ref: str


class StoreRuleState:
    """The evaluate stage's RuleState over the store (SQLite embedded, PostgreSQL in a
    cluster)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def story(self, story_id: str) -> dict[str, Any] | None:
        async with self.store.begin() as conn:
            row = (await conn.execute(_STORY, {"story": story_id})).first()
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
