"""Sink kinds: one class each, in a registry (as the rule kinds of streams/evaluate/kinds.py).

A kind declares what a destination of it accepts in NEWSWATCH_DESTINATIONS (its plain
options with their checks, its secrets as `<secret>_env`, what it requires, extra
validation), which flat NEWSWATCH_* settings configure its built-in destination and give
its options' defaults, its retry horizon settings, and the module whose `build(destination,
settings)` makes its sink. No I/O and no sender here, so routing (a pure stage) can ask which
destinations exist; streams/deliver/sinks/registry.py builds the sinks. A new kind is one
class below and the module that sends (README's Destinations lists the options).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr

if TYPE_CHECKING:
    from streams.config.settings import Settings

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


# --- what an option accepts ---------------------------------------------------------------


def text(value: Any) -> str:
    """Non-empty text."""
    if not isinstance(value, str) or not value:
        raise TypeError("expected non-empty text")
    return value


def number(value: Any) -> float:
    """A number of at least 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TypeError("expected a number >= 0")
    return float(value)


def port(value: Any) -> int:
    """A TCP port."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise TypeError("expected a port number")
    return value


def security(value: Any) -> str:
    """How an SMTP connection is secured."""
    if value not in ("none", "starttls", "tls"):
        raise TypeError("expected none, starttls or tls")
    return str(value)


def addresses(value: Any) -> list[str]:
    """An address or a list of addresses."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(a, str) and "@" in a for a in items):
        raise TypeError("expected an address or a list of addresses")
    return list(items)


@dataclass(frozen=True)
class Option:
    """A plain option: its check, and the flat setting that gives its default (None: the
    `default` value, or no default at all when that is None too)."""

    check: Callable[[Any], Any]
    setting: str | None = None
    default: Any = None


class SinkKind:
    """Base class: a kind's declaration. Subclasses set the class attributes and may
    override `validate` and `builtin`."""

    name: ClassVar[str]
    module: ClassVar[str]  # the module whose build(destination, settings) makes the sink
    options: ClassVar[Mapping[str, Option]] = MappingProxyType({})
    secrets: ClassVar[Mapping[str, str]] = MappingProxyType({})  # secret -> flat setting
    required: ClassVar[tuple[str, ...]] = ()  # option or secret names a destination must give
    urls: ClassVar[tuple[str, ...]] = ()  # secrets that are URLs (checked, never shown)
    retry: ClassVar[tuple[str, str] | None] = None  # (horizon, cap) settings; None: attempts

    def validate(self, where: str, options: Mapping[str, Any], secrets: Mapping[str, Any]
                 ) -> None:
        """ValueError for a combination the single options cannot catch."""

    def builtin(self, settings: Settings) -> Destination | None:
        """The destination named after the kind that the flat NEWSWATCH_* settings
        configure, or None (a kind without flat settings: only named destinations)."""
        return None

    def flat(self, options: Mapping[str, Any], secrets: Mapping[str, SecretStr | None]
             ) -> Destination:
        """The built-in destination with these options and secrets (the unset ones dropped),
        each secret shown as the NEWSWATCH_* variable it came from."""
        given = {k: v for k, v in secrets.items() if v is not None and _given(v)}
        variables = {k: f"NEWSWATCH_{self.secrets[k].upper()}" for k in given}
        return Destination(self.name, self.name, MappingProxyType(dict(options)),
                           MappingProxyType(given), MappingProxyType(variables))

    def option(self, dest: Destination, key: str, settings: Settings) -> Any:
        """The destination's option, else its default (from the flat settings)."""
        if key in dest.options:
            return dest.options[key]
        opt = self.options[key]
        return getattr(settings, opt.setting) if opt.setting else opt.default


def _given(value: SecretStr | None) -> bool:
    return value is not None and bool(value.get_secret_value())


KINDS: dict[str, SinkKind] = {}


def register(cls: type[SinkKind]) -> type[SinkKind]:
    """Add a kind to the registry under its name (in declaration order)."""
    KINDS[cls.name] = cls()
    return cls


# --- the kinds ----------------------------------------------------------------------------


@register
class ConsoleKind(SinkKind):
    """One line per alert on stdout (NEWSWATCH_CONSOLE_ALERTS)."""

    name, module = "console", "streams.deliver.sinks.console"

    def builtin(self, settings: Settings) -> Destination | None:
        return Destination("console", "console") if settings.console_alerts else None


@register
class JsonlKind(SinkKind):
    """One JSON object per alert appended to a file (NEWSWATCH_ALERTS_JSONL)."""

    name, module = "jsonl", "streams.deliver.sinks.jsonl"
    options = MappingProxyType({"path": Option(text, "alerts_jsonl")})
    required = ("path",)

    def builtin(self, settings: Settings) -> Destination | None:
        if settings.alerts_jsonl is None:
            return None
        return Destination("jsonl", "jsonl", MappingProxyType({"path": settings.alerts_jsonl}))


