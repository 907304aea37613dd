"""Consolidation: golden cases (tests/golden/extract_consolidate) for the pure step, and the
seed backtest's alerts carrying each story's most informative event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.config.settings import load_settings
from streams.core.records import Event, content_key
from streams.extract.consolidate import consolidate, most_specific
from streams.knowledge.gazetteer import Gazetteer
from streams.runtime.backtest import backtest

ROOT = Path(__file__).resolve().parents[2]
CASES = yaml.safe_load(
    (ROOT / "tests" / "golden" / "extract_consolidate" / "cases.yaml").read_text("utf-8")
)
GAZETTEER = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")


def _event(n: int, raw: dict[str, Any]) -> Event:
    date = raw.get("date")
    return Event(
        id=content_key("event", str(n)),
        article_id="a",
        type=raw["type"],
        actors=list(raw.get("actors") or []),
        location=list(raw.get("location") or []),
        quantities=dict(raw.get("quantities") or {}),
        date=date.isoformat() if isinstance(date, dt.date) else date,
        status=raw.get("status", "occurred"),
        attribution=raw.get("attribution"),
        evidence=raw["evidence"],
        story_id=raw["story"],
        story_new=bool(raw.get("new")),
    )


def _view(event: Event, fields: list[str]) -> dict[str, Any]:
    out = {f: getattr(event, f) for f in fields}
    if "actors" in out:
        out["actors"] = sorted(out["actors"])
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_consolidation(case: dict[str, Any]) -> None:
    events = [_event(n, raw) for n, raw in enumerate(case["events"])]
    got = consolidate(events, GAZETTEER)
    expected = []
    for raw in case["expect"]:
        raw = dict(raw)
        if isinstance(raw.get("date"), dt.date):
            raw["date"] = raw["date"].isoformat()
        if "actors" in raw:
            raw["actors"] = sorted(raw["actors"])
        expected.append(raw)
    assert [_view(e, list(want)) for e, want in zip(got, expected, strict=False)] == expected
    assert len(got) == len(expected)


def test_story_new_and_idempotence() -> None:
    raws = [
        {"story": "s", "type": "meeting", "actors": ["Ukraine"], "status": "proposed",
         "evidence": "a"},
        {"story": "s", "type": "meeting", "actors": ["Ukraine"], "status": "proposed",
         "evidence": "b", "new": True},
    ]  # fmt: skip
    [merged] = consolidate([_event(n, r) for n, r in enumerate(raws)], GAZETTEER)
    assert merged.story_new and merged.evidence == "a"
    assert consolidate([merged], GAZETTEER) == [merged]
    assert consolidate([], GAZETTEER) == []


def test_most_specific_place() -> None:
    assert most_specific(["Turkey", "Istanbul", "Dolmabahçe Palace"], GAZETTEER) == [
        "Dolmabahçe Palace"
    ]
    assert most_specific(["Volyn", "Odesa"], GAZETTEER) == ["Volyn", "Odesa"]
    assert most_specific(["Turkey", "Spain"], GAZETTEER) == ["Turkey", "Spain"]


async def test_seed_alerts_carry_the_dated_event(tmp_path: Path, extractor) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        data_dir=tmp_path, rules_dir=ROOT / "rules", taxonomy_dir=ROOT / "rules" / "taxonomy",
        seeds_dir=ROOT / "seeds",
    )  # fmt: skip
    alerts = await backtest(str(ROOT / "seeds"), settings, extractor=extractor)
    talks = {a["article"][:3]: a["event"] for a in alerts if a["rule"] == "peace-talks-turkey"}
    assert (talks["004"]["date"], talks["004"]["status"]) == ("2025-05-16", "scheduled")
    assert talks["004"]["location"] == ["Istanbul"]
    assert {"Russia", "Ukraine", "Turkey"} <= set(talks["004"]["actors"])
    assert (talks["002"]["date"], talks["002"]["status"]) == ("2025-11-19", "scheduled")
    assert (talks["000"]["date"], talks["000"]["location"]) == ("2026-01-01", ["Ankara"])
    sanctions = next(a["event"] for a in alerts if a["rule"] == "sanctions-russia")
    # 003 tells new sanctions considered (proposed) and sanctions recently imposed (occurred):
    # either may carry the story's one alert, never a call for them (hypothetical)
    assert sanctions["status"] in ("proposed", "occurred")
