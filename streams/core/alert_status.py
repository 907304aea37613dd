"""The words for an alert's state, the same in the store, the CLI, the API and the
dashboard.

Status as shown: `new`, `acknowledged` (someone is on it; stored as "acked"), `silenced`
(not acknowledged, and its deliveries were held or an active silence matches it now),
`backfilled` (recorded by `newswatch rules backfill` without --deliver, never sent).
Alerts stored as "covered" (a story whose article already raised that rule's alert) are
never sent nor listed, so they have no shown status. Which status an alert shows is
decided in streams/deliver/alert_status.py.
"""

from __future__ import annotations

NEW, ACKNOWLEDGED, SILENCED = "new", "acknowledged", "silenced"
BACKFILLED = "backfilled"  # recorded by `rules backfill` without --deliver: never sent
STATUSES = (NEW, ACKNOWLEDGED, SILENCED, BACKFILLED)  # as shown
STORED_ACKED = "acked"  # the store's value for an acknowledged alert
COVERED = "covered"  # stored: its story's article already raised the rule's alert


def shown(stored: str) -> str:
    """The status shown for a stored one when nothing else is known (acked -> acknowledged)."""
    return ACKNOWLEDGED if stored == STORED_ACKED else stored
