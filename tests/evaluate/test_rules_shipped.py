"""The five shipped rules on the analysts' reference events of the seeds (tests/data/
events.yaml): which rules each article fires, and the alerts per rule once the articles that
tell the same happening share a story (the backtest's expected counts). Also `rules test`."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from rules_support import ROOT, gazetteer, write_rules

from streams.cli import main
from streams.cli.rules import event_types
from streams.core.records import Article, ArticleEvents, Event, content_key
from streams.evaluate.matcher import evaluate
from streams.evaluate.rule_state import MemoryRuleState
from streams.evaluate.rulebook import load_rulebook

# articles that tell the same happenings (the story stage's job; fixed here by hand)
PERIOD = {"000": "jan", "001": "jan", "002": "nov", "003": "nov", "004": "may"}


def seeds() -> list[tuple[str, Article, list[dict[str, Any]]]]:
    feed = yaml.safe_load((ROOT / "seeds" / "feed.yaml").read_text(encoding="utf-8"))
    reference = yaml.safe_load((ROOT / "tests" / "data" / "events.yaml").read_text("utf-8"))
    out = []
    for item in sorted(feed["items"], key=lambda i: (str(i["published"]), i["file"])):
        art = Article(id=item["file"][:3], url=item["file"], title=item["file"],
                      text="", published=str(item["published"]), source=item["source"])  # fmt: skip
        out.append((item["file"][:3], art, reference[item["file"]]))
    return out


def to_event(art: Article, raw: dict[str, Any], i: int, story: str, new: bool) -> Event:
    location = raw.get("location") or []
    return Event(
        id=f"{art.id}-{i}",
        article_id=art.id,
        type=raw["type"],
        actors=list(raw.get("actors") or []),
        location=[location] if isinstance(location, str) else list(location),
        quantities={
            k: {"value": v, "qualifier": None, "text": str(v)}
            for k, v in (raw.get("quantities") or {}).items()
        },  # fmt: skip
        date=str(raw["date"]) if raw.get("date") else None,
        status=raw.get("status", "occurred"),
        story_id=story,
        story_new=new,
    )


def shipped():
    types = event_types(ROOT / "rules" / "taxonomy")
    return load_rulebook(ROOT / "rules", gazetteer(), types).rulebook


def test_each_seed_fires_the_rules_an_analyst_expects() -> None:
    book = shipped()
    expected = {
        "000": {"peace-talks-turkey", "prisoner-exchange-new", "mass-casualty-strike"},
        "001": {"peace-talks-turkey", "prisoner-exchange-new"},
        "002": {"peace-talks-turkey", "prisoner-exchange-new"},  # five killed: below 10
        "003": {"peace-talks-turkey", "prisoner-exchange-new", "sanctions-russia", "ceasefire"},
        "004": {"peace-talks-turkey", "ceasefire"},
    }
    for name, art, raws in seeds():
        events = [to_event(art, raw, i, f"{name}-{i}", True) for i, raw in enumerate(raws)]
        matches = asyncio.run(evaluate(book, ArticleEvents(article=art, events=events),
                                       MemoryRuleState()))  # fmt: skip
        assert {m.rule.id for m in matches} == expected[name], name


def test_alerts_per_story_match_the_expected_backtest() -> None:
    book, state = shipped(), MemoryRuleState()
    opened: set[str] = set()
    alerts: set[tuple[str, str]] = set()
    for name, art, raws in seeds():  # in order of publication
        events = []
        for i, raw in enumerate(raws):
            story = content_key(PERIOD[name], raw["type"], str(raw.get("status") == "cancelled"))
            events.append(to_event(art, raw, i, story, story not in opened))
        opened.update(e.story_id for e in events)
        batch = ArticleEvents(article=art, events=events)
        alerts |= {(m.rule.id, m.event.story_id) for m in asyncio.run(evaluate(book, batch, state))}
    assert Counter(rule for rule, _ in alerts) == {
        "prisoner-exchange-new": 2,
        "peace-talks-turkey": 3,
        "mass-casualty-strike": 1,
        "ceasefire": 2,
        "sanctions-russia": 1,
    }


def test_rules_test_passes_on_the_shipped_expectations(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["rules", "test", "--no-extractor"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_rules_test_exits_1_on_a_failed_expectation(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    folder = tmp_path / "rules"
    write_rules(folder, "r.yaml", "rules:\n- id: strikes\n  when: {type: attack}\n")
    write_rules(folder / "tests", "strikes.yaml", (
        "rule: strikes\ncases:\n"
        "  - name: an attack\n    events: [{type: attack}]\n    fires: true\n"
        "  - name: a meeting said to fire\n    events: [{type: meeting}]\n    fires: true\n"
    ))  # fmt: skip
    result = CliRunner().invoke(main, ["rules", "test", str(folder), "--no-extractor"])
    assert result.exit_code == 1
    assert "FAIL strikes: a meeting said to fire — expected it to fire" in result.output
    assert "PASS" not in result.output and "1 passed, 1 failed" in result.output
