"""JSONL sink: one JSON object per alert (or story update) appended to a file.

A resend after a crash must not duplicate a line, so the sink remembers the keys already in
the file (read once, lazily) and skips a message whose key is there. Lines are written with
one write() and fsync'd before the delivery counts as sent.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path

from streams.outbox import Message, SendResult, SinkBase
from streams.render import json_record


class JsonlSink(SinkBase):
    """Appends `render.json_record` lines to `path`; idempotent by the record's key."""

    def __init__(self, path: Path, name: str = "jsonl") -> None:
        self.name = name
        self.path = Path(path)
        self._keys: set[str] | None = None

    def _load_keys(self) -> set[str]:
        keys: set[str] = set()
        if self.path.exists():
            with self.path.open("rb") as fh:
                for raw in fh:
                    try:
                        keys.add(json.loads(raw)["key"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn last line from a crash, or a foreign line
        return keys

    def _append(self, messages: Sequence[Message]) -> None:
        if self._keys is None:
            self._keys = self._load_keys()
        lines = []
        for m in messages:
            if m.key in self._keys:
                continue
            lines.append(json.dumps(json_record(m.alert, m.update), ensure_ascii=False) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prefix = "\n" if _torn_tail(self.path) else ""  # keep our line whole
        with self.path.open("ab") as fh:
            fh.write((prefix + "".join(lines)).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        self._keys.update(m.key for m in messages)

    async def send(self, messages: Sequence[Message]) -> SendResult:
        try:
            await asyncio.to_thread(self._append, messages)
        except OSError as exc:
            return SendResult.retry(f"cannot append to {self.path}: {exc}")
        return SendResult.sent()



def _torn_tail(path: Path) -> bool:
    """True when a crash mid-write left a last line without its newline."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"
