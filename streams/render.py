"""Alerts rendered for each destination: pure functions of the alert, tested with golden files.

Everything that came from an article (headline, actors, evidence, source) is untrusted: for
Slack it is escaped (&, <, >) so that no `<!channel>` or disguised link renders; for email it
is HTML-escaped in the HTML part and stripped of CR/LF wherever it reaches a header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jinja2

from streams.records import Alert, Event, content_key

SEVERITY_EMOJI = {
    "critical": ":rotating_light:", "high": ":red_circle:",
    "medium": ":large_orange_diamond:", "low": ":white_circle:",
}


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """The alert as plain JSON data (no Faust namespace markers)."""
    return _strip_ns(json.loads(alert.dumps()))


def alert_from_json(data: dict[str, Any]) -> Alert:
    """Rebuild an Alert (with its Event) from `alert_to_json` output."""
    data = _strip_ns(dict(data))
    data["event"] = Event(**data["event"])
    return Alert(**data)


def _strip_ns(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_ns(v) for k, v in value.items() if k != "__faust"}
    if isinstance(value, list):
        return [_strip_ns(v) for v in value]
    return value


def one_line(text: str) -> str:
    """Collapse every kind of line break and control character to single spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def quantities_text(event: Event) -> str:
    """'killed: at least 24; injured: 40' from an event's quantities."""
    parts = []
    for role, q in sorted(event.quantities.items()):
        if isinstance(q, dict):
            text = q.get("text") or " ".join(
                str(x) for x in (q.get("qualifier"), _number(q.get("value"))) if x
            )
        else:
            text = _number(q)
        parts.append(f"{role}: {text}")
    return "; ".join(parts)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def event_summary(event: Event) -> str:
    """'attack (occurred) — Russia, Ukraine @ Kherson on 2026-01-02 [killed: at least 24]'."""
    out = f"{event.type} ({event.status})"
    if event.actors:
        out += " — " + ", ".join(event.actors)
    if event.location:
        out += " @ " + ", ".join(event.location)
    if event.date:
        out += f" on {event.date}"
    if event.quantities:
        out += f" [{quantities_text(event)}]"
    return one_line(out)


def update_summary(update: Alert) -> str:
    """'also reported by Reuters, killed now at least 26' for a later article of a story."""
    out = f"also reported by {update.source or 'another source'}"
    facts = [f"{role} now {text.split(': ', 1)[1]}" for role, text in _roles(update.event)]
    if facts:
        out += ", " + ", ".join(facts)
    return one_line(out)


def _roles(event: Event) -> list[tuple[str, str]]:
    text = quantities_text(event)
    return [(p.split(":", 1)[0], p) for p in text.split("; ")] if text else []


# --- console and JSONL ----------------------------------------------------------------


def console_line(alert: Alert, update: Alert | None = None) -> str:
    """One line: severity, rule id, headline and the event (or what the update adds)."""
    if update is not None:
        return one_line(f"[update] {alert.rule_id} | {alert.title} | "
                        f"{update_summary(update)} | {update.article_url}")
    return one_line(
        f"[{alert.severity.upper()}] {alert.rule_id} | {alert.title} | "
        f"{event_summary(alert.event)} | {alert.article_url}"
    )


def json_record(alert: Alert, update: Alert | None = None) -> dict[str, Any]:
    """The JSON object a JSONL line or webhook carries: kind, key, alert, update."""
    record: dict[str, Any] = {
        "kind": "update" if update is not None else "alert",
        "key": alert.id if update is None else f"{alert.id}.{update.article_id}",
        "alert": alert_to_json(alert),
    }
    if update is not None:
        record["update"] = alert_to_json(update)
        record["summary"] = update_summary(update)
    return record


# --- Slack ------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters escaped; line breaks flattened."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str) -> str:
    """<url|label> where neither part can close the link early or open another."""
    safe_url = slack_escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{slack_escape(label)}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def slack_alert(alert: Alert) -> dict[str, Any]:
    """The chat.postMessage / incoming-webhook payload (Block Kit) of an alert."""
    ev = alert.event
    emoji = SEVERITY_EMOJI.get(alert.severity, ":white_circle:")
    fields = [
        ("Event", f"{ev.type} ({ev.status})"),
        ("Actors", ", ".join(ev.actors) or "—"),
        ("Place", ", ".join(ev.location) or "—"),
        ("Date", ev.date or "—"),
    ]
    if ev.quantities:
        fields.append(("Numbers", quantities_text(ev)))
    fields.append(("Source", alert.source or "—"))
    blocks: list[dict[str, Any]] = [
        _section(f"{emoji} *{slack_link(alert.article_url, alert.title)}*"),
        {"type": "section", "fields": [_mrkdwn(f"*{k}*\n{slack_escape(v)}") for k, v in fields]},
    ]
    if ev.evidence:
        blocks.append(_section("> " + slack_escape(ev.evidence)))
    footer = (f"severity *{slack_escape(alert.severity)}* · rule "
              f"`{slack_escape(alert.rule_id)}` · alert {alert.id}")
    blocks.append({"type": "context", "elements": [_mrkdwn(footer)]})
    return {
        "text": slack_escape(f"[{alert.severity}] {alert.rule_id}: {alert.title}"),
        "blocks": blocks,
        "unfurl_links": False,
        "metadata": {"event_type": "newswatch_alert", "event_payload": {"key": alert.id}},
    }


