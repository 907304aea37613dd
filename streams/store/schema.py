"""The store's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL.

Unique constraints carry the idempotency that at-least-once delivery needs: an item, an
article, an event, an alert (rule + story) and a delivery (alert + destination) exist once.
Each table belongs to one stage or connector; add new tables at the end of this file.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Feeds and their health (poll stage).
feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("url", sa.String(2048), primary_key=True),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_attempt", sa.DateTime(timezone=True)),
    sa.Column("last_success", sa.DateTime(timezone=True)),
    sa.Column("last_new_item", sa.DateTime(timezone=True)),
    sa.Column("status", sa.Integer),  # last HTTP status
    sa.Column("error", sa.Text),  # last error, one line
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt", sa.DateTime(timezone=True)),
    sa.Column("items_seen", sa.Integer, nullable=False, server_default="0"),
    sa.Column("interval", sa.Float),  # per-feed override of the poll interval, seconds
    sa.Column("added", sa.DateTime(timezone=True)),
)

# Every feed entry ever seen: recorded before it is processed, marked done after.
items = sa.Table(
    "items",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),  # FeedItem.key
    sa.Column("feed", sa.String(2048), nullable=False),
    sa.Column("guid", sa.Text, nullable=False),
    sa.Column("link", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | done | failed
    sa.Column("payload", sa.JSON, nullable=False),  # the FeedItem, to re-process after a crash
    sa.Column("error", sa.Text),
    sa.Column("recorded", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done", sa.DateTime(timezone=True)),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # content_key(canonical URL)
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("published", sa.String(40)),
    sa.Column("language", sa.String(8), nullable=False, server_default="en"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("fingerprint", sa.String(32), index=True),  # content hash, for duplicates
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("article_id", sa.String(32), nullable=False, index=True),
    sa.Column("story_id", sa.String(32), nullable=False, index=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("date", sa.String(10)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # the Event
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

# A story: the same happening told by one or more articles.
stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("type", sa.String(40), nullable=False, index=True),
    sa.Column("actors", sa.JSON, nullable=False),
    sa.Column("location", sa.JSON, nullable=False),
    sa.Column("date", sa.String(10)),  # the event date when known
    sa.Column("anchor", sa.String(10), nullable=False),  # date used for closeness in time
    sa.Column("first_article", sa.String(32), nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),  # distinct sources that told it
    sa.Column("articles", sa.Integer, nullable=False, server_default="1"),
    sa.Column("summary", sa.JSON, nullable=False),  # latest facts: quantities, status, date
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

# An alert exists once per rule and story: the unique key is the dedupe.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # alert_id(rule, story)
    sa.Column("rule_id", sa.String(200), nullable=False),
    sa.Column("story_id", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("article_id", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="new"),
    sa.Column("payload", sa.JSON, nullable=False),  # the Alert
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("rule_id", "story_id", name="uq_alert_rule_story"),
)

# The outbox: one row per alert and destination, written with the alert.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(32), nullable=False, index=True),
    sa.Column("destination", sa.String(100), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | sent | retrying | dead | held
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
    sa.Column("sent", sa.DateTime(timezone=True)),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("alert_id", "destination", name="uq_delivery_alert_destination"),
)
