"""The rules page's data: every loaded rule (file, kind, severity, last fired, alerts per day
over the last 30 days) and the load errors of the rule files, with file and line.

The rulebook belongs to the rules stage; this module only reads it, through the few
attributes below, so that a new field there does not break the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from streams.core.clock import day_start
from streams.store import Store, views
from streams.web.queries import aware, iso

if TYPE_CHECKING:  # read through getattr only (see above)
    from streams.evaluate.hot_reload import RulebookHolder

DAYS = 30
CHART_W, CHART_H = 120, 24


class RuleInfo(TypedDict):
    """A loaded rule as plain data."""

    id: str
    file: str
    line: int | None
    kind: str
    severity: str
    name: str
    description: str
    enabled: bool


class Bar(TypedDict):
    x: float
    y: float
    w: float
    h: float
    n: int  # alerts that day


class Chart(TypedDict):
    width: int
    height: int
    bars: list[Bar]
    max: int


class RuleRow(RuleInfo):
    """A rule on the rules page and in /api/rules: what it is and how often it fired."""

    last_fired: str | None
    per_day: list[int]
    alerts_30d: int
    chart: Chart


class RuleLoadError(TypedDict):
    file: str
    line: int | None
    field: str
    message: str
    text: str


class RulesOverview(TypedDict):
    rules: list[RuleRow]
    errors: list[RuleLoadError]
    days: int


def _text(value: object) -> str:
    if value is None:
        return ""
    name = getattr(value, "name", None)  # a kind object or an enum
    return str(name if isinstance(name, str) else value)


def describe_rule(rule: object) -> RuleInfo:
    """A loaded rule as plain data: id, file, line, kind, severity, description."""
    file = next((getattr(rule, a) for a in ("file", "path", "source_file") if
                 getattr(rule, a, None)), "")
    return {
        "id": _text(getattr(rule, "id", "")),
        "file": str(file),
        "line": getattr(rule, "line", None),
        "kind": _text(getattr(rule, "kind", "")) or type(rule).__name__,
        "severity": _text(getattr(rule, "severity", "")),
        "name": _text(getattr(rule, "name", "")),
        "description": _text(getattr(rule, "description", "")),
        "enabled": bool(getattr(rule, "enabled", True)),
    }


def _flatten(errors: object) -> Iterable[object]:
    if isinstance(errors, Mapping):
        for value in errors.values():
            yield from _flatten(value)
    elif isinstance(errors, list | tuple | set | frozenset):
        for value in errors:
            yield from _flatten(value)
    elif errors:
        yield errors


def describe_error(error: object) -> RuleLoadError:
    """A load error (RuleError or text) as {'file', 'line', 'field', 'message', 'text'}."""
    return {
        "file": str(getattr(error, "file", "") or ""),
        "line": getattr(error, "line", None),
        "field": str(getattr(error, "field", "") or ""),
        "message": str(getattr(error, "message", "") or error),
        "text": str(error),
    }


def holder_errors(holder: RulebookHolder) -> list[RuleLoadError]:
    """The last load errors a RulebookHolder keeps (per file or as a list)."""
    for name in ("errors", "last_errors", "load_errors"):
        errors = getattr(holder, name, None)
        if errors:
            return [describe_error(e) for e in _flatten(errors)]
    return []


def holder_rules(holder: RulebookHolder) -> list[object]:
    """The rules a RulebookHolder has loaded."""
    rulebook = getattr(holder, "rulebook", None)
    rules = getattr(rulebook, "rules", None)
    if rules is None:
        return []
    return list(rules.values() if isinstance(rules, Mapping) else rules)


def chart(counts: list[int]) -> Chart:
    """Bars of an inline SVG: x, y, width, height per day (drawn without any script)."""
    top = max(counts) if counts else 0
    width = CHART_W / max(1, len(counts))
    bars: list[Bar] = []
    for i, n in enumerate(counts):
        height = 0.0 if top == 0 else max(1.0, (CHART_H - 2) * n / top)
        bars.append({"x": round(i * width, 2), "y": round(CHART_H - height, 2),
                     "w": round(max(1.0, width - 1), 2), "h": round(height, 2), "n": n})
    return {"width": CHART_W, "height": CHART_H, "bars": bars, "max": top}


async def fired(
    store: Store, now: dt.datetime
) -> tuple[dict[str, dt.datetime], dict[str, list[int]]]:
    """rule id -> last alert time, and rule id -> alerts per day over the last DAYS days."""
    first = (now - dt.timedelta(days=DAYS - 1)).date()
    last, recent = await views.rule_firings(store, day_start(first))
    per_day: dict[str, list[int]] = {}
    for rule_id, created in recent:
        moment = aware(created)
        if moment is None:
            continue
        index = (moment.date() - first).days
        if 0 <= index < DAYS:
            per_day.setdefault(rule_id, [0] * DAYS)[index] += 1
    return last, per_day


def short_path(file: str, folder: str | Path | None) -> str:
    """A rule file named from its folder ('rules/war.yaml'), not by a long absolute path."""
    if not file or folder is None:
        return file
    try:
        return str(Path(file).resolve().relative_to(Path(folder).resolve().parent))
    except (ValueError, OSError):
        return file


async def rules_overview(
    store: Store, holder: RulebookHolder, now: dt.datetime
) -> RulesOverview:
    """{'rules': [...], 'errors': [...], 'days': DAYS} for the rules page and /api/rules."""
    last, per_day = await fired(store, now)
    folder = getattr(holder, "folder", None)
    out: list[RuleRow] = []
    for rule in holder_rules(holder):
        info = describe_rule(rule)
        info["file"] = short_path(info["file"], folder)
        counts = per_day.get(info["id"], [0] * DAYS)
        out.append(RuleRow(**info, last_fired=iso(last.get(info["id"])), per_day=counts,
                           alerts_30d=sum(counts), chart=chart(counts)))
    out.sort(key=lambda r: (r["file"], r["id"]))
    errors = holder_errors(holder)
    for error in errors:
        error["file"] = short_path(error["file"], folder)
    return {"rules": out, "errors": errors, "days": DAYS}
