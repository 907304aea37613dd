"""Score extraction on a seed folder against a reference (tests/data/events.yaml).

    python -m streams.quality seeds tests/data/events.yaml

An extracted event matches a reference event when the type is equal, the date is equal where
the reference has one, the location overlaps where it has one (the same place, or one inside
the other), and at least one actor is shared. Each reference event takes its best-matching
extracted event, one to one. Printed: recall, then per field the share of matched events
where the field is right:
  date        equal (both absent counts as right)
  status      equal
  location    every reference place found (or a place inside it), and nothing unrelated;
              both absent counts as right
  actors      every reference actor found
  quantities  every reference quantity found with its value
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from streams.core.records import Event
from streams.knowledge.gazetteer import Gazetteer, fold

if TYPE_CHECKING:
    from streams.extract.extractor import Extractor

FIELDS = ("date", "status", "location", "actors", "quantities")


@dataclass(frozen=True)
class Reference:
    """One expected event of one article."""

    article: str
    type: str
    actors: tuple[str, ...]
    location: tuple[str, ...]
    date: str | None
    status: str | None
    quantities: dict[str, float]


@dataclass
class Report:
    """Recall and per-field accuracy over matched events, with the misses for reading."""

    total: int
    matched: int
    correct: dict[str, int]
    misses: list[str]
    wrong: list[str]

    @property
    def recall(self) -> float:
        return self.matched / self.total if self.total else 0.0

    def accuracy(self, field: str) -> float:
        return self.correct[field] / self.matched if self.matched else 0.0

    def figures(self) -> dict[str, Any]:
        """The figures as plain data (for --format json)."""
        return {
            "total": self.total,
            "matched": self.matched,
            "recall": round(self.recall, 4),
            "accuracy": {f: round(self.accuracy(f), 4) for f in FIELDS},
            "missed": list(self.misses),
            "wrong": list(self.wrong),
        }

    def text(self) -> str:
        lines = [f"recall      {self.recall:.2f}  ({self.matched}/{self.total} reference events)"]
        for field in FIELDS:
            lines.append(
                f"{field:<11} {self.accuracy(field):.2f}  ({self.correct[field]}/{self.matched})"
            )
        lines += ["", "missed:"] + ([f"  {m}" for m in self.misses] or ["  none"])
        lines += ["wrong fields:"] + ([f"  {w}" for w in self.wrong] or ["  none"])
        return "\n".join(lines)


def load_reference(path: Path | str) -> list[Reference]:
    """The reference file: article file name -> list of expected events."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for article, items in data.items():
        for raw in items or []:
            loc = raw.get("location") or []
            out.append(
                Reference(
                    article=str(article),
                    type=str(raw["type"]),
                    actors=tuple(raw.get("actors") or ()),
                    location=tuple([loc] if isinstance(loc, str) else loc),
                    date=str(raw["date"]) if raw.get("date") else None,
                    status=raw.get("status"),
                    quantities={k: float(v) for k, v in (raw.get("quantities") or {}).items()},
                )
            )
    return out


def score(
    references: list[Reference], extracted: dict[str, list[Event]], gazetteer: Gazetteer
) -> Report:
    """Match references to extracted events (per article, one to one) and score fields."""
    report = Report(len(references), 0, dict.fromkeys(FIELDS, 0), [], [])
    used: set[str] = set()
    for ref in references:
        candidates = [
            e
            for e in extracted.get(ref.article, [])
            if e.id not in used and matches(ref, e, gazetteer)
        ]
        if not candidates:
            report.misses.append(f"{ref.article[:3]} {ref.type} {ref.date} {list(ref.actors)}")
            continue
        checks = {id(e): field_checks(ref, e, gazetteer) for e in candidates}
        best = max(
            candidates,
            key=lambda e: (sum(checks[id(e)].values()), checks[id(e)]["status"]),
        )
        used.add(best.id)
        report.matched += 1
        for field, ok in checks[id(best)].items():
            report.correct[field] += ok
            if not ok:
                got = getattr(best, field)
                want = getattr(ref, field)
                report.wrong.append(f"{ref.article[:3]} {ref.type} {field}: want {want} got {got}")
    return report


def matches(ref: Reference, event: Event, gazetteer: Gazetteer) -> bool:
    """The matching rule: type, date where given, overlapping location where given, an actor."""
    if event.type != ref.type:
        return False
    if ref.date and event.date != ref.date:
        return False
    if ref.location and not any(
        _inside(p, q, gazetteer) or _inside(q, p, gazetteer)
        for p in event.location
        for q in ref.location
    ):
        return False
    return bool(_names(ref.actors, gazetteer) & _names(event.actors, gazetteer))


def field_checks(ref: Reference, event: Event, gazetteer: Gazetteer) -> dict[str, bool]:
    """Which fields of a matched event are right."""
    got_places = list(event.location)
    covered = all(any(_inside(p, q, gazetteer) for p in got_places) for q in ref.location)
    related = all(
        any(_inside(p, q, gazetteer) or _inside(q, p, gazetteer) for q in ref.location)
        for p in got_places
    )
    location_ok = covered and related
    quantities_ok = all(
        event.quantity(role) is not None and event.quantity(role) == value
        for role, value in ref.quantities.items()
    )
    return {
        "date": event.date == ref.date,
        "status": ref.status is None or event.status == ref.status,
        "location": location_ok,
        "actors": _names(ref.actors, gazetteer) <= _names(event.actors, gazetteer),
        "quantities": quantities_ok,
    }


def _inside(place: str, region: str, gazetteer: Gazetteer) -> bool:
    return gazetteer.within(place, region)


def _names(names: Any, gazetteer: Gazetteer) -> set[str]:
    return {fold(gazetteer.canonical(n) or n) for n in names}


def evaluate(folder: Path, reference: Path, extractor: Extractor) -> Report:
    """Extract the folder's events with `extractor` (built by the caller from the settings,
    streams/runtime/bootstrap.py) and score them."""
    from streams.cli.extract import read_articles

    articles = read_articles(folder)
    results = extractor.extract(articles)
    by_file = {a.url: events for a, events in zip(articles, results, strict=True)}
    return score(load_reference(reference), by_file, extractor.gazetteer)

