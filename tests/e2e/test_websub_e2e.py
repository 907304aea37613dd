"""WebSub end to end: `newswatch run` with NEWSWATCH_PUBLIC_URL subscribes to the hub a
loopback site advertises (tests/support/websub_hub.py), answers its verification, and an
entry the hub pushes becomes an alert without waiting for a poll; content with a bad
signature is refused and nothing of it recorded; a verification nobody asked for is refused."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from waiting import wait_for
from websub_hub import Entry, NewsSite
from worker_process import WorkerProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def entries_recorded(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT guid FROM items")}


def alert_titles(worker: WorkerProcess) -> list[str]:
    return [a["alert"]["title"] for a in worker.alerts() if a.get("kind") == "alert"]


def site_and_worker(tmp_path: Path) -> tuple[NewsSite, Entry, WorkerProcess]:
    """A site with a hub, running, its first entry published; `newswatch run` over its feed,
    not started, looking at its subscriptions every 0.5 s."""
    site = NewsSite(hub=True).start()
    first = site.publish()
    worker = WorkerProcess(
        tmp_path, [site.feed_url], allow_hosts=json.dumps([f"127.0.0.1:{site.port}"]),
        websub_check_every="0.5",
    )
    return site, first, worker


def test_a_pushed_entry_alerts_within_seconds_and_forged_content_is_refused(tmp_path: Path):
    site, first, worker = site_and_worker(tmp_path)
    worker.env["NEWSWATCH_PUBLIC_URL"] = worker.url
    try:
        worker.start()
        worker.wait_ready()
        callback = wait_for(lambda: site.verified, 60, "the hub to verify the subscription")[0]
        request = site.requests[0]
        assert request["hub.callback"] == callback and request["hub.topic"] == site.feed_url
        assert callback.startswith(f"{worker.url}/websub/") and len(request["hub.secret"]) >= 32
        wait_for(lambda: f"Sanctions package {first.n}" in alert_titles(worker), 60,
                 "the first poll's alert")

        with sqlite3.connect(worker.database) as conn:  # what the poll found
            hub, topic = conn.execute("SELECT hub, topic FROM feeds").fetchone()
        assert hub == f"http://127.0.0.1:{site.port}/hub" and topic == site.feed_url

        forged = site.publish(forge=True)
        assert site.pushes[-1] == 202  # acknowledged, as the spec asks, and ignored
        wait_for(lambda: "bad X-Hub-Signature" in worker.log.read_text(), 10,
                 "the refusal in the log")
        assert f"urn:sanctions:{forged.n}" not in entries_recorded(worker.database)

        pushed = site.publish()  # the document carries the forged entry too: now signed
        assert site.pushes[-1] == 202
        wait_for(lambda: f"Sanctions package {pushed.n}" in alert_titles(worker), 20,
                 "the pushed entry's alert")
        assert time.time() - pushed.at < 20
        assert {f"urn:sanctions:{forged.n}", f"urn:sanctions:{pushed.n}"} \
            <= entries_recorded(worker.database)
        assert site.polls <= 2  # the alert came by push, not by a poll

        refused = site.forged_verification(callback, "http://elsewhere.example/feed")
        assert refused.status_code == 404 and "forged" not in refused.text
        unknown = site.forged_verification(f"{worker.url}/websub/nosuchid", site.feed_url)
        assert unknown.status_code == 404
    finally:
        worker.stop()
        site.stop()
    log = worker.log.read_text()
    assert "subscription verified" in log
    assert "pushed content refused: bad X-Hub-Signature" in log


def test_without_a_public_url_the_feed_is_polled_and_no_hub_is_asked(tmp_path: Path):
    site, first, worker = site_and_worker(tmp_path)
    try:
        worker.start()
        worker.wait_ready()
        wait_for(lambda: f"Sanctions package {first.n}" in alert_titles(worker), 60,
                 "the first poll's alert")
        time.sleep(2)
    finally:
        worker.stop()
        site.stop()
    assert site.requests == [] and site.pushes == []
