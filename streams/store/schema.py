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
    sa.Column("failing_since", sa.DateTime(timezone=True)),  # first failure of this run
    sa.Column("usual_gap", sa.Float),  # smoothed seconds between new items, for "silent"
    sa.Column("health", sa.String(16), nullable=False, server_default="ok"),  # ok|failing|silent
    sa.Column("health_since", sa.DateTime(timezone=True)),  # when `health` was raised
    sa.Column("added_by", sa.String(8), nullable=False, server_default="config"),  # |user
    sa.Column("entry_gap", sa.Float),  # median seconds between its entries' own dates
    sa.Column("entry_spread", sa.Float),  # how far those gaps stray from it (share of it)
    sa.Column("newest_entry", sa.DateTime(timezone=True)),  # its newest entry's own date
    sa.Column("hub", sa.Text),  # the WebSub hub it advertises (rel="hub"), if any
    sa.Column("topic", sa.Text),  # its URL for that hub (rel="self")
)


# Every feed entry ever seen: recorded before it is processed, marked done after.
items = sa.Table(
    "items",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),  # FeedItem.key
    sa.Column("feed", sa.String(2048), nullable=False),
    sa.Column("guid", sa.Text, nullable=False),
    sa.Column("link", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | retrying | done | failed
    sa.Column("payload", sa.JSON, nullable=False),  # the FeedItem, to re-process after a crash
    sa.Column("error", sa.Text),
    sa.Column("recorded", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done", sa.DateTime(timezone=True)),
    # failed processing attempts so far, and when a retrying entry is due again
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt", sa.DateTime(timezone=True)),
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
    sa.Column("feed", sa.Text, nullable=False, server_default=""),
    sa.Column("item_key", sa.String(32), nullable=False, server_default=""),
    sa.Column("fallback", sa.Text, nullable=False, server_default=""),
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
    # the last day a mention may join it (streams/stories/identity.py); candidates load by it
    sa.Column("closes", sa.String(10), index=True),
    # the publication date of its first article: candidates load by it too (not told first
    # later than a span after the article)
    sa.Column("opened", sa.String(10)),
    # its sides (summary's) as "|a|b|": candidates load only the stories an event shares
    # enough sides with (streams/store/stories.py)
    sa.Column("sides", sa.Text),
    sa.Column("first_article", sa.String(32), nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),  # distinct sources that told it
    sa.Column("articles", sa.Integer, nullable=False, server_default="1"),  # story_articles' rows
    # latest facts: quantities, status, date, sides... (bounded: streams/stories/state.py)
    sa.Column("summary", sa.JSON, nullable=False),
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
    sa.Column("status", sa.String(16), nullable=False, server_default="new"),  # new | acked
    sa.Column("payload", sa.JSON, nullable=False),  # the Alert
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("acked", sa.DateTime(timezone=True)),
    sa.Column("acked_by", sa.Text),
    sa.UniqueConstraint("rule_id", "story_id", name="uq_alert_rule_story"),
    # which of a rule's alerts these articles were recorded with (stories_told_by), read
    # from the index instead of every alert of the rule
    sa.Index("ix_alerts_rule_article", "rule_id", "article_id"),
)

# The outbox: one row per alert (or story update of it) and destination, written with it.
# update_id is "" for the alert itself, else the alert_updates.id it delivers.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(32), nullable=False, index=True),
    sa.Column("destination", sa.String(100), nullable=False),
    # pending | sending | sent | retrying | dead | held; "sending" survives a crash as in doubt
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
    sa.Column("sent", sa.DateTime(timezone=True)),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("update_id", sa.String(32), nullable=False, server_default=""),
    sa.Column("ref", sa.Text),  # what the destination calls it (Slack ts), for threads
    sa.UniqueConstraint(
        "alert_id", "update_id", "destination", name="uq_delivery_alert_update_destination"
    ),
)

# Later articles of a story that already alerted for a rule: one row per (alert, article),
# delivered as thread replies / updates through the same outbox.
alert_updates = sa.Table(
    "alert_updates",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # content_key(alert id, article id)
    sa.Column("alert_id", sa.String(32), nullable=False, index=True),
    # indexed: the updates an article was recorded as (stories_told_by), without reading
    # every update of the rule's alerts
    sa.Column("article_id", sa.String(32), nullable=False, index=True),
    sa.Column("payload", sa.JSON, nullable=False),  # the Alert as built from the later article
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("alert_id", "article_id", name="uq_alert_update_article"),
)

