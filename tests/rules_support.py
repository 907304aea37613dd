"""Hand-made articles and events for the rule engine's tests (no extractor needed)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from streams.gazetteer import Gazetteer
from streams.records import Article, ArticleEvents, Event, content_key

ROOT = Path(__file__).resolve().parents[1]
EVENT_TYPES = ("meeting", "prisoner_exchange", "ceasefire", "attack", "sanctions", "agreement")
_ids = itertools.count()


def gazetteer() -> Gazetteer:
    """The project's gazetteer plus a few places outside the war, for must-not-fire cases."""
    from streams.gazetteer import Entity

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