def slack_update(alert: Alert, update: Alert) -> dict[str, Any]:
    """A thread reply (or, without threads, a short message) for a later article of a story."""
    text = f"{slack_link(update.article_url, update.title)}: {slack_escape(update_summary(update))}"
    if update.event.evidence:
        text += "\n> " + slack_escape(update.event.evidence)
    key = f"{alert.id}.{update.article_id}"
    return {
        "text": slack_escape(f"{alert.rule_id}: {update_summary(update)}"),
        "blocks": [_section(text)],
        "unfurl_links": False,
        "metadata": {"event_type": "newswatch_alert", "event_payload": {"key": key}},
    }


DIGEST_LINES = 40  # a Slack message holds at most 50 blocks; the rest are counted


def slack_digest(alerts: list[Alert]) -> dict[str, Any]:
    """One message for a rule's group: a line per alert, its headline a link, all escaped.
    Every alert's key is in the metadata, so a resend after a crash finds each of them."""
    first = alerts[0]
    emoji = SEVERITY_EMOJI.get(first.severity, ":white_circle:")
    rule = slack_escape(first.rule_id)
    blocks = [_section(f"{emoji} *{len(alerts)} alerts* · rule `{rule}`")]
    for a in alerts[:DIGEST_LINES]:
        blocks.append(_section(
            f"• {slack_link(a.article_url, a.title)}\n{slack_escape(event_summary(a.event))}"
            f" · {slack_escape(a.source or '—')}"))
    if len(alerts) > DIGEST_LINES:
        blocks.append(_section(f"… and {len(alerts) - DIGEST_LINES} more"))
    footer = f"severity *{slack_escape(first.severity)}* · rule `{rule}` · digest"
    blocks.append({"type": "context", "elements": [_mrkdwn(footer)]})
    keys = [a.id for a in alerts]
    return {
        "text": slack_escape(f"[{first.severity}] {first.rule_id}: {len(alerts)} alerts"),
        "blocks": blocks,
        "unfurl_links": False,
        "metadata": {"event_type": "newswatch_alert",
                     "event_payload": {"key": "digest." + content_key(*keys), "keys": keys}},
    }


# --- email ------------------------------------------------------------------------------

_EMAIL_TEMPLATE = """\
{% if html %}<html><body>{% for a in alerts %}
<h2><a href="{{ a.url }}">{{ a.title }}</a></h2>
{% if a.news %}<p>{{ a.news }}</p>{% endif %}
<table>{% for k, v in a.fields %}
<tr><th align="left">{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
</table>
{% if a.evidence %}<blockquote>{{ a.evidence }}</blockquote>{% endif %}
<p><small>severity {{ a.severity }} · rule {{ a.rule }} · alert {{ a.id }}</small></p>
{% endfor %}</body></html>
{% else %}{% for a in alerts %}{{ a.title }}
{{ a.url }}
{% if a.news %}{{ a.news }}
{% endif %}
{% for k, v in a.fields %}{{ k }}: {{ v }}
{% endfor %}{% if a.evidence %}
> {{ a.evidence }}
{% endif %}
severity {{ a.severity }} · rule {{ a.rule }} · alert {{ a.id }}
{% if not loop.last %}
---
{% endif %}{% endfor %}{% endif %}"""

_HTML_ENV = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
_TEXT_ENV = jinja2.Environment(autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class EmailContent:
    """Subject (one line, safe for a header), plain text and HTML of one email."""

    subject: str
    text: str
    html: str


def _email_view(alert: Alert, update: Alert | None) -> dict[str, Any]:
    shown = update or alert
    ev = shown.event
    fields = [("Event", f"{ev.type} ({ev.status})"), ("Actors", ", ".join(ev.actors) or "-"),
              ("Place", ", ".join(ev.location) or "-"), ("Date", ev.date or "-")]
    if ev.quantities:
        fields.append(("Numbers", quantities_text(ev)))
    fields.append(("Source", shown.source or "-"))
    return {
        "title": one_line(shown.title), "url": one_line(shown.article_url),
        "news": update_summary(update) if update else "",
        "fields": [(k, one_line(v)) for k, v in fields], "evidence": one_line(ev.evidence),
        "severity": alert.severity, "rule": alert.rule_id, "id": alert.id,
    }


def email_content(pairs: list[tuple[Alert, Alert | None]]) -> EmailContent:
    """One email (text + HTML from the same template) for one alert, an update, or a digest."""
    views = [_email_view(a, u) for a, u in pairs]
    first, first_update = pairs[0]
    if len(pairs) > 1:
        subject = f"[newswatch] {first.rule_id}: {len(pairs)} alerts"
    elif first_update is not None:
        subject = f"Re: [newswatch] {first.rule_id}: {first.title}"
    else:
        subject = f"[newswatch] [{first.severity}] {first.rule_id}: {first.title}"
    text = _TEXT_ENV.from_string(_EMAIL_TEMPLATE).render(alerts=views, html=False)
    html = _HTML_ENV.from_string(_EMAIL_TEMPLATE).render(alerts=views, html=True)
    return EmailContent(subject=one_line(subject)[:250], text=text, html=html)
