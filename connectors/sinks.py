"""Build the configured sinks from the settings: destination name -> Sink.

Only what is configured exists: "console" (NEWSWATCH_CONSOLE_ALERTS), "jsonl"
(NEWSWATCH_ALERTS_JSONL), "slack" (NEWSWATCH_SLACK_WEBHOOK_URL, or NEWSWATCH_SLACK_BOT_TOKEN +
NEWSWATCH_SLACK_CHANNEL for threads), "email" (NEWSWATCH_SMTP_HOST + NEWSWATCH_SMTP_TO),
"webhook" (NEWSWATCH_WEBHOOK_URL + NEWSWATCH_WEBHOOK_SECRET). Secrets come from the
environment through Settings and are never logged. No I/O happens here: clients connect on
first send.
"""

from __future__ import annotations

from streams.outbox import Sink
from streams.settings import Settings

DESTINATIONS = ("console", "jsonl", "slack", "email", "webhook")


def build_sinks(settings: Settings) -> dict[str, Sink]:
    """The sinks these settings configure, by destination name."""
    sinks: dict[str, Sink] = {}
    if settings.console_alerts:
        from connectors.console import ConsoleSink

        sinks["console"] = ConsoleSink()
    if settings.alerts_jsonl is not None:
        from connectors.jsonl import JsonlSink

        sinks["jsonl"] = JsonlSink(settings.alerts_jsonl)
    if settings.slack_webhook_url or (settings.slack_bot_token and settings.slack_channel):
        from connectors.slack import SlackSink

        sinks["slack"] = SlackSink.from_settings(settings)
    if settings.smtp_host and settings.smtp_to:
        from connectors.smtp import SmtpSink

        sinks["email"] = SmtpSink.from_settings(settings)
    if settings.webhook_url and settings.webhook_secret:
        from connectors.webhook import WebhookSink

        sinks["webhook"] = WebhookSink.from_settings(settings)
    return sinks
