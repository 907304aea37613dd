"""`newswatch run` as a child process with its own data folder and ports, for the tests and
benches that need the real service: start(), wait_ready(), alerts(), stop()."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """One `python -m streams.cli run` over `feeds`, settings given as NEWSWATCH_* overrides."""

    def __init__(self, tmp: Path, feeds: list[str], **settings: str) -> None:
        self.tmp = tmp
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "NEWSWATCH_DATA_DIR": str(tmp / "var"),
            "NEWSWATCH_FEEDS": json.dumps(feeds),
            "NEWSWATCH_WEB_PORT": str(self.web_port),
            "NEWSWATCH_CONSOLE_ALERTS": "false",
            "NEWSWATCH_LOG_LEVEL": "info",
            "PYTHONUNBUFFERED": "1",
            **{f"NEWSWATCH_{k.upper()}": v for k, v in settings.items()},
        }
        self.log = tmp / "worker.log"
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def database(self) -> Path:
        return self.tmp / "var" / "newswatch.db"

    def start(self) -> WorkerProcess:
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "run"], cwd=ROOT, env=self.env,
            stdout=out, stderr=subprocess.STDOUT, text=True,
        )
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"newswatch run exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"newswatch run not ready:\n{self.log.read_text()[-3000:]}")

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts in the JSONL sink so far, oldest first."""
        path = self.tmp / "var" / "alerts.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
