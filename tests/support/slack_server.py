"""A loopback HTTP server that answers as Slack documents: incoming webhooks and the Web API
methods chat.postMessage, conversations.history and conversations.replies.

`answers` is a script: each request pops the next answer ("ok", "429:2", "400", "404",
"500", "hang"); when it is empty every request succeeds. `delay` makes every request take
that many seconds (a slow Slack); `gate` holds every request until it is set. Webhook error
bodies are the words Slack sends (invalid_payload, channel_not_found...). Messages posted are
kept with their ts, thread_ts and metadata, so tests can count top-level messages and thread
replies.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

WEBHOOK_ERRORS = {400: "invalid_payload", 403: "action_prohibited", 404: "channel_not_found",
                  410: "channel_is_archived", 500: "internal_error"}
API_ERRORS = {404: "channel_not_found", 400: "invalid_blocks"}


@dataclass
class SlackServer:
    """Start with `await server.start()`; `url` is the base, `webhook_url` the hook path."""

    answers: list[str] = field(default_factory=list)
    token: str = "xoxb-test-token"
    channel: str = "C123"
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    delay: float = 0.0  # seconds every request takes before it is answered (a slow Slack)
    gate: asyncio.Event | None = None  # when set up, every request waits until it is set
    _runner: web.AppRunner | None = None
    _port: int = 0
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/services/T000/B000/secretXYZ"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    async def start(self) -> SlackServer:
        app = web.Application()
        app.router.add_post("/services/{a}/{b}/{c}", self._webhook)
        app.router.add_post("/api/chat.postMessage", self._post_message)
        app.router.add_get("/api/conversations.history", self._history)
        app.router.add_get("/api/conversations.replies", self._replies)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._stopping.set()  # release hanging handlers so shutdown is immediate
        if self._runner is not None:
            await self._runner.cleanup()

    async def _scripted(self) -> web.Response | None:
        """The scripted failure for this request, or None to answer normally."""
        self.requests += 1
        if self.delay:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.delay)
            except TimeoutError:
                pass
        if self.gate is not None:
            stopping = asyncio.ensure_future(self._stopping.wait())
            opened = asyncio.ensure_future(self.gate.wait())
            await asyncio.wait({stopping, opened}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            opened.cancel()
        if not self.answers:
            return None
        answer = self.answers.pop(0)
        if answer == "ok":
            return None
        if answer == "hang":
            await self._stopping.wait()
        code, _, retry_after = answer.partition(":")
        status = int(code)
        headers = {"Retry-After": retry_after} if retry_after else {}
        return web.Response(status=status, text=WEBHOOK_ERRORS.get(status, "error"),
                            headers=headers)

    def _keep(self, body: dict[str, Any], channel: str) -> str:
        ts = f"1700000000.{next(self._ts):06d}"
        self.messages.append({"ts": ts, "channel": channel, "text": body.get("text", ""),
                              "blocks": body.get("blocks"), "thread_ts": body.get("thread_ts"),
                              "metadata": body.get("metadata")})
        return ts

    async def _webhook(self, request: web.Request) -> web.Response:
        failure = await self._scripted()
        if failure is not None:
            return failure
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if "metadata" in body or not (body.get("text") or body.get("blocks")):
            return web.Response(status=400, text="invalid_payload")
        self._keep(body, "webhook")
        return web.Response(text="ok")

    async def _post_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        failure = await self._scripted()
        if failure is not None:
            if failure.status in API_ERRORS:  # the Web API answers errors as 200 + ok:false
                return web.json_response({"ok": False, "error": API_ERRORS[failure.status]})
            return failure
        body = await request.json()
        if body.get("channel") != self.channel:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        thread = body.get("thread_ts")
        if thread and not any(m["ts"] == thread for m in self.messages):
            return web.json_response({"ok": False, "error": "thread_not_found"})
        return web.json_response({"ok": True, "channel": self.channel,
                                  "ts": self._keep(body, self.channel)})

    async def _history(self, request: web.Request) -> web.Response:
        top = [m for m in self.messages if not m["thread_ts"]]
        return web.json_response({"ok": True, "messages": list(reversed(top))})

    async def _replies(self, request: web.Request) -> web.Response:
        ts = request.query.get("ts")
        thread = [m for m in self.messages if m["ts"] == ts or m["thread_ts"] == ts]
        return web.json_response({"ok": True, "messages": thread})

    def top_level(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if not m["thread_ts"]]

    def replies(self, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["thread_ts"] == ts]
