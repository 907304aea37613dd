"""Build the configured sinks from the settings: destination name -> Sink.

Only what is configured exists (streams/deliver/routing.py decides): the built-in "console"
(NEWSWATCH_CONSOLE_ALERTS), "jsonl" (NEWSWATCH_ALERTS_JSONL), "slack"
(NEWSWATCH_SLACK_WEBHOOK_URL, or NEWSWATCH_SLACK_BOT_TOKEN + NEWSWATCH_SLACK_CHANNEL for
threads), "email" (NEWSWATCH_SMTP_HOST + NEWSWATCH_SMTP_TO), "webhook" (NEWSWATCH_WEBHOOK_URL
+ NEWSWATCH_WEBHOOK_SECRET), and every named destination of NEWSWATCH_DESTINATIONS. Secrets
come from the environment and are never logged: their values are redacted from the records
of httpx (which logs each request's URL, and a Slack webhook URL is a secret) and of the
dispatcher. No I/O happens here: clients connect on first send.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from streams.config.settings import Settings
from streams.deliver.retry_policy import RetryPolicy, Sink
from streams.deliver.routing import BUILTIN, Destination, destinations

DESTINATIONS = BUILTIN
# a filter sees only its own logger's records
REDACTED_LOGGERS = ("httpx", "streams.deliver.dispatcher")


def build_sinks(settings: Settings) -> dict[str, Sink]:
    """The sinks these settings configure, by destination name."""
    dests = destinations(settings)
    redact(s.get_secret_value() for d in dests.values() for s in d.secrets.values())
    return {name: make_sink(d, settings) for name, d in dests.items()}


def retry_policies(settings: Settings) -> dict[str, RetryPolicy]:
    """Each remote destination's retry policy by name: email retries for hours (mail servers
    are down for minutes at a time and keep mail for days), Slack and webhooks for less
    (an alert an hour late is stale); console and JSONL keep the default attempt count."""
    by_kind = {
        "email": (settings.email_retry_horizon, settings.email_retry_cap),
        "slack": (settings.slack_retry_horizon, settings.slack_retry_cap),
        "webhook": (settings.webhook_retry_horizon, settings.webhook_retry_cap),
    }
    out = {}
    for name, dest in destinations(settings).items():
        if dest.kind in by_kind:
            horizon, cap = by_kind[dest.kind]
            out[name] = RetryPolicy(max_attempts=None, cap=cap, horizon=horizon)
    return out


def make_sink(dest: Destination, settings: Settings) -> Sink:
    """The sink for one destination; options it does not give default to the flat settings."""
    opt = dest.options
    if dest.kind == "console":
        from streams.deliver.sinks.console import ConsoleSink

        return ConsoleSink(dest.name)
    if dest.kind == "jsonl":
        from streams.deliver.sinks.jsonl import JsonlSink

        return JsonlSink(Path(opt["path"]), dest.name)
    if dest.kind == "slack":
        from streams.deliver.sinks.slack import SlackSink

        token, channel = dest.secret("bot_token"), opt.get("channel")
        return SlackSink(
            webhook_url=None if token and channel else dest.secret("webhook_url"),
            bot_token=token, channel=channel, name=dest.name,
            api_url=opt.get("api_url", settings.slack_api_url), timeout=settings.delivery_timeout,
            min_interval=opt.get("min_interval", settings.slack_min_interval),
        )
    if dest.kind == "email":
        from streams.deliver.sinks.smtp import SmtpSink

        security = opt.get("security", "none")
        ca_file = opt.get("ca_file", settings.smtp_ca_file)
        ctx = None
        if security != "none":
            ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        return SmtpSink(
            opt["host"], opt.get("port", 25), opt["to"], opt.get("from", settings.smtp_from),
            security=security, user=opt.get("user"), password=dest.secret("password"),
            timeout=settings.delivery_timeout, ssl_context=ctx, name=dest.name,
            digest_window=opt.get("digest_window", settings.smtp_digest_window),
        )
    if dest.kind == "webhook":
        from streams.deliver.sinks.webhook import WebhookSink

        url, secret = dest.secret("url"), dest.secret("secret")
        assert url and secret  # routing refuses a webhook without both
        return WebhookSink(url, secret, settings.delivery_timeout, name=dest.name)
    raise ValueError(f"destination {dest.name!r}: unknown kind {dest.kind!r}")


class RedactSecrets(logging.Filter):
    """Replaces every known secret (and a secret URL's path) in a log record by '***'."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, value: str) -> None:
        if len(value) < 4:
            return  # too short to redact without mangling every message
        self.secrets.add(value)
        try:
            path = urlsplit(value).path
        except ValueError:
            return
        if len(path) >= 8:  # httpx may print a URL normalised; its path is the secret part
            self.secrets.add(path)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = message
        for secret in sorted(self.secrets, key=len, reverse=True):
            clean = clean.replace(secret, "***")
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_REDACT = RedactSecrets()


def redact(values: Iterable[str]) -> None:
    """Keep these secret values out of the logs of httpx and of delivery (idempotent)."""
    for value in values:
        _REDACT.add(value)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)
