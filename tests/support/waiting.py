"""Waiting for something a test cannot be told about (a child process's progress, a loopback
server's request, a watcher's reload): poll a predicate against a deadline in real seconds,
not a count of sleeps, which a loaded machine stretches, so a step that hangs names itself
before the test's own timeout. `wait_for` blocks (a test beside a child process); `until`
awaits, so the event loop keeps serving the loopback fakes the wait is about.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


def tail(log: Path, chars: int = 3000) -> str:
    """The end of a child process's log, for a failure message."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, *, every: float = 0.1,
             proc: subprocess.Popen[Any] | None = None, log: Path | None = None) -> Any:
    """Poll `predicate` every `every` s until truthy and return its value; fail when time
    runs out or when `proc` (the child the wait is on) has exited, with the end of `log`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited early:\n{tail(log) if log else ''}")
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{tail(log)}" if log else ""))


async def until(predicate: Callable[[], Any], timeout: float, what: str,
                alive: Callable[[], None] | None = None, *, every: float = 0.25) -> Any:
    """Poll `predicate` (a function, or one returning an awaitable) every `every` s until
    truthy and return its value; `alive` is called first each time (it raises when the
    service the wait is on has died)."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None:
            alive()
        value = predicate()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(every)
