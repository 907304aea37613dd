"""A news site on loopback that publishes as it goes, and its WebSub hub (W3C WebSub,
sections 5 and 7): one aiohttp server, in a thread with its own event loop so a test or
bench can drive it from plain code while `newswatch run` runs in another process.

- GET /feed.xml: RSS 2.0 of the newest entries (each dated when it was published), with
  <atom:link rel="hub"> and rel="self" when the site has a hub; ETag for conditional GETs.
- GET /articles/<n>.html: the entry's page.
- POST /hub: a subscription request; answered 202, then the hub verifies the intent with a
  GET on the callback (a random challenge, which must come back) before it pushes anything.
- publish(): a new entry, and for a hub, the feed pushed to every verified subscriber with
  X-Hub-Signature: sha256=HMAC(secret, body) (or a wrong one, `forge=True`).

The articles say that the European Union adopted sanctions package number n against Russia:
a distinct story each (streams/stories/identity.py tells packages apart), so each entry
raises its own alert."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import hmac
import html
import secrets
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from aiohttp import web

T = TypeVar("T")
FIRST_PACKAGE = 40


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class Subscriber:
    callback: str
    topic: str
    secret: str
    lease: int


@dataclass
class Entry:
    n: int
    published: dt.datetime
    at: float  # time.time() when it became visible


@dataclass
class NewsSite:
    """The site (and its hub when `hub`): start(), publish(), stop()."""

    hub: bool = True
    keep: int = 20  # entries in the feed document
    first: int = FIRST_PACKAGE  # the first entry's package number (one story per number)
    entries: list[Entry] = field(default_factory=list)
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)  # subscription requests
    verified: list[str] = field(default_factory=list)  # callbacks that echoed the challenge
    refused: list[str] = field(default_factory=list)  # callbacks that did not
    pushes: list[int] = field(default_factory=list)  # status of each content delivery
    polls: int = 0
    poll_times: list[float] = field(default_factory=list)  # time.time() of each feed GET
    found: dict[int, float] = field(default_factory=dict)  # entry -> first served in a 200

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- driving it from plain code ----------------------------------------------------

    def start(self) -> NewsSite:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def backdate(self, count: int, gap: float) -> None:
        """`count` entries published `gap` seconds apart before now (the feed's history)."""
        now = time.time()
        for k in range(count, 0, -1):
            when = now - k * gap
            n = self.first + len(self.entries)
            self.entries.append(Entry(n, dt.datetime.fromtimestamp(int(when), dt.UTC), when))

    def publish(self, forge: bool = False) -> Entry:
        """A new entry, visible in the feed now; pushed to the subscribers (signed wrongly
        with `forge`) before this returns."""
        return self._call(self._publish(forge))

    @property
    def feed_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed.xml"

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    # --- the server ----------------------------------------------------------------------

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/articles/{n}.html", self._article)
        app.router.add_post("/hub", self._subscribe)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = httpx.AsyncClient(timeout=10)

    async def _stop(self) -> None:
        await self._client.aclose()
        if self._runner is not None:
            await self._runner.cleanup()

    def document(self) -> bytes:
        links = ""
        if self.hub:
            links = (f'<atom:link rel="hub" href="http://127.0.0.1:{self.port}/hub"/>'
                     f'<atom:link rel="self" href="{self.feed_url}"/>')
        items = "".join(
            f"<item><title>Sanctions package {e.n}</title>"
            f"<link>http://127.0.0.1:{self.port}/articles/{e.n}.html</link>"
            f"<guid>urn:sanctions:{e.n}</guid>"
            f"<pubDate>{email.utils.format_datetime(e.published)}</pubDate>"
            f"<description>{self._sentence(e.n)}</description></item>"
            for e in reversed(self.entries[-self.keep:])
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>Loopback news</title><link>http://127.0.0.1:{self.port}/</link>"
            f"{links}{items}</channel></rss>"
        ).encode()

    @staticmethod
    def _sentence(n: int) -> str:
        return (f"The European Union adopted its {_ordinal(n)} package of sanctions against "
                "Russia on Monday, foreign ministers said in Brussels.")

    async def _feed(self, request: web.Request) -> web.Response:
        self.polls += 1
        self.poll_times.append(time.time())
        etag = f'"{len(self.entries)}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        now = time.time()
        for entry in self.entries[-self.keep:]:
            self.found.setdefault(entry.n, now)
        return web.Response(body=self.document(), headers={"ETag": etag},
                            content_type="application/rss+xml")

    async def _article(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        entry = next((e for e in self.entries if e.n == n), None)
        if entry is None:
            raise web.HTTPNotFound()
        text = html.escape(self._sentence(n))
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Sanctions package {n}</title>"
            f'<meta property="article:published_time" content="{entry.published.isoformat()}">'
            f"</head><body><main><article><h1>Sanctions package {n}</h1><p>{text}</p>"
            "<p>The measures target Russian banks, oil exports and shipping companies.</p>"
            "</article></main></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _subscribe(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(form)
        if form.get("hub.mode") != "subscribe" or not form.get("hub.callback"):
            return web.Response(status=400, text="hub.mode=subscribe and hub.callback needed")
        asyncio.get_running_loop().create_task(self._verify(form))
        return web.Response(status=202)

    async def _verify(self, form: dict[str, str]) -> None:
        """Section 5.3: the hub checks the subscriber asked, with a challenge it must echo."""
        challenge = secrets.token_hex(16)
        lease = int(form.get("hub.lease_seconds") or 3600)
        params = {"hub.mode": "subscribe", "hub.topic": form["hub.topic"],
                  "hub.challenge": challenge, "hub.lease_seconds": str(lease)}
        try:
            response = await self._client.get(form["hub.callback"], params=params)
        except httpx.HTTPError:
            self.refused.append(form["hub.callback"])
            return
        if response.status_code == 200 and response.text == challenge:
            self.subscribers[form["hub.callback"]] = Subscriber(
                form["hub.callback"], form["hub.topic"], form.get("hub.secret", ""), lease)
            self.verified.append(form["hub.callback"])
        else:
            self.refused.append(form["hub.callback"])

    async def verify_as(self, callback: str, topic: str) -> httpx.Response:
        """A verification GET nobody asked for (what a forger would send)."""
        return await self._client.get(callback, params={
            "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "forged",
            "hub.lease_seconds": "60"})

    def forged_verification(self, callback: str, topic: str) -> httpx.Response:
        return self._call(self.verify_as(callback, topic))

    async def _publish(self, forge: bool) -> Entry:
        n = self.first + len(self.entries)
        now = time.time()
        entry = Entry(n, dt.datetime.fromtimestamp(int(now), dt.UTC), now)
        self.entries.append(entry)
        body = self.document()
        for sub in list(self.subscribers.values()):
            key = b"not the secret" if forge else sub.secret.encode()
            signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
            response = await self._client.post(sub.callback, content=body, headers={
                "Content-Type": "application/rss+xml", "X-Hub-Signature": signature,
                "Link": f'<http://127.0.0.1:{self.port}/hub>; rel="hub", '
                        f'<{sub.topic}>; rel="self"'})
            self.pushes.append(response.status_code)
        return entry
