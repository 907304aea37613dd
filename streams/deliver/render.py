"""Alerts rendered for each destination: pure functions of the alert, tested with golden files.

Everything that came from an article (headline, actors, evidence, source) is untrusted: for
Slack it is escaped (&, <, >) so that no `<!channel>` or disguised link renders; for email it
is HTML-escaped in the HTML part and stripped of CR/LF wherever it reaches a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

from streams.core.alert_json import alert_to_json
from streams.core.records import Alert, Event, content_key

SEVERITY_EMOJI = {
    "critical": ":rotating_light:", "high": ":red_circle:",
    "medium": ":large_orange_diamond:", "low": ":white_circle:",
}


# characters of a headline shown in every channel (console line, Slack link label, email
# title and subject part): a 200-character lede used as a headline is cut at a word
HEADLINE = 120


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


# How a pair of roles reads: (first role, second role) -> (joining word, second's word)
_ROLE_PHRASES = {
    ("attacker", "attacked"): ("by", "on"),
    ("authority", "target"): ("by", "on"),
}


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def who_did_what(event: Event) -> str:
    """The event with who did what to whom, from its roles, else its sides, else actors:
    'attack by Russia on Ukraine', 'sanctions by EU on Russia', 'meeting between Russia and
    Ukraine mediated by Turkey', 'attack involving Russia, Ukraine'."""
    what = event.type.replace("_", " ")
    roles = {k: list(v) for k, v in (event.roles or {}).items() if v}
    for (agent, patient), (by, on) in _ROLE_PHRASES.items():
        if agent in roles or patient in roles:
            out = what
            if roles.get(agent):
                out += f" {by} {_names(roles.pop(agent))}"
            if roles.get(patient):
                out += f" {on} {_names(roles.pop(patient))}"
            return _with_other_roles(out, roles)
    if roles.get("party") or roles.get("mediator"):
        out = what
        parties = roles.pop("party", [])
        if len(parties) > 1:
            out += f" between {_names(parties)}"
        elif parties:
            out += f" of {parties[0]}"
        if roles.get("mediator"):
            out += f" mediated by {_names(roles.pop('mediator'))}"
        return _with_other_roles(out, roles)
    if roles:
        return _with_other_roles(what, roles)
    names = list(event.sides or []) or list(event.actors)
    return f"{what} involving {', '.join(names)}" if names else what


def _with_other_roles(text: str, roles: dict[str, list[str]]) -> str:
    rest = "; ".join(f"{role}: {', '.join(names)}" for role, names in sorted(roles.items()))
    return f"{text} ({rest})" if rest else text


def what_happened(event: Event) -> str:
    """'attack by Russia on Ukraine in Kherson on 2026-01-02 (occurred) [killed: at least
    24] — claimed by Russian officials': who did what to whom, where, when, the numbers, and
    the claimant when the article attributes it (a claim is never stated as fact)."""
    out = who_did_what(event)
    if event.location:
        out += " in " + ", ".join(event.location)
    out += f" on {event.date} ({event.status})" if event.date else \
        f" ({event.status}, no date given)"
    if event.quantities:
        out += f" [{quantities_text(event)}]"
    if event.attribution:
        out += f" — claimed by {event.attribution}"
    return one_line(out)


def article_label(alert: Alert, limit: int = HEADLINE) -> str:
    """'Kyiv Independent, published 2026-01-02: <headline, cut at a word>'."""
    head = alert.source or "unknown source"
    if alert.published:
        head += f", published {alert.published[:10]}"
    return one_line(f"{head}: {cut(alert.title, limit)}")


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
    if event.attribution:
        out += f" — claimed by {event.attribution}"
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


def roles_text(event: Event) -> str:
    """'attacker: Russia; attacked: Ukraine' from the event's roles, else its sides, else
    its actors ('' when none)."""
    roles = {k: v for k, v in (event.roles or {}).items() if v}
    if roles:
        return "; ".join(f"{role}: {', '.join(names)}" for role, names in roles.items())
    return ", ".join(event.sides or []) or ", ".join(event.actors)


def fact_fields(alert: Alert, missing: str = "—") -> list[tuple[str, str]]:
    """The facts a Slack message and an email show as fields, in this order."""
    ev = alert.event
    fields = [
        ("Event", f"{who_did_what(ev)} ({ev.status})"),
        ("Actors", roles_text(ev) or missing),
        ("Place", ", ".join(ev.location) or missing),
        ("Event date", ev.date or missing),
        ("Published", (alert.published or "")[:10] or missing),
    ]
    if ev.attribution:
        fields.append(("Claimed by", ev.attribution))
    if ev.quantities:
        fields.append(("Numbers", quantities_text(ev)))
    fields.append(("Source", alert.source or missing))
    return fields


