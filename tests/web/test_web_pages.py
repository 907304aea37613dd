"""The dashboard over a store the test fills itself: pages, API, filters, actions, guards.

A real aiohttp server (the worker's own Faust views) on a loopback port, driven with httpx.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from web_harness import DashboardServer
from web_support import NOW, RULES, fill, make_settings

from streams.core.records import alert_id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    srv = DashboardServer(make_settings(tmp_path_factory.mktemp("web")), RULES).start()
    try:
        srv.call(fill)
        yield srv
    finally:
        srv.stop()


@pytest.fixture()
def client(server: DashboardServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def rows(html: str) -> list[str]:
    """The alert ids of the table's rows, in page order."""
    return re.findall(r'data-alert-id="([0-9a-f]+)"', html)


def status_of(client: httpx.Client, aid: str) -> str:
    found = [a for a in client.get("/api/alerts").json()["alerts"] if a["id"] == aid]
    assert found, f"alert {aid} not listed"
    return str(found[0]["status"])


def test_alerts_newest_first_with_story_links(client: httpx.Client) -> None:
    page = client.get("/alerts")
    assert page.status_code == 200
    api = client.get("/api/alerts").json()["alerts"]
    assert [a["id"] for a in api] == rows(page.text)  # the page and the API agree
    assert [a["rule_id"] for a in api][1:] == ["mass-casualty-strike", "peace-talks-turkey"]
    created = [a["created"] for a in api]
    assert created == sorted(created, reverse=True)
    assert 'href="/stories/s-strike"' in page.text and 'href="/stories/s-jan"' in page.text


@pytest.mark.parametrize(("query", "expected"), [
    ("rule=mass-casualty-strike", {"s-strike"}),
    ("severity=high", {"s-jan", "s-evil"}),
    ("source=Wire+A", {"s-strike"}),
    (f"since={(NOW - dt.timedelta(days=1)).date()}", {"s-jan", "s-strike", "s-evil"}),
    (f"until={(NOW - dt.timedelta(days=2)).date()}", set()),
])
def test_alert_filters(client: httpx.Client, query: str, expected: set[str]) -> None:
    stories_seen = {a["story_id"] for a in client.get(f"/api/alerts?{query}").json()["alerts"]}
    assert stories_seen == expected
    assert len(rows(client.get(f"/alerts?{query}").text)) == len(expected)


def test_unknown_filter_values_page_ignores_api_refuses(client: httpx.Client) -> None:
    assert len(rows(client.get("/alerts?severity=bogus").text)) == 3  # the page: no filter
    refused = client.get("/api/alerts?severity=bogus")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "severity: 'bogus' is not one of critical, high, medium, low, info"}


def test_acknowledge_needs_csrf_and_changes_status(server: DashboardServer) -> None:
    aid = alert_id("mass-casualty-strike", "s-strike")
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        page = browser.get("/alerts")
        forged = browser.post(f"/alerts/{aid}/ack", data={"csrf": "0" * 64})
        assert forged.status_code == 403
        assert status_of(browser, aid) == "new"
        cross = browser.post(f"/alerts/{aid}/ack", data={"csrf": csrf_of(page.text)},
                             headers={"Origin": "http://evil.example"})
        assert cross.status_code == 403
        done = browser.post(f"/alerts/{aid}/ack", data={"csrf": csrf_of(page.text),
                                                        "next": "/alerts?rule=x"})
        assert done.status_code == 303 and done.headers["location"] == "/alerts?rule=x"
        assert status_of(browser, aid) == "acknowledged"
        assert "status-acknowledged" in browser.get("/alerts?status=acknowledged").text
    with httpx.Client(base_url=server.url, timeout=10) as stranger:  # another browser's token
        assert stranger.post(f"/alerts/{aid}/ack", data={"csrf": csrf_of(page.text)}
                             ).status_code == 403


def test_silence_from_the_page(server: DashboardServer) -> None:
    aid = alert_id("peace-talks-turkey", "s-jan")
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        token = csrf_of(browser.get("/alerts").text)
        bad = browser.post(f"/alerts/{aid}/silence",
                           data={"csrf": token, "scope": "story", "duration": "soon"})
        assert bad.status_code == 400 and "soon" in bad.text
        ok = browser.post(f"/alerts/{aid}/silence",
                          data={"csrf": token, "scope": "story", "duration": "1d"})
        assert ok.status_code == 303
        assert status_of(browser, aid) == "silenced"
        silenced = browser.get("/api/alerts?status=silenced").json()["alerts"]
        assert [a["id"] for a in silenced] == [aid]


