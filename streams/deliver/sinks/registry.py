"""Build the configured sinks from the settings: destination name -> Sink.

The destinations are those the sink kinds (streams/deliver/sink_kinds.py) find configured:
each kind's built-in one from the flat NEWSWATCH_* settings (console, jsonl, slack, email,
webhook) and every named destination of NEWSWATCH_DESTINATIONS. Each is built by its kind's
module (`build(destination, settings)`, e.g. streams/deliver/sinks/slack.py), so a new kind
changes nothing here. Secrets come from the environment and are never logged: their values
are redacted from the records of httpx (which logs each request's URL, and a Slack webhook
URL is a secret) and of the dispatcher. No I/O happens here: clients connect on first send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import import_module
from urllib.parse import urlsplit

from streams.config.settings import Settings
from streams.deliver.retry_policy import RetryPolicy, Sink
from streams.deliver.sink_kinds import KINDS, Destination, destinations

# a filter sees only its own logger's records
REDACTED_LOGGERS = ("httpx", "streams.deliver.dispatcher")


def build_sinks(settings: Settings) -> dict[str, Sink]:
    """The sinks these settings configure, by destination name."""
    dests = destinations(settings)
    redact(s.get_secret_value() for d in dests.values() for s in d.secrets.values())
    return {name: make_sink(d, settings) for name, d in dests.items()}


def retry_policies(settings: Settings) -> dict[str, RetryPolicy]:
    """Each remote destination's retry policy by name, from its kind's horizon and cap
    settings: email retries for hours (mail servers are down for minutes at a time and keep
    mail for days), Slack and webhooks for less (an alert an hour late is stale); console
    and JSONL keep the default attempt count."""
    out = {}
    for name, dest in destinations(settings).items():
        retry = KINDS[dest.kind].retry
        if retry is not None:
            horizon, cap = (getattr(settings, setting) for setting in retry)
            out[name] = RetryPolicy(max_attempts=None, cap=cap, horizon=horizon)
    return out


def make_sink(dest: Destination, settings: Settings) -> Sink:
    """The sink for one destination, built by its kind's module."""
    kind = KINDS.get(dest.kind)
    if kind is None:
        raise ValueError(f"destination {dest.name!r}: unknown kind {dest.kind!r}")
    sink: Sink = import_module(kind.module).build(dest, settings)
    return sink


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
