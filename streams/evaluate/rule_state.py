"""The history rule kinds need (first mentions, windows, baselines, throttles): its interface.

RuleState is what the evaluate stage reads and writes; it names no storage. Two implement it:
streams.store.rule_state.StoreRuleState keeps it in the store's tables (it survives a restart
and is shared by the workers of a cluster; the store satisfies this protocol structurally and
never imports evaluate), and MemoryRuleState here keeps it in dictionaries, for `rules test`,
backfills, benchmarks and unit tests. Times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Mark(Protocol):
    """The first time a rule saw a key, and the event (ref) that saw it."""

    @property
    def at(self) -> float: ...
    @property
    def ref(self) -> str: ...


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


@dataclass(frozen=True)
class FirstSighting:
    """MemoryRuleState's Mark."""

    at: float
    ref: str


@dataclass
class MemoryRuleState:
    """RuleState in dictionaries: for `rules test`, backfills, benchmarks and unit tests."""

    stories: dict[str, dict[str, Any]] = field(default_factory=dict)
    marks: dict[tuple[str, str], FirstSighting] = field(default_factory=dict)
    windows: dict[tuple[str, str], dict[str, tuple[float, str]]] = field(default_factory=dict)
    throttles: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)

    async def story(self, story_id: str) -> dict[str, Any] | None:
        return self.stories.get(story_id)

    async def mark(self, rule_id: str, key: str, at: float, ref: str) -> FirstSighting:
        return self.marks.setdefault((rule_id, key), FirstSighting(at, ref))

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
