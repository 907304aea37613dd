"""Named destinations and routing by severity, free of I/O (as Alertmanager's receivers and
route tree): which destinations exist, and which of them an alert goes to.

A destination is a name an operator chose ("slack-ops", "email-desk") with a kind and its
options, given as JSON in NEWSWATCH_DESTINATIONS. Secrets are never written there: an option
ending in `_env` names the environment variable that holds the secret (`webhook_url_env`,
`bot_token_env`, `password_env`, `url_env`, `secret_env`). The built-in names console,
jsonl, slack, email and webhook keep coming from the flat NEWSWATCH_* settings; a named
destination with a built-in name replaces that one.

NEWSWATCH_ROUTES maps a severity (or "default") to destination names; `route` applies it
when a rule names no destinations. Without a route: console, jsonl, slack and email, each
only when it is configured.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from streams.core.severities import SEVERITIES

if TYPE_CHECKING:
    from streams.config.settings import Settings

DEFAULT_ROUTE = "default"  # the routes key used for a severity without its own entry
FALLBACK = ("console", "jsonl", "slack", "email")  # without NEWSWATCH_ROUTES (as before)
BUILTIN = ("console", "jsonl", "slack", "email", "webhook")
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")  # a destination name, like a rule id
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Destination:
    """One destination: its kind, plain options, and secrets read from the environment."""

    name: str
    kind: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    secrets: Mapping[str, SecretStr] = field(default_factory=lambda: MappingProxyType({}))
    secret_vars: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def secret(self, key: str) -> str | None:
        """The secret's value, for the sink that needs it (never for display)."""
        value = self.secrets.get(key)
        return value.get_secret_value() if value is not None else None

    def masked(self) -> dict[str, Any]:
        """For `config show`: the options; each secret as '***' and the variable it is in."""
        out: dict[str, Any] = {"kind": self.kind}
        out.update({k: str(v) if isinstance(v, Path) else v for k, v in self.options.items()})
        for key in self.secrets:
            out[key] = "***"
            out[f"{key}_env"] = self.secret_vars.get(key, "")
        return out


# --- what each kind accepts ---------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("expected non-empty text")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TypeError("expected a number >= 0")
    return float(value)


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise TypeError("expected a port number")
    return value


def _security(value: Any) -> str:
    if value not in ("none", "starttls", "tls"):
        raise TypeError("expected none, starttls or tls")
    return str(value)


def _addresses(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(a, str) and "@" in a for a in items):
        raise TypeError("expected an address or a list of addresses")
    return list(items)


@dataclass(frozen=True)
class Kind:
    """A kind's plain options (name -> checker), its secrets, and what it requires."""

    options: Mapping[str, Callable[[Any], Any]]
    secrets: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # option or secret names each destination must give
    urls: tuple[str, ...] = ()  # secrets that are URLs (checked, the value never shown)


KINDS: Mapping[str, Kind] = MappingProxyType({
    "console": Kind({}),
    "jsonl": Kind({"path": _text}, required=("path",)),
    "slack": Kind({"channel": _text, "api_url": _text, "min_interval": _number},
                  secrets=("webhook_url", "bot_token"), urls=("webhook_url",)),
    "email": Kind({"host": _text, "port": _port, "security": _security, "user": _text,
                   "from": _text, "to": _addresses, "digest_window": _number, "ca_file": _text},
                  secrets=("password",), required=("host", "to")),
    "webhook": Kind({}, secrets=("url", "secret"), required=("url", "secret"), urls=("url",)),
})


# --- parsing NEWSWATCH_DESTINATIONS -------------------------------------------------------


def parse_destinations(
    raw: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Destination]:
    """The named destinations; ValueError naming the destination at the first mistake."""
    env = os.environ if environ is None else environ
    return {name: _parse_one(name, spec, env) for name, spec in raw.items()}


