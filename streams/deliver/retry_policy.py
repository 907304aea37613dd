"""Outbox policy, free of I/O: what a send attempt produced and what happens next.

A sink turns one answer of its destination into a `SendResult` (sent / retry / dead); the
`RetryPolicy` turns a result and the attempt count into the delivery's next state and time.
Both are pure so that every Slack, SMTP and webhook answer can be tested without a server.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from streams.core.outbox import Outcome, State
from streams.core.records import Alert

__all__ = [  # Outcome and State are the outbox's vocabulary (streams.core.outbox)
    "PERMANENT_FLAG", "RETRYABLE", "Message", "Outcome", "RetryPolicy", "SendResult", "Sink",
    "SinkBase", "State", "classify_http", "retry_after_seconds",
]


@dataclass(frozen=True)
class SendResult:
    """One attempt's result, with the reason a person reads in `deliveries list`."""

    outcome: Outcome
    error: str = ""
    status: int | None = None  # HTTP status or SMTP reply code
    retry_after: float | None = None  # seconds the destination asked us to wait
    ref: str | None = None  # the destination's id for the message (Slack ts), or progress
    flag_destination: bool = False  # the destination itself is broken (channel gone, 403)

    @classmethod
    def sent(cls, ref: str | None = None, status: int | None = None) -> SendResult:
        return cls(Outcome.SENT, ref=ref, status=status)

    @classmethod
    def retry(
        cls, error: str, status: int | None = None, retry_after: float | None = None,
        ref: str | None = None,
    ) -> SendResult:
        return cls(Outcome.RETRY, error=error, status=status, retry_after=retry_after, ref=ref)

    @classmethod
    def dead(
        cls, error: str, status: int | None = None, flag: bool = False, ref: str | None = None
    ) -> SendResult:
        return cls(Outcome.DEAD, error=error, status=status, flag_destination=flag, ref=ref)


@dataclass(frozen=True)
class Message:
    """One delivery as a sink sees it: the alert, or a story update of it."""

    delivery_id: int
    destination: str
    alert: Alert
    update: Alert | None = None  # the later article's alert when this is a story update
    thread_ref: str | None = None  # the parent delivery's ref (Slack ts) for a thread reply
    ref: str | None = None  # this delivery's own ref from an earlier attempt (progress)
    attempt: int = 1  # 1-based number of this attempt
    in_doubt: bool = False  # an earlier attempt died mid-send

    @property
    def is_update(self) -> bool:
        return self.update is not None

    @property
    def key(self) -> str:
        """Idempotency key a destination can recognise a resend by."""
        return self.alert.id if self.update is None else f"{self.alert.id}.{self.update.article_id}"


class Sink(Protocol):
    """A destination. `send` never raises for an answer of the destination: it classifies it."""

    name: str
    min_interval: float  # pacing: seconds between two messages to this destination
    threads: bool  # updates need the parent's ref (they become replies)
    digest_window: float  # > 0: send a rule's alerts within this many seconds as one message
    digests: bool  # can send several alerts as one message (a rule's `group` becomes one)
    lines: bool  # writes several messages as separate ones in one go; one answer for all

    async def send(self, messages: Sequence[Message]) -> SendResult:
        """Send one message (or one digest of several, or, on a `lines` sink, several
        messages); classify the destination's answer."""
        ...

    async def reconcile(self, message: Message) -> SendResult | None:
        """After a crash mid-send: does the destination have it? (None: cannot tell)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped; at least Retry-After. Dead after max_attempts
    (None: no count limit), or when an attempt fails at or past `horizon` seconds after the
    first one (None: no time limit); the last retry is moved up to the horizon itself."""

    max_attempts: int | None = 8
    base: float = 2.0  # seconds before the second attempt, before jitter
    cap: float = 900.0
    horizon: float | None = None
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** min(attempt - 1, 64))
        # "equal jitter": half fixed, half random, so retries of many deliveries spread out
        # but never collapse to zero
        wait = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def next_state(
        self, result: SendResult, attempt: int, now: dt.datetime,
        since: dt.datetime | None = None,
    ) -> tuple[State, dt.datetime | None, str]:
        """The delivery's state, next attempt time and error after this attempt's result;
        `since` is when the first attempt began (for the horizon; default: now)."""
        if result.outcome is Outcome.SENT:
            return State.SENT, None, result.error
        if result.outcome is Outcome.DEAD:
            return State.DEAD, None, result.error
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return State.DEAD, None, f"gave up after {attempt} attempts: {result.error}"
        later = now + dt.timedelta(seconds=self.delay(attempt, result.retry_after))
        if self.horizon is not None:
            end = (since or now) + dt.timedelta(seconds=self.horizon)
            if later > end and now < end:
                later = end  # one last attempt when the horizon is reached
            elif later > end:
                return State.DEAD, None, (f"gave up after {attempt} attempts over "
                                          f"{_duration((now - (since or now)).total_seconds())}"
                                          f": {result.error}")
        return State.RETRYING, later, result.error


def _duration(seconds: float) -> str:
    """'3 h 5 min', '4 min', '12 s' for a reason a person reads."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    return f"{rest // 60} min" if rest >= 60 else f"{rest} s"


class SinkBase:
    """Defaults for a Sink: no pacing, no threads, no digest, nothing to reconcile."""

    name: str = ""
    min_interval: float = 0.0
    threads: bool = False
    digest_window: float = 0.0
    digests: bool = False
    # several messages are written as as many separate ones in one go (a line each: the
    # console, a JSONL file), so the dispatcher hands it its due deliveries together; the
    # answer is the batch's (a retry resends them all: the JSONL file skips lines it has)
    lines: bool = False

    async def send(self, messages: Sequence[Message]) -> SendResult:  # pragma: no cover
        raise NotImplementedError

    async def reconcile(self, message: Message) -> SendResult | None:
        """Most destinations cannot be asked; the dispatcher then resends (at most once)."""
        return None

    async def aclose(self) -> None:
        """Nothing to release by default."""


PERMANENT_FLAG = frozenset({401, 403, 404, 410})  # the destination itself is gone or closed
RETRYABLE = frozenset({408, 425, 429})


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """Retry-After in seconds (the delta form; an HTTP date or junk falls back to default)."""
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def classify_http(status: int, what: str, retry_after: str | None = None) -> SendResult:
    """Any HTTP answer other than success: 429/408/5xx retry, 4xx dead (flag 401/403/404/410)."""
    error = f"{what}: HTTP {status}"
    if status == 429:
        after = retry_after_seconds(retry_after)
        return SendResult.retry(f"{error}, retry after {after:g} s", status, after)
    if status in RETRYABLE or status >= 500:
        wait = retry_after_seconds(retry_after) if retry_after is not None else None
        return SendResult.retry(error, status, wait)
    return SendResult.dead(error, status, flag=status in PERMANENT_FLAG)
