"""The dashboard in a real browser: headless Debian chromium driven by Playwright (never a
downloaded browser). First against the dashboard over a store the tests fill (the live
refresh, every page, hostile markup, a rule edit through the rules stage's own holder); then
against a real `newswatch run` worker that replayed the seeds plus one hostile article.

Screenshots of every page are written to tests/artifacts/screenshots/ (git-ignored) for a
person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ports import free_port
from web_harness import DashboardServer
from web_support import (
    EVENTS,
    NOW,
    ROOT,
    RULES,
    _alert,
    fill,
    load_holder,
    make_settings,
)

from streams.core.records import alert_id
from streams.deliver.record import record_alert

SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

from playwright import sync_api  # noqa: E402  (a test dependency: never skipped)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (.ci/run)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    tmp = tmp_path_factory.mktemp("browser")
    srv = DashboardServer(make_settings(tmp), RULES, poll_ms=300).start()
    try:
        srv.call(fill)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield ctx
        finally:
            ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(context: object) -> Iterator[object]:
    tab = context.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    try:
        yield tab
    finally:
        tab.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def row(page: object, aid: str) -> object:
    return page.locator(f'tr[data-alert-id="{aid}"]')  # type: ignore[attr-defined]


def test_alerts_page_lists_alerts_and_acknowledges(server: DashboardServer, page: object) -> None:
    page.goto(f"{server.url}/alerts")
    expect = sync_api.expect
    expect(page.locator("tr.alert")).to_have_count(3)
    expect(page.locator("tbody")).to_contain_text("mass-casualty-strike")
    shot(page, "alerts")
    strike = alert_id("mass-casualty-strike", "s-strike")
    expect(row(page, strike).locator(".status")).to_have_text("new")
    row(page, strike).get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    page.reload()
    expect(row(page, strike).locator(".status")).to_have_text("acknowledged")
    shot(page, "alerts-acknowledged")
    row(page, strike).locator('a.story-link').click()
    expect(page).to_have_url(re.compile(r"/stories/s-strike$"))


def test_alerts_page_at_800_px(server: DashboardServer, page: object) -> None:
    """Usable on a narrow window: no sideways scroll, both dates, one headline per row,
    critical and high in different colours."""
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{server.url}/")  # `/` leads to the alerts
    sync_api.expect(page).to_have_url(re.compile(r"/alerts$"))
    sync_api.expect(page.locator("tr.alert").first).to_be_visible()
    shot(page, "alerts-800px")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 800
    strike = row(page, alert_id("mass-casualty-strike", "s-strike"))
    sync_api.expect(strike.locator(".event-date")).to_have_text("2025-11-18")
    sync_api.expect(strike.locator(".published")).to_have_text("2025-11-18")
    assert strike.inner_text().count("Strike kills 24") == 1  # type: ignore[attr-defined]
    for r in page.locator("tr.alert").all():
        box = r.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 800
    colour = "e => getComputedStyle(e).backgroundColor"
    critical = page.locator("tr.sev-critical .sev").first.evaluate(colour)
    high = page.locator("tr.sev-high .sev").first.evaluate(colour)
    assert critical != high


def test_new_alert_appears_without_reload(server: DashboardServer, page: object) -> None:
    page.goto(f"{server.url}/alerts")
    before = page.locator("tr.alert").count()
    event = EVENTS[1]  # the 3 January meeting, a story no rule alerted on yet
    alert = _alert("meeting-scheduled", "medium", event, "Security advisers to meet", "X", "",
                   NOW)
    server.run(record_alert(server.store, alert))
    sync_api.expect(page.locator("tr.alert")).to_have_count(before + 1, timeout=10_000)
    sync_api.expect(row(page, alert.id)).to_contain_text("Security advisers to meet")
    sync_api.expect(page.locator("#live-status")).to_contain_text("updated")


def test_january_story_shows_both_articles(server: DashboardServer, page: object) -> None:
    page.goto(f"{server.url}/stories/s-jan")
    articles = page.locator("tr.article")
    sync_api.expect(articles).to_have_count(2)
    sync_api.expect(articles.nth(0)).to_contain_text("Turkish officials meet Umerov in Ankara")
    sync_api.expect(articles.nth(1)).to_contain_text("Zelensky announced a series of key meetings")
    shot(page, "story")
    page.goto(f"{server.url}/stories/s-strike")
    sync_api.expect(page.locator(".numbers")).to_contain_text("at least 24 → 26")
    shot(page, "story-numbers")


def test_calendar_shows_the_january_meetings(server: DashboardServer, page: object) -> None:
    page.goto(f"{server.url}/calendar?from=2026-01-01")
    days = page.locator("section.day h2")
    sync_api.expect(days).to_have_text(
        ["Saturday 2026-01-03", "Monday 2026-01-05", "Tuesday 2026-01-06"])
    shot(page, "calendar")


def test_rules_page_shows_load_errors(server: DashboardServer, page: object) -> None:
    page.goto(f"{server.url}/rules")
    error = page.locator("li.rule-error")
    sync_api.expect(error).to_contain_text("rules/zz-broken.yaml:5")
    color = error.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(176, 0, 32)"  # red
    sync_api.expect(page.locator("svg.chart rect").first).to_be_attached()
    shot(page, "rules")


def test_feeds_page_failing_first(server: DashboardServer, page: object) -> None:
    page.goto(f"{server.url}/feeds")
    sync_api.expect(page.locator("tr.feed .badge")).to_have_text(["failing", "silent", "ok"])
    shot(page, "feeds")


def assert_inert(page: Any, url: str) -> None:
    """The page at url, loaded, ran no script of an article's: nothing set the marker the
    hostile texts try to set, and no inline script, javascript: link or event handler
    attribute made it into the document."""
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.__pwned === undefined"), url
    for selector in ('a[href^="javascript:" i]', "script:not([src])",
                     "[onerror], [onload], [onclick], [onmouseover]"):
        assert page.locator(selector).count() == 0, (url, selector)


def test_hostile_article_runs_no_script(server: DashboardServer, page: object) -> None:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text))
    for path in ("/alerts", "/stories/s-evil", "/api/stories/s-evil"):
        assert_inert(page, f"{server.url}{path}")
    page.goto(f"{server.url}/stories/s-evil")
    sync_api.expect(page.locator("h2 + table")).to_contain_text("<script>window.__pwned=1")
    sync_api.expect(page.locator(".evidence")).to_contain_text('href="javascript:')
    shot(page, "story-hostile")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_rules_page_shows_an_invalid_edit(tmp_path: Path, page: object) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("taxonomy", "tests"))
    holder = load_holder(rules)
    srv = DashboardServer(make_settings(tmp_path), holder).start()
    try:
        page.goto(f"{srv.url}/rules")
        sync_api.expect(page.locator("tr.rule")).to_have_count(len(holder.rulebook.rules))
        sync_api.expect(page.locator("li.rule-error")).to_have_count(0)
        rule_file = rules / "war-ukraine.yaml"
        rule_file.write_text(rule_file.read_text().replace("severity: high", "severity: hgih", 1))
        holder.poll(holder.gazetteer)  # what the worker's rule watcher does on a change
        page.reload()
        error = page.locator("li.rule-error")
        sync_api.expect(error).to_contain_text(re.compile(r"rules/war-ukraine\.yaml:\d+"))
        sync_api.expect(error).to_contain_text("hgih")
        assert error.evaluate("e => getComputedStyle(e).color") == "rgb(176, 0, 32)"
        shot(page, "rules-invalid-edit")
    finally:
        srv.stop()


# --- against a real worker that replayed the seeds -------------------------------------

HOSTILE_SEED = "900_hostile.txt"
HOSTILE_TEXT = (
    '<script>window.__pwned=1</script>Russian and Ukrainian delegations to meet in Istanbul '
    '<img src=x onerror="window.__pwned=2">\n'
    "Russian and Ukrainian delegations will meet in Istanbul on January 9 for peace talks "
    "mediated by Turkey, Turkish Foreign Minister Hakan Fidan said on Friday. "
    '<a href="javascript:window.__pwned=3">Read the statement</a> '
    '<svg onload="window.__pwned=4"></svg> <b onmouseover="window.__pwned=5">more</b>\n'
    "The talks in Istanbul will focus on a prisoner exchange and a ceasefire.\n"
)


class SeededWorker:
    """`newswatch run` over a copy of the seeds (plus one hostile article) and the rules."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.seeds = tmp / "seeds"
        self.rules = tmp / "rules"
        shutil.copytree(ROOT / "seeds", self.seeds)
        shutil.copytree(ROOT / "rules", self.rules)
        (self.seeds / HOSTILE_SEED).write_text(HOSTILE_TEXT, encoding="utf-8")
        with (self.seeds / "feed.yaml").open("a", encoding="utf-8") as meta:
            meta.write(f"  - file: {HOSTILE_SEED}\n    published: 2026-01-02\n"
                       "    source: <i>hostile</i> outlet\n")
        self.env = {
            **os.environ,
            "NEWSWATCH_DATA_DIR": str(tmp / "var"),
            "NEWSWATCH_FEEDS": '["seeds"]',
            "NEWSWATCH_SEEDS_DIR": str(self.seeds),
            "NEWSWATCH_SEED_PORT": str(free_port()),
            "NEWSWATCH_WEB_PORT": str(self.port),
            "NEWSWATCH_RULES_DIR": str(self.rules),
            "NEWSWATCH_TAXONOMY_DIR": str(ROOT / "rules" / "taxonomy"),
            "NEWSWATCH_CONSOLE_ALERTS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        (tmp / "var").mkdir()  # Faust creates var/faust without parents
        self.log = tmp / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "run"],
                                         cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)

    def alerts(self) -> list[dict[str, Any]]:
        try:
            answer = httpx.get(f"{self.url}/api/alerts", timeout=5)
        except httpx.HTTPError:
            return []
        return list(answer.json()["alerts"]) if answer.status_code == 200 else []

    def replayed(self) -> bool:
        """The seed feed was polled and every entry of it processed."""
        try:
            health = httpx.get(f"{self.url}/health", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return False
        items = health.get("items") or {}
        return bool(health.get("polls")) and bool(items) and not items.get("pending")

    def wait_for_alerts(self, count: int, timeout: float = 150) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.tail()
            if self.replayed() and len(found := self.alerts()) >= count:
                return found
            time.sleep(1)
        raise AssertionError(f"fewer than {count} alerts:\n{self.tail()}")

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.tmp / "var" / "newswatch.db") as db:
            return db.execute(query).fetchall()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededWorker]:
    worker = SeededWorker(tmp_path_factory.mktemp("seeded"))
    worker.start()
    try:
        worker.wait_for_alerts(9)
        yield worker
    finally:
        worker.stop()


