"""The dashboard's guards: security headers (CSP without inline script), the access token
required off loopback, a Host check against DNS rebinding, and CSRF tokens for forms.

Pure functions over header values and secrets, so each guard is testable without a server.
CSRF uses a double-submit cookie: the browser holds a random `nw_csrf` cookie (HttpOnly,
SameSite=Strict) and every form carries HMAC(secret, cookie); another site can neither read
the cookie nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Origin "null" on our own forms
    "Cache-Control": "no-store",
}
CSRF_COOKIE = "nw_csrf"
TOKEN_COOKIE = "nw_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (what a browser on this machine uses)."""
    host = host.strip().lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """'127.0.0.1:6066' -> '127.0.0.1', '[::1]:80' -> '[::1]'."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


def safe_url(url: object) -> str | None:
    """The URL when it is http(s) and so safe as a link target; None otherwise."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if any(not ch.isprintable() or ch.isspace() for ch in text):
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


@dataclass
class Guard:
    """What the dashboard checks on each request; one per worker."""

    web_host: str
    token: str | None = None  # NEWSWATCH_DASHBOARD_TOKEN
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def needs_token(self) -> bool:
        """A token is required when the service listens on anything but loopback."""
        return not is_loopback(self.web_host)

    @property
    def locked(self) -> bool:
        """Off loopback without a configured token the dashboard stays closed."""
        return self.needs_token and not self.token

    def host_ok(self, host_header: str) -> bool:
        """On loopback only loopback Host names are served (DNS rebinding defence)."""
        if self.needs_token:
            return True
        return is_loopback(host_name(host_header or ""))

    def token_ok(self, authorization: str, cookie: str | None, query: str | None) -> bool:
        """The request carries the token (Bearer header, cookie, or ?token=), when needed."""
        if not self.needs_token:
            return True
        if not self.token:
            return False
        offered = []
        if authorization.lower().startswith("bearer "):
            offered.append(authorization[7:].strip())
        offered += [value for value in (cookie, query) if value]
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered)

    def csrf_token(self, cookie_value: str) -> str:
        """The form token for a browser's CSRF cookie."""
        return hmac.new(self.secret, cookie_value.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie_value: str | None, submitted: str | None) -> bool:
        """True when the submitted form token belongs to this browser's cookie."""
        if not cookie_value or not submitted:
            return False
        return hmac.compare_digest(self.csrf_token(cookie_value), submitted)


def new_cookie_value() -> str:
    """A fresh random CSRF cookie value."""
    return secrets.token_urlsafe(24)


def same_origin(origin: str | None, host_header: str) -> bool:
    """A POST's Origin (when the browser sends one) names this host."""
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == (host_header or "").lower()
