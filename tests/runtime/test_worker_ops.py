"""The service as an operator meets it, in a subprocess: quiet start (every line names its
component, no Faust internals, no warning about unconfigured Slack or email), /health and
/ready degraded with their reasons (no rules, a feed failing on loopback), a second
`newswatch run` on the same port refused with one line, and Ctrl-C stopping with one line per
component and no traceback (the page-cleaning processes ignore it)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from ports import free_port
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^\[[\d\- :,]+\] \[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] [\w.]+: ")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


class Down(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(500)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def down_feed():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Down)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


def env_for(tmp: Path, web_port: int, feeds: str, rules: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")},
        "NEWSWATCH_DATA_DIR": str(tmp / "var"),
        "NEWSWATCH_FEEDS": feeds,
        "NEWSWATCH_SEED_PORT": str(free_port()),
        "NEWSWATCH_WEB_PORT": str(web_port),
        "NEWSWATCH_RULES_DIR": str(rules),
        "NEWSWATCH_ALLOW_HOSTS": '["127.0.0.1"]',
        "NEWSWATCH_HEALTH_INTERVAL": "1",
        "PYTHONUNBUFFERED": "1",
    }


def run(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    # its own session: Ctrl-C is then sent to its whole group, as a terminal does
    return subprocess.Popen([sys.executable, "-m", "streams.cli", "run"], cwd=ROOT, env=env,
                            stdout=log.open("a"), stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def get(port: int, path: str) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.HTTPError:
        return None


def test_operator_view_of_start_health_busy_port_and_stop(tmp_path, down_feed):
    rules = tmp_path / "rules"
    rules.mkdir()  # no rules at all
    port = free_port()
    env = env_for(tmp_path, port, f'["seeds", "{down_feed}"]', rules)
    log = tmp_path / "worker.log"
    proc = run(env, log)
    try:
        def degraded() -> dict | None:  # type: ignore[type-arg]
            r = get(port, "/health")
            body = r.json() if r is not None and r.status_code == 503 else {}
            reasons = " | ".join(body.get("reasons", []))
            return body if ("no rules loaded" in reasons
                            and f"feed {down_feed} failing" in reasons) else None

        health = wait_for(degraded, 180, "/health degraded", every=0.5, proc=proc, log=log)
        assert health["status"] == "degraded" and health["feed_states"]["failing"] == 1
        ready = get(port, "/ready")
        assert ready is not None and ready.status_code == 200 and ready.json()["ready"]
        metrics = get(port, "/metrics")
        assert metrics is not None and "newswatch_healthy 0.0" in metrics.text

        # a second service on the same ports: one line naming the port and its setting
        second = subprocess.run(
            [sys.executable, "-m", "streams.cli", "run"], cwd=ROOT, capture_output=True,
            text=True, timeout=120,
            env={**env, "NEWSWATCH_DATA_DIR": str(tmp_path / "other")})
        assert second.returncode == 2
        assert second.stdout == ""
        lines = second.stderr.splitlines()
        assert len(lines) == 1 and f"port {port} (NEWSWATCH_WEB_PORT)" in lines[0], lines
        # the seed articles cleaned: the page-cleaning processes exist
        wait_for(lambda: _items_done(port), 180, "the seed entries processed", every=0.5,
                 proc=proc, log=log)
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
        code = proc.wait(timeout=60)
    out = log.read_text()
    assert code == 0, out[-3000:]
    assert "Traceback" not in out and "-INT-" not in out, out[-3000:]
    logged = [line for line in out.splitlines() if line.startswith("[")]
    assert logged and all(LINE.match(line) for line in logged), logged[:5]
    assert not [line for line in logged if "] [INFO] faust" in line or "] [INFO] mode" in line
                or "Starting..." in line], "Faust internals at INFO"
    assert "not configured" not in out  # default routes: only configured destinations
    stops = [line.split(": ", 1)[1] for line in logged if ": stopped: " in line]
    assert stops[0].startswith("stopped: pipeline") and "stopped: store" in stops
    assert any(s.endswith("page-cleaning worker process(es)") for s in stops)
    assert len(stops) == len(set(stops))  # one line each


def _items_done(port: int) -> bool:
    r = get(port, "/health")
    items = (r.json().get("items") or {}) if r is not None else {}
    return bool(items) and not items.get("pending")


def test_the_cleaning_workers_ignore_ctrl_c():
    """A terminal's Ctrl-C goes to the whole process group: a cleaning process must not
    print a KeyboardInterrupt traceback; the parent stops it."""
    from streams.clean.trafilatura_pool import WorkerPool

    pool = WorkerPool()
    try:
        pool.extract("<html><body><p>warm up</p></body></html>", None, 60)
        (worker,) = pool._idle
        worker.proc.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert worker.proc.poll() is None  # still serving
        assert pool.extract("<html><body><article><p>" + "Words here. " * 40 +
                            "</p></article></body></html>", None, 60).text
    finally:
        assert pool.close() == 1


ARTICLE_HTML = ("<html><body><article><p>" + "Negotiators met again on Tuesday. " * 30 +
                "</p></article></body></html>")


def test_the_cleaning_workers_started_with_the_service_clean_its_first_pages():
    """The service starts its cleaning processes with itself (they import trafilatura while
    the model loads): its first pages are cleaned by them, no process started then."""
    from streams.clean.trafilatura_pool import WorkerPool

    pool = WorkerPool()
    try:
        assert pool.prestart(2) == 2
        started = {w.proc.pid for w in pool._idle}
        assert pool.extract(ARTICLE_HTML, None, 60).text.startswith("Negotiators met")
        assert {w.proc.pid for w in pool._idle} == started  # one of them did it
        assert pool.prestart(2) == 0  # enough are there
    finally:
        assert pool.close() == 2


def test_a_cleaning_worker_that_died_before_it_was_ready_is_named_and_dropped():
    from streams.clean.trafilatura_pool import ExtractionFailed, WorkerPool

    pool = WorkerPool()
    try:
        pool.prestart(1)
        (worker,) = pool._idle
        worker.proc.kill()
        with pytest.raises(ExtractionFailed, match="did not start"):
            pool.extract(ARTICLE_HTML, None, 60)
        assert pool._idle == []  # not kept: the next page gets a fresh worker
        assert pool.extract(ARTICLE_HTML, None, 60).text
    finally:
        pool.close()
