"""Rendering is a pure function of the alert: golden files under tests/golden/render/, one
folder per case (console line, Slack Block Kit, email text + HTML, webhook JSON).
Regenerate after a deliberate change with NEWSWATCH_UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from delivery_support import make_alert

from streams import render
from streams.records import Alert

GOLDEN = Path(__file__).parent / "golden" / "render"
HOSTILE = "Strike <!channel> <https://evil.example|x> & co\r\nBcc: victim@evil.example"

CASES: dict[str, list[tuple[Alert, Alert | None]]] = {
    "alert": [(make_alert(), None)],
    "hostile_headline": [(make_alert(title=HOSTILE, source="Evil <b>Daily</b>"), None)],
    "no_numbers": [(make_alert(rule="peace-talks-turkey", killed=None, severity="medium"),
                    None)],
    "update": [(make_alert(), make_alert(article="a2", source="Reuters", killed=26))],
    "digest": [(make_alert(story=s, article=s), None) for s in ("s1", "s2", "s3")],
}


def outputs(pairs: list[tuple[Alert, Alert | None]]) -> dict[str, str]:
    alert, update = pairs[0]
    email = render.email_content(pairs)
    out = {"email.txt": f"Subject: {email.subject}\n\n{email.text}", "email.html": email.html}
    if len(pairs) == 1:
        slack = render.slack_alert(alert) if update is None else render.slack_update(alert, update)
        out["console.txt"] = render.console_line(alert, update) + "\n"
        out["slack.json"] = json.dumps(slack, indent=2, ensure_ascii=False) + "\n"
        out["webhook.json"] = json.dumps(render.json_record(alert, update), indent=2,
                                         ensure_ascii=False, sort_keys=True) + "\n"
    else:  # a rule's `group`: one Slack message listing the alerts
        slack = render.slack_digest([a for a, _ in pairs])
        out["slack.json"] = json.dumps(slack, indent=2, ensure_ascii=False) + "\n"
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case):
    folder = GOLDEN / case
    for name, text in outputs(CASES[case]).items():
        path = folder / name
        if os.environ.get("NEWSWATCH_UPDATE_GOLDEN"):
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{path} differs"


def test_slack_text_from_articles_cannot_ping_or_link():
    payload = json.dumps(render.slack_alert(make_alert(title=HOSTILE)))
    assert "<!channel>" not in payload and "<https://evil" not in payload


def test_console_line_is_one_line_naming_rule_headline_and_event():
    line = render.console_line(make_alert(title=HOSTILE))
    assert "\n" not in line and "\r" not in line
    assert "mass-casualty-strike" in line and "attack" in line and "Bcc:" in line


def test_alert_json_round_trip():
    alert = make_alert()
    again = render.alert_from_json(render.alert_to_json(alert))
    assert again == alert and again.event.quantity("killed") == 24