def seed_story(worker: SeededWorker, *stems: str) -> str:
    """The story told by the seed articles with these file stems."""
    rows = worker.sql(
        "SELECT e.story_id, a.url FROM events e JOIN articles a ON a.id = e.article_id")
    by_story: dict[str, set[str]] = {}
    for story, url in rows:
        by_story.setdefault(story, set()).update(s for s in stems if s in url)
    found = [story for story, seen in by_story.items() if seen == set(stems)]
    assert found, f"no story has articles {stems}: {rows}"
    return found[0]


def test_seeded_alerts_page_lists_and_acknowledges(seeded: SeededWorker, page: object) -> None:
    alerts = seeded.alerts()
    page.goto(f"{seeded.url}/alerts")
    sync_api.expect(page.locator("tr.alert")).to_have_count(len(alerts))
    for rule in ("peace-talks-turkey", "prisoner-exchange-new", "mass-casualty-strike"):
        sync_api.expect(page.locator("tbody")).to_contain_text(rule)
    shot(page, "seeded-alerts")
    first = alerts[-1]["id"]
    row(page, first).get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    page.reload()
    sync_api.expect(row(page, first).locator(".status")).to_have_text("acknowledged")
    second = alerts[-2]["id"]
    silence = row(page, second).locator("form.silence")
    silence.locator('select[name="duration"]').select_option("8h")
    silence.get_by_role("button", name="Silence").click()
    page.wait_for_load_state()
    page.reload()
    sync_api.expect(row(page, second).locator(".status")).to_have_text("silenced")
    shot(page, "seeded-alerts-acted")


