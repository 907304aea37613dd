"""A story as an analyst reads it: its events on a timeline, the articles and sources that
told it (with publication times), how its numbers changed, the evidence sentences, and the
alerts it caused. Also the list of stories, newest first, for the API.
"""

from __future__ import annotations

from typing import Any, TypedDict

from streams.core.alert_status import shown
from streams.store import Store, views
from streams.store.views import ArticleRow, StoryRow
from streams.web.queries import iso, quantity_text, quantity_value

# What the story page and /api/stories show; summaries and event payloads are JSON.


class Story(TypedDict):
    id: str
    type: str
    actors: list[str]
    location: list[str]
    date: str | None
    sources: list[str]
    articles: int
    summary: dict[str, Any]
    created: str | None
    updated: str | None


class StoryArticle(TypedDict):
    id: str
    title: str
    url: str
    source: str
    published: str | None
    fetched: str | None


class TimelineEvent(TypedDict):
    id: str
    type: str
    status: str
    date: str | None
    actors: list[str]
    location: list[str]
    quantities: dict[str, str]  # role -> as the article put it
    evidence: str
    attribution: str | None
    article_id: str
    article_title: str
    source: str
    published: str | None


class NumberStep(TypedDict):
    value: float | None
    text: str
    source: str
    published: str | None
    article_id: str


class StoryAlert(TypedDict):
    id: str
    rule_id: str
    severity: str
    status: str
    created: str | None
    message: str


class StoryDetail(TypedDict):
    story: Story
    timeline: list[TimelineEvent]
    articles: list[StoryArticle]
    numbers: dict[str, list[NumberStep]]
    evidence: list[str]
    alerts: list[StoryAlert]


def _story(row: StoryRow) -> Story:
    return {
        "id": row["id"],
        "type": row["type"],
        "actors": list(row["actors"] or []),
        "location": list(row["location"] or []),
        "date": row["date"],
        "sources": list(row["sources"] or []),
        "articles": row["articles"],
        "summary": row["summary"] or {},
        "created": iso(row["created"]),
        "updated": iso(row["updated"]),
    }


def _bare(story_id: str) -> Story:
    # events can name a story whose row is not written yet
    return {"id": story_id, "type": "", "actors": [], "location": [], "date": None,
            "sources": [], "articles": 0, "summary": {}, "created": None, "updated": None}


async def list_stories(store: Store, limit: int = 200) -> list[Story]:
    """Stories, most recently updated first."""
    return [_story(r) for r in await views.latest_stories(store, limit)]


def _article(row: ArticleRow) -> StoryArticle:
    return {
        "id": row["id"],
        "title": row["title"],
        "url": row["url"],
        "source": row["source"],
        "published": row["published"],
        "fetched": iso(row["created"]),
    }


def _event(payload: dict[str, Any], article: StoryArticle | None) -> TimelineEvent:
    return {
        "id": payload.get("id", ""),
        "type": payload.get("type", ""),
        "status": payload.get("status", ""),
        "date": payload.get("date"),
        "actors": list(payload.get("actors") or []),
        "location": list(payload.get("location") or []),
        "quantities": {
            role: quantity_text(q) for role, q in sorted((payload.get("quantities") or {}).items())
        },
        "evidence": payload.get("evidence", ""),
        "attribution": payload.get("attribution"),
        "article_id": payload.get("article_id", ""),
        "article_title": article["title"] if article else "",
        "source": article["source"] if article else "",
        "published": article["published"] if article else None,
    }


def _when(event: TimelineEvent) -> tuple[str, str]:
    # on the timeline an event sits at its own date, else at its article's publication
    return (event["date"] or (event["published"] or "")[:10] or "9999", event["published"] or "")


def number_changes(
    raw: list[tuple[dict[str, Any], TimelineEvent]],
) -> dict[str, list[NumberStep]]:
    """role -> the successive values reported (consecutive repeats dropped), by publication."""
    ordered = sorted(raw, key=lambda pair: (pair[1]["published"] or "", pair[1]["id"]))
    out: dict[str, list[NumberStep]] = {}
    for payload, event in ordered:
        for role, q in sorted((payload.get("quantities") or {}).items()):
            value = quantity_value(q)
            steps = out.setdefault(role, [])
            if steps and steps[-1]["value"] == value:
                continue
            steps.append({
                "value": value, "text": quantity_text(q), "source": event["source"],
                "published": event["published"], "article_id": event["article_id"],
            })
    return out


async def story_detail(store: Store, story_id: str) -> StoryDetail | None:
    """Everything the story page shows, or None when there is no such story."""
    rows = await views.story_rows(store, story_id)
    row, event_rows = rows["story"], rows["events"]
    if row is None and not event_rows:
        return None
    by_id = {a["id"]: _article(a) for a in rows["articles"]}
    pairs = [(r["payload"] or {}, _event(r["payload"] or {}, by_id.get(r["article_id"])))
             for r in event_rows]
    timeline = sorted((e for _, e in pairs), key=_when)
    told = sorted(by_id.values(), key=lambda a: (a["published"] or "", a["id"]))
    story = _story(row) if row is not None else _bare(story_id)
    # every source of its articles (the row lists the first few: streams/stories/state.py)
    story["sources"] = list(dict.fromkeys([*story["sources"], *(a["source"] for a in told
                                                                if a["source"])]))
    return {
        "story": story,
        "timeline": timeline,
        "articles": told,
        "numbers": number_changes(pairs),
        "evidence": list(dict.fromkeys(e["evidence"] for e in timeline if e["evidence"])),
        "alerts": [
            {"id": a["id"], "rule_id": a["rule_id"], "severity": a["severity"],
             "status": shown(a["status"]),
             "created": iso(a["created"]), "message": (a["payload"] or {}).get("message", "")}
            for a in rows["alerts"]
        ],
    }
