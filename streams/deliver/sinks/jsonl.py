"""JSONL sink: one JSON object per alert (or story update) appended to a file.

A resend after a crash must not duplicate a line, so the sink remembers the keys already in
the file (read once, lazily) and skips a message whose key is there. Lines are written with
one write() and fsync'd before the delivery counts as sent.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from streams.config.settings import Settings
from streams.deliver.render import json_record
from streams.deliver.retry_policy import Message, SendResult, SinkBase
from streams.deliver.sink_kinds import Destination


class JsonlSink(SinkBase):
    """Appends `render.json_record` lines to `path`; idempotent by the record's key."""

    lines = True  # its due deliveries written together (SinkBase.lines)

    def __init__(self, path: Path, name: str = "jsonl") -> None:
        self.name = name
        self.path = Path(path)
        self._keys: set[str] = set()
        self._read_to = 0  # bytes of the file whose keys are in _keys

    def _read_new_keys(self, fh: BinaryIO) -> None:
        # several workers may append to one file: read what others wrote since our last look
        fh.seek(self._read_to)
        for raw in fh:
            try:
                self._keys.add(json.loads(raw)["key"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a crash, or a foreign line
        self._read_to = fh.tell()

    def _append(self, messages: Sequence[Message]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as fh:
            # one writer at a time, across processes: check-then-append stays atomic
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                if fh.seek(0, os.SEEK_END) < self._read_to:  # truncated or replaced
                    self._keys, self._read_to = set(), 0
                self._read_new_keys(fh)
                lines = [
                    json.dumps(json_record(m.alert, m.update), ensure_ascii=False) + "\n"
                    for m in messages
                    if m.key not in self._keys
                ]
                if not lines:
                    return
                prefix = "\n" if _torn_tail(self.path) else ""  # keep our line whole
                fh.seek(0, os.SEEK_END)
                fh.write((prefix + "".join(lines)).encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
                self._keys.update(m.key for m in messages)
                self._read_to = fh.tell()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

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


def build(dest: Destination, settings: Settings) -> JsonlSink:
    """The sink of a jsonl destination (streams/deliver/sink_kinds.py JsonlKind)."""
    return JsonlSink(Path(dest.options["path"]), dest.name)
