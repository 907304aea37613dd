"""Chaos (issue 14): one bounded run of `newswatch run` over the seed feed, delivering to Slack
(bot mode, a loopback fake), a signed webhook and email (a real SMTP server), all on
loopback, through four faults:

1. the store's disk "full" (SQLite triggers, tests/support/store_faults.py) while the entries are
   processed, then writable again; and full again later while a delivery's answer is on its
   way (it cannot be recorded when it comes);
2. kill -9 of the service while a delivery is in flight at every destination, then a
   restart: the webhook receiver and the SMTP server had kept theirs and held the answer
   (so the resend is a duplicate, within the bound), Slack had not read its request yet
   (found missing by its metadata, sent once);
3. the webhook answering 503 and the SMTP server stopped while the service comes back, then
   both up again;
4. the rules folder moved away and back.

In the end: the alerts are those of the seeds in order of publication (the 9 of them,
whatever order the retried entries were processed in) and the rules folder's two operator
alerts, and every one reached every destination; none more than twice, and no destination
has more resends than it had deliveries in doubt; every feed entry is done. The figures are printed
as one line and appended to tests/artifacts/chaos.txt."""

from __future__ import annotations

import asyncio
import collections
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from chaos_support import ROOT, HeldMail, HeldWebhook, Service
from expected import SEED_ALERTS
from slack_server import SlackServer
from smtp_server import LoopbackSmtp
from store_faults import FullDisk
from waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e"), pytest.mark.timeout(300)]

SECRET = "whsec-chaos"
DESTINATIONS = ("slack", "webhook", "email")
FOLDER = Counter(["rules-folder-problem", "rules-folder-back"])
EXPECTED = SEED_ALERTS + FOLDER
ENTRIES = len(list((ROOT / "seeds").glob("*.txt")))  # the seed feed has one entry per file
# what processing an entry writes; the poll itself (items, feeds) still records entries
PROCESSING_TABLES = ("articles", "events", "stories", "alerts", "deliveries", "attempts")
# a disk full for everything (story_locks: /health's write probe)
ALL_TABLES = (*PROCESSING_TABLES, "items", "feeds", "alert_updates", "story_locks")
SENT_ALERTS = "SELECT id, rule_id FROM alerts WHERE status != 'covered'"
ARTIFACT = Path(__file__).parents[1] / "artifacts" / "chaos.txt"


def slack_keys(slack: SlackServer) -> Counter[str]:
    """The delivery keys Slack holds (message metadata), counted."""
    out: Counter[str] = Counter()
    for m in slack.messages:
        payload = (m.get("metadata") or {}).get("event_payload") or {}
        for key in payload.get("keys") or [payload.get("key")]:
            out[key] += 1
    return out


