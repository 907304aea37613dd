"""The dashboard's alert rows say what the console line says: one headline (a lede cut at a
word), who did what to whom and the claimant, the event date and the article's publication
date; and `/` leads to the alerts instead of Faust's bare {"status": "OK"}."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from web_harness import DashboardServer
from web_support import EVENTS, NOW, RULES, _alert, fill, make_settings

from streams.core.records import Event
from streams.deliver.record import record_alert
from streams.store import Store

LEDE = ("At least 24 people were killed and dozens wounded when Russian missiles struck the "
        "centre of Kherson on Friday morning, hitting a market, a school and several apartment "
        "blocks, regional officials said")
OLD = EVENTS[4]  # a 19 November meeting read from an article published on 18 November
CLAIM = Event(id="e-claim", article_id="a003", type="attack", actors=["Russia", "Ukraine"],
              location=["Kherson"], quantities={}, date="2025-11-17", status="occurred",
              attribution="Ukrainian officials", story_id="s-claim",
              roles={"attacker": ["Russia"], "attacked": ["Ukraine"]})


async def more(store: Store) -> None:
    await fill(store)
    # recorded before alerts carried the publication date: the article's is shown
    assert await record_alert(store, _alert("travel", "low", OLD, "Zelensky to travel to Turkey",
                                            "BelTA", "https://news.example/a002", NOW))
    claim = _alert("mass-casualty-strike", "critical", CLAIM, LEDE, "Wire A",
                   "https://news.example/a003", NOW)
    claim.published = "2025-11-18T09:30:00+00:00"
    assert await record_alert(store, claim)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    srv = DashboardServer(make_settings(tmp_path_factory.mktemp("line")), RULES).start()
    try:
        srv.call(more)
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            yield c
    finally:
        srv.stop()


def row(html: str, story: str) -> str:
    rows = re.findall(r'<tr class="alert[^"]*" data-alert-id="[0-9a-f]+">.*?</tr>', html, re.S)
    found = [r for r in rows if f'href="/stories/{story}"' in r]
    assert len(found) == 1, f"no single row for story {story}"
    return found[0]


def test_root_redirects_to_the_alerts(client: httpx.Client) -> None:
    answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/alerts"
    followed = client.get("/", follow_redirects=True)
    assert followed.status_code == 200 and "<h1>Alerts</h1>" in followed.text


def test_rows_show_event_date_and_publication_date(client: httpx.Client) -> None:
    html = client.get("/alerts").text
    assert "<th>Created</th>" not in html
    old = row(html, "s-old")
    assert '<dd class="event-date">2025-11-19</dd>' in old
    assert '<dd class="published">2025-11-18</dd>' in old  # from the article
    claim = row(html, "s-claim")
    assert '<dd class="event-date">2025-11-17</dd>' in claim
    assert '<dd class="published">2025-11-18</dd>' in claim  # from the alert
    api = {a["story_id"]: a for a in client.get("/api/alerts").json()["alerts"]}
    assert (api["s-old"]["event_date"], api["s-old"]["published"]) == ("2025-11-19", "2025-11-18")


def test_one_headline_per_row_and_who_did_what(client: httpx.Client) -> None:
    html = client.get("/alerts").text
    strike = row(html, "s-strike")
    assert strike.count("Strike kills 24") == 1  # not again in the default message
    claim = row(html, "s-claim")
    assert "attack by Russia on Ukraine in Kherson on 2025-11-17 (occurred) — claimed by " \
           "Ukrainian officials" in claim
    shown = re.search(r'class="story-link"[^>]*>([^<]*)</a>', claim)
    assert shown and shown.group(1).endswith("…") and len(shown.group(1)) <= 120
    assert f'title="{LEDE}"' in claim  # the whole lede on hover
    assert 'class="alert sev-critical' in claim
