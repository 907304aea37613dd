"""The alert severities, the one list every stage, sink, command and page uses."""

from __future__ import annotations

SEVERITIES = ("info", "low", "medium", "high", "critical")  # least severe first
MOST_SEVERE_FIRST = tuple(reversed(SEVERITIES))  # as lists and filters show them
