"""One vocabulary for alerts in the CLI, the API and the dashboard; the API's filters
validated; rules checked for names nobody knows and for duplicate ids in the right file;
silences checked against the rules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_harness import DashboardServer
from web_support import RULES, fill, make_settings

ROOT = Path(__file__).resolve().parents[2]


def newswatch(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**clean, **env})


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[DashboardServer]:
    srv = DashboardServer(make_settings(tmp_path), RULES).start()
    try:
        srv.call(fill)
        yield srv
    finally:
        srv.stop()


def test_one_list_of_severities_everywhere(tmp_path: Path) -> None:
    """The rule language, the routes, the CLI's choices and the dashboard's filter refuse
    the same unknown severity and name the same five (streams/core/severities.py)."""
    words = ("info", "low", "medium", "high", "critical")
    listed = newswatch("alerts", "list", "--severity", "warning")
    assert listed.returncode != 0
    assert "'critical', 'high', 'medium', 'low', 'info'" in listed.stderr
    routes = newswatch("config", "show", NEWSWATCH_ROUTES='{"urgent": ["console"]}')
    assert routes.returncode != 0 and ", ".join(words) in routes.stderr
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: x\n    kind: match\n    severity: warning\n"
        "    when: {type: ceasefire}\n", encoding="utf-8")
    checked = newswatch("rules", "check", str(tmp_path))
    assert checked.returncode != 0
    assert f"severity: 'warning' is not one of: {', '.join(words)}" in checked.stdout


def test_api_refuses_bad_filters_naming_each_parameter(server: DashboardServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        bad = c.get("/api/alerts?status=acked&severity=urgent&since=garbage")
        assert bad.status_code == 400
        error = bad.json()["error"]
        assert "status: 'acked' is not one of new, acknowledged, silenced, backfilled" in error
        assert "severity: 'urgent' is not one of critical, high, medium, low, info" in error
        assert "since: 'garbage' is not a day (YYYY-MM-DD)" in error
        assert c.get("/api/alerts?limit=0").status_code == 400
        good = c.get("/api/alerts?status=new&severity=critical&since=2000-01-01")
        assert good.status_code == 200
        assert [a["rule_id"] for a in good.json()["alerts"]] == ["mass-casualty-strike"]


def _cli_statuses(env: dict[str, str], *extra: str) -> dict[str, str]:
    out = newswatch("alerts", "list", *extra, **env)
    assert out.returncode == 0, out.stderr
    return {line.split()[0]: line.split()[3] for line in out.stdout.splitlines()}


def test_cli_and_api_use_the_same_statuses(server: DashboardServer, tmp_path: Path) -> None:
    env = {"NEWSWATCH_DATA_DIR": str(tmp_path / "var")}
    with httpx.Client(base_url=server.url, timeout=10) as c:
        def api() -> dict[str, str]:
            return {a["id"]: a["status"] for a in c.get("/api/alerts").json()["alerts"]}

        def rule_of(rule: str) -> str:
            return next(a["id"] for a in c.get("/api/alerts").json()["alerts"]
                        if a["rule_id"] == rule)

        talks, strike = rule_of("peace-talks-turkey"), rule_of("mass-casualty-strike")
        acked = newswatch("alerts", "ack", talks, "--by", "ana", **env)
        assert acked.stdout.strip() == f"acknowledged {talks} by ana"
        silenced = newswatch("silence", "add", "--rule", "mass-casualty-strike", "--for", "2h",
                             **env)
        assert silenced.returncode == 0, silenced.stderr
        deadline = time.monotonic() + 30
        while api()[talks] != "acknowledged" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert api()[talks] == "acknowledged" and api()[strike] == "silenced"
        assert _cli_statuses(env) == api()
        assert set(_cli_statuses(env, "--status", "acknowledged")) == {talks}
        assert set(_cli_statuses(env, "--status", "silenced")) == {strike}
        assert set(_cli_statuses(env, "--severity", "critical")) == {strike}
    old = newswatch("alerts", "list", "--status", "acked", **env)
    assert old.returncode == 2 and "'acked' is not one of 'new', 'acknowledged'" in old.stderr


def test_silence_for_an_unknown_rule_is_refused_with_the_known_ids(tmp_path: Path) -> None:
    out = newswatch("silence", "add", "--rule", "no-such-rule", "--for", "2h",
                    NEWSWATCH_DATA_DIR=str(tmp_path / "var"))
    assert out.returncode == 2
    assert "no rule 'no-such-rule'; known rules: ceasefire, feed-failing" in out.stderr
    assert "peace-talks-turkey" in out.stderr
    assert not (tmp_path / "var" / "newswatch.db").exists()


def test_rules_check_warns_about_unknown_names_and_blames_the_new_duplicate(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    for shipped in rules.glob("*.yaml"):
        os.utime(shipped, (time.time() - 86400, time.time() - 86400))
    (rules / "00-mine.yaml").write_text(
        "rules:\n"
        "  - id: talks-russia\n    when:\n      type: meeting\n"
        "      sides: {any: [Rusia, Ukraine]}\n      location: Istambul\n"
        "  - id: ceasefire\n    when:\n      type: ceasefire\n"
    )
    out = newswatch("rules", "check", str(rules))
    lines = out.stdout.splitlines()
    mine = rules / "00-mine.yaml"
    assert (f"warning: {mine}:5: rules[0].when.sides.any[0]: 'Rusia' is not a known name; "
            "did you mean Russia?") in lines
    assert (f"warning: {mine}:6: rules[0].when.location: 'Istambul' is read as Istanbul "
            "(an alternate name in the places data)") in lines
    duplicate = [line for line in lines if "duplicate rule id 'ceasefire'" in line]
    assert len(duplicate) == 1 and duplicate[0].startswith(f"{mine}:7: id:"), lines
    assert out.returncode == 1
    # the shipped rules raise no warning
    shipped = newswatch("rules", "check")
    assert shipped.returncode == 0 and "warning" not in shipped.stdout
