"""The one HTTP client for feeds and pages: timeouts, a descriptive User-Agent, an SSRF guard
(connectors/guard.py), a cap on the decoded body, an overall deadline per request and a
per-host concurrency limit.

`make_client(settings)` builds it; `fetch(client, url)` reads one response within the caps and
either returns it (any HTTP status) or raises FetchError with a one-line reason.

The client is an httpx.AsyncClient (what the rest of the code calls, such as the hub
subscription's POST), but `fetch`, the GET under every poll and page, goes over aiohttp: httpx
spends about 1.5 ms of CPU on a page from loopback where aiohttp spends 0.2 (the service's main
process, measured in tests/bench/bench_service.py, pays that per article). Both stacks are
guarded alike: every hop's scheme and written address are vetted (`check_hop`), every name's
addresses when the connector resolves them (`GuardResolver`), and redirects are followed
here, one hop at a time, up to the client's `max_redirects`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
import certifi
import httpx
import yarl
from multidict import CIMultiDict

from connectors.fetch_errors import FetchError, UnsafeURLError
from connectors.guard import (
    GuardResolver,
    GuardTransport,
    check_hop,
    default_port,
    forget_own_origin,
    trust_own_origin,
    vet_url,
)

__all__ = [
    "FetchError", "Fetched", "GuardTransport", "GuardedClient", "UnsafeURLError", "fetch",
    "forget_own_origin", "make_client", "parse_retry_after", "trust_own_origin", "vet_url",
]

DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_DEADLINE = 60.0
# A response header line may be this long (aiohttp's default, 8 KiB, refuses pages whose
# servers set large cookies; httpx allowed about 100 KiB).
MAX_HEADER_BYTES = 65_536
_REDIRECTS = (301, 302, 303, 307, 308)


@functools.cache
def _tls() -> ssl.SSLContext:
    """Certificates verified against certifi's roots, as httpx does (one context for all)."""
    return ssl.create_default_context(cafile=certifi.where())


class GuardedClient(httpx.AsyncClient):
    """An httpx.AsyncClient that also carries the caps `fetch` enforces, and the aiohttp
    session `fetch` uses (made in the event loop that first fetches, closed with the client)."""

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline: float = DEFAULT_DEADLINE,
        per_host: int = 2,
        allow: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        self.guard = GuardTransport(httpx.AsyncHTTPTransport(retries=0), allow)
        super().__init__(transport=self.guard, **kwargs)
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.per_host = per_host
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        self._wire: aiohttp.ClientSession | None = None
        self._wire_loop: asyncio.AbstractEventLoop | None = None

    def allow(self, url_or_host: str) -> None:
        """Let the guard through to this host:port (e.g. the seed server started later)."""
        parsed = httpx.URL(url_or_host if "://" in url_or_host else f"http://{url_or_host}")
        port = f":{parsed.port}" if parsed.port else ""
        self.guard.allow.add(f"{parsed.host.lower()}{port}")

    def host_limit(self, host: str) -> asyncio.Semaphore:
        """The semaphore bounding requests in flight to one host."""
        if host not in self._host_limits:
            self._host_limits[host] = asyncio.Semaphore(self.per_host)
        return self._host_limits[host]

    def wire(self) -> aiohttp.ClientSession:
        """The aiohttp session of this event loop: the guard's resolver, no decompression
        (`fetch` decodes within the cap), the client's timeouts, its own redirects."""
        loop = asyncio.get_running_loop()
        if self._wire is None or self._wire.closed or self._wire_loop is not loop:
            t = self.timeout
            connector = aiohttp.TCPConnector(
                limit=50, ssl=_tls(), resolver=GuardResolver(aiohttp.ThreadedResolver(),
                                                             self.guard.allow))
            self._wire = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, trust_env=False,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=t.connect, sock_read=t.read,
                    connect=None if t.pool is None or t.connect is None else t.pool + t.connect),
                max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES)
            self._wire_loop = loop
        return self._wire

    async def aclose(self) -> None:
        await self._close_wire()
        await super().aclose()

    async def __aexit__(self, *exc: Any) -> None:
        await self._close_wire()
        await super().__aexit__(*exc)

    async def _close_wire(self) -> None:
        wire, self._wire = self._wire, None
        if wire is not None and not wire.closed and self._wire_loop is asyncio.get_running_loop():
            await wire.close()


def make_client(settings: Any, allow: Iterable[str] = ()) -> GuardedClient:
    """The shared client; `allow` adds hosts ("host" or "host:port") to settings.allow_hosts."""
    return GuardedClient(
        max_bytes=settings.max_response_bytes,
        deadline=settings.request_deadline,
        per_host=settings.per_host_concurrency,
        allow=[*settings.allow_hosts, *allow],
        timeout=httpx.Timeout(settings.http_timeout),
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        max_redirects=5,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )


