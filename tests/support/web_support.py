"""Shared by the dashboard's tests (no tests here): a store filled like the seeds would fill
it (two January 2026 articles of one story, scheduled meetings on 3, 5 and 6 January, a toll
that rises, feeds in each health) plus a hostile article, and a loopback server over it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from ports import free_port
from web_harness import StaticRules

from streams.config.settings import Settings
from streams.core.alert_json import alert_to_json
from streams.core.records import Alert, Event, alert_id
from streams.deliver.record import record_alert
from streams.store import Store
from streams.store.schema import articles, events, feeds, items, stories, story_articles

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime.now(dt.UTC)
EVIL_TITLE = '<script>window.__pwned=1</script>Evil <img src=x onerror="window.__pwned=2"> headline'
EVIL_TEXT = ('Body <a href="javascript:window.__pwned=3">click</a> '
             '<svg onload="window.__pwned=4"></svg><script>window.__pwned=5</script>')


def _article(aid: str, title: str, published: str, source: str, url: str = "",
             text: str = "") -> dict[str, Any]:
    return {"id": aid, "url": url or f"https://news.example/{aid}", "title": title,
            "source": source, "published": published, "text": text or title,
            "created": NOW, "language": "en"}


def _event(eid: str, article_id: str, story_id: str, type_: str, status: str, date: str,
           evidence: str, quantities: dict[str, Any] | None = None,
           actors: tuple[str, ...] = ("Türkiye", "Ukraine")) -> Event:
    return Event(id=eid, article_id=article_id, type=type_, actors=list(actors),
                 location=["Ankara"], quantities=quantities or {}, date=date, status=status,
                 evidence=evidence, story_id=story_id)


def _story(sid: str, type_: str, date: str, first: str, sources: list[str], n: int) -> dict:
    return {"id": sid, "type": type_, "actors": ["Türkiye", "Ukraine"], "location": ["Ankara"],
            "date": date, "anchor": date, "first_article": first, "sources": sources,
            "articles": n, "summary": {}, "created": NOW, "updated": NOW}


def _alert(rule: str, severity: str, event: Event, title: str, source: str, url: str,
           created: dt.datetime) -> Alert:
    return Alert(id=alert_id(rule, event.story_id), rule_id=rule, severity=severity,
                 story_id=event.story_id, title=title, article_url=url,
                 article_id=event.article_id, source=source, event=event,
                 message=f"{rule}: {title}", created=created.isoformat(), destinations=[])


EVENTS = [
    _event("e1", "a000", "s-jan", "meeting", "occurred", "2026-01-01",
           "Top Turkish officials met with Ukraine's lead negotiator in Ankara on Jan. 1."),
    _event("e2", "a001", "s-jan", "meeting", "scheduled", "2026-01-03",
           "On January 3, security advisers will meet in Ukraine."),
    _event("e3", "a001", "s-jan5", "meeting", "scheduled", "2026-01-05",
           "On January 5, leaders will meet in France."),
    _event("e4", "a001", "s-jan6", "meeting", "scheduled", "2026-01-06",
           "A meeting is planned for January 6."),
    _event("e5", "a002", "s-old", "meeting", "scheduled", "2025-11-19",
           "He will travel to Turkey on Wednesday."),
    _event("e6", "a003", "s-strike", "attack", "occurred", "2025-11-18",
           "At least 24 people were killed.", {"killed": {"value": 24, "text": "at least 24"}}),
    _event("e7", "a004", "s-strike", "attack", "occurred", "2025-11-18",
           "The toll rose to 26.", {"killed": {"value": 26, "text": "26"}}),
    _event("e8", "aevil", "s-evil", "meeting", "occurred", "2026-01-02", EVIL_TEXT),
]


async def fill(store: Store) -> None:
    """Articles, stories, events, alerts and feeds like the seeds' (plus a hostile article)."""
    async with store.begin() as conn:
        await conn.execute(sa.insert(articles), [
            _article("a000", "Turkish officials meet Umerov in Ankara", "2026-01-01",
                     "Turkish security sources"),
            _article("a001", "Zelensky announced a series of key meetings", "2026-01-01",
                     "Zelensky's post on X"),
            _article("a002", "Zelensky to travel to Turkey", "2025-11-18", "BelTA"),
            _article("a003", "Strike kills 24", "2025-11-18", "Wire A"),
            _article("a004", "Strike toll rises to 26", "2025-11-19", "Wire B"),
            _article("aevil", EVIL_TITLE, "2026-01-02", "Evil <b>source</b>",
                     url="javascript:window.__pwned=6", text=EVIL_TEXT),
        ])
        await conn.execute(sa.insert(stories), [
            _story("s-jan", "meeting", "2026-01-01", "a000",
                   ["Turkish security sources", "Zelensky's post on X"], 2),
            _story("s-strike", "attack", "2025-11-18", "a003", ["Wire A", "Wire B"], 2),
            _story("s-evil", "meeting", "2026-01-02", "aevil", ["Evil"], 1),
        ])
        await conn.execute(sa.insert(events), [
            {"id": e.id, "article_id": e.article_id, "story_id": e.story_id, "type": e.type,
             "date": e.date, "status": e.status, "created": NOW,
             "payload": alert_to_json(_alert("x", "low", e, "", "", "", NOW))["event"]}
            for e in EVENTS
        ])
        await conn.execute(sa.insert(story_articles), [  # as story matching writes them
            {"story_id": sid, "article_id": aid, "added": NOW}
            for sid, aid in dict.fromkeys((e.story_id, e.article_id) for e in EVENTS)
        ])
        for feed in [
            {"url": "https://ok.example/rss", "title": "OK feed", "health": "ok",
             "failures": 0, "last_success": NOW, "status": 200},
            {"url": "https://down.example/rss", "title": "Down feed", "health": "failing",
             "failures": 5, "status": 503, "error": "HTTP 503", "last_success": None},
            {"url": "https://quiet.example/rss", "title": "Quiet feed", "health": "silent",
             "failures": 0, "last_success": NOW - dt.timedelta(days=9), "status": 304},
        ]:
            await conn.execute(sa.insert(feeds).values(added=NOW, **feed))
        await conn.execute(sa.insert(items), [
            {"key": f"k{i}", "feed": "https://ok.example/rss", "guid": f"g{i}", "link": "x",
             "state": "done", "payload": {}, "recorded": NOW} for i in range(14)
        ])
    by_id = {e.id: e for e in EVENTS}
    for rule, sev, eid, title, source, age in [
        ("peace-talks-turkey", "high", "e1", "Turkish officials meet Umerov in Ankara",
         "Turkish security sources", 3),
        ("mass-casualty-strike", "critical", "e6", "Strike kills 24", "Wire A", 2),
        ("peace-talks-turkey", "high", "e8", EVIL_TITLE, "Evil <b>source</b>", 1),
    ]:
        alert = _alert(rule, sev, by_id[eid], title, source,
                       "javascript:window.__pwned=7" if eid == "e8" else "https://news.example",
                       NOW)
        assert await record_alert(store, alert)
        async with store.begin() as conn:  # spread creation times: newest first is visible
            await conn.execute(sa.text("UPDATE alerts SET created=:c WHERE id=:i"),
                               {"c": NOW - dt.timedelta(hours=age), "i": alert.id})


