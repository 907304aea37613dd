"""Webhook sink: each alert (or story update) as a JSON POST, signed with HMAC-SHA256.

The receiver checks `X-Newswatch-Signature: sha256=<hex>` over "<timestamp>.<body>" with the
shared secret (the timestamp, in `X-Newswatch-Timestamp`, stops replays), and can drop a
resend by `X-Newswatch-Key`. Any 2xx is sent; 429/408/5xx, timeouts and resets retry; other
4xx are dead (401/403/404/410 also flag the destination).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence

import httpx

from streams.config.settings import Settings
from streams.deliver.render import json_record
from streams.deliver.retry_policy import Message, SendResult, SinkBase, classify_http
from streams.deliver.sink_kinds import Destination


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Newswatch-Signature for this body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSink(SinkBase):
    """POSTs `render.json_record` to a URL with an HMAC signature."""

    def __init__(self, url: str, secret: str, timeout: float = 15.0, name: str = "webhook"):
        self.name = name
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def send(self, messages: Sequence[Message]) -> SendResult:
        (message,) = messages
        body = json.dumps(json_record(message.alert, message.update), ensure_ascii=False,
                          sort_keys=True).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Newswatch-Key": message.key,
                   "X-Newswatch-Timestamp": stamp,
                   "X-Newswatch-Signature": signature(self._secret, stamp, body)}
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            resp = await self._client.post(self._url, content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult.retry(f"webhook: no answer within {self._timeout:g} s")
        except httpx.TransportError as exc:
            # the URL may carry a token: name the error, never the URL
            return SendResult.retry(f"webhook: {type(exc).__name__}")
        if 200 <= resp.status_code < 300:
            return SendResult.sent(status=resp.status_code)
        return classify_http(resp.status_code, "webhook", resp.headers.get("Retry-After"))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def build(dest: Destination, settings: Settings) -> WebhookSink:
    """The sink of a webhook destination (streams/deliver/sink_kinds.py WebhookKind)."""
    url, secret = dest.secret("url"), dest.secret("secret")
    assert url and secret  # the kind requires both
    return WebhookSink(url, secret, settings.delivery_timeout, name=dest.name)
