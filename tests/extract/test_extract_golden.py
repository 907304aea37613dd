"""Golden cases for extraction, one folder per topic (tests/golden/extract/<topic>.yaml):
dates, status, quantities, actors. Each case gives a text and its publication date, the
events expected (only the fields given are checked; a quantity role given as null must be
absent) and the event types that must not appear. Cases that must NOT match sit beside those
that must."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.core.records import Article, Event, content_key

GOLDEN = Path(__file__).parents[1] / "golden" / "extract"


def _cases() -> list[Any]:
    out = []
    for path in sorted(GOLDEN.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


def _article(case: dict[str, Any]) -> Article:
    published = case["published"]
    if isinstance(published, dt.date):
        published = published.isoformat()
    return Article(
        id=content_key(case["name"]), url="golden", title="", text=case["text"], published=published
    )


def _fits(event: Event, want: dict[str, Any]) -> bool:
    for field, value in want.items():
        if field == "type":
            continue
        if field == "date":
            if event.date != (value.isoformat() if isinstance(value, dt.date) else value):
                return False
        elif field == "actors":
            if not set(value) <= set(event.actors):
                return False
        elif field == "not_actors":
            if set(value) & set(event.actors):
                return False
        elif field == "sides":
            if set(value) != set(event.sides or []):
                return False
        elif field == "not_sides":
            if set(value) & set(event.sides or []):
                return False
        elif field == "roles":
            if any(set(names) != set((event.roles or {}).get(r, [])) for r, names in value.items()):
                return False
        elif field == "topic":
            if not set(value) <= set(event.topic or []):
                return False
        elif field == "not_topic":
            if set(value) & set(event.topic or []):
                return False
        elif field == "location":
            if sorted(event.location) != sorted(value):
                return False
        elif field == "quantities":
            if not value and event.quantities:
                return False
            for role, q in value.items():
                got = event.quantities.get(role)
                if q is None:  # {killed: null}: the role must be absent
                    if got is not None:
                        return False
                elif got is None or any(got.get(k) != v for k, v in q.items()):
                    return False
        elif getattr(event, field) != value:
            return False
    return True


@pytest.mark.parametrize("case", _cases())
def test_golden(extractor: Any, case: dict[str, Any]) -> None:
    [events] = extractor.extract([_article(case)])
    seen = [
        (e.type, e.status, e.date, e.actors, e.sides, e.roles, e.location, e.topic,
         e.background, e.quantities, e.attribution)
        for e in events
    ]
    for want in case.get("expect", []):
        same_type = [e for e in events if e.type == want["type"]]
        assert any(_fits(e, want) for e in same_type), f"expected {want}, extracted {seen}"
    for etype in case.get("absent", []):
        assert all(e.type != etype for e in events), f"{etype} must not be extracted: {seen}"
