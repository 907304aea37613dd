"""The outbox's vocabulary: a delivery row's states, an attempt's outcomes, the row the
deliver stage asks the store to write, and what the store tells it about a digest group.
Plain values: the deliver stage decides them (streams/deliver/record.py), the store keeps
and queries them (streams/store/alerts.py, streams/store/deliveries.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What one attempt produced."""

    SENT = "sent"  # the destination confirmed it
    RETRY = "retry"  # a transient failure: try again later
    DEAD = "dead"  # a permanent refusal: never try again
    IN_DOUBT = "in_doubt"  # the sender died mid-send; the destination may or may not have it


class State(StrEnum):
    """A delivery row's state."""

    PENDING = "pending"
    SENDING = "sending"  # an attempt is in flight; found after a crash it means "in doubt"
    SENT = "sent"
    RETRYING = "retrying"
    DEAD = "dead"
    HELD = "held"  # silenced: recorded, not sent (until released by `deliveries retry`)


OPEN = (State.PENDING, State.RETRYING)



@dataclass(frozen=True)
class OutboxRow:
    """One delivery to write: to which destination, in which state, due when, and the
    rule's digest group it waits with (None: not grouped)."""

    destination: str
    state: State
    next_attempt: dt.datetime
    error: str | None = None  # why it is held (the silence), shown in `deliveries list`
    group_key: str | None = None


@dataclass(frozen=True)
class GroupState:
    """A digest group's deliveries at one destination, as the store finds them: the
    earliest due of its open ones, its last digest sent, and how many are in flight."""

    open_due: dt.datetime | None = None
    last_sent: dt.datetime | None = None
    sending: int = 0
