"""Rendering is a pure function of the alert: golden files under tests/golden/render/, one
folder per case (console line, Slack Block Kit, email text + HTML, webhook JSON).
Regenerate after a deliberate change with NEWSWATCH_UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from delivery_support import make_alert

from streams.core.alert_json import alert_from_json, alert_to_json
from streams.core.records import Alert, Article
from streams.deliver import render
from streams.evaluate.message import default_message

GOLDEN = Path(__file__).parents[1] / "golden" / "render"
LEDE = ("At least 24 people were killed and dozens wounded when Russian missiles struck the "
        "centre of Kherson on Friday morning, hitting a market, a school and several apartment "
        "blocks, regional officials said")
HOSTILE = "Strike <!channel> <https://evil.example|x> & co\r\nBcc: victim@evil.example"

CASES: dict[str, list[tuple[Alert, Alert | None]]] = {
    "alert": [(make_alert(), None)],
    "hostile_headline": [(make_alert(title=HOSTILE, source="Evil <b>Daily</b>"), None)],
    "no_numbers": [(make_alert(rule="peace-talks-turkey", killed=None, severity="medium"),
                    None)],
    "update": [(make_alert(), make_alert(article="a2", source="Reuters", killed=26,
                                         title="Kherson toll rises to 26",
                                         published="2026-01-03"))],
    "claim": [(make_alert(roles={"attacker": ["Russia"], "attacked": ["Ukraine"]},
                          attribution="Ukrainian officials", title=LEDE), None)],
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
    again = alert_from_json(alert_to_json(alert))
    assert again == alert and again.event.quantity("killed") == 24


def test_line_says_who_did_what_where_when_and_the_source():
    line = render.console_line(make_alert(
        roles={"attacker": ["Russia"], "attacked": ["Ukraine"]}, published="2026-01-03"))
    assert line.startswith("[HIGH] mass-casualty-strike | attack by Russia on Ukraine in Kherson"
                           " on 2026-01-02 (occurred) [killed: at least 24]")
    assert "Kyiv Independent, published 2026-01-03: Russian strike on Kherson" in line
    assert line.endswith("| https://news.example/art1")


@pytest.mark.parametrize("roles, expected", [
    ({"authority": ["EU"], "target": ["Russia"]}, "sanctions by EU on Russia"),
    ({"party": ["Russia", "Ukraine"], "mediator": ["Turkey"]},
     "sanctions between Russia and Ukraine mediated by Turkey"),
    ({"attacked": ["Ukraine"]}, "sanctions on Ukraine"),
    ({}, "sanctions involving Russia, Ukraine"),  # no roles read: the actors
])
def test_who_did_what_to_whom_from_roles(roles, expected):
    alert = make_alert(roles=roles)
    alert.event.type = "sanctions"
    assert render.who_did_what(alert.event) == expected
    assert expected in render.console_line(alert)


def test_a_claim_names_its_claimant():
    alert = make_alert(attribution="Russian officials")
    assert "[killed: at least 24] — claimed by Russian officials |" in render.console_line(alert)
    article = Article(id="art1", url=alert.article_url, title=alert.title, text="")
    assert default_message(alert.rule_id, alert.event, article).endswith(
        "— claimed by Russian officials")
    assert ("Claimed by", "Russian officials") in render.fact_fields(alert)
    assert "Russian officials" in render.email_content([(alert, None)]).text


def test_an_update_names_its_own_article():
    first = make_alert()
    update = make_alert(article="a2", source="Reuters", killed=26,
                        title="Kherson toll rises to 26", published="2026-01-03")
    line = render.console_line(first, update)
    assert line.startswith("[UPDATE] [HIGH] mass-casualty-strike | also reported by Reuters, "
                           "killed now at least 26 |")
    assert "Reuters, published 2026-01-03: Kherson toll rises to 26 | https://news.example/a2" \
        in line
    assert "https://news.example/art1" not in line  # the first alert's link is not reused
    assert line.endswith("follows: Russian strike on Kherson kills at least 24")


def test_a_lede_used_as_headline_is_cut_at_a_word():
    line = render.console_line(make_alert(title=LEDE))
    shown = line.split("published 2026-01-02: ", 1)[1].split(" | ", 1)[0]
    assert shown.endswith("…") and len(shown) <= render.HEADLINE
    assert LEDE.startswith(shown[:-1]) and LEDE[len(shown) - 1] == " "  # cut between words
    slack = render.slack_alert(make_alert(title=LEDE))
    assert "…>*" in slack["blocks"][0]["text"]["text"]