# --- console and JSONL ----------------------------------------------------------------


def console_line(alert: Alert, update: Alert | None = None) -> str:
    """One line an analyst can act on: severity, rule, what happened (who did what to whom,
    where, when, the claimant), the article (source, publication date, headline) and its
    link. An update names its own article and says which alert it follows."""
    if update is not None:
        return one_line(
            f"[UPDATE] [{alert.severity.upper()}] {alert.rule_id} | {update_summary(update)}"
            f" | {what_happened(update.event)} | {article_label(update)}"
            f" | {update.article_url} | follows: {cut(alert.title, HEADLINE // 2)}")
    return one_line(
        f"[{alert.severity.upper()}] {alert.rule_id} | {what_happened(alert.event)}"
        f" | {article_label(alert)} | {alert.article_url}"
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


# Slack's documented Block Kit limits (api.slack.com/reference/block-kit): a message holds
# at most 50 blocks; a section's text at most 3,000 characters, its fields at most 10 of
# 2,000 each; a context at most 10 elements (a text object: 3,000). The notification `text`
# is kept as short as a section's. A headline is cut well before that, to stay readable.
SLACK_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_FIELDS = 10
SLACK_FIELD_TEXT = 2000
SLACK_CONTEXT_ELEMENTS = 10
SLACK_TEXT = 3000
SUMMARY = 1000  # characters of an event or update summary in one line of a message
ELLIPSIS = "…"


def cut(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters: cut at a word if one is near, with
    an ellipsis."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - 1)]
    space = head.rfind(" ")
    if space >= limit * 3 // 4:  # a word boundary close to the end: cut there
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def slack_escape(text: str, limit: int | None = None) -> str:
    """Slack's three control characters escaped; line breaks flattened; with `limit`, cut
    (before escaping, so never inside an entity) until the escaped text fits."""
    def esc(t: str) -> str:
        return one_line(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out = esc(text)
    if limit is None or len(out) <= limit:
        return out
    keep = limit
    while True:
        out = esc(cut(text, keep))
        if len(out) <= limit or keep <= 1:
            return out[:limit]  # keep <= 1: a lone ellipsis
        keep -= len(out) - limit


def slack_link(url: str, label: str, limit: int = SLACK_SECTION_TEXT) -> str:
    """<url|label> where neither part can close the link early or open another; at most
    `limit` characters: the label is cut, the link kept (a URL that cannot fit is shown as
    its label alone)."""
    safe_url = slack_escape(url).replace("|", "%7C").replace(" ", "%20")
    room = limit - len(safe_url) - 3
    if room < 1:
        return slack_escape(label, limit)
    return f"<{safe_url}|{slack_escape(label, room)}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    """A section block; text beyond Slack's limit is cut (callers fit their parts first)."""
    if len(text) > SLACK_SECTION_TEXT:
        text = text[: SLACK_SECTION_TEXT - 1] + ELLIPSIS
    return {"type": "section", "text": _mrkdwn(text)}


def _headline(emoji: str, url: str, title: str) -> str:
    """'<emoji> *<url|title>*', the title cut to HEADLINE characters, the link kept."""
    prefix = f"{emoji} *"
    link = slack_link(url, cut(title, HEADLINE), SLACK_SECTION_TEXT - len(prefix) - 1)
    return f"{prefix}{link}*"


def _field(name: str, value: str) -> dict[str, Any]:
    label = f"*{name}*\n"
    return _mrkdwn(label + slack_escape(value, SLACK_FIELD_TEXT - len(label)))


def slack_alert(alert: Alert) -> dict[str, Any]:
    """The chat.postMessage / incoming-webhook payload (Block Kit) of an alert."""
    ev = alert.event
    emoji = SEVERITY_EMOJI.get(alert.severity, ":white_circle:")
    fields = fact_fields(alert)
    blocks: list[dict[str, Any]] = [
        _section(_headline(emoji, alert.article_url, alert.title)),
        {"type": "section", "fields": [_field(k, v) for k, v in fields[:SLACK_FIELDS]]},
    ]
    if ev.evidence:
        blocks.append(_section("> " + slack_escape(ev.evidence, SLACK_SECTION_TEXT - 2)))
    blocks.append(_footer(alert.severity, alert.rule_id, f"alert {alert.id}"))
    return {
        "text": slack_escape(f"[{alert.severity}] {alert.rule_id}: {cut(alert.title, HEADLINE)}"
                             f" — {what_happened(ev)}", SLACK_TEXT),
        "blocks": blocks,
        "unfurl_links": False,
        "metadata": {"event_type": "newswatch_alert", "event_payload": {"key": alert.id}},
    }


def _footer(severity: str, rule_id: str, what: str) -> dict[str, Any]:
    """The context block: severity, rule and what this is (one element, within limits)."""
    text = (f"severity *{slack_escape(severity, 100)}* · rule `{slack_escape(rule_id, 300)}`"
            f" · {slack_escape(what, 300)}")
    return {"type": "context", "elements": [_mrkdwn(text)]}


def slack_update(alert: Alert, update: Alert) -> dict[str, Any]:
    """A thread reply (or, without threads, a short message) for a later article of a story."""
    link = slack_link(update.article_url, cut(update.title, HEADLINE), SLACK_SECTION_TEXT // 2)
    when = f" (published {update.published[:10]})" if update.published else ""
    news = update_summary(update)
    if update.event.attribution:
        news += f" — claimed by {update.event.attribution}"
    text = f"{link}{when}: {slack_escape(news, SUMMARY)}"
    if update.event.evidence:
        text += "\n> " + slack_escape(update.event.evidence, SLACK_SECTION_TEXT - len(text) - 3)
    key = f"{alert.id}.{update.article_id}"
    return {
        "text": slack_escape(f"{alert.rule_id}: {update_summary(update)}", SLACK_TEXT),
        "blocks": [_section(text)],
        "unfurl_links": False,
        "metadata": {"event_type": "newswatch_alert", "event_payload": {"key": key}},
    }


DIGEST_LINES = SLACK_BLOCKS - 10  # a message holds at most 50 blocks; the rest are counted


def slack_digest(alerts: list[Alert]) -> dict[str, Any]:
    """One message for a rule's group: a line per alert, its headline a link, all escaped.
    Every alert's key is in the metadata, so a resend after a crash finds each of them."""
    first = alerts[0]
    emoji = SEVERITY_EMOJI.get(first.severity, ":white_circle:")
    rule = slack_escape(first.rule_id, 300)
    blocks = [_section(f"{emoji} *{len(alerts)} alerts* · rule `{rule}`")]
    for a in alerts[:DIGEST_LINES]:
        blocks.append(_section(
            f"• {slack_link(a.article_url, cut(a.title, HEADLINE), SLACK_SECTION_TEXT // 2)}\n"
            f"{slack_escape(event_summary(a.event), SUMMARY)}"
            f" · {slack_escape(a.source or '—', 200)}"))
    if len(alerts) > DIGEST_LINES:
        blocks.append(_section(f"… and {len(alerts) - DIGEST_LINES} more"))
    blocks.append(_footer(first.severity, first.rule_id, "digest"))
    keys = [a.id for a in alerts]
    return {
        "text": slack_escape(f"[{first.severity}] {first.rule_id}: {len(alerts)} alerts",
                             SLACK_TEXT),
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


EMAIL_SUBJECT = 200  # characters: a subject stays one readable line (RFC 5322 allows 998)


@dataclass(frozen=True)
class EmailContent:
    """Subject (one line, safe for a header), plain text and HTML of one email."""

    subject: str
    text: str
    html: str


def _email_view(alert: Alert, update: Alert | None) -> dict[str, Any]:
    shown = update or alert
    ev = shown.event
    fields = fact_fields(shown, missing="-")
    return {
        "title": cut(shown.title, HEADLINE), "url": one_line(shown.article_url),
        "news": update_summary(update) if update else "",
        "fields": [(k, one_line(v)) for k, v in fields], "evidence": one_line(ev.evidence),
        "severity": alert.severity, "rule": alert.rule_id, "id": alert.id,
    }


def email_content(pairs: list[tuple[Alert, Alert | None]]) -> EmailContent:
    """One email (text + HTML from the same template) for one alert, an update, or a digest."""
    views = [_email_view(a, u) for a, u in pairs]
    first, first_update = pairs[0]
    rule = cut(first.rule_id, 100)
    if len(pairs) > 1:
        subject = f"[newswatch] {rule}: {len(pairs)} alerts"
    else:
        prefix = "Re: " if first_update is not None else f"[{cut(first.severity, 20)}] "
        head = f"{prefix}[newswatch] {rule}: " if first_update else f"[newswatch] {prefix}{rule}: "
        subject = head + cut(first.title, min(HEADLINE, EMAIL_SUBJECT - len(head)))
    text = _TEXT_ENV.from_string(_EMAIL_TEMPLATE).render(alerts=views, html=False)
    html = _HTML_ENV.from_string(_EMAIL_TEMPLATE).render(alerts=views, html=True)
    return EmailContent(subject=cut(subject, EMAIL_SUBJECT), text=text, html=html)
