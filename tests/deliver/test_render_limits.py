"""Hostile and oversized alerts render within each channel's documented limits: Slack Block
Kit (50 blocks, section text 3,000, 10 fields of 2,000, context elements) checked with
slack_sdk's own Block Kit models, and email (a one-line subject of at most 200 characters,
header lines within RFC 5322's 998). Text is cut with an ellipsis; the article link stays."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from delivery_support import make_alert
from slack_sdk.models.blocks import Block

from streams.core.records import Alert
from streams.deliver import render
from streams.deliver.retry_policy import Message
from streams.deliver.sinks.smtp import build_email

URL = "https://news.example/a/very/long/path?id=42&utm=x"
CONTROL = "".join(chr(c) for c in range(0, 32)) + "\x7f\u202e\u2028\u200b"
LONG_EVIDENCE = ("Officials said the strike hit a market & a school <b>again</b>. " * 100)[:6000]
ACTORS = [f"Battalion {i} of the Northern Group" for i in range(300)]
HEADLINE = ("Russian strike on Kherson kills dozens <!channel> " * 25)[:1000]


def hostile(**kw: Any) -> Alert:
    alert = make_alert(title=HEADLINE + CONTROL, actors=ACTORS, source="Evil <b>Daily</b>" * 50,
                       **kw)
    alert.event.evidence = LONG_EVIDENCE + CONTROL
    alert.event.location = [f"Village {i}" for i in range(400)]
    alert.article_url = URL
    return alert


def assert_valid_slack(payload: dict[str, Any]) -> None:
    """What Slack's API checks: slack_sdk's Block Kit models, plus the documented limits
    the models leave to the server (blocks per message, each field's text)."""
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= render.SLACK_BLOCKS
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError beyond a limit
        assert block.to_dict() == raw  # nothing the models do not know was sent
        for f in raw.get("fields") or []:
            assert len(f["text"]) <= render.SLACK_FIELD_TEXT
        if "text" in raw:
            assert len(raw["text"]["text"]) <= render.SLACK_SECTION_TEXT
        for e in raw.get("elements") or []:
            assert len(e["text"]) <= render.SLACK_SECTION_TEXT
    assert len(payload["text"]) <= render.SLACK_TEXT
    dumped = json.dumps(payload)
    assert "<!channel>" not in dumped
    assert not any(ch in dumped for ch in ("\x00", "\x1b", "\u202e", "\u2028"))
    for raw in blocks:  # every text is one line apart from the ones we break on purpose
        for text in [raw.get("text", {}).get("text", "")] + [
                f["text"] for f in raw.get("fields") or []]:
            assert "\r" not in text and "\t" not in text


def test_oversized_hostile_alert_is_valid_block_kit_with_the_link_kept():
    payload = render.slack_alert(hostile())
    assert_valid_slack(payload)
    headline = payload["blocks"][0]["text"]["text"]
    assert "<https://news.example/a/very/long/path?id=42&amp;utm=x|Russian strike" in headline
    assert render.ELLIPSIS in headline and headline.endswith(">*")
    evidence = payload["blocks"][2]["text"]["text"]
    assert evidence.startswith("> Officials said the strike hit a market &amp; a school")
    assert evidence.endswith(render.ELLIPSIS) and "&lt;b&gt;" in evidence
    actors = payload["blocks"][1]["fields"][1]["text"]
    assert actors.startswith("*Actors*\nBattalion 0 of") and actors.endswith(render.ELLIPSIS)


def test_a_cut_never_splits_an_escaped_entity():
    for limit in range(5, 40):
        out = render.slack_escape("a<b&c>d " * 20, limit)
        assert len(out) <= limit
        body = out.removesuffix(render.ELLIPSIS)
        assert "&" not in body.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "")


def test_oversized_update_and_digest_are_valid_block_kit():
    assert_valid_slack(render.slack_update(make_alert(), hostile(article="a2")))
    alerts = [hostile(story=f"s{i}", article=f"a{i}") for i in range(120)]
    digest = render.slack_digest(alerts)
    assert_valid_slack(digest)
    assert "and 80 more" in json.dumps(digest)
    assert sum(URL.replace("&", "&amp;") in b["text"]["text"]
               for b in digest["blocks"] if "text" in b) == render.DIGEST_LINES


def test_a_url_too_long_for_a_section_still_gives_a_valid_message():
    alert = make_alert()
    alert.article_url = "https://news.example/" + "x" * 5000
    assert_valid_slack(render.slack_alert(alert))


@pytest.mark.parametrize("update", [False, True])
def test_email_subject_is_one_capped_line_and_headers_fit(update):
    pairs = [(hostile(), hostile(article="a2") if update else None)]
    content = render.email_content(pairs)
    assert len(content.subject) <= render.EMAIL_SUBJECT
    assert content.subject.endswith(render.ELLIPSIS)
    assert content.subject.startswith("Re: [newswatch]" if update else "[newswatch] [high]")
    assert content.subject.isprintable()
    messages = [Message(delivery_id=1, destination="email", alert=a, update=u) for a, u in pairs]
    raw = build_email(messages, "newswatch@example.org", ["ops@example.org"]).as_bytes()
    assert all(len(line) <= 998 for line in raw.split(b"\n"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == content.subject  # folded on the wire, one line when read
    assert URL in content.text and URL.replace("&", "&amp;") in content.html