def test_api_actions_with_header_token(server: DashboardServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as api:
        aid = alert_id("peace-talks-turkey", "s-evil")
        assert api.post(f"/api/alerts/{aid}/ack").status_code == 403  # no CSRF token
        token = csrf_of(api.get("/alerts").text)
        done = api.post(f"/api/alerts/{aid}/ack", headers={"X-CSRF-Token": token})
        assert done.json() == {"id": aid, "status": "acknowledged"}
        assert api.post("/api/alerts/ffff/ack", headers={"X-CSRF-Token": token}
                        ).status_code == 404


def test_story_page(client: httpx.Client) -> None:
    html = client.get("/stories/s-jan").text
    assert "Turkish officials meet Umerov in Ankara" in html
    assert "Zelensky announced a series of key meetings" in html
    assert "met with Ukraine&#39;s lead negotiator" in html  # evidence, escaped
    assert "peace-talks-turkey" in html  # the alert it caused
    strike = client.get("/api/stories/s-strike").json()
    assert [s["value"] for s in strike["numbers"]["killed"]] == [24.0, 26.0]
    assert [a["source"] for a in strike["articles"]] == ["Wire A", "Wire B"]
    assert "at least 24" in client.get("/stories/s-strike").text
    assert client.get("/stories/nope").status_code == 404
    assert client.get("/api/stories/nope").json() == {"error": "no story nope"}


def test_calendar_from_a_reference_day(client: httpx.Client) -> None:
    html = client.get("/calendar?from=2026-01-01").text
    days = re.findall(r'data-date="([0-9-]+)"', html)
    assert days == ["2026-01-03", "2026-01-05", "2026-01-06"]
    assert "2025-11-19" not in days
    assert "Saturday 2026-01-03" in html
    earlier = client.get("/api/calendar?from=2025-11-01").json()
    assert [d["date"] for d in earlier["days"]][0] == "2025-11-19"
    assert client.get("/api/calendar?from=2026-01-04&days=2").json()["days"][0]["date"] \
        == "2026-01-05"
    today = client.get("/api/calendar").json()  # default: today, after every seed date
    assert today["from"] == NOW.date().isoformat() and today["days"] == []


@pytest.mark.parametrize(("query", "names"), [
    ("from=9999-12-31", "from is out of range"),
    ("from=9999-01-01&days=366", "from is out of range"),
    ("from=2026-13-01", "from must be a date"),
    ("from=yesterday", "from must be a date"),
    ("days=many", "days must be a whole number"),
])
def test_calendar_refuses_bad_dates_with_400(client: httpx.Client, query: str,
                                              names: str) -> None:
    api = client.get(f"/api/calendar?{query}")
    assert api.status_code == 400
    assert api.json()["error"].startswith(names)
    page = client.get(f"/calendar?{query}")
    assert page.status_code == 400
    assert names in page.text and 'name="from"' in page.text  # the message and the form
    # The last day a full calendar can start still answers.
    assert client.get("/api/calendar?from=9998-12-30").json()["days"] == []
    assert client.get("/api/calendar?from=9999-12-30&days=1").status_code == 200


def test_rules_page_shows_rules_chart_and_errors(client: httpx.Client) -> None:
    html = client.get("/rules").text
    assert 'class="rule-error"' in html
    assert "rules/zz-broken.yaml:5" in html and "when.tpye" in html
    assert 'data-rule-id="peace-talks-turkey"' in html and "rules/diplomacy.yaml:3" in html
    data = client.get("/api/rules").json()
    by_id = {r["id"]: r for r in data["rules"]}
    assert by_id["mass-casualty-strike"]["alerts_30d"] == 1
    assert by_id["mass-casualty-strike"]["kind"] == "threshold"
    assert by_id["peace-talks-turkey"]["last_fired"] is not None
    assert len(by_id["peace-talks-turkey"]["per_day"]) == 30
    assert re.search(r"<svg class=\"chart\"[^>]*>.*?<rect ", html, re.S)


def test_feeds_failing_and_silent_first(client: httpx.Client) -> None:
    data = client.get("/api/feeds").json()["feeds"]
    assert [f["health"] for f in data] == ["failing", "silent", "ok"]
    assert data[2]["items_per_day"] == 2.0
    html = client.get("/feeds").text
    assert html.index("Down feed") < html.index("Quiet feed") < html.index("OK feed")
    assert "HTTP 503" in html


class Elements(HTMLParser):
    """Every element and its attributes, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


@pytest.mark.parametrize("path", ["/alerts", "/stories/s-evil", "/calendar?from=2026-01-01",
                                  "/rules", "/feeds"])
def test_pages_escape_and_forbid_inline_script(client: httpx.Client, path: str) -> None:
    page = client.get(path)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    elements = Elements(page.text).found
    assert [a for tag, a in elements if tag == "script"] == [
        {"src": "/static/live.js", "defer": ""}]
    for tag, attrs in elements:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            assert not attrs.get(name, "").strip().lower().startswith("javascript"), attrs
        assert tag not in ("img", "svg") or attrs.get("class") == "chart", (tag, attrs)
    if path in ("/alerts", "/stories/s-evil"):
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Evil" in page.text


def test_static_files_by_name_only(client: httpx.Client) -> None:
    assert client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/..%2Fdashboard.py").status_code == 404
    assert client.get("/static/.hidden.js").status_code == 404


def test_foreign_host_header_refused(client: httpx.Client) -> None:
    assert client.get("/alerts", headers={"Host": "rebound.example"}).status_code == 403


def test_token_required_off_loopback(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, dashboard_token="s3cret-token")
    settings = settings.model_copy(update={"web_host": "0.0.0.0"})
    srv = DashboardServer(settings, RULES, bind="127.0.0.1").start()
    try:
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            assert c.get("/alerts").status_code == 401
            assert c.get("/api/alerts").json()["error"].startswith("A dashboard token")
            assert c.get("/api/alerts", headers={"Authorization": "Bearer wrong"}
                         ).status_code == 401
            assert c.get("/api/alerts", headers={"Authorization": "Bearer s3cret-token"}
                         ).status_code == 200
            moved = c.get("/alerts?token=s3cret-token&rule=x")
            assert moved.status_code == 303 and moved.headers["location"] == "/alerts?rule=x"
            assert c.get("/alerts").status_code == 200  # the cookie carries it now
    finally:
        srv.stop()


def test_locked_without_token_off_loopback(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(update={"web_host": "0.0.0.0"})
    srv = DashboardServer(settings, RULES, bind="127.0.0.1").start()
    try:
        page = httpx.get(srv.url + "/alerts", timeout=10)
        assert page.status_code == 403 and "NEWSWATCH_DASHBOARD_TOKEN" in page.text
    finally:
        srv.stop()


def test_same_answers_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The cluster mode's store: the queries behind every page, on PostgreSQL."""
    settings = make_settings(tmp_path).model_copy(update={"database": pg_url})
    srv = DashboardServer(settings, RULES).start()
    try:
        srv.call(fill)
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            assert len(c.get("/api/alerts").json()["alerts"]) == 3
            assert [a["story_id"] for a in c.get("/api/alerts?since=2000-01-01&severity=critical"
                                                 ).json()["alerts"]] == ["s-strike"]
            strike = c.get("/api/stories/s-strike").json()
            assert [s["value"] for s in strike["numbers"]["killed"]] == [24.0, 26.0]
            days = c.get("/api/calendar?from=2026-01-01").json()["days"]
            assert [d["date"] for d in days] == ["2026-01-03", "2026-01-05", "2026-01-06"]
            rules = {r["id"]: r for r in c.get("/api/rules").json()["rules"]}
            assert rules["mass-casualty-strike"]["alerts_30d"] == 1
            assert [f["health"] for f in c.get("/api/feeds").json()["feeds"]] == [
                "failing", "silent", "ok"]
            for page in ("/alerts", "/stories/s-jan", "/calendar", "/rules", "/feeds"):
                assert c.get(page).status_code == 200, page
    finally:
        srv.stop()
