"""The alerts list: newest first, filtered by rule, severity, status, source and time, with
the status an analyst sees (new, acknowledged, silenced); and the two actions on an alert.

"silenced" is derived: an alert not acknowledged whose deliveries were held, or that an
active silence matches now. Acknowledging and silencing go through the delivery stage's own
store functions, so the CLI and the dashboard do the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from streams.core.alert_json import alert_from_json
from streams.core.records import Alert
from streams.deliver import alert_status
from streams.deliver.render import HEADLINE, cut, what_happened
from streams.store import Store
from streams.store.alerts import COVERED, ack_alert
from streams.store.schema import alerts, articles
from streams.store.silences import add_silence, parse_duration
from streams.web.queries import day_start, iso, one, parse_day

STATUSES, SEVERITIES = alert_status.STATUSES, alert_status.SEVERITIES
SILENCE_SCOPES = ("story", "rule")
MAX_ALERTS = 500


@dataclass(frozen=True)
class AlertFilter:
    """What the analyst asked to see; empty fields do not filter."""

    rule: str = ""
    severity: str = ""
    status: str = ""
    source: str = ""
    since: str = ""  # a day, inclusive
    until: str = ""  # a day, inclusive
    limit: int = 200

    @classmethod
    def from_query(cls, params: Mapping[str, Any], strict: bool = False) -> AlertFilter:
        """From the page's or the API's query string. The page ignores values it does not
        know; `strict` (the API) raises FilterError naming each parameter at fault."""
        status = one(params, "status")
        severity = one(params, "severity")
        if strict:
            problems = _problems(params)
            if problems:
                raise FilterError("; ".join(problems))
        try:
            limit = max(1, min(MAX_ALERTS, int(one(params, "limit") or 200)))
        except ValueError:
            limit = 200
        return cls(
            rule=one(params, "rule"),
            severity=severity if severity in SEVERITIES else "",
            status=status if status in STATUSES else "",
            source=one(params, "source"),
            since=one(params, "since") if parse_day(one(params, "since")) else "",
            until=one(params, "until") if parse_day(one(params, "until")) else "",
            limit=limit,
        )

    def query_args(self) -> dict[str, str]:
        """The non-empty fields, for links and the live refresh."""
        fields = ("rule", "severity", "status", "source", "since", "until")
        return {name: getattr(self, name) for name in fields if getattr(self, name)}


class FilterError(ValueError):
    """A query parameter of /api/alerts is wrong; the message names it."""


def _problems(params: Mapping[str, Any]) -> list[str]:
    out = []
    for name, known in (("status", STATUSES), ("severity", SEVERITIES)):
        value = one(params, name)
        if value and value not in known:
            out.append(f"{name}: {value!r} is not one of {', '.join(known)}")
    for name in ("since", "until"):
        value = one(params, name)
        if value and parse_day(value) is None:
            out.append(f"{name}: {value!r} is not a day (YYYY-MM-DD)")
    limit = one(params, "limit")
    if limit and not (limit.isdigit() and 1 <= int(limit) <= MAX_ALERTS):
        out.append(f"limit: {limit!r} is not a whole number from 1 to {MAX_ALERTS}")
    return out


def _select(flt: AlertFilter) -> sa.Select[Any]:
    # the article's publication date, for alerts recorded before the Alert carried it
    query = sa.select(alerts, articles.c.published.label("article_published")).select_from(
        alerts.outerjoin(articles, articles.c.id == alerts.c.article_id)
    ).order_by(alerts.c.created.desc(), alerts.c.id)
    query = query.where(alerts.c.status != COVERED)
    if flt.rule:
        query = query.where(alerts.c.rule_id == flt.rule)
    if flt.severity:
        query = query.where(alerts.c.severity == flt.severity)
    since, until = parse_day(flt.since), parse_day(flt.until)
    if since:
        query = query.where(alerts.c.created >= day_start(since))
    if until:
        query = query.where(alerts.c.created < day_start(until + dt.timedelta(days=1)))
    return query.limit(MAX_ALERTS)


def _as_dict(row: Any, alert: Alert, status: str) -> dict[str, Any]:
    payload = row.payload or {}
    event = payload.get("event") or {}
    title = payload.get("title", "")
    message = payload.get("message", "")
    return {
        "id": row.id,
        "rule_id": row.rule_id,
        "severity": row.severity,
        "status": status,
        "story_id": row.story_id,
        "title": title,
        "headline": cut(title or message, HEADLINE),
        "source": payload.get("source", ""),
        "article_url": payload.get("article_url", ""),
        "message": message,
        # a rule template's own words; the default message only repeats headline and event
        "custom_message": "" if _default_message(message, row.rule_id, title) else message,
        "what": what_happened(alert.event),
        "event_type": event.get("type", ""),
        "event_date": event.get("date"),
        "published": ((payload.get("published") or row.article_published or "")[:10]) or None,
        "created": iso(row.created),
        "acked": iso(row.acked),
        "acked_by": row.acked_by,
    }


def _default_message(message: str, rule_id: str, title: str) -> bool:
    """True for streams.evaluate.message.default_message's text (old or new), or the headline."""
    return not message or message == title or message.startswith(f"{rule_id}: {title[:40]}")


async def list_alerts(store: Store, flt: AlertFilter) -> dict[str, Any]:
    """{'alerts': [...newest first], 'rules': [...], 'sources': [...]} for the filter."""
    async with store.begin() as conn:
        rows = (await conn.execute(_select(flt))).all()
        judge = await alert_status.Judge.read(conn)
        rules = (await conn.execute(sa.select(alerts.c.rule_id).distinct())).scalars().all()
    out, sources = [], set()
    for row in rows:
        alert = alert_from_json(row.payload)
        item = _as_dict(row, alert, judge.status(row, alert))
        sources.add(item["source"])
        if flt.status and item["status"] != flt.status:
            continue
        if flt.source and item["source"] != flt.source:
            continue
        out.append(item)
        if len(out) >= flt.limit:
            break
    return {"alerts": out, "rules": sorted(rules), "sources": sorted(s for s in sources if s)}


async def alerts_version(store: Store) -> dict[str, Any]:
    """What changes when an alert arrives or changes status: the live refresh polls it."""
    async with store.begin() as conn:
        row = (await conn.execute(sa.select(
            sa.func.count(), sa.func.max(alerts.c.created), sa.func.max(alerts.c.acked)
        ))).one()
    count, newest, acked = int(row[0] or 0), iso(row[1]), iso(row[2])
    return {"count": count, "newest": newest, "acked": acked,
            "token": f"{count}|{newest or ''}|{acked or ''}"}


async def acknowledge(store: Store, alert_id: str, by: str) -> str | None:
    """Acknowledge one alert; its full id, or None when no single alert matches."""
    return await ack_alert(store, alert_id, by)


async def silence(
    store: Store, alert_id: str, scope: str, duration: str, reason: str
) -> int | None:
    """Silence the alert's story for its rule ('story') or the whole rule ('rule').

    Returns the silence id, or None when the alert does not exist. A bad duration raises
    streams.store.silences.SilenceError with a message for the analyst.
    """
    async with store.begin() as conn:
        row = (await conn.execute(
            sa.select(alerts.c.rule_id, alerts.c.story_id).where(alerts.c.id == alert_id)
        )).first()
    if row is None:
        return None
    story = row.story_id if scope != "rule" else None
    return await add_silence(
        store, parse_duration(duration), rule_id=row.rule_id, story_id=story,
        reason=reason or "silenced from the dashboard",
    )
