"""Which status an alert shows (the words are streams/core/alert_status.py's): acknowledged
or backfilled as stored; silenced when not acknowledged and its deliveries were held or an
active silence matches it now; new otherwise. The store reads the facts
(streams.store.views.silencing_facts); the CLI, the API and the dashboard ask a Judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from streams.core.alert_status import ACKNOWLEDGED, BACKFILLED, NEW, SILENCED, STORED_ACKED


class Judge:
    """Gives each alert row its shown status, from the ids of alerts with held deliveries
    and the silences active now (read once)."""

    def __init__(self, held: Iterable[str], active: Sequence[Any]) -> None:
        self.held = set(held)
        self.active = list(active)

    def status(self, row: Any, alert: Any = None) -> str:
        """new, acknowledged, silenced or backfilled for an alert row of the store."""
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
