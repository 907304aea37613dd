"""newswatch's own Prometheus metrics, beside Faust's (both served at /metrics).

One registry per worker app, so tests can build several apps in one process."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.items_polled = Counter(
            "newswatch_items_polled", "New feed entries recorded", ["feed"], registry=r
        )
        self.poll_errors = Counter(
            "newswatch_poll_errors", "Feed polls that failed", ["feed"], registry=r
        )
        self.articles = Counter(
            "newswatch_articles", "Articles cleaned, by outcome", ["outcome"], registry=r
        )
        self.events = Counter("newswatch_events", "Events extracted", ["type"], registry=r)
        self.alerts = Counter("newswatch_alerts", "New alerts recorded", ["rule"], registry=r)
        self.deliveries = Counter(
            "newswatch_deliveries",
            "Delivery attempts by destination and outcome",
            ["destination", "outcome"],
            registry=r,
        )
        self.failed_items = Counter(
            "newswatch_failed_items", "Entries that could not be processed", registry=r
        )
        self.lag = Gauge(
            "newswatch_lag_seconds",
            "Age of the oldest entry still pending (0 when none)",
            registry=r,
        )
        self.pending_deliveries = Gauge(
            "newswatch_pending_deliveries", "Deliveries due and not yet sent", registry=r
        )
