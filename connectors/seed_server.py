"""Replay a folder in the seeds' format as a real RSS 2.0 feed over HTTP on loopback.

Each item links to an HTML page of its article on the same server, so the seeds travel the
same path as any feed: poll, fetch the page, clean. ETag and Last-Modified are sent and
conditional GETs are answered 304, like a polite real server.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from connectors.http import forget_own_origin, trust_own_origin
from connectors.seed_folder import SeedArticle, SeedFolder, read_seed_folder


def _rfc822(published: str | None, fallback: dt.datetime) -> str:
    when = fallback
    if published:
        parsed = dt.datetime.fromisoformat(published)
        when = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(when.astimezone(dt.UTC), usegmt=True)


class SeedServer:
    """An aiohttp server for one seed folder: /feed.xml and /articles/<stem>.html."""

    def __init__(self, folder: Path | str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._pages: dict[str, bytes] = {}  # path -> body
        self._files: dict[str, str] = {}  # page path -> seed file name
        self._validators: dict[str, tuple[str, str]] = {}  # path -> (etag, last-modified)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"

    def page_url(self, file: str) -> str:
        """The URL of a seed file's HTML page."""
        return f"{self.base_url}/articles/{Path(file).stem}.html"

    def article_file(self, url: str) -> str | None:
        """The seed file name behind a page URL of this server, else None."""
        return self._files.get(urlsplit(url).path)

    async def start(self) -> None:
        """Read the folder (SeedFolderError names a bad file) and start serving."""
        seeds = read_seed_folder(self.folder)
        app = web.Application()
        app.router.add_get("/feed.xml", self._serve)
        app.router.add_get("/articles/{name}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server: Any = site._server  # aiohttp keeps the asyncio.Server here
        sockets = server.sockets if server else []
        self.port = sockets[0].getsockname()[1]
        self._render(seeds)
        trust_own_origin(self.host, self.port)  # the SSRF guard lets clients reach it

    async def stop(self) -> None:
        if self._runner is not None:
            forget_own_origin(self.host, self.port)
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SeedServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def _render(self, seeds: SeedFolder) -> None:
        mtime = dt.datetime.fromtimestamp(
            max(p.stat().st_mtime for p in [self.folder, *self.folder.iterdir()]), dt.UTC
        )
        self._store("/feed.xml", self._feed_xml(seeds, mtime), mtime)
        for article in seeds.articles:
            path = urlsplit(self.page_url(article.file)).path
            self._files[path] = article.file
            self._store(path, self._page_html(article), mtime)

    def _store(self, path: str, body: bytes, mtime: dt.datetime) -> None:
        self._pages[path] = body
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        self._validators[path] = (etag, email.utils.format_datetime(mtime, usegmt=True))

    def _feed_xml(self, seeds: SeedFolder, mtime: dt.datetime) -> bytes:
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        ET.SubElement(channel, "title").text = seeds.title
        ET.SubElement(channel, "link").text = self.base_url + "/"
        ET.SubElement(channel, "description").text = f"Seed articles replayed from {self.folder}"
        for article in seeds.articles:
            item = ET.SubElement(channel, "item")
            ET.SubElement(item, "title").text = article.title
            ET.SubElement(item, "link").text = self.page_url(article.file)
            # stable across restarts and ports: the server's port is chosen at random
            ET.SubElement(item, "guid", isPermaLink="false").text = f"seeds/{article.file}"
            ET.SubElement(item, "pubDate").text = _rfc822(article.published, mtime)
            source = ET.SubElement(item, "source", url=self.feed_url)
            source.text = article.source or seeds.title
            ET.SubElement(item, "description").text = (
                article.paragraphs[0] if article.paragraphs else article.title
            )
        return ET.tostring(rss, encoding="utf-8", xml_declaration=True)

    def _page_html(self, article: SeedArticle) -> bytes:
        esc = html.escape
        published = esc(article.published or "")
        paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in article.paragraphs)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(article.title)}</title>"
            f'<link rel="canonical" href="{esc(self.page_url(article.file))}">'
            f'<meta property="og:title" content="{esc(article.title)}">'
            f'<meta property="article:published_time" content="{published}">'
            f'<meta name="author" content="{esc(article.source)}">'
            "</head><body><main><article>"
            f"<h1>{esc(article.title)}</h1>\n{paragraphs}\n"
            "</article></main></body></html>\n"
        ).encode()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        body = self._pages.get(path)
        if body is None:
            raise web.HTTPNotFound(text=f"no such seed page: {path}")
        etag, last_modified = self._validators[path]
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == last_modified
        ):
            return web.Response(status=304, headers=headers)
        ctype = "application/rss+xml" if path == "/feed.xml" else "text/html"
        return web.Response(body=body, headers=headers, content_type=ctype, charset="utf-8")
