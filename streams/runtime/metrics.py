"""newswatch's own Prometheus metrics, beside Faust's (both served at /metrics).

One registry per worker app, so tests can build several apps in one process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge

if TYPE_CHECKING:
    from streams.runtime.health import Health


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _destinations_seen: set[str] = field(default_factory=set)

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
        self.bugs = Counter(
            "newswatch_bugs", "Entries failed by a bug in newswatch (logged with a traceback)",
            registry=r,
        )
        self.lag = Gauge(
            "newswatch_lag_seconds",
            "Age of the oldest entry still pending (0 when none)",
            registry=r,
        )
        self.healthy = Gauge(
            "newswatch_healthy", "1 when /health is ok, 0 when degraded", registry=r
        )
        self.feeds = Gauge(
            "newswatch_feeds", "Watched feeds by health (as /health and /feeds)", ["state"],
            registry=r,
        )
        self.destination_failing = Gauge(
            "newswatch_destination_failing", "1 when a destination is failing", ["destination"],
            registry=r,
        )
        self.pending_deliveries = Gauge(
            "newswatch_pending_deliveries", "Deliveries due and not yet sent", registry=r
        )

    def show_health(self, health: Health) -> None:
        """Set the health gauges from one streams.runtime.health.Health, so the metrics say what
        /health says."""
        self.healthy.set(1 if health.ok else 0)
        counts = {"ok": 0, "failing": 0, "silent": 0}
        for state in health.feed_states.values():
            counts[state] = counts.get(state, 0) + 1
        for state, n in counts.items():
            self.feeds.labels(state).set(n)
        for name in self._destinations_seen | set(health.failing_destinations):
            self.destination_failing.labels(name).set(
                1 if name in health.failing_destinations else 0)
        self._destinations_seen |= set(health.failing_destinations)
