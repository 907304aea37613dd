"""WebSub (W3C Recommendation, 2018) decided without I/O: which feeds to subscribe or renew,
how to answer a hub's verification of intent, whether pushed content is authentic.

A subscription moves requested -> active (the hub verified; the lease runs) -> renewing
(before the lease ends; still active) -> active ...; a hub that refuses or never verifies
leaves it denied/failed/requested, asked again after a growing wait. Only a request we made
is confirmed: the challenge is echoed for a subscription awaiting verification whose topic
matches. Content counts only when its X-Hub-Signature is the HMAC of the body with the
subscription's secret (section 8); a push with a bad or missing signature is ignored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACCEPTING", "Answer", "Request", "WebSubPolicy", "callback_id", "requests_due",
    "signature_ok", "verification",
]

ACCEPTING = ("active", "renewing")  # states in which the hub pushes and content is taken
AWAITING = ("requested", "renewing")  # states in which a verification is expected
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}


@dataclass(frozen=True)
class WebSubPolicy:
    """The lease asked for, when to renew, how long a hub may take to verify."""

    lease: int = 864_000  # seconds asked of the hub (10 days; the hub may grant less)
    verify_within: float = 300.0  # a request unverified after this is asked again
    retry_max: float = 86_400.0  # longest wait before asking a refusing hub again

    @classmethod
    def from_settings(cls, settings: Any) -> WebSubPolicy:
        return cls(lease=settings.websub_lease, verify_within=settings.websub_verify_within)

    def renew_margin(self, lease: int | None) -> float:
        """Renew this long before the lease ends: a tenth of it, at least a minute (half of
        a lease shorter than two minutes)."""
        seconds = float(lease or self.lease)
        return max(0.1 * seconds, min(60.0, 0.5 * seconds))

    def retry_wait(self, attempts: int) -> float:
        """Wait before asking again after `attempts` failed requests in a row."""
        return min(self.retry_max, max(self.verify_within, 60.0 * 2 ** min(attempts, 20)))


@dataclass(frozen=True)
class Request:
    """A subscription request to send: to `hub`, for `topic`, signed content with `secret`."""

    feed: str
    hub: str
    topic: str
    callback_id: str
    secret: str
    state: str  # "requested" (a new subscription) or "renewing"
    attempts: int = 0  # failed requests before this one


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to a hub's verification GET, and the subscription's new columns."""

    status: int
    body: str = ""
    update: dict[str, Any] = field(default_factory=dict)
    log: str = ""  # one line for the log when the request is refused


def callback_id(feed: str) -> str:
    """The feed's callback path segment: stable, opaque, not the feed URL itself."""
    return hashlib.sha256(feed.encode()).hexdigest()[:24]


def requests_due(
    rows: Sequence[Mapping[str, Any]], now: dt.datetime, policy: WebSubPolicy
) -> list[Request]:
    """The subscription requests to send now, one per feed row (hub_feeds' rows: the feed's
    advertised hub and topic, its subscription's columns prefixed `sub_`)."""
    out = []
    for row in rows:
        request = _due(row, now, policy)
        if request is not None:
            out.append(request)
    return out


def _due(row: Mapping[str, Any], now: dt.datetime, policy: WebSubPolicy) -> Request | None:
    feed, hub, topic = row["url"], row["hub"], row["topic"]
    if not hub or not topic:
        return None
    state = row.get("sub_state")
    if state is None or (row.get("sub_hub"), row.get("sub_topic")) != (hub, topic):
        return Request(feed, hub, topic, callback_id(feed), secrets.token_hex(32), "requested")
    secret, attempts = row["sub_secret"], int(row.get("sub_attempts") or 0)
    if state == "active":
        expires = row.get("sub_expires")
        if expires is None or now >= expires - dt.timedelta(
            seconds=policy.renew_margin(row.get("sub_lease_seconds"))
        ):
            return Request(feed, hub, topic, row["sub_callback_id"], secret, "renewing")
        return None
    requested = row.get("sub_requested") or now
    waited = (now - requested).total_seconds()
    if waited < policy.retry_wait(attempts):
        return None
    again = "renewing" if state == "renewing" and _lease_left(row, now) else "requested"
    # no verification within the wait counts as a failure, as a refusal does
    return Request(feed, hub, topic, row["sub_callback_id"], secret, again, attempts + 1)


def _lease_left(row: Mapping[str, Any], now: dt.datetime) -> bool:
    expires = row.get("sub_expires")
    return expires is not None and expires > now


def verification(
    sub: Mapping[str, Any] | None, query: Mapping[str, str], now: dt.datetime,
    policy: WebSubPolicy,
) -> Answer:
    """The answer to a hub's GET on a callback (section 5.3): the challenge echoed only for
    a subscription awaiting verification whose topic matches; a denial recorded."""
    mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
    if sub is None:
        return Answer(404, "unknown subscription", log="no subscription behind this callback")
    if topic != sub["topic"]:
        return Answer(404, "topic does not match", log=f"topic {topic!r} is not {sub['topic']!r}")
    if mode == "denied":
        reason = " ".join(query.get("hub.reason", "denied by the hub").split())[:300]
        return Answer(200, "", {"state": "denied", "requested": now, "error": reason},
                      log=f"the hub denied the subscription: {reason}")
    if mode != "subscribe" or sub["state"] not in AWAITING:
        return Answer(404, "no such request", log=f"{mode or 'no'} mode not requested")
    challenge = query.get("hub.challenge", "")
    if not challenge:
        return Answer(400, "hub.challenge missing", log="verification without a challenge")
    lease = _int(query.get("hub.lease_seconds")) or sub.get("lease_seconds") or policy.lease
    update = {"state": "active", "lease_seconds": lease, "attempts": 0, "error": None,
              "expires": now + dt.timedelta(seconds=lease)}
    return Answer(200, challenge, update)


def signature_ok(secret: str, header: str | None, body: bytes) -> bool:
    """True when X-Hub-Signature ("sha256=<hex>", sha1/sha384/sha512 too) is the HMAC of
    the body with the secret."""
    method, _, given = (header or "").partition("=")
    digest = _DIGESTS.get(method.strip().lower())
    if digest is None or not given:
        return False
    want = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(want, given.strip().lower())


def _int(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if value > 0 else None