RULES = StaticRules(
    rules=[
        SimpleNamespace(id="peace-talks-turkey", kind="match", severity="high",
                        file="rules/diplomacy.yaml", line=3, description="Talks"),
        SimpleNamespace(id="mass-casualty-strike", kind="threshold", severity="critical",
                        file="rules/violence.yaml", line=1, description=""),
    ],
    errors=[SimpleNamespace(file="rules/zz-broken.yaml", line=5, field="when.tpye",
                            message="unknown field 'tpye'")],
)


def make_settings(tmp: Path, **extra: Any) -> Settings:
    return Settings(data_dir=tmp / "var", web_host="127.0.0.1", web_port=free_port(),
                    feeds=[], **extra)


def load_holder(folder: Path) -> Any:
    """The rules stage's own RulebookHolder over a rule folder (what the worker loads)."""
    from streams.evaluate.hot_reload import RulebookHolder
    from streams.evaluate.rulebook import load_rulebook
    from streams.knowledge.gazetteer import Gazetteer
    from streams.knowledge.taxonomy import Taxonomy

    taxonomy = ROOT / "rules" / "taxonomy"
    gazetteer = Gazetteer.load(taxonomy / "gazetteer.yaml")
    types = Taxonomy.load(taxonomy / "event_types.yaml").types
    holder = RulebookHolder.from_result(load_rulebook(folder, gazetteer, types), folder)
    holder.gazetteer = gazetteer  # for holder.poll(gazetteer) in the tests
    return holder
