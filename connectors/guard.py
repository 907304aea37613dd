"""The SSRF guard, for both HTTP stacks of the one client (connectors/http.py): only http and
https, only public addresses (after DNS resolution, every address a name resolves to), except
the hosts an operator allows and the servers this process runs itself; what is connected to
is the address vetted, so a second DNS answer cannot swap it (DNS rebinding).

- `GuardTransport` vets every request httpx sends (so every redirect hop) and pins it;
- `GuardResolver` is the resolver of the aiohttp connector under `fetch`: it vets the
  addresses of every name the connector connects to, and hands over only those;
- `check_hop` vets what no resolver sees: the scheme and an address written in the URL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from connectors.fetch_errors import FetchError, UnsafeURLError

# Origins ("host:port") of servers this process runs itself, such as the seed replay server:
# trusted although they are on loopback, so the seed feed works without configuration.
_OWN_ORIGINS: set[str] = set()


def trust_own_origin(host: str, port: int) -> None:
    """Let every client in this process reach a server this process started."""
    _OWN_ORIGINS.add(f"{host.lower()}:{port}")


def forget_own_origin(host: str, port: int) -> None:
    """Undo trust_own_origin when that server stops."""
    _OWN_ORIGINS.discard(f"{host.lower()}:{port}")


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a server may be reached at this address without an allow-list entry."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global excludes private, loopback, link-local (169.254.169.254 metadata), shared
    # (100.64/10), reserved, unspecified; multicast is global for ipaddress but never a server.
    return ip.is_global and not ip.is_multicast


def allowed(allow: set[str], host: str, port: int) -> bool:
    """Whether the allow-list (or this process's own servers) lets host:port through."""
    origin = f"{host}:{port}"
    return "*" in allow or host in allow or origin in allow or origin in _OWN_ORIGINS


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def allow_set(allow: Iterable[str]) -> set[str]:
    """An allow-list as the guard compares it: entries trimmed and lower-cased."""
    return {a.strip().lower() for a in allow if a.strip()}


def check_scheme(url: str, scheme: str) -> None:
    """Only http and https are fetched."""
    if scheme not in ("http", "https"):
        raise UnsafeURLError(url, f"scheme {scheme!r} refused (http and https only)")


class GuardTransport(httpx.AsyncBaseTransport):
    """Refuses non-http(s) URLs and non-public addresses after DNS resolution, on every request
    httpx sends (so on every redirect hop too), and connects to the address it vetted so a
    second DNS answer cannot swap it (DNS rebinding)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, allow: Iterable[str] = ()) -> None:
        self._inner = inner
        self.allow = allow_set(allow)

    def allowed(self, host: str, port: int) -> bool:
        """True when the allow-list names this host (any port) or this host:port."""
        return allowed(self.allow, host, port)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        check_scheme(str(url), url.scheme)
        host = url.host.lower()
        port = url.port or default_port(url.scheme)
        if self.allowed(host, port):
            return await self._inner.handle_async_request(request)
        ip = await resolve_public(str(url), host, port)
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


def check_hop(url: str, scheme: str, host: str, port: int, allow: set[str]) -> None:
    """Vet what the resolver never sees before a request (each redirect hop too): the scheme,
    and an address written as the host; a name is vetted when resolved (`GuardResolver`)."""
    check_scheme(url, scheme)
    if allowed(allow, host, port):
        return
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    if not is_public(ip):
        raise UnsafeURLError(url, f"address {host} is not public (SSRF guard)")


class GuardResolver(AbstractResolver):
    """The aiohttp connector's resolver: a name's addresses, provided every one of them is
    public (or the host is allowed). The connector connects to what it returns: no second
    lookup can swap a vetted address for another."""

    def __init__(self, inner: AbstractResolver, allow: set[str]) -> None:
        self._inner = inner
        self.allow = allow  # the client's set: `GuardedClient.allow` adds to it later

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        name = host.rstrip(".").lower()
        try:
            found = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise FetchError(f"http://{name}:{port}/", f"cannot resolve {name}: {exc}") from exc
        if allowed(self.allow, name, port):
            return found
        if not found:
            raise FetchError(f"http://{name}:{port}/", f"cannot resolve {name}: no address")
        for one in found:
            ip = ipaddress.ip_address(str(one["host"]).split("%", 1)[0])
            if not is_public(ip):
                raise UnsafeURLError(f"http://{name}:{port}/",
                                     f"address {ip} of {name} is not public (SSRF guard)")
        return found

    async def close(self) -> None:
        await self._inner.close()


async def vet_url(url: str, allow: Iterable[str] = ()) -> None:
    """The guard's verdict on url without fetching it (as `feeds add` needs): returns when the
    poller would be let through, raises UnsafeURLError naming the reason when it would be
    refused, FetchError when the host cannot be resolved now."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURLError(url, str(exc)) from exc
    check_scheme(url, parsed.scheme)
    host = parsed.host.lower()
    port = parsed.port or default_port(parsed.scheme)
    if not allowed(allow_set(allow), host, port):
        await resolve_public(url, host, port)


async def resolve_public(
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
        if not is_public(ip):
            where = f"address {host}" if literal else f"address {ip} of {host}"
            raise UnsafeURLError(url, f"{where} is not public (SSRF guard)")
    return addresses[0]
