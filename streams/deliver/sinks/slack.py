"""Slack sink: incoming webhook, or a bot token with chat.postMessage for story threads.

What counts (Slack's documented answers): a webhook delivery is sent only on 200 with body
`ok`; chat.postMessage only on `{"ok": true}` (its `ts` is kept so updates reply in the
thread). 429 waits at least Retry-After; 400/403/404/410 and channel/token errors are
permanent (403/404/410 and channel/token errors flag the destination); 5xx, timeouts and
resets retry. In bot mode each message carries its key in Slack message metadata, so after
a crash or a timeout the channel is searched before sending again: no duplicate post.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from streams.config.settings import Settings
from streams.deliver.render import slack_alert, slack_digest, slack_update
from streams.deliver.retry_policy import Message, SendResult, SinkBase, classify_http
from streams.deliver.sink_kinds import KINDS, Destination

# chat.postMessage `error` values that mean the channel or token is unusable
FLAG_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
    "token_revoked", "account_inactive", "access_denied", "missing_scope",
})
RETRY_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
})


class SlackSink(SinkBase):
    """Posts Block Kit messages; `threads` (bot mode) makes story updates thread replies."""

    def __init__(
        self, *, webhook_url: str | None = None, bot_token: str | None = None,
        channel: str | None = None, api_url: str = "https://slack.com/api",
        timeout: float = 15.0, min_interval: float = 1.0, name: str = "slack",
    ) -> None:
        if not webhook_url and not (bot_token and channel):
            raise ValueError("slack needs a webhook URL, or a bot token and a channel")
        self.name = name
        self._webhook_url = webhook_url
        self._token = bot_token
        self.channel = channel
        self.api_url = api_url.rstrip("/")
        self.threads = bool(bot_token and channel)
        self.digests = True  # a rule's `group` is one message (render.slack_digest)
        self.min_interval = min_interval
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, messages: Sequence[Message]) -> SendResult:
        """One alert or update; several (a rule's `group`) as one message listing them."""
        try:
            if self.threads:  # an earlier try may have landed: look before resending
                found, messages = await self._not_landed(messages)
                if not messages:
                    assert found is not None
                    return found
            message = messages[0]
            if len(messages) > 1:
                payload = slack_digest([m.alert for m in messages])
            elif message.update is not None:
                payload = slack_update(message.alert, message.update)
            else:
                payload = slack_alert(message.alert)
            if self.threads:
                return await self._post_message(payload, message.thread_ref)
            return await self._post_webhook(payload)
        except httpx.TimeoutException:
            return SendResult.retry(f"slack: no answer within {self._timeout:g} s")
        except httpx.TransportError as exc:  # refused, reset, DNS: nothing to classify
            return SendResult.retry(f"slack: {type(exc).__name__}: {exc}")

    async def _not_landed(
        self, messages: Sequence[Message]
    ) -> tuple[SendResult | None, list[Message]]:
        """What the channel already has (the last one found) and the messages still owed."""
        found, owed = None, []
        for m in messages:
            hit = await self.reconcile(m) if m.attempt > 1 else None
            if hit is None:
                owed.append(m)
            else:
                found = hit
        return found, owed

    async def _post_webhook(self, payload: dict[str, Any]) -> SendResult:
        assert self._webhook_url is not None
        payload = {k: v for k, v in payload.items() if k != "metadata"}  # webhooks refuse it
        resp = await self.client.post(self._webhook_url, json=payload)
        body = resp.text.strip()
        if resp.status_code == 200 and body == "ok":
            return SendResult.sent(status=200)
        if resp.status_code == 200:  # documented answers are "ok" or an error: not sent
            return SendResult.retry(f"slack webhook: 200 with body {body[:80]!r}", 200)
        result = classify_http(resp.status_code, "slack webhook", resp.headers.get("Retry-After"))
        return _with_body(result, body)

    async def _post_message(self, payload: dict[str, Any], thread_ts: str | None) -> SendResult:
        body = dict(payload, channel=self.channel)
        if thread_ts:
            body["thread_ts"] = thread_ts
        resp = await self.client.post(
            f"{self.api_url}/chat.postMessage", json=body, headers=self._auth())
        if resp.status_code != 200:
            result = classify_http(resp.status_code, "slack chat.postMessage",
                                   resp.headers.get("Retry-After"))
            return _with_body(result, resp.text.strip())
        try:
            data = resp.json()
        except ValueError:
            return SendResult.retry(f"slack chat.postMessage: not JSON: {resp.text[:80]!r}", 200)
        if data.get("ok") is True:
            return SendResult.sent(ref=str(data.get("ts") or ""), status=200)
        error = str(data.get("error") or "unknown_error")
        what = f"slack chat.postMessage: {error}"
        if error in RETRY_ERRORS:
            return SendResult.retry(what, 200)
        return SendResult.dead(what, 200, flag=error in FLAG_ERRORS)

    async def reconcile(self, message: Message) -> SendResult | None:
        """Bot mode: search the channel (or the thread) for a message carrying our key."""
        if not self.threads:
            return None
        params: dict[str, Any] = {"channel": self.channel, "include_all_metadata": "true",
                                  "limit": 200}
        method = "conversations.history"
        if message.update is not None and message.thread_ref:
            method, params["ts"] = "conversations.replies", message.thread_ref
        try:
            resp = await self.client.get(
                f"{self.api_url}/{method}", params=params, headers=self._auth())
            data = resp.json() if resp.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return None
        for msg in data.get("messages") or []:
            meta = (msg.get("metadata") or {}).get("event_payload") or {}
            if meta.get("key") == message.key or message.key in (meta.get("keys") or ()):
                return SendResult.sent(ref=str(msg.get("ts") or ""), status=200)
        return None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


def _with_body(result: SendResult, body: str) -> SendResult:
    """Add Slack's error word (invalid_payload, channel_not_found) to the reason."""
    if not body:
        return result
    return SendResult(result.outcome, f"{result.error} {body[:80]}", result.status,
                      result.retry_after, result.ref, result.flag_destination)


def build(dest: Destination, settings: Settings) -> SlackSink:
    """The sink of a slack destination (streams/deliver/sink_kinds.py SlackKind): bot mode
    when it has a token and a channel (threads), else its incoming webhook."""
    kind = KINDS["slack"]
    token, channel = dest.secret("bot_token"), dest.options.get("channel")
    return SlackSink(
        webhook_url=None if token and channel else dest.secret("webhook_url"),
        bot_token=token, channel=channel, name=dest.name,
        api_url=kind.option(dest, "api_url", settings), timeout=settings.delivery_timeout,
        min_interval=kind.option(dest, "min_interval", settings),
    )
