"""Records on the wire (streams/runtime/wire.py) and as plain data (streams/core/records.py):
a topic carries the JSON Faust records were sent as, so messages written before records were
plain dataclasses still load, and what the store keeps round-trips to equal records."""

from __future__ import annotations

import json
from pathlib import Path

from faust.types import Message

from streams.config.settings import load_settings
from streams.core.records import Alert, Article, ArticleEvents, Event, FeedItem
from streams.runtime import wire
from streams.runtime.app import EVENTS_TOPIC, create_app, create_streams

# an ArticleEvents message as a worker with Faust records wrote it on the events topic
# (fields in declaration order, compact, a namespace marker in every record)
FAUST_MESSAGE = (
    b'{"article":{"id":"a1","url":"https://news.example/a1","title":"Talks resume",'
    b'"text":"Delegates met again.","published":null,"source":"","language":"en",'
    b'"item_key":"k1","feed":"https://news.example/rss","fallback":"","version":1,'
    b'"__faust":{"ns":"streams.core.records.Article"}},"events":[{"id":"e1",'
    b'"article_id":"a1","type":"meeting","actors":["Ruritania","Freedonia"],'
    b'"location":["Geneva"],"quantities":{},"date":"2026-03-02","status":"occurred",'
    b'"attribution":null,"evidence":"Delegates met again.","story_id":"s1",'
    b'"story_new":true,"sides":["Ruritania","Freedonia"],"roles":{"party":["Ruritania"]},'
    b'"topic":["war"],"background":false,"version":1,'
    b'"__faust":{"ns":"streams.core.records.Event"}}],"version":1,'
    b'"__faust":{"ns":"streams.core.records.ArticleEvents"}}'
)


def _event(**changes: object) -> Event:
    fields: dict = dict(
        id="e1", article_id="a1", type="attack", actors=["Ruritania"], location=["Port Vale"],
        quantities={"killed": {"value": 3.0, "qualifier": "at least", "text": "at least 3"}},
        date="2026-03-01", evidence="At least 3 were killed in Port Vale.", story_id="s1",
    )
    fields.update(changes)
    return Event(**fields)


def test_a_message_written_with_faust_records_loads_and_is_written_back_the_same() -> None:
    batch = wire.loads(ArticleEvents, FAUST_MESSAGE)
    assert isinstance(batch.article, Article) and batch.article.title == "Talks resume"
    assert [type(e) for e in batch.events] == [Event]
    assert batch.events[0].roles == {"party": ["Ruritania"]}
    assert wire.dumps(batch) == FAUST_MESSAGE


def test_every_record_carries_its_namespace_on_the_wire() -> None:
    item = FeedItem(feed="https://news.example/rss", guid="g1", link="https://news.example/1")
    data = json.loads(wire.dumps(item))
    assert data.pop("__faust") == {"ns": "streams.core.records.FeedItem"}
    assert data == item.to_dict()
    assert wire.loads(FeedItem, wire.dumps(item)) == item


def test_an_alert_round_trips_through_plain_data_with_its_event() -> None:
    alert = Alert(
        id="x1", rule_id="mass-casualty-strike", severity="high", story_id="s1",
        title="Strike on Port Vale", article_url="https://news.example/1", article_id="a1",
        source="Example News", event=_event(), message="attack in Port Vale",
        created="2026-03-01T10:00:00+00:00", destinations=["console", "jsonl"], group_wait=30.0,
    )
    data = alert.to_dict()
    assert data["event"]["quantities"]["killed"]["value"] == 3.0
    assert json.loads(json.dumps(data)) == data  # JSON-ready as it is
    assert Alert.from_dict(data) == alert
    assert json.loads(wire.dumps(alert))["event"]["__faust"] == {
        "ns": "streams.core.records.Event"
    }


def test_unknown_keys_are_ignored_and_missing_ones_take_defaults() -> None:
    # a newer worker's extra field, an older record without sides/roles/topic
    old = {k: v for k, v in _event().to_dict().items() if k not in ("sides", "roles", "topic")}
    event = Event.from_dict({**old, "confidence": 0.9})
    assert (event.sides, event.roles, event.topic) == ([], {}, [])
    assert _event(sides=None).sides == []  # None, from an older record, is an empty list


def test_a_cluster_topic_writes_and_reads_the_wire_bytes(tmp_path: Path) -> None:
    # the events topic as create_streams declares it in cluster mode (nothing is contacted)
    settings = load_settings(data_dir=tmp_path, broker="kafka://127.0.0.1:9")
    app = create_app(settings)
    events = create_streams(app, settings).events
    batch = wire.loads(ArticleEvents, FAUST_MESSAGE)
    payload, _headers = events.prepare_value(batch, None)
    assert payload == FAUST_MESSAGE
    message = Message(
        topic=EVENTS_TOPIC, partition=0, offset=0, timestamp=0.0, timestamp_type=0,
        headers=[], key=b"a1", value=FAUST_MESSAGE, checksum=None,
    )
    assert events.schema.loads_value(app, message) == batch
