"""The alerts list: newest first, filtered by rule, severity, status, source and time, with
the status an analyst sees (new, acknowledged, silenced); and the two actions on an alert.

"silenced" is derived: an alert not acknowledged whose deliveries were held, or that an
active silence matches now (streams/deliver/alert_status.py judges). The rows come from the
store's own alert list (streams.store.views, the one the CLI reads); acknowledging and
silencing go through the same store functions as the CLI's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from streams.core.alert_json import alert_from_json
from streams.core.alert_status import STATUSES
from streams.core.durations import DurationError, positive_duration
from streams.core.errors import RequestError
from streams.core.records import Alert
from streams.core.severities import MOST_SEVERE_FIRST as SEVERITIES
from streams.deliver.alert_status import Judge
from streams.deliver.render import HEADLINE, cut, what_happened
from streams.store import Store, views
from streams.web.queries import aware, day_start, iso, one, parse_day

SILENCE_SCOPES = ("story", "rule")
MAX_ALERTS = 500
EVERY_ALERT = 1_000_000  # when filtering by severity or day, read them all first


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
    def from_query(cls, params: Mapping[str, str], strict: bool = False) -> AlertFilter:
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


class StoredAlert(Protocol):
    """An alert row of the store's list (streams.store.views.list_alerts), as read here."""

    @property
    def id(self) -> str: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def story_id(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def article_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...  # the Alert as JSON
    @property
    def created(self) -> dt.datetime: ...
    @property
    def acked(self) -> dt.datetime | None: ...
    @property
    def acked_by(self) -> str | None: ...


class AlertItem(TypedDict):
    """One alert of the list, as the page and /api/alerts show it."""

    id: str
    rule_id: str
    severity: str
    status: str
    story_id: str
    title: str
    headline: str
    source: str
    article_url: str
    message: str
    custom_message: str
    what: str
    event_type: str
    event_date: str | None
    published: str | None
    created: str | None
    acked: str | None
    acked_by: str | None


class AlertList(TypedDict):
    alerts: list[AlertItem]  # newest first
    rules: list[str]
    sources: list[str]


class AlertsVersion(TypedDict):
    count: int
    newest: str | None
    acked: str | None
    token: str


class FilterError(RequestError, ValueError):
    """A query parameter of /api/alerts is wrong; the message names it."""


def _problems(params: Mapping[str, str]) -> list[str]:
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


def _wanted(row: StoredAlert, flt: AlertFilter) -> bool:
    """The store's filters the list does not take: severity and the days of creation."""
    if flt.severity and row.severity != flt.severity:
        return False
    created = aware(row.created)
    since, until = parse_day(flt.since), parse_day(flt.until)
    if since and (created is None or created < day_start(since)):
        return False
    return not (until and (created is None
                           or created >= day_start(until + dt.timedelta(days=1))))


def _as_dict(row: StoredAlert, alert: Alert, status: str, published: str) -> AlertItem:
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
        "published": ((payload.get("published") or published or "")[:10]) or None,
        "created": iso(row.created),
        "acked": iso(row.acked),
        "acked_by": row.acked_by,
    }


def _default_message(message: str, rule_id: str, title: str) -> bool:
    """True for streams.evaluate.message.default_message's text (old or new), or the headline."""
    return not message or message == title or message.startswith(f"{rule_id}: {title[:40]}")


async def list_alerts(store: Store, flt: AlertFilter) -> AlertList:
    """{'alerts': [...newest first], 'rules': [...], 'sources': [...]} for the filter: the
    latest MAX_ALERTS alerts of the rule, severity and days asked, then status and source."""
    narrowed = bool(flt.severity or flt.since or flt.until)
    rows = await views.list_alerts(store, None, flt.rule or None,
                                   EVERY_ALERT if narrowed else MAX_ALERTS)
    rows = [row for row in rows if _wanted(row, flt)][:MAX_ALERTS]
    judge = Judge(*await views.silencing_facts(store))
    rules = await views.alert_rule_ids(store)
    # the article's publication date, for alerts recorded before the Alert carried it
    published = await views.published_of(store, (row.article_id for row in rows))
    out: list[AlertItem] = []
    sources: set[str] = set()
    for row in rows:
        alert = alert_from_json(row.payload)
        item = _as_dict(row, alert, judge.status(row, alert), published.get(row.article_id, ""))
        sources.add(item["source"])
        if flt.status and item["status"] != flt.status:
            continue
        if flt.source and item["source"] != flt.source:
            continue
        out.append(item)
        if len(out) >= flt.limit:
            break
    return {"alerts": out, "rules": rules, "sources": sorted(s for s in sources if s)}


async def alerts_version(store: Store) -> AlertsVersion:
    """What changes when an alert arrives or changes status: the live refresh polls it."""
    count, newest_at, acked_at = await views.alerts_count(store)
    newest, acked = iso(newest_at), iso(acked_at)
    return {"count": count, "newest": newest, "acked": acked,
            "token": f"{count}|{newest or ''}|{acked or ''}"}


async def acknowledge(store: Store, alert_id: str, by: str) -> str | None:
    """Acknowledge one alert; its full id, or None when no single alert matches."""
    return await views.ack_alert(store, alert_id, by)


async def silence(
    store: Store, alert_id: str, scope: str, duration: str, reason: str
) -> int | None:
    """Silence the alert's story for its rule ('story') or the whole rule ('rule').

    Returns the silence id, or None when the alert does not exist. A bad duration raises
    streams.store.silences.SilenceError with a message for the analyst.
    """
    found = await views.alert_rule_and_story(store, alert_id)
    if found is None:
        return None
    rule_id, story_id = found
    try:
        lasting = positive_duration(duration)
    except DurationError as exc:
        raise views.SilenceError(str(exc)) from None
    return await views.add_silence(
        store, lasting, rule_id=rule_id, story_id=story_id if scope != "rule" else None,
        reason=reason or "silenced from the dashboard",
    )
