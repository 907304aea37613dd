"""Hand-made articles and events for the rule engine's tests (no extractor needed)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import waiting

from streams.core.records import Article, ArticleEvents, Event, content_key
from streams.knowledge.gazetteer import Gazetteer

ROOT = Path(__file__).resolve().parents[2]
EVENT_TYPES = ("meeting", "prisoner_exchange", "ceasefire", "attack", "sanctions", "agreement")
_ids = itertools.count()


def gazetteer() -> Gazetteer:
    """The project's gazetteer plus a few places outside the war, for must-not-fire cases."""
    from streams.knowledge.gazetteer import Entity

    gaz = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")
    for name, kind, country in (
        ("Syria", "country", None),
        ("Sudan", "country", None),
        ("Khartoum", "city", "Sudan"),
        ("Kherson", "city", "Ukraine"),
        ("United States", "country", None),
    ):
        if gaz.get(name) is None:
            gaz.add(Entity(name, kind, country))
    return gaz


def article(published: str = "2025-11-18", source: str = "Wire", **kw: Any) -> Article:
    n = next(_ids)
    fields: dict[str, Any] = {
        "id": content_key("article", str(n)),
        "url": f"http://127.0.0.1/a/{n}",
        "title": f"Headline {n}",
        "text": "",
        "published": published,
        "source": source,
    }
    fields.update(kw)
    return Article(**fields)


def event(art: Article, type: str = "meeting", **kw: Any) -> Event:
    n = next(_ids)
    fields: dict[str, Any] = {
        "id": content_key("event", str(n)),
        "article_id": art.id,
        "type": type,
        "actors": ["Ukraine", "Russia"],
        "location": [],
        "quantities": {},
        "status": "occurred",
        "story_id": content_key("story", str(n)),
        "story_new": True,
    }
    fields.update(kw)
    return Event(**fields)


def batch(art: Article, *events: Event) -> ArticleEvents:
    return ArticleEvents(article=art, events=list(events))


def write_rules(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- a watched rules folder (hot reload, limits, a folder gone) ---------------------------

RULE = "rules:\n- id: watched\n  when: {{type: {type}}}\n"


def held_folder(
    tmp_path: Path, more: dict[str, str] | None = None
) -> tuple[Any, Path, Path, Gazetteer]:
    """(holder, folder, status file, gazetteer): a rules folder with `watched` (a meeting
    rule) and `more` files, loaded into a RulebookHolder as the worker does."""
    from streams.evaluate.hot_reload import STATUS_FILE, RulebookHolder
    from streams.evaluate.rulebook import load_rulebook

    folder = tmp_path / "rules"
    write_rules(folder, "a.yaml", RULE.format(type="meeting"))
    for name, text in (more or {}).items():
        write_rules(folder, name, text)
    gaz = gazetteer()
    holder = RulebookHolder.from_result(load_rulebook(folder, gaz, EVENT_TYPES), folder)
    return holder, folder, tmp_path / "data" / STATUS_FILE, gaz


async def until(predicate: Any, what: str) -> None:
    """Wait for predicate, generously for a loaded CI machine (the watcher polls every 0.5 s)."""
    await waiting.until(predicate, 10.0, what, every=0.05)


async def fires(holder: Any, type_: str) -> list[str]:
    """The ids of the holder's rules that fire on one event of this type."""
    from streams.evaluate.matcher import evaluate
    from streams.evaluate.rule_state import MemoryRuleState

    art = article()
    matches = await evaluate(holder.rulebook, batch(art, event(art, type_)), MemoryRuleState())
    return sorted(m.rule.id for m in matches)
