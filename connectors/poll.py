"""Fetch one feed: a conditional GET through the one HTTP client (SSRF guard, caps) and
feedparser (sanitiser on), giving a plain FetchedFeed: the status, the validators, the entries
as FeedItems, what the feed asks of the poll interval, or the reason it failed. No store and
no decisions here: which entries are new and when to poll again are streams/poll/decide.py's,
recording them is streams/runtime/polling.py's. Expected failures (network, HTTP status, not
a feed) come back as a FetchedFeed with an error; they never raise."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from dataclasses import dataclass, field
from typing import Any

import feedparser
import httpx

from connectors.http import FetchError, fetch, parse_retry_after
from streams.core.records import FeedItem, content_key

__all__ = ["FetchedFeed", "feed_items", "fetch_feed", "parse_feed"]


@dataclass
class FetchedFeed:
    """What one fetch of a feed gave: its entries and validators, or why it failed."""

    url: str  # the feed, as configured (not the final URL after redirects)
    status: int | None = None
    items: list[FeedItem] = field(default_factory=list)
    error: str | None = None  # one line; None when the feed answered with a feed (or 304)
    etag: str | None = None
    last_modified: str | None = None
    title: str = ""  # the feed's title, "" when unknown (a 304, a failure)
    asks: float | None = None  # seconds the feed asks between polls (TTL, max-age)
    retry_after: float | None = None  # seconds the server asked to wait (429, 503)
    hub: str | None = None  # the WebSub hub the feed advertises (rel="hub")
    topic: str | None = None  # its own URL for the hub (rel="self"), with a hub only

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.error is None


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    now: dt.datetime | None = None,
) -> FetchedFeed:
    """GET `url` (conditional when given its validators) and parse it; `now` dates a
    Retry-After given as an HTTP date."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        got = await fetch(client, url, headers)
    except FetchError as exc:
        return FetchedFeed(url, exc.status, error=_one_line(exc.reason))
    if got.status == 304:
        return FetchedFeed(url, 304, asks=_feed_asks(None, got.headers))
    if got.status in (429, 503):
        wait = parse_retry_after(got.headers.get("retry-after"), now or dt.datetime.now(dt.UTC))
        return FetchedFeed(url, got.status, error=f"HTTP {got.status}", retry_after=wait)
    if got.status >= 400:
        return FetchedFeed(url, got.status, error=f"HTTP {got.status}")
    try:
        parsed = await asyncio.to_thread(parse_feed, got.content, got.final_url, got.headers)
    except ValueError as exc:
        return FetchedFeed(url, got.status, error=_one_line(str(exc)))
    hub, topic = websub_links(parsed, got.headers)
    return FetchedFeed(
        url,
        got.status,
        feed_items(url, parsed),
        etag=got.headers.get("etag"),
        last_modified=got.headers.get("last-modified"),
        title=parsed.feed.get("title", ""),
        asks=_feed_asks(parsed, got.headers),
        hub=hub,
        topic=topic,
    )


def websub_links(parsed: Any, headers: httpx.Headers | None) -> tuple[str | None, str | None]:
    """The hub and self URLs a feed advertises (HTTP Link headers first, then the document's
    <link rel="hub"/"self">, as WebSub section 4 says); (None, None) without both."""
    found: dict[str, str] = {}
    for value in headers.get_list("link") if headers is not None else []:
        for match in _LINK.finditer(value):
            for rel in match.group(2).lower().split():
                found.setdefault(rel, match.group(1).strip())
    for link in parsed.feed.get("links", []) if parsed is not None else []:
        rel, href = str(link.get("rel", "")).lower(), link.get("href")
        if rel in ("hub", "self") and href:
            found.setdefault(rel, href)
    hub, topic = found.get("hub"), found.get("self")
    if not hub or not topic or not hub.lower().startswith(("http://", "https://")):
        return None, None
    return hub, topic


_LINK = re.compile(r'<([^>]*)>[^,]*?;\s*rel="?([^";,]+)"?', re.IGNORECASE)


def parse_feed(content: bytes, base_url: str, headers: httpx.Headers | None = None) -> Any:
    """feedparser over the bytes, sanitiser on; ValueError when it is not a feed at all."""
    response_headers = {"content-location": base_url}
    if headers is not None and headers.get("content-type"):
        response_headers["content-type"] = headers["content-type"]
    try:
        parsed = feedparser.parse(
            content,
            response_headers=response_headers,
            sanitize_html=True,
            resolve_relative_uris=True,
        )
    except Exception as exc:  # feedparser on hostile bytes: the feed is at fault, not us
        raise ValueError(f"feed parser failed: {type(exc).__name__}: {exc}") from exc
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "unrecognised document"
        raise ValueError(f"not a feed: {_one_line(str(reason))}")
    return parsed


def feed_items(feed_url: str, parsed: Any) -> list[FeedItem]:
    """One FeedItem per entry; GUID = the entry's id, else its link, else a hash of what it
    says (so an entry with neither is still processed once, not dropped). Entries repeated in
    a document count once."""
    feed_title = parsed.feed.get("title", "")
    out: dict[str, FeedItem] = {}
    for entry in parsed.entries:
        link = entry.get("link") or ""
        title, summary = entry.get("title", ""), _body(entry)
        published = _iso(entry.get("published_parsed") or entry.get("updated_parsed"))
        guid = entry.get("id") or link or "hash:" + content_key(title, summary, published or "")
        source = entry.get("source") or {}
        item = FeedItem(
            feed=feed_url,
            guid=guid,
            link=link,
            title=title,
            summary=summary,
            published=published,
            source=(source.get("title") if hasattr(source, "get") else "") or feed_title,
        )
        out.setdefault(item.key, item)
    return list(out.values())


def _body(entry: Any) -> str:
    # full content when the feed carries it, else the summary: the richer fallback for clean()
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary", "")
    return best if len(best) > len(summary) else summary


def _iso(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    try:
        return dt.datetime(*parsed[:6], tzinfo=dt.UTC).isoformat()
    except (TypeError, ValueError):
        return None


def _feed_asks(parsed: Any, headers: httpx.Headers) -> float | None:
    asks: list[float] = []
    ttl = str(parsed.feed.get("ttl", "") if parsed is not None else "").strip()
    if ttl.isdigit():
        asks.append(int(ttl) * 60.0)
    match = re.search(r"max-age=(\d+)", headers.get("cache-control", ""))
    if match:
        asks.append(float(match.group(1)))
    return max(asks) if asks else None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