@dataclass(frozen=True)
class Fetched:
    """A response read within the caps."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    content: bytes


class _Decoder:
    """gzip/deflate decoding with a bound on the output, so a bomb stops at the cap instead
    of inflating one network chunk into hundreds of megabytes first."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        elif encoding in ("", "identity"):
            self._z = None
        else:
            raise ValueError(f"unsupported content-encoding {encoding!r}")
        self._first = True

    def decode(self, data: bytes, limit: int) -> bytes:
        if self._z is None:
            return data
        try:
            out = self._z.decompress(data, limit + 1)
        except zlib.error:
            if self.encoding == "deflate" and self._first:  # raw deflate without zlib header
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._z.decompress(data, limit + 1)
            else:
                raise
        self._first = False
        return out


async def fetch(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> Fetched:
    """GET url within the client's caps; raise FetchError (never an httpx or aiohttp error) on
    failure."""
    max_bytes = getattr(client, "max_bytes", DEFAULT_MAX_BYTES)
    deadline = getattr(client, "deadline", DEFAULT_DEADLINE)
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"invalid URL: {exc}") from exc
    guarded = client if isinstance(client, GuardedClient) else None
    limit = guarded.host_limit(host) if guarded is not None else None
    try:
        if limit is not None:
            await limit.acquire()
        async with asyncio.timeout(deadline):
            if guarded is not None:
                return await _get(guarded, url, headers or {}, max_bytes)
            return await _read(client, url, headers or {}, max_bytes)
    except FetchError as exc:
        if exc.url == url:
            raise
        raise type(exc)(url, exc.reason, exc.status) from exc  # named by the URL asked for
    except aiohttp.ServerTimeoutError as exc:  # (a TimeoutError too: before the deadline's)
        raise FetchError(url, f"timed out ({type(exc).__name__})") from exc
    except TimeoutError as exc:
        raise FetchError(url, f"no complete response within {deadline:g} s (deadline)") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(url, "too many redirects") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out ({type(exc).__name__})") from exc
    except (httpx.HTTPError, httpx.InvalidURL, aiohttp.ClientError, zlib.error, ValueError
            ) as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc or 'failed'}") from exc
    finally:
        if limit is not None:
            limit.release()


async def _get(client: GuardedClient, url: str, headers: dict[str, str], max_bytes: int
               ) -> Fetched:
    """GET over aiohttp, each redirect hop vetted and followed here."""
    wire = client.wire()
    sent = CIMultiDict(client.headers.items())
    sent.update(headers)
    at = yarl.URL(url)
    for hop in range(client.max_redirects + 1):
        host = (at.host or "").lower()
        check_hop(str(at), at.scheme, host, at.port or default_port(at.scheme), client.guard.allow)
        async with wire.get(at, headers=sent, allow_redirects=False) as resp:
            location = resp.headers.get("location")
            if not (client.follow_redirects and resp.status in _REDIRECTS and location):
                return await _body(url, str(at), resp.status, resp.raw_headers,
                                   resp.content.iter_any(), max_bytes)
        if hop == client.max_redirects:
            break
        at = at.join(yarl.URL(location)).with_fragment(None)
    raise FetchError(url, "too many redirects")


async def _read(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int
) -> Fetched:
    """GET over httpx (a client other than the guarded one)."""
    async with client.stream("GET", url, headers=headers) as resp:
        return await _body(url, str(resp.url), resp.status_code, resp.headers.raw,
                           resp.aiter_raw(), max_bytes)


async def _body(url: str, final_url: str, status: int, raw_headers: Iterable[tuple[bytes, bytes]],
                chunks: AsyncIterator[bytes], max_bytes: int) -> Fetched:
    """The response read within the cap (the declared length first, then what decodes)."""
    headers = httpx.Headers(list(raw_headers))
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"body of {declared} bytes exceeds the {max_bytes} byte cap")
    decoder = _Decoder(headers.get("content-encoding", "").strip().lower())
    body = bytearray()
    async for chunk in chunks:
        body += decoder.decode(chunk, max_bytes - len(body))
        if len(body) > max_bytes:
            raise FetchError(url, f"decoded body exceeds the {max_bytes} byte cap")
        # a bomb can hide in one chunk: drain what zlib kept back, still bounded
        while decoder._z is not None and decoder._z.unconsumed_tail:
            body += decoder.decode(decoder._z.unconsumed_tail, max_bytes - len(body))
            if len(body) > max_bytes:
                raise FetchError(url, f"decoded body exceeds the {max_bytes} byte cap")
    return Fetched(url, final_url, status, headers, bytes(body))


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
