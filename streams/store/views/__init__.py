"""The store as the web sees it: query functions returning plain values (dicts, tuples,
datetimes), and the two writes the dashboard makes (acknowledge, silence). The web imports
this package only, never the tables (streams/store/schema.py) nor SQLAlchemy."""

from streams.store.alerts import ack_alert, list_alerts
from streams.store.feeds import list_feeds
from streams.store.silences import SilenceError, add_silence
from streams.store.views.alerts import (
    alert_rule_and_story,
    alert_rule_ids,
    alerts_count,
    published_of,
    rule_firings,
    silencing_facts,
)
from streams.store.views.feeds import items_per_feed
from streams.store.views.stories import (
    AlertRow,
    ArticleRow,
    EventRow,
    ScheduledEvent,
    StoryRow,
    StoryRows,
    latest_stories,
    scheduled_events,
    story_rows,
)

__all__ = [
    "AlertRow",
    "ArticleRow",
    "EventRow",
    "ScheduledEvent",
    "SilenceError",
    "StoryRow",
    "StoryRows",
    "ack_alert",
    "add_silence",
    "alert_rule_and_story",
    "alert_rule_ids",
    "alerts_count",
    "items_per_feed",
    "latest_stories",
    "list_alerts",
    "list_feeds",
    "published_of",
    "rule_firings",
    "scheduled_events",
    "silencing_facts",
    "story_rows",
]
