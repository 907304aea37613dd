"""The one HTTP client for feeds and pages: timeouts, a descriptive User-Agent, an SSRF guard,
a cap on the decoded body, an overall deadline per request and a per-host concurrency limit.

`make_client(settings)` builds it; `fetch(client, url)` reads one response within the caps and
either returns it (any HTTP status) or raises FetchError with a one-line reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ipaddress
import socket
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from streams.core.errors import SourceError

DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_DEADLINE = 60.0


class FetchError(SourceError):
    """A URL could not be fetched; `reason` is one line naming what went wrong."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class UnsafeURLError(FetchError):
    """The SSRF guard refused a URL (scheme, or an address that is not public)."""


# Origins ("host:port") of servers this process runs itself, such as the seed replay server:
# trusted although they are on loopback, so the seed feed works without configuration.
_OWN_ORIGINS: set[str] = set()


def trust_own_origin(host: str, port: int) -> None:
    """Let every client in this process reach a server this process started."""
    _OWN_ORIGINS.add(f"{host.lower()}:{port}")


def forget_own_origin(host: str, port: int) -> None:
    """Undo trust_own_origin when that server stops."""
    _OWN_ORIGINS.discard(f"{host.lower()}:{port}")


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global excludes private, loopback, link-local (169.254.169.254 metadata), shared
    # (100.64/10), reserved, unspecified; multicast is global for ipaddress but never a server.
    return ip.is_global and not ip.is_multicast


class GuardTransport(httpx.AsyncBaseTransport):
    """Refuses non-http(s) URLs and non-public addresses after DNS resolution, on every request
    httpx sends (so on every redirect hop too), and connects to the address it vetted so a
    second DNS answer cannot swap it (DNS rebinding)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, allow: Iterable[str] = ()) -> None:
        self._inner = inner
        self.allow = {a.strip().lower() for a in allow if a.strip()}

    def allowed(self, host: str, port: int) -> bool:
        """True when the allow-list names this host (any port) or this host:port."""
        return _allowed(self.allow, host, port)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise UnsafeURLError(str(url), f"scheme {url.scheme!r} refused (http and https only)")
        host = url.host.lower()
        port = url.port or (443 if url.scheme == "https" else 80)
        if self.allowed(host, port):
            return await self._inner.handle_async_request(request)
        ip = await _resolve_public(str(url), host, port)
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=str(ip)),
            headers=request.headers,  # keeps the original Host header
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _allowed(allow: set[str], host: str, port: int) -> bool:
    origin = f"{host}:{port}"
    return "*" in allow or host in allow or origin in allow or origin in _OWN_ORIGINS


async def vet_url(url: str, allow: Iterable[str] = ()) -> None:
    """The guard's verdict on url without fetching it (as `feeds add` needs): returns when the
    poller would be let through, raises UnsafeURLError naming the reason when it would be
    refused, FetchError when the host cannot be resolved now."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURLError(url, str(exc)) from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURLError(url, f"scheme {parsed.scheme!r} refused (http and https only)")
    host = parsed.host.lower()
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if not _allowed({a.strip().lower() for a in allow if a.strip()}, host, port):
        await _resolve_public(url, host, port)


async def _resolve_public(
    url: str, host: str, port: int
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The first address of host, provided every address it resolves to is public."""
    literal = True  # the host is an address: name it once, as the URL writes it
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        literal = False
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise FetchError(url, f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(url, f"cannot resolve {host}: no address")
    for ip in addresses:
        if not _is_public(ip):
            where = f"address {host}" if literal else f"address {ip} of {host}"
            raise UnsafeURLError(url, f"{where} is not public (SSRF guard)")
    return addresses[0]


class GuardedClient(httpx.AsyncClient):
    """An httpx.AsyncClient that also carries the caps `fetch` enforces."""

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
    """GET url within the client's caps; raise FetchError (never an httpx error) on failure."""
    max_bytes = getattr(client, "max_bytes", DEFAULT_MAX_BYTES)
    deadline = getattr(client, "deadline", DEFAULT_DEADLINE)
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"invalid URL: {exc}") from exc
    limit = client.host_limit(host) if isinstance(client, GuardedClient) else None
    try:
        if limit is not None:
            await limit.acquire()
        async with asyncio.timeout(deadline):
            return await _read(client, url, headers or {}, max_bytes)
    except TimeoutError as exc:
        raise FetchError(url, f"no complete response within {deadline:g} s (deadline)") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(url, "too many redirects") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out ({type(exc).__name__})") from exc
    except (httpx.HTTPError, httpx.InvalidURL, zlib.error, ValueError) as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc or 'failed'}") from exc
    finally:
        if limit is not None:
            limit.release()


async def _read(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int
) -> Fetched:
    async with client.stream("GET", url, headers=headers) as resp:
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(url, f"body of {declared} bytes exceeds the {max_bytes} byte cap")
        decoder = _Decoder(resp.headers.get("content-encoding", "").strip().lower())
        body = bytearray()
        async for chunk in resp.aiter_raw():
            body += decoder.decode(chunk, max_bytes - len(body))
            if len(body) > max_bytes:
                raise FetchError(url, f"decoded body exceeds the {max_bytes} byte cap")
            # a bomb can hide in one chunk: drain what zlib kept back, still bounded
            while decoder._z is not None and decoder._z.unconsumed_tail:
                body += decoder.decode(decoder._z.unconsumed_tail, max_bytes - len(body))
                if len(body) > max_bytes:
                    raise FetchError(url, f"decoded body exceeds the {max_bytes} byte cap")
        return Fetched(url, str(resp.url), resp.status_code, resp.headers, bytes(body))


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
