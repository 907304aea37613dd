"""Operator alerts about the rules folder itself: gone or emptied (the last good rules stay
in force), and back. Ordinary Alert records made by
streams/deliver/operator_alerts.py, so they travel the normal alert path; one per episode."""

from __future__ import annotations

import datetime as dt
from typing import Any

from streams.core.records import Alert
from streams.deliver.operator_alerts import operator_alert

FOLDER_PROBLEM, FOLDER_BACK = "rules-folder-problem", "rules-folder-back"


def folder_alert(
    problem: str | None, previous: str | None, since: dt.datetime, now: dt.datetime,
    settings: Any = None,
) -> Alert:
    """The alert for a change of the folder's state: `problem` (e.g. 'rules folder missing:
    /srv/rules') since `since`, or, with problem None, the end of `previous`. Made and
    routed like every operator alert (streams/deliver/operator_alerts.py)."""
    if problem:
        message = f"{problem}; the last good rules stay in force until it is back"
    else:
        message = f"rules folder back after: {previous}"
    return operator_alert(
        FOLDER_PROBLEM if problem else FOLDER_BACK,
        "rules folder",
        message,
        severity="high" if problem else "info",
        now=now,
        episode=f"{problem or previous or ''} {since.isoformat(timespec='seconds')}",
        settings=settings,
    )