@register
class SlackKind(SinkKind):
    """Slack by incoming webhook, or by bot token and channel (story updates in threads)."""

    name, module = "slack", "streams.deliver.sinks.slack"
    options = MappingProxyType({
        "channel": Option(text),  # a named destination's own (the flat one: builtin)
        "api_url": Option(text, "slack_api_url"),
        "min_interval": Option(number, "slack_min_interval"),
    })
    secrets = MappingProxyType({"webhook_url": "slack_webhook_url",
                                "bot_token": "slack_bot_token"})
    urls = ("webhook_url",)
    retry = ("slack_retry_horizon", "slack_retry_cap")

    def validate(self, where: str, options: Mapping[str, Any], secrets: Mapping[str, Any]
                 ) -> None:
        if not ("webhook_url" in secrets or ("bot_token" in secrets and "channel" in options)):
            raise ValueError(f"{where}: needs webhook_url_env, or bot_token_env and channel")

    def builtin(self, settings: Settings) -> Destination | None:
        s = settings
        bot = bool(s.slack_bot_token and s.slack_channel)
        if not (s.slack_webhook_url or bot):
            return None
        options: dict[str, Any] = {"api_url": s.slack_api_url,
                                   "min_interval": s.slack_min_interval}
        if bot:
            options["channel"] = s.slack_channel
        return self.flat(options, {"bot_token": s.slack_bot_token if bot else None,
                                   "webhook_url": None if bot else s.slack_webhook_url})


@register
class EmailKind(SinkKind):
    """Email through an SMTP relay, one message per alert or per digest window."""

    name, module = "email", "streams.deliver.sinks.smtp"
    options = MappingProxyType({
        "host": Option(text), "port": Option(port, default=25),
        "security": Option(security, default="none"), "user": Option(text),
        "from": Option(text, "smtp_from"), "to": Option(addresses),
        "digest_window": Option(number, "smtp_digest_window"),
        "ca_file": Option(text, "smtp_ca_file"),
    })
    secrets = MappingProxyType({"password": "smtp_password"})
    required = ("host", "to")
    retry = ("email_retry_horizon", "email_retry_cap")

    def builtin(self, settings: Settings) -> Destination | None:
        s = settings
        if not (s.smtp_host and s.smtp_to):
            return None
        options: dict[str, Any] = {
            "host": s.smtp_host, "port": s.smtp_port, "security": s.smtp_security,
            "from": s.smtp_from, "to": list(s.smtp_to), "digest_window": s.smtp_digest_window}
        if s.smtp_user:
            options["user"] = s.smtp_user
        if s.smtp_ca_file:
            options["ca_file"] = str(s.smtp_ca_file)
        return self.flat(options, {"password": s.smtp_password})


@register
class WebhookKind(SinkKind):
    """A JSON POST of each alert, signed with HMAC-SHA256."""

    name, module = "webhook", "streams.deliver.sinks.webhook"
    secrets = MappingProxyType({"url": "webhook_url", "secret": "webhook_secret"})
    required = ("url", "secret")
    urls = ("url",)
    retry = ("webhook_retry_horizon", "webhook_retry_cap")

    def builtin(self, settings: Settings) -> Destination | None:
        if not (_given(settings.webhook_url) and _given(settings.webhook_secret)):
            return None
        return self.flat({}, {"url": settings.webhook_url, "secret": settings.webhook_secret})


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
        opt = kind.options.get(key)
        if opt is None:
            known = [*kind.options, *(f"{s}_env" for s in kind.secrets)]
            raise ValueError(f"{where}: unknown option {key!r}; known: "
                             f"{', '.join(known) or 'none'}")
        try:
            options[key] = opt.check(value)
        except TypeError as exc:
            raise ValueError(f"{where}: {key}: {exc}") from None
    for need in kind.required:
        if need not in options and need not in secrets:
            raise ValueError(f"{where}: needs {need}_env" if need in kind.secrets
                             else f"{where}: needs {need}")
    kind.validate(where, options, secrets)
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


# --- the effective destinations -----------------------------------------------------------


def builtin_destinations(settings: Settings) -> dict[str, Destination]:
    """The destinations the flat NEWSWATCH_* settings configure, one per kind at most,
    named after the kind (console, jsonl, slack, email, webhook)."""
    out = {}
    for name, kind in KINDS.items():
        dest = kind.builtin(settings)
        if dest is not None:
            out[name] = dest
    return out


def destinations(settings: Settings) -> dict[str, Destination]:
    """Every configured destination by name: the built-in ones, then the named ones (a
    named destination with a built-in name replaces that one)."""
    out = builtin_destinations(settings)
    out.update(parse_destinations(settings.destinations))
    return out
