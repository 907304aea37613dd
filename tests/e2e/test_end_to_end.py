"""End to end: `newswatch run` on the embedded default, the seed feed served over loopback
HTTP, alerts in the JSONL sink and the store; a restart does not alert again; Ctrl-C stops it
cleanly; a broken rule file next to the good ones is reported and does not stop the others."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from expected import SEED_ALERT_ARTICLES, SEED_ALERTS, seed_file
from ports import free_port
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = SEED_ALERTS
# alerts that were sent ("covered" rows: stories told first by an article that already
# raised the rule's alert; recorded, never sent)
SENT_ALERTS = "SELECT rule_id, story_id FROM alerts WHERE status != 'covered'"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


class Worker:
    """A `newswatch run` process with its own data folder, ports and rule folder."""

    def __init__(self, tmp: Path, rules_dir: Path) -> None:
        self.tmp = tmp
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "NEWSWATCH_DATA_DIR": str(tmp / "var"),
            "NEWSWATCH_FEEDS": '["seeds"]',  # offline: only the bundled seed feed
            "NEWSWATCH_SEED_PORT": str(free_port()),
            "NEWSWATCH_WEB_PORT": str(self.web_port),
            "NEWSWATCH_RULES_DIR": str(rules_dir),
            "NEWSWATCH_LOG_LEVEL": "info",
            "NEWSWATCH_POLL_INTERVAL": "2",  # so the restarted worker polls the feed again
            "NEWSWATCH_POLL_INTERVAL_MIN": "1",
            # a fixed interval: the seed entries' old dates would earn the 6 h ceiling
            "NEWSWATCH_POLL_ADAPTIVE": "false",
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen[str] | None = None
        self.log = tmp / "worker.log"

    def start(self) -> None:
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def health(self) -> dict | None:
        try:
            r = httpx.get(f"http://127.0.0.1:{self.web_port}/health", timeout=2)
        except httpx.HTTPError:
            return None
        # 200 ok, 503 degraded: both answer with the model's body (status and reasons)
        return r.json() if r.status_code in (200, 503) else None

    def wait(self, predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
        assert self.proc is not None
        return wait_for(predicate, timeout, what, every=0.5, proc=self.proc, log=self.log)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    @property
    def jsonl(self) -> list[dict]:
        path = self.tmp / "var" / "alerts.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def store_alerts(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.tmp / "var" / "newswatch.db") as db:
            return db.execute(SENT_ALERTS).fetchall()


def _rules_status(worker: Worker, rule_id: str, errors: bool = True) -> dict | None:
    """`newswatch rules status --json` of the running worker, once it has `rule_id` (and,
    with `errors`, a load error)."""
    out = subprocess.run(
        [sys.executable, "-m", "streams.cli", "rules", "status", "--json"],
        cwd=ROOT, env=worker.env, capture_output=True, text=True, timeout=60,
    )
    data = json.loads(out.stdout)
    loaded = {r["id"] for r in data["rules"]}
    return data if rule_id in loaded and bool(data["errors"]) == errors else None


def _rule_ids(lines: list[dict]) -> Counter:
    """Rule ids of the alerts in the JSONL sink (story updates are lines of another kind)."""
    return Counter(line["alert"]["rule_id"] for line in lines if line["kind"] == "alert")


def test_seed_feed_to_alerts_restart_and_broken_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "zz-broken.yaml").write_text(
        "id: broken-rule\nkind: match\nseverity: high\nwhen:\n  tpye: meeting\n"
    )
    worker = Worker(tmp_path, rules)
    worker.start()
    try:
        health = worker.wait(lambda: (h := worker.health()) and h["status"] != "starting" and h,
                             90, "the health check to answer")  # fmt: skip
        assert health["status"] == "ok", health
        worker.wait(lambda: sum(_rule_ids(worker.jsonl).values()) >= 9, 90, "9 seed alerts")
        time.sleep(2)  # anything extra would arrive now
        assert _rule_ids(worker.jsonl) == EXPECTED
        stored = worker.store_alerts()
        assert Counter(rule for rule, _ in stored) == EXPECTED
        assert len(set(stored)) == len(stored)
        # the same articles raise them as in `newswatch backtest seeds`
        # (tests/runtime/test_backtest.py)
        assert Counter(
            (a["alert"]["rule_id"], seed_file(a["alert"]["article_url"]))
            for a in worker.jsonl if a["kind"] == "alert"
        ) == SEED_ALERT_ARTICLES
        log = worker.log.read_text()
        assert "zz-broken.yaml" in log and "tpye" in log  # the error names file and field

        # hot reload under the running worker: a new rule file is taken in, an invalid edit
        # of a shipped file keeps that file's rules in force and is reported with its line
        (rules / "zz-broken.yaml").unlink()
        (rules / "extra.yaml").write_text(
            "id: any-sanctions\nseverity: low\nwhen:\n  type: sanctions\n"
        )
        shipped = rules / "war-ukraine.yaml"
        original = shipped.read_text()
        shipped.write_text(original.replace("severity: critical", "severity: 11"))
        status = worker.wait(lambda: _rules_status(worker, "any-sanctions"), 10, "hot reload")
        assert {r["id"] for r in status["rules"]} >= set(EXPECTED) | {"any-sanctions"}
        assert any("war-ukraine.yaml" in e and "severity" in e for e in status["errors"])
        assert not any("zz-broken.yaml" in e for e in status["errors"])
        shipped.write_text(original)  # the restart below runs the shipped rules
        (rules / "extra.yaml").unlink()

        # a ten-level YAML alias bomb is refused: /health answers, the other rules stay
        lol = '["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
        bomb = [f"a0: &a0 {lol}"] + [f"a{i}: &a{i} [{','.join([f'*a{i-1}'] * 10)}]"
                                     for i in range(1, 10)]  # fmt: skip
        (rules / "zz-bomb.yaml").write_text("\n".join(bomb) + "\nid: b\nwhen: {text: *a9}\n")
        status = worker.wait(lambda: (s := _rules_status(worker, "mass-casualty-strike"))
                             and any("zz-bomb.yaml" in e for e in s["errors"]) and s,
                             30, "the alias bomb refused")  # fmt: skip
        assert any("aliases are not allowed in rule files" in e for e in status["errors"])
        assert worker.health() is not None
        (rules / "zz-bomb.yaml").unlink()
        # the rules folder moved away: the rules stay in force, /health says degraded
        shutil.move(rules, tmp_path / "rules-away")
        health = worker.wait(lambda: (h := worker.health()) and h["status"] == "degraded" and h,
                             30, "/health degraded")  # fmt: skip
        assert any("rules folder missing" in p for p in health["reasons"])
        assert health["rules"] == 5
        shutil.move(tmp_path / "rules-away", rules)
        worker.wait(lambda: (h := worker.health()) and h["status"] == "ok", 30, "folder back")
    finally:
        code = worker.stop()
    assert code == 0, worker.log.read_text()[-3000:]

    # started again over the same store: polls the seed feed, alerts nothing new
    worker.start()
    try:
        worker.wait(
            lambda: (h := worker.health()) and h.get("polls", 0) >= 1 and not h["items"].get(
                "pending"
            ),
            90,
            "the restarted worker to poll the seed feed",
        )
        time.sleep(3)
        status = _rules_status(worker, "mass-casualty-strike", errors=False)
        assert status is not None and len(status["rules"]) == 5  # the rules were in force
        # the operator alerts of the rules folder moved away and back, once each, recorded
        # and delivered like any alert (routed by severity to the JSONL sink here)
        folder = Counter(["rules-folder-problem", "rules-folder-back"])
        assert _rule_ids(worker.jsonl) == EXPECTED + folder
        stored = Counter(rule for rule, _ in worker.store_alerts())
        assert stored == EXPECTED + folder
    finally:
        assert worker.stop() == 0