# Every delivery attempt: when, what happened, why.
attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.Integer, nullable=False, index=True),
    sa.Column("started", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished", sa.DateTime(timezone=True)),
    # sent | retry | dead | in_doubt (crashed mid-send) | (NULL while in flight)
    sa.Column("outcome", sa.String(16)),
    sa.Column("status", sa.Integer),  # HTTP status or SMTP reply code
    sa.Column("error", sa.Text),
)

# Silences: alerts matching one are recorded with their deliveries held, not sent.
silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule_id", sa.String(200)),  # NULL = any rule
    sa.Column("story_id", sa.String(32)),
    sa.Column("actor", sa.Text),
    sa.Column("destination", sa.String(100)),  # NULL = every destination
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("until", sa.DateTime(timezone=True), nullable=False),
)

# Destinations flagged by a permanent refusal (Slack 404 channel_not_found, 410...).
destination_flags = sa.Table(
    "destination_flags",
    metadata,
    sa.Column("destination", sa.String(100), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("flagged", sa.DateTime(timezone=True), nullable=False),
)

# Rule state (streams/store/rule_state.py). Times are epoch seconds (floats) so that windows
# compare exactly on SQLite and PostgreSQL alike. `ref` is the event (or window) that wrote a
# row: re-processing the same event after a crash finds its own row and fires again, instead
# of losing the alert.
# First mentions: one row per rule and key (a term seen, the moment a rule was armed).
rule_marks = sa.Table(
    "rule_marks",
    metadata,
    sa.Column("rule_id", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("ref", sa.String(64), nullable=False, server_default=""),
)

# Windows: the matching events a counting rule has seen (baselines are counted from them).
rule_windows = sa.Table(
    "rule_windows",
    metadata,
    sa.Column("rule_id", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("ref", sa.String(64), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_rule_windows_rule_key_at", "rule_id", "key", "at"),
)

# Throttle: no second alert for a rule and key until `until`.
rule_throttle = sa.Table(
    "rule_throttle",
    metadata,
    sa.Column("rule_id", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("until", sa.Float, nullable=False),
    sa.Column("ref", sa.String(64), nullable=False, server_default=""),
)

# One row per event type, bumped at the start of a story assignment: the row lock (a write
# lock on SQLite) makes concurrent workers assign stories of a type one at a time, so two
# articles of the same happening cannot both open a new story (streams/store/stories.py).
story_locks = sa.Table(
    "story_locks",
    metadata,
    sa.Column("type", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
)

# A rule's `group` (digest): its deliveries carry group_key (the rule id; NULL = not grouped)
# and wait with next_attempt = the group's due time; the dispatcher sends the due rows of one
# group and destination as one message (streams/deliver/dispatcher.py).
deliveries.append_column(sa.Column("group_key", sa.String(200)))
sa.Index("ix_deliveries_group", deliveries.c.group_key, deliveries.c.destination)

# WebSub subscriptions, one per feed (streams/runtime/websub.py): the callback is
# <public url>/websub/<callback_id>; content is accepted only when signed with `secret`.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("feed", sa.String(2048), primary_key=True),
    sa.Column("callback_id", sa.String(32), nullable=False, unique=True),
    sa.Column("hub", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # requested | active | denied | failed
    sa.Column("requested", sa.DateTime(timezone=True)),  # a request awaiting verification
    sa.Column("lease_seconds", sa.Integer),
    sa.Column("expires", sa.DateTime(timezone=True)),  # the lease's end, once verified
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),  # failed in a row
    sa.Column("error", sa.Text),  # the hub's last refusal, one line
)

# The articles that told a story, one row each, written once when the article joins it; the
# stories row keeps only their count, so updating a story rewrites no growing list.
story_articles = sa.Table(
    "story_articles",
    metadata,
    sa.Column("story_id", sa.String(32), primary_key=True),
    sa.Column("article_id", sa.String(32), primary_key=True, index=True),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("published", sa.String(10)),  # the article's publication date (matching's)
    sa.Column("added", sa.DateTime(timezone=True), nullable=False),
)
# the candidates' windows: by type and closing day, their first day read from the index, and
# all else the store's index of the stories keeps (streams/store/story_index.py): no row
# read per story
sa.Index("ix_stories_candidates", stories.c.type, stories.c.closes, stories.c.opened,
         stories.c.sides, stories.c.created, stories.c.updated, stories.c.id)
