"""Faust settings for cluster mode: the same agents on Kafka (Apache Kafka or Tansu).

What running on a broker needs beyond the embedded defaults, in one place:

- consumer-group timing from the settings: a SIGKILLed worker's partitions move to the
  others after `broker_session_timeout`; Tansu holds a JoinGroup request until the
  rebalance timeout passes, so Faust's 60 s default would make every start and every
  rebalance wait that long;
- topics declared by the workers (`topic_allow_declare`) with the partition counts of
  app.py and `topic_replication` replicas (1 on a single broker: Tansu, the compose file);
- producer acks from every in-sync replica (acks=-1, i.e. all) and the at_least_once
  guarantee: exactly_once needs Kafka transactions and an idempotent producer; the store's
  unique keys absorb the duplicates at-least-once delivery brings instead;
- a new consumer group reads its topics from the earliest offset, so the first worker of a
  fresh cluster does not skip what a poller produced before it joined.
"""

from __future__ import annotations

from typing import Any

from streams.config.settings import Settings
from streams.core.errors import ConfigError


class ClusterSettingsError(ConfigError, ValueError):
    """Cluster timing that the Kafka consumer would refuse; the message names the setting."""


def cluster_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for faust.App in cluster mode (kafka:// broker)."""
    session = settings.broker_session_timeout
    heartbeat = settings.broker_heartbeat_interval
    if heartbeat * 3 > session:
        raise ClusterSettingsError(
            f"NEWSWATCH_BROKER_HEARTBEAT_INTERVAL={heartbeat} must be at most a third of "
            f"NEWSWATCH_BROKER_SESSION_TIMEOUT={session}"
        )
    return {
        "broker_session_timeout": session,
        "broker_rebalance_timeout": settings.broker_rebalance_timeout,
        "broker_heartbeat_interval": heartbeat,
        # Faust refuses a session timeout above the request timeout
        "broker_request_timeout": max(90.0, session + 30.0),
        "topic_allow_declare": True,
        "topic_replication_factor": settings.topic_replication,
        "producer_acks": -1,
        "consumer_auto_offset_reset": "earliest",
        "processing_guarantee": "at_least_once",
    }
