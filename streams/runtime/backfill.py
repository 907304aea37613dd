"""`newswatch rules backfill RULE --since 2d`: a new or changed rule over the articles the
service already stored, so it does not wait for the next article to fire.

Each stored article of the period (in order of publication, streams/core/ordering.py) is given
back its stored events, consolidated as the service does, and evaluated under that one
rule. Its alerts are recorded once per rule and story like the service's (a story the rule
already alerted for is left alone); by default they are recorded as "backfilled" and sent
nowhere; with `deliver` they are queued to their destinations, and the running service's
dispatcher sends them. The rule's windows and marks live in memory for the replay: the
service's own rule state is not touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from streams.config.settings import Settings
from streams.core.alert_status import BACKFILLED
from streams.core.clock import utcnow
from streams.core.errors import RuleDefinitionError
from streams.core.ordering import publication_key
from streams.core.records import Alert, Article, ArticleEvents, Event
from streams.deliver.make_alert import make_alert
from streams.deliver.record import record_alert
from streams.evaluate.matcher import evaluate
from streams.evaluate.rule_state import MemoryRuleState
from streams.extract.consolidate import consolidate
from streams.store import Store
from streams.store.rule_state import StoreRuleState
from streams.store.schema import articles as articles_table
from streams.store.schema import events as events_table


class BackfillError(RuleDefinitionError):
    """The rule is unknown (the message lists the known ids) or cannot be loaded."""


@dataclass
class BackfillResult:
    """What a backfill did: the articles replayed and the alerts it recorded."""

    articles: int = 0
    alerts: list[Alert] = field(default_factory=list)
    already: int = 0  # stories the rule had already alerted for


class _ReplayState(MemoryRuleState):
    """Windows and marks in memory; stories read from the store (messages name them)."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._stored = StoreRuleState(store)

    async def story(self, story_id: str) -> dict[str, Any] | None:
        return await self._stored.story(story_id)


async def _stored(store: Store, after: dt.datetime) -> list[ArticleEvents]:
    """The articles stored after a moment with their stored events, in publication order."""
    async with store.begin() as conn:
        rows = (await conn.execute(
            sa.select(articles_table).where(articles_table.c.created >= after)
        )).mappings().all()
        ids = [r["id"] for r in rows]
        events = (await conn.execute(
            sa.select(events_table.c.article_id, events_table.c.payload)
            .where(events_table.c.article_id.in_(ids)).order_by(events_table.c.created)
        )).all() if ids else []
    by_article: dict[str, list[Event]] = {}
    for article_id, payload in events:
        by_article.setdefault(article_id, []).append(Event.from_dict(payload))
    out = []
    for r in rows:
        article = Article(
            id=r["id"], url=r["url"], title=r["title"], text=r["text"],
            published=r["published"], source=r["source"], language=r["language"],
            feed=r["feed"], fallback=r["fallback"],
        )
        out.append((article, by_article.get(article.id, [])))
    out.sort(key=lambda pair: publication_key(pair[0].published, pair[0].url))
    return [ArticleEvents(article=a, events=evs) for a, evs in out]


async def backfill(
    settings: Settings, rule_id: str, since: dt.timedelta, deliver: bool = False
) -> BackfillResult:
    """Evaluate one rule over the stored articles of the last `since`; record its alerts."""
    from streams.evaluate.rulebook import Rulebook
    from streams.runtime.bootstrap import load_gazetteer, load_rules

    gazetteer = load_gazetteer(settings)
    holder = load_rules(settings, gazetteer)
    rule = holder.rulebook.by_id.get(rule_id)
    if rule is None:
        known = ", ".join(sorted(holder.rulebook.by_id)) or "none"
        raise BackfillError(f"no rule {rule_id!r} in {settings.rules_dir}; known rules: {known}")
    rulebook = Rulebook([rule], gazetteer)
    configured = None
    if deliver:
        from streams.deliver.sinks.registry import build_sinks

        configured = frozenset(build_sinks(settings))
    store = await Store(settings.database).open()
    result = BackfillResult()
    try:
        state = _ReplayState(store)
        now = utcnow()
        for stored in await _stored(store, now - since):
            result.articles += 1
            batch = ArticleEvents(article=stored.article,
                                  events=consolidate(stored.events, gazetteer))
            alerted: set[str] = set()  # one alert per rule and article, as the service
            for match in await evaluate(rulebook, batch, state):
                alert = make_alert(match, now, settings)
                if alert.article_id in alerted:
                    await record_alert(store, alert, deliver=False)
                    continue
                if deliver:
                    fresh = await record_alert(store, alert, configured)
                else:
                    fresh = await record_alert(store, alert, deliver=False, undelivered=BACKFILLED)
                if fresh:
                    alerted.add(alert.article_id)
                    result.alerts.append(alert)
                else:
                    result.already += 1
    finally:
        await store.close()
    return result
