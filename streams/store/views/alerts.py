"""What the dashboard reads of the alerts table, as plain values: the rules that fired, what
the live refresh polls, an alert's rule and story, its article's publication date, the
firings per rule, and what makes an alert show as silenced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from streams.core.clock import aware_or_none, utcnow
from streams.store.alerts import COVERED
from streams.store.db import Store
from streams.store.schema import alerts, articles, deliveries, silences


async def alert_rule_ids(store: Store) -> list[str]:
    """Every rule id with an alert recorded, sorted."""
    async with store.begin() as conn:
        return sorted((await conn.execute(sa.select(alerts.c.rule_id).distinct())).scalars())


async def alerts_count(store: Store) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """(how many alerts, the newest created, the latest acknowledged)."""
    async with store.begin() as conn:
        row = (await conn.execute(sa.select(
            sa.func.count(), sa.func.max(alerts.c.created), sa.func.max(alerts.c.acked)
        ))).one()
    return int(row[0] or 0), row[1], row[2]


async def alert_rule_and_story(store: Store, alert_id: str) -> tuple[str, str | None] | None:
    """(rule id, story id) of the alert with exactly this id, or None."""
    async with store.begin() as conn:
        row = (await conn.execute(
            sa.select(alerts.c.rule_id, alerts.c.story_id).where(alerts.c.id == alert_id)
        )).first()
    return (row.rule_id, row.story_id) if row else None


async def published_of(store: Store, article_ids: Iterable[str]) -> dict[str, str]:
    """article id -> its publication date (text) for the articles that have one."""
    ids = sorted({i for i in article_ids if i})
    if not ids:
        return {}
    async with store.begin() as conn:
        rows = (await conn.execute(
            sa.select(articles.c.id, articles.c.published).where(articles.c.id.in_(ids))
        )).all()
    return {r.id: r.published for r in rows if r.published}


async def rule_firings(
    store: Store, since: dt.datetime
) -> tuple[dict[str, dt.datetime], list[tuple[str, dt.datetime]]]:
    """rule id -> its latest alert's time, and (rule id, created) of each alert since
    `since`; covered alerts left out."""
    async with store.begin() as conn:
        last = {rule: created for rule, created in (await conn.execute(
            sa.select(alerts.c.rule_id, sa.func.max(alerts.c.created))
            .where(alerts.c.status != COVERED).group_by(alerts.c.rule_id)
        )).all()}
        recent = [(rule, created) for rule, created in (await conn.execute(
            sa.select(alerts.c.rule_id, alerts.c.created)
            .where(alerts.c.status != COVERED, alerts.c.created >= since)
        )).all()]
    return last, recent


async def silencing_facts(store: Store) -> tuple[set[str], list[Any]]:
    """The ids of alerts with a held delivery, and the silences active now (rows with
    rule_id, story_id, actor): what streams.deliver.alert_status.Judge needs."""
    async with store.begin() as conn:
        held = set((await conn.execute(
            sa.select(deliveries.c.alert_id).where(deliveries.c.state == "held").distinct()
        )).scalars().all())
        now = utcnow()
        active = [s for s in (await conn.execute(sa.select(silences))).all()
                  if (aware_or_none(s.until) or now) > now]
    return held, active