def _parse_one(name: str, spec: Any, env: Mapping[str, str]) -> Destination:
    where = f"destination {name!r}"
    if not NAME.match(name):
        raise ValueError(f"{where}: a name is lowercase letters, digits, '-', '_' or '.'")
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected an object like {{\"kind\": \"slack\", ...}}")
    kind_name = spec.get("kind")
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        raise ValueError(f"{where}: unknown kind {kind_name!r}; known: {', '.join(KINDS)}")
    kind = KINDS[kind_name]
    where = f"destination {name!r} ({kind_name})"
    options: dict[str, Any] = {}
    secrets: dict[str, SecretStr] = {}
    variables: dict[str, str] = {}
    for key, value in spec.items():
        if key == "kind":
            continue
        if key in kind.secrets:  # never say the value: it may be the secret itself
            raise ValueError(f"{where}: {key!r} is a secret; put it in an environment "
                             f"variable and give that variable's name as {key}_env")
        if key.endswith("_env") and key[:-4] in kind.secrets:
            secret = key[:-4]
            secrets[secret] = SecretStr(_read_secret(where, key, value, env))
            variables[secret] = value
            if secret in kind.urls:
                _check_url(where, key, value, secrets[secret].get_secret_value())
            continue
        check = kind.options.get(key)
        if check is None:
            known = [*kind.options, *(f"{s}_env" for s in kind.secrets)]
            raise ValueError(f"{where}: unknown option {key!r}; known: "
                             f"{', '.join(known) or 'none'}")
        try:
            options[key] = check(value)
        except TypeError as exc:
            raise ValueError(f"{where}: {key}: {exc}") from None
    for need in kind.required:
        if need not in options and need not in secrets:
            raise ValueError(f"{where}: needs {need}_env" if need in kind.secrets
                             else f"{where}: needs {need}")
    if kind_name == "slack" and not ("webhook_url" in secrets
                                     or ("bot_token" in secrets and "channel" in options)):
        raise ValueError(f"{where}: needs webhook_url_env, or bot_token_env and channel")
    return Destination(name, kind_name, MappingProxyType(options),
                       MappingProxyType(secrets), MappingProxyType(variables))


def _read_secret(where: str, key: str, var: Any, env: Mapping[str, str]) -> str:
    if not isinstance(var, str) or not _ENV_NAME.match(var):
        raise ValueError(f"{where}: {key} must name an environment variable")
    value = env.get(var)
    if not value:
        raise ValueError(f"{where}: environment variable {var} ({key}) is not set")
    return value


def _check_url(where: str, key: str, var: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{where}: {var} ({key}) is not an http(s) URL")


# --- the effective destinations and routes ------------------------------------------------


def builtin_destinations(settings: Settings) -> dict[str, Destination]:
    """The destinations the flat NEWSWATCH_* settings configure (console, jsonl, slack...)."""
    s = settings
    out: dict[str, Destination] = {}
    if s.console_alerts:
        out["console"] = Destination("console", "console")
    if s.alerts_jsonl is not None:
        out["jsonl"] = Destination("jsonl", "jsonl", MappingProxyType({"path": s.alerts_jsonl}))
    if s.slack_webhook_url or (s.slack_bot_token and s.slack_channel):
        bot = bool(s.slack_bot_token and s.slack_channel)
        options = {"api_url": s.slack_api_url, "min_interval": s.slack_min_interval}
        if bot:
            options["channel"] = s.slack_channel
        out["slack"] = _flat("slack", "slack", options, {
            "bot_token": s.slack_bot_token if bot else None,
            "webhook_url": None if bot else s.slack_webhook_url})
    if s.smtp_host and s.smtp_to:
        options = {"host": s.smtp_host, "port": s.smtp_port, "security": s.smtp_security,
                   "from": s.smtp_from, "to": list(s.smtp_to),
                   "digest_window": s.smtp_digest_window}
        if s.smtp_user:
            options["user"] = s.smtp_user
        if s.smtp_ca_file:
            options["ca_file"] = str(s.smtp_ca_file)
        out["email"] = _flat("email", "email", options, {"password": s.smtp_password})
    if s.webhook_url and s.webhook_secret:
        out["webhook"] = _flat("webhook", "webhook", {}, {
            "url": s.webhook_url, "secret": s.webhook_secret})
    return out


def _flat(name: str, kind: str, options: dict[str, Any],
          secrets: Mapping[str, SecretStr | None]) -> Destination:
    prefix = {"slack": "SLACK_", "email": "SMTP_", "webhook": "WEBHOOK_"}[kind]
    given = {k: v for k, v in secrets.items() if v is not None and v.get_secret_value()}
    variables = {k: f"NEWSWATCH_{prefix}{k.upper()}" for k in given}
    return Destination(name, kind, MappingProxyType(options), MappingProxyType(given),
                       MappingProxyType(variables))


def destinations(settings: Settings) -> dict[str, Destination]:
    """Every configured destination by name: the built-in ones, then the named ones."""
    out = builtin_destinations(settings)
    out.update(parse_destinations(settings.destinations))
    return out


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
    configured = builtin_destinations(settings)
    configured.update(parse_destinations(settings.destinations))
    return tuple(name for name in FALLBACK if name in configured)


def describe(settings: Settings) -> dict[str, Any]:
    """For `config show`: every destination masked, and where each severity goes."""
    return {
        "destinations": {n: d.masked() for n, d in sorted(destinations(settings).items())},
        "routes": {sev: list(route((), sev, settings)) for sev in SEVERITIES},
    }


def secret_values(settings: Settings) -> set[str]:
    """Every secret value the destinations hold (to redact them from logs)."""
    return {v.get_secret_value() for d in destinations(settings).values()
            for v in d.secrets.values()}
