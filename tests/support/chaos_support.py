"""Loopback destinations that can hold a request in flight or be down, and the service as a
subprocess that can be killed with SIGKILL, for tests/e2e/test_chaos.py.

- `HeldWebhook`: an aiohttp receiver of the signed webhook that keeps what it receives, or
  refuses it (503) while `down`. While `gate` is clear it holds its answer: the destination
  has the message (or has refused it), its sender cannot know yet. Killed then, the
  sender's delivery is in doubt, and its resend is a duplicate the receiver can drop by key.
- `HeldMail`: the SMTP handler of tests/support/smtp_server.py; while `hold` is set it keeps
  the mail
  and holds the reply to DATA (the same case for email: accepted, not acknowledged).
- `Service`: `python -m streams.cli run` with its own data folder, ports and log; `kill9()`
  is SIGKILL, `stop()` is Ctrl-C; waits poll with a deadline and never block the event loop
  that serves the fakes above.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from ports import free_port
from smtp_server import Handler

from streams.deliver.sinks.webhook import signature

ROOT = Path(__file__).resolve().parents[2]


class HeldWebhook:
    """The webhook destination on loopback; `keys` counts what it kept, by X-Newswatch-Key."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.gate = asyncio.Event()
        self.gate.set()
        self.down = False
        self.keys: Counter[str] = Counter()
        self.arrived = 0  # requests that reached the handler (held or not)
        self.refused = 0  # answered 503 while down
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.arrived += 1
        stamp = request.headers["X-Newswatch-Timestamp"]
        if request.headers["X-Newswatch-Signature"] != signature(self.secret, stamp, body):
            return web.Response(status=401)
        if self.down:
            self.refused += 1
            await self.gate.wait()
            return web.Response(status=503, text="down for maintenance")
        record = json.loads(body)
        assert record["key"] == request.headers["X-Newswatch-Key"]
        self.keys[record["key"]] += 1
        await self.gate.wait()
        return web.Response(status=204)

    async def start(self) -> HeldWebhook:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()


class HeldMail(Handler):
    """Keeps mail like Handler; while `hold` is true, the reply to DATA waits."""

    hold: bool = False
    arrived: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived += 1
        reply = await super().handle_DATA(server, session, envelope)
        while self.hold:
            await asyncio.sleep(0.05)
        return reply

    def keys(self) -> Counter[str]:
        """Each mail's delivery keys (X-Newswatch-Alert), counted."""
        out: Counter[str] = Counter()
        for _, mail in self.received:
            for key in str(mail["X-Newswatch-Alert"]).split(","):
                out[key.strip()] += 1
        return out


class Service:
    """`newswatch run` over a data folder of its own; the same ports across restarts (the
    seed feed's entries keep their identity by its URL)."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "NEWSWATCH_DATA_DIR": str(tmp / "var"),
            "NEWSWATCH_SEED_PORT": str(free_port()),
            "NEWSWATCH_WEB_PORT": str(self.web_port),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.db = tmp / "var" / "newswatch.db"
        self.log = tmp / "service.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts + 1}\n".encode())
            self.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "run"], cwd=ROOT,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1

    def alive(self) -> None:
        """Fails the test, with the log's tail, when the service has exited."""
        assert self.proc is not None and self.proc.poll() is None, (
            f"the service exited ({self.proc and self.proc.returncode}):\n{self.tail()}")

    def tail(self, start: int = -4000) -> str:
        """The log from byte `start` (negative: that many from the end)."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as f:
            f.seek(max(0, f.seek(0, 2) + start) if start < 0 else start)
            return f.read().decode(errors="replace")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        """Ctrl-C; its exit code (a service that does not stop in 60 s is killed, and fails)."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9

    async def health(self) -> dict[str, Any] | None:
        try:
            async with httpx.AsyncClient(timeout=3) as client:
                r = await client.get(f"http://127.0.0.1:{self.web_port}/health")
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code in (200, 503) else None

    async def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of a read on the store file (another connection than the service's)."""
        def read() -> list[tuple[Any, ...]]:
            if not self.db.exists():
                return []
            conn = sqlite3.connect(self.db, timeout=30)
            try:
                return conn.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):  # not migrated yet
                    return []
                raise
            finally:
                conn.close()

        return await asyncio.to_thread(read)
