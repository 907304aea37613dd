"""Console sink: one line per alert on stdout, naming rule id, headline and the event."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from streams.config.settings import Settings
from streams.deliver.render import console_line
from streams.deliver.retry_policy import Message, SendResult, SinkBase
from streams.deliver.sink_kinds import Destination


class ConsoleSink(SinkBase):
    """Prints alerts and story updates, one line each; a closed stdout is a retry, not a loss."""

    lines = True  # its due deliveries written together (SinkBase.lines)

    def __init__(self, name: str = "console", stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, messages: Sequence[Message]) -> SendResult:
        stream = self._stream or sys.stdout  # looked up late so tests' capture applies
        try:
            for m in messages:
                print(console_line(m.alert, m.update), file=stream, flush=True)
        except (OSError, ValueError) as exc:  # ValueError: write to a closed file
            return SendResult.retry(f"console: {exc}")
        return SendResult.sent()


def build(dest: Destination, settings: Settings) -> ConsoleSink:
    """The sink of a console destination (streams/deliver/sink_kinds.py ConsoleKind)."""
    return ConsoleSink(dest.name)