def test_seeded_january_story_shows_both_articles(seeded: SeededWorker, page: object) -> None:
    story = seed_story(seeded, "000_65ee647f718d02d9", "001_af8d176ac221e20d")
    page.goto(f"{seeded.url}/stories/{story}")
    articles = page.locator("tr.article")
    for stem in ("000_65ee647f718d02d9", "001_af8d176ac221e20d"):
        headline = (ROOT / "seeds" / f"{stem}.txt").read_text().splitlines()[0].strip()
        sync_api.expect(articles.filter(has_text=headline[:40])).to_have_count(1)
    shot(page, "seeded-story")


def test_seeded_calendar_shows_the_january_meetings(seeded: SeededWorker, page: object) -> None:
    page.goto(f"{seeded.url}/calendar?from=2026-01-01")
    for day in ("2026-01-03", "2026-01-05", "2026-01-06"):
        sync_api.expect(page.locator(f'section.day[data-date="{day}"]')).to_contain_text(
            "meeting")
    shot(page, "seeded-calendar")
    page.goto(f"{seeded.url}/feeds")
    shot(page, "seeded-feeds")


def test_seeded_hostile_article_runs_no_script(seeded: SeededWorker, page: object) -> None:
    story = seed_story(seeded, "900_hostile")
    for path in ("/alerts", f"/stories/{story}", "/calendar?from=2026-01-01"):
        assert_inert(page, f"{seeded.url}{path}")
    page.goto(f"{seeded.url}/stories/{story}")
    # the clean stage keeps the headline's text, not its tags; the source arrives verbatim
    hostile = page.locator("tr.article").filter(has_text="<i>hostile</i> outlet")
    sync_api.expect(hostile).to_have_count(1)
    sync_api.expect(hostile).to_contain_text("window.__pwned=1")
    assert hostile.locator("i, script, img").count() == 0
    shot(page, "seeded-hostile-story")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_seeded_rules_page_shows_an_invalid_edit(seeded: SeededWorker, page: object) -> None:
    page.goto(f"{seeded.url}/rules")
    sync_api.expect(page.locator("li.rule-error")).to_have_count(0)
    shot(page, "seeded-rules")
    rule_file = seeded.rules / "war-ukraine.yaml"
    rule_file.write_text(rule_file.read_text().replace("severity: high", "severity: hgih", 1))
    error = page.locator("li.rule-error")
    deadline = time.monotonic() + 30
    while error.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)  # the worker's rule watcher polls the folder
        page.reload()
    sync_api.expect(error).to_contain_text(re.compile(r"war-ukraine\.yaml:\d+"))
    sync_api.expect(error).to_contain_text("hgih")
    shot(page, "seeded-rules-invalid-edit")