async def test_kill_full_disk_destination_down_rules_away(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    slack = await SlackServer(gate=asyncio.Event()).start()  # the gate holds every request
    hook = await HeldWebhook(SECRET).start()
    hook.gate.clear()
    mail = HeldMail()
    mail.hold = True
    smtp = LoopbackSmtp(mail)
    smtp.start()
    smtp_port = smtp.bound_port
    service = Service(tmp_path, {
        "NEWSWATCH_FEEDS": '["seeds"]',
        "NEWSWATCH_RULES_DIR": str(rules),
        "NEWSWATCH_CONSOLE_ALERTS": "false",
        "NEWSWATCH_ALERTS_JSONL": "",
        "NEWSWATCH_ROUTES": json.dumps({"default": list(DESTINATIONS)}),
        "NEWSWATCH_SLACK_BOT_TOKEN": slack.token,
        "NEWSWATCH_SLACK_CHANNEL": slack.channel,
        "NEWSWATCH_SLACK_API_URL": slack.api_url,
        "NEWSWATCH_SLACK_MIN_INTERVAL": "0",
        "NEWSWATCH_WEBHOOK_URL": hook.url,
        "NEWSWATCH_WEBHOOK_SECRET": SECRET,
        "NEWSWATCH_SMTP_HOST": "127.0.0.1",
        "NEWSWATCH_SMTP_PORT": str(smtp_port),
        "NEWSWATCH_SMTP_TO": '["desk@example.org"]',
        # a held request must not time out: its delivery is in doubt only through the kill
        "NEWSWATCH_DELIVERY_TIMEOUT": "120",
        # short waits, so that the run stays bounded: retries every second or two
        "NEWSWATCH_SLACK_RETRY_CAP": "2",
        "NEWSWATCH_WEBHOOK_RETRY_CAP": "2",
        "NEWSWATCH_EMAIL_RETRY_CAP": "2",
        "NEWSWATCH_POLL_INTERVAL": "2",
        "NEWSWATCH_POLL_INTERVAL_MIN": "1",
        "NEWSWATCH_POLL_ADAPTIVE": "false",  # every 2 s; the seeds' rhythm would say 6 h
        "NEWSWATCH_BACKOFF_BASE": "1",
        "NEWSWATCH_BACKOFF_MAX": "2",
        "NEWSWATCH_RESEND_PENDING_AFTER": "5",
        "NEWSWATCH_ITEM_RETRY_BASE": "1",
        "NEWSWATCH_ITEM_RETRY_MAX": "2",
        "NEWSWATCH_ITEM_MAX_ATTEMPTS": "100",  # the disk stays full for several attempts
    })
    started = time.monotonic()
    phases: dict[str, float] = {}  # seconds since the start at the end of each phase

    def done(phase: str) -> None:
        phases[phase] = round(time.monotonic() - started, 1)

    try:
        # --- fault 1: the disk is full under the entries' processing -------------------
        upgrade = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "streams.cli", "db", "upgrade"], cwd=ROOT,
            env=service.env, capture_output=True, text=True, timeout=120)
        assert upgrade.returncode == 0, upgrade.stderr
        disk = FullDisk(service.db, PROCESSING_TABLES)
        disk.fill()
        service.start()

        async def entries_failing() -> bool:
            (row,) = await service.query(
                "SELECT count(*), sum(attempts >= 1) FROM items") or [(0, 0)]
            return row[0] == ENTRIES and (row[1] or 0) >= 1

        await until(entries_failing, 120, "the entries recorded, and failing to be processed",
                    service.alive)
        assert not await service.query("SELECT id FROM alerts")  # nothing could be recorded
        disk.lift()
        done("disk full under processing")

        # --- fault 2: kill -9 with a delivery in flight at every destination --------------
        async def in_flight() -> dict[str, int]:
            rows = await service.query(
                "SELECT destination, count(*) FROM deliveries WHERE state = 'sending' "
                "GROUP BY destination")
            return dict(rows) if len(rows) == len(DESTINATIONS) else {}

        sending = await until(in_flight, 90, "a delivery in flight at each destination",
                              service.alive)
        await until(lambda: hook.arrived and mail.arrived and slack.requests, 30,
                    "the held requests at the destinations")
        items_at_kill = dict(await service.query(
            "SELECT state, count(*) FROM items GROUP BY state"))
        service.kill9()
        done("kill -9")
        # the webhook and the mail server had kept theirs; Slack's never got its body
        assert sum(hook.keys.values()) == len(mail.received) == 1
        slack.gate.set()
        mail.hold = False

        # --- fault 3: the webhook and the mail server down as the service comes back ------
        hook.down = True
        smtp.stop()
        log_from = service.log.stat().st_size
        service.start()

        # --- fault 1 again: the disk full while the webhook's answer is on its way --------
        await until(lambda: hook.refused, 60, "the webhook's resend held", service.alive)
        FullDisk(service.db, ALL_TABLES).fill()

        async def store_failing() -> bool:
            health = await service.health()
            return bool(health) and any("store failing" in r for r in health.get("reasons", []))

        await until(store_failing, 30, "/health: store failing", service.alive)
        hook.gate.set()  # the 503 arrives: it cannot be recorded
        await until(lambda: "dispatcher: webhook: drain failed" in service.tail(log_from), 30,
                    "the webhook's answer not recorded", service.alive)
        FullDisk(service.db, ALL_TABLES).lift()
        done("disk full under a delivery")

        async def seed_alerts_on_slack() -> bool:
            stored = await service.query(SENT_ALERTS)
            ids = {i for i, rule in stored if rule in SEED_ALERTS}
            entries = dict(await service.query("SELECT state, count(*) FROM items GROUP BY state"))
            # every entry processed, and every alert they raised on Slack (how many: see the
            # final asserts)
            return entries == {"done": ENTRIES} and bool(ids) and ids <= set(slack_keys(slack))

        await until(seed_alerts_on_slack, 90, "the seed alerts on Slack (the others down)",
                    service.alive)

        async def email_failing() -> bool:
            (row,) = await service.query(
                "SELECT count(*) FROM attempts JOIN deliveries ON deliveries.id = delivery_id "
                "WHERE destination = 'email' AND outcome = 'retry'")
            return row[0] >= 2

        await until(lambda: hook.refused >= 2, 30, "the webhook refusing", service.alive)
        await until(email_failing, 30, "email retried against a stopped server", service.alive)
        done("seed alerts on Slack, others down")

        # --- fault 4: the rules folder moved away and back --------------------------------
        async def rules_reason() -> bool:
            health = await service.health()
            return bool(health) and any("rules folder missing" in r
                                        for r in health.get("reasons", []))

        async def on_slack(rule: str) -> bool:
            ids = {i for i, r in await service.query(SENT_ALERTS) if r == rule}
            return bool(ids) and ids <= set(slack_keys(slack))

        away = tmp_path / "rules-away"
        shutil.move(rules, away)
        await until(rules_reason, 30, "/health: rules folder missing", service.alive)
        await until(lambda: on_slack("rules-folder-problem"), 30, "the folder alert on Slack",
                    service.alive)
        shutil.move(away, rules)
        await until(lambda: on_slack("rules-folder-back"), 30, "the folder-back alert on Slack",
                    service.alive)
        assert not await rules_reason()
        done("rules folder away and back")

        # --- the destinations are back: everything settles --------------------------------
        hook.down = False
        smtp = LoopbackSmtp(mail, port=smtp_port)
        smtp.start()

        async def settled() -> bool:
            open_rows = await service.query(
                "SELECT count(*) FROM deliveries WHERE state NOT IN ('sent', 'dead', 'held')")
            items = await service.query("SELECT count(*) FROM items WHERE state != 'done'")
            return open_rows[0][0] == 0 and items[0][0] == 0

        await until(settled, 90, "every delivery and entry settled", service.alive)
        done("settled")
        assert service.stop() == 0, service.tail()
        took = time.monotonic() - started

        # --- the figures ---------------------------------------------------------------
        stored = await service.query(SENT_ALERTS)
        deliveries = await service.query(
            "SELECT d.id, d.destination, d.state, d.alert_id, d.update_id, u.article_id "
            "FROM deliveries d LEFT JOIN alert_updates u ON u.id = d.update_id")
        in_doubt = Counter(dict(await service.query(
            "SELECT destination, count(*) FROM attempts JOIN deliveries "
            "ON deliveries.id = delivery_id WHERE outcome = 'in_doubt' GROUP BY destination")))
        items = dict(await service.query("SELECT state, count(*) FROM items GROUP BY state"))
        received = {"slack": slack_keys(slack), "webhook": hook.keys, "email": mail.keys()}

        alert_ids = {i for i, rule in stored if rule in EXPECTED}
        found = {d: len(alert_ids & set(received[d])) for d in DESTINATIONS}
        # every delivery's key (alert, or "<alert>.<article>" for a story update)
        keys = {d: {a if not u else f"{a}.{art}" for _, dd, _, a, u, art in deliveries
                    if dd == d} for d in DESTINATIONS}
        dups = {d: sum(c - 1 for k, c in received[d].items() if k in keys[d])
                for d in DESTINATIONS}
        most = {d: max((c for k, c in received[d].items() if k in keys[d]), default=0)
                for d in DESTINATIONS}
        lost = ENTRIES - items.get("done", 0)
        summary = (
            f"chaos: alerts expected {len(alert_ids)} ({sum(SEED_ALERTS.values())} seed + "
            f"{sum(FOLDER.values())} rules folder) per destination; found "
            + ", ".join(f"{d} {found[d]}/{len(alert_ids)}" for d in DESTINATIONS)
            + "; duplicates " + ", ".join(f"{d} {dups[d]}" for d in DESTINATIONS)
            + "; in doubt " + ", ".join(f"{d} {in_doubt[d]}" for d in DESTINATIONS)
            + f"; by rule {dict(sorted(Counter(rule for _, rule in stored).items()))}"
            + f"; entries {items.get('done', 0)}/{ENTRIES} done, lost {lost}"
            f"; at the kill: in flight {sending}, entries {items_at_kill}"
            f"; deliveries {dict(collections.Counter(s for _, _, s, *_ in deliveries))}"
            f"; {took:.0f} s ({phases})"
        )
        print(summary)
        ARTIFACT.parent.mkdir(exist_ok=True)
        with ARTIFACT.open("a") as out:
            out.write(summary + "\n")

        # --- what a user would notice ---------------------------------------------------
        # exactly the alerts the seeds raise in order of publication, and both folder alerts,
        # though the full disk has the entries retried, and processed, out of that order
        by_rule = Counter(rule for _, rule in stored)
        assert by_rule == EXPECTED, summary
        assert all(state == "sent" for _, _, state, *_ in deliveries), summary
        for d in DESTINATIONS:
            assert found[d] == len(alert_ids), (d, summary)  # every alert reached it
            assert keys[d] <= set(received[d]), (d, summary)  # and every story update
            assert most[d] <= 2, (d, summary)  # never more than one resend
            assert dups[d] <= in_doubt[d], (d, summary)  # and only of what was in doubt
            assert in_doubt[d] >= 1, (d, summary)  # the kill did catch a send in flight
        assert items == {"done": ENTRIES}, summary  # every entry done, none lost
    finally:
        if service.proc is not None and service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait()
        if smtp._thread is not None:  # stopped while "down" and not started again
            smtp.stop()
        await hook.stop()
        await slack.stop()
