"""Fetch an article's page through the shared client (SSRF guard, caps, deadline) and decode
it to text; failures come back in the result with their reason, never as an exception."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from trafilatura.utils import decode_file

from connectors.http import FetchError, fetch

_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


@dataclass(frozen=True)
class PageResult:
    """One page fetch: the HTML when it worked, else the error (and status, if any)."""

    url: str
    final_url: str
    status: int | None
    html: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.html)


async def fetch_page(client: httpx.AsyncClient, url: str) -> PageResult:
    """GET an article page; non-2xx, non-HTML and transport failures set `error`."""
    if not url:
        return PageResult(url, url, None, None, "entry has no link")
    try:
        got = await fetch(client, url, {"Accept": _ACCEPT})
    except FetchError as exc:
        return PageResult(url, url, exc.status, None, exc.reason)
    if got.status >= 400:
        return PageResult(url, got.final_url, got.status, None, f"HTTP {got.status}")
    ctype = got.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and not (ctype.startswith("text/") or "html" in ctype or "xml" in ctype):
        return PageResult(url, got.final_url, got.status, None, f"not a web page ({ctype})")
    return PageResult(url, got.final_url, got.status, _decode(got.content, got.headers))


def _decode(content: bytes, headers: httpx.Headers) -> str:
    # the declared charset when there is a valid one; else trafilatura's own sniffing
    ctype = headers.get("content-type", "")
    if "charset=" in ctype:
        charset = ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"')
        try:
            return content.decode(charset, errors="replace")
        except LookupError:
            pass
    return str(decode_file(content))
