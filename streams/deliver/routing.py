"""Routing by severity, free of I/O (as Alertmanager's route tree): which of the configured
destinations an alert goes to.

A destination is a name an operator chose ("slack-ops", "email-desk") with a kind and its
options, given as JSON in NEWSWATCH_DESTINATIONS; what each kind accepts, and the built-in
destinations the flat NEWSWATCH_* settings configure (console, jsonl, slack, email,
webhook), are declared by the sink kinds (streams/deliver/sink_kinds.py). Secrets are never
written there: an option ending in `_env` names the environment variable that holds it.

NEWSWATCH_ROUTES maps a severity (or "default") to destination names; `route` applies it
when a rule names no destinations. Without a route: console, jsonl, slack and email, each
only when it is configured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from streams.core.severities import SEVERITIES
from streams.deliver.sink_kinds import (
    KINDS,
    NAME,
    Destination,
    destinations,
    parse_destinations,
)

if TYPE_CHECKING:
    from streams.config.settings import Settings

DEFAULT_ROUTE = "default"  # the routes key used for a severity without its own entry
FALLBACK = ("console", "jsonl", "slack", "email")  # without NEWSWATCH_ROUTES (as before)
BUILTIN = tuple(KINDS)  # each kind's built-in destination, named after it

__all__ = ["BUILTIN", "DEFAULT_ROUTE", "FALLBACK", "NAME", "SEVERITIES", "Destination",
           "check_routes", "check_settings", "describe", "destinations",
           "parse_destinations", "route"]


def check_routes(routes: Mapping[str, Sequence[str]], names: Sequence[str]) -> None:
    """ValueError when a route's key is no severity or it names an undefined destination."""
    known = set(names) | set(BUILTIN)  # a built-in may be unset: skipped, with a log line
    for key, targets in routes.items():
        if key not in SEVERITIES and key != DEFAULT_ROUTE:
            raise ValueError(f"route {key!r}: expected a severity ({', '.join(SEVERITIES)}) "
                             f"or {DEFAULT_ROUTE!r}")
        for target in targets:
            if target not in known:
                raise ValueError(f"route {key!r}: destination {target!r} is not defined in "
                                 f"NEWSWATCH_DESTINATIONS nor built in ({', '.join(BUILTIN)})")


def route(
    rule_destinations: Sequence[str], severity: str, settings: Settings | None
) -> tuple[str, ...]:
    """Where an alert goes: the rule's own destinations if it names any, else the route of
    its severity, else the "default" route, else those of console, jsonl, slack and email
    that are configured."""
    if rule_destinations:
        return tuple(dict.fromkeys(rule_destinations))
    routes: Mapping[str, Sequence[str]] = settings.routes if settings is not None else {}
    if severity in routes:
        return tuple(dict.fromkeys(routes[severity]))
    if DEFAULT_ROUTE in routes:
        return tuple(dict.fromkeys(routes[DEFAULT_ROUTE]))
    if settings is None:
        return FALLBACK
    # no route given: the fallback destinations that are configured (a first run without
    # Slack or email goes to the console and JSONL, with no warning about the others)
    configured = destinations(settings)
    return tuple(name for name in FALLBACK if name in configured)


def describe(settings: Settings) -> dict[str, Any]:
    """For `config show`: every destination masked, and where each severity goes."""
    return {
        "destinations": {n: d.masked() for n, d in sorted(destinations(settings).items())},
        "routes": {sev: list(route((), sev, settings)) for sev in SEVERITIES},
    }


def check_settings(settings: Settings) -> None:
    """The destinations and routes the settings name, checked at start (the composition
    root calls it after loading the settings): raises SettingsError naming the variable, the
    destination or route and what is wrong, never a secret."""
    from streams.config.settings import SettingsError

    problems = []
    try:
        parse_destinations(settings.destinations)
    except ValueError as exc:
        problems.append(f"NEWSWATCH_DESTINATIONS: {exc}")
    try:
        check_routes(settings.routes, list(settings.destinations))
    except ValueError as exc:
        problems.append(f"NEWSWATCH_ROUTES: {exc}")
    if problems:
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems))
