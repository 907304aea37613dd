"""The words for an alert's state and severity, the same in the CLI, the API and the
dashboard.

Status as shown: `new`, `acknowledged` (someone is on it; stored as "acked"), `silenced`
(not acknowledged, and its deliveries were held or an active silence matches it now),
`backfilled` (recorded by `newswatch rules backfill` without --deliver, never sent).
Alerts stored as "covered" (a story whose article already raised that rule's alert) are
never sent nor listed, so they have no shown status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# light on imports: the CLI's option choices read these at start
NEW, ACKNOWLEDGED, SILENCED = "new", "acknowledged", "silenced"
BACKFILLED = "backfilled"  # recorded by `rules backfill` without --deliver: never sent
STATUSES = (NEW, ACKNOWLEDGED, SILENCED, BACKFILLED)
# streams.evaluate.rulebook.SEVERITIES, critical first as lists show them (a test keeps them equal)
SEVERITIES = ("critical", "high", "medium", "low", "info")
STORED_ACKED = "acked"  # the store's value for an acknowledged alert


class Judge:
    """Gives each alert row its shown status, from the held deliveries and the silences
    active now (read once)."""

    def __init__(self, held: set[str], active: Sequence[Any]) -> None:
        self.held = held
        self.active = list(active)

    @classmethod
    async def read(cls, conn: Any) -> Judge:
        import sqlalchemy as sa

        from streams.store import utcnow
        from streams.store.deliveries import aware
        from streams.store.schema import deliveries, silences

        held = set((await conn.execute(
            sa.select(deliveries.c.alert_id).where(deliveries.c.state == "held").distinct()
        )).scalars().all())
        now = utcnow()
        active = [s for s in (await conn.execute(sa.select(silences))).all()
                  if (aware(s.until) or now) > now]
        return cls(held, active)

    def status(self, row: Any, alert: Any = None) -> str:
        """new, acknowledged or silenced for an alert row of the store."""
        if row.status == STORED_ACKED:
            return ACKNOWLEDGED
        if row.status == BACKFILLED:
            return BACKFILLED
        if row.id in self.held:
            return SILENCED
        if self.active:
            from streams.core.alert_json import alert_from_json
            from streams.deliver.silencing import matches

            alert = alert if alert is not None else alert_from_json(row.payload)
            if any(matches(s, alert) for s in self.active):
                return SILENCED
        return NEW
