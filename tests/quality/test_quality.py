"""streams.quality: alert scoring as the corpus's score.py counts (alternatives, repeats,
per rule and overall, unlisted rules ignored), event scoring (matching, non-events read as
events, status and toll shares, story pairs), diagnosis lines, and `python -m
streams.quality --format json` end to end on a tiny invented corpus folder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from streams.core.records import Event
from streams.knowledge.gazetteer import Entity, Gazetteer
from streams.quality.__main__ import main, parse
from streams.quality.alerts import pairs, score_alerts, stem
from streams.quality.diagnosis import describe, diagnose, rule_types
from streams.quality.events import RefEvent, event_sides, matches, score_events
from streams.runtime.backtest import Replayed

ROOT = Path(__file__).resolve().parents[2]

# --- alerts -------------------------------------------------------------------------------


def test_stem_and_pairs_reduce_alerts_to_rule_and_article() -> None:
    assert stem("http://127.0.0.1:1/articles/d07.txt?x=1") == "d07"
    assert pairs([{"rule": "r", "article": "d01.txt"}]) == [("r", "d01")]


def test_an_alternative_is_matched_by_either_article_once() -> None:
    assert score_alerts({"r": ["d01|d02"]}, [("r", "d02")]).rules["r"].tp == 1
    both = score_alerts({"r": ["d01|d02"]}, [("r", "d01"), ("r", "d02")]).rules["r"]
    assert (both.tp, both.fp, both.fn, both.wrong) == (1, 1, 0, ["d02"])


def test_a_repeated_pair_is_a_false_positive() -> None:
    s = score_alerts({"r": ["d01"]}, [("r", "d01"), ("r", "d01")]).rules["r"]
    assert (s.tp, s.fp, s.fn, s.repeated, s.wrong) == (1, 1, 0, ["d01"], [])


def test_per_rule_and_overall_figures() -> None:
    expected = {"a": ["d01", "d02"], "b": ["d03"]}
    score = score_alerts(expected, [("a", "d01"), ("a", "d09"), ("b", "d04")])
    a, b, total = score.rules["a"], score.rules["b"], score.overall
    assert (a.tp, a.fp, a.fn, a.missed, a.wrong) == (1, 1, 1, ["d02"], ["d09"])
    assert (b.tp, b.fp, b.fn) == (0, 1, 1)
    assert (total.tp, total.fp, total.fn) == (1, 2, 2)
    assert total.precision == pytest.approx(1 / 3) and total.recall == pytest.approx(1 / 3)
    figures = score.figures()
    assert figures["overall"] == {"tp": 1, "fp": 2, "fn": 2, "precision": 0.3333,
                                  "recall": 0.3333}
    assert figures["rules"]["a"]["missed"] == ["d02"]


def test_rules_absent_from_expected_are_ignored() -> None:
    score = score_alerts({"a": ["d01"]}, [("a", "d01"), ("new-rule", "d05")])
    assert list(score.rules) == ["a"]
    assert (score.overall.tp, score.overall.fp) == (1, 0)


def test_no_alert_at_all_scores_zero_without_dividing_by_zero() -> None:
    s = score_alerts({"a": ["d01"]}, []).rules["a"]
    assert (s.precision, s.recall, s.fn) == (0.0, 0.0, 1)


# --- events -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    g = Gazetteer()
    for name in ("Ukraine", "Russia", "Turkey", "Freedonia"):
        g.add(Entity(name, "country"))
    g.add(Entity("Istanbul", "city", country="Turkey"))
    g.add(Entity("Dnipro", "city", country="Ukraine"))
    g.add(Entity("Olga Petrenko", "person", country="Ukraine", aliases=("Petrenko",)))
    return g


def _ev(type: str = "attack", n: int = 0, **kw: Any) -> Event:
    fields: dict[str, Any] = {"actors": [], "location": [], "quantities": {}} | kw
    return Event(id=f"e{n}", article_id="a", type=type, **fields)


def _ref(type: str = "attack", **kw: Any) -> RefEvent:
    return RefEvent(**({"article": "d01", "type": type, "sides": ("Ukraine", "Russia"),
                        "status": "occurred", "story": "s1"} | kw))


def test_sides_fall_back_to_the_actors_countries(gaz: Gazetteer) -> None:
    assert event_sides(_ev(sides=["Russia"], actors=["Turkey"]), gaz) == ["Russia"]
    assert event_sides(_ev(actors=["Petrenko", "Somebody", "Ukraine"]), gaz) == ["Ukraine"]


def test_matching_type_date_place_and_a_shared_side(gaz: Gazetteer) -> None:
    ref = _ref("meeting", date="2026-01-05", location="Turkey", sides=("Turkey", "Ukraine"))
    good = _ev("meeting", date="2026-01-05", location=["Istanbul"], actors=["Petrenko"])
    assert matches(ref, good, gaz)
    assert not matches(ref, _ev("attack", date="2026-01-05", location=["Istanbul"],
                                actors=["Ukraine"]), gaz)
    assert not matches(ref, _ev("meeting", date="2026-01-06", location=["Istanbul"],
                                actors=["Ukraine"]), gaz)
    assert not matches(ref, _ev("meeting", date="2026-01-05", location=["Dnipro"],
                                actors=["Ukraine"]), gaz)
    assert not matches(ref, _ev("meeting", date="2026-01-05", location=["Istanbul"],
                                actors=["Freedonia"]), gaz)
    # no date or place in the reference: anything goes for those
    assert matches(_ref("meeting"), _ev("meeting", date="2020-01-01", sides=["Russia"]), gaz)


def test_a_location_with_parts_overlaps_on_any_part(gaz: Gazetteer) -> None:
    ref = _ref(location="Riverside market, Dnipro")
    assert matches(ref, _ev(location=["Dnipro"], sides=["Russia"]), gaz)


def test_event_recall_status_toll_and_one_to_one(gaz: Gazetteer) -> None:
    refs = [
        _ref(killed=12, story="s1"),
        _ref(article="d02", killed=5, status="occurred", story="s2"),
        _ref(article="d03", type="ceasefire", status="proposed", story="s3"),
    ]
    extracted = {
        "d01": [_ev(n=1, sides=["Russia"], status="scheduled",
                    quantities={"killed": {"value": 12}}),
                _ev(n=2, sides=["Russia"], quantities={"killed": {"value": 12}})],
        "d02": [_ev(n=3, sides=["Ukraine"], quantities={"killed": {"value": 4}})],
    }
    score = score_events(refs, extracted, gaz)
    assert (len(score.matched), score.total, [r.story for r in score.missed]) == (2, 3, ["s3"])
    assert score.matched[0].event.id == "e2"  # the candidate with the right status first
    assert (score.status_right, score.killed_stated, score.killed_right) == (2, 2, 1)
    assert score.figures()["recall"] == pytest.approx(0.6667)


def test_a_hypothetical_read_as_firing_is_a_non_event(gaz: Gazetteer) -> None:
    refs = [
        _ref(type="ceasefire", status="hypothetical", story="call"),
        _ref(article="d02", type="sanctions", status="denied", story="no"),
    ]
    extracted = {
        "d01": [_ev("ceasefire", sides=["Ukraine"], status="proposed")],
        "d02": [_ev("sanctions", sides=["Russia"], status="hypothetical")],
    }
    score = score_events(refs, extracted, gaz)
    assert (score.total, score.nonevents_total) == (0, 2)
    assert [m.ref.story for m in score.nonevents_read] == ["call"]
    assert score.figures()["nonevents_read_as_events"] == 1


def test_an_event_matched_by_a_firing_reference_is_not_a_non_event(gaz: Gazetteer) -> None:
    refs = [_ref(type="ceasefire", status="proposed", story="offer"),
            _ref(type="ceasefire", status="hypothetical", story="call")]
    extracted = {"d01": [_ev("ceasefire", sides=["Ukraine"], status="proposed")]}
    score = score_events(refs, extracted, gaz)
    assert (len(score.matched), len(score.nonevents_read)) == (1, 0)


def test_story_pairs_precision_and_recall(gaz: Gazetteer) -> None:
    # references: d01, d02 one story (A), d03 another (B); extracted: all three one story
    refs = [_ref(article=a, story=s) for a, s in (("d01", "A"), ("d02", "A"), ("d03", "B"))]
    extracted = {a: [_ev(n=i, sides=["Russia"], story_id="x")]
                 for i, a in enumerate(("d01", "d02", "d03"))}
    score = score_events(refs, extracted, gaz)
    assert (score.pairs_same_ref, score.pairs_same_got, score.pairs_same_both) == (1, 3, 1)
    assert score.story_precision == pytest.approx(1 / 3) and score.story_recall == 1.0


# --- diagnosis ----------------------------------------------------------------------------


def test_describe_shows_the_fields_and_a_short_excerpt() -> None:
    ev = _ev("attack", sides=["Russia", "Ukraine"], actors=["Russia"], location=["Dnipro"],
             date="2026-01-05", quantities={"killed": {"value": 11}}, topic=["energy"],
             background=True, story_id="0123456789abcdef", evidence="word " * 100)
    line = describe(ev)
    for part in ("attack", "sides=[Russia, Ukraine]", "actors=[Russia]", "place=[Dnipro]",
                 "date=2026-01-05", "status=occurred", "killed=11", "topic=[energy]",
                 "background=yes", "story=01234567"):
        assert part in line
    assert len(line.split('"')[1]) <= 160
    # a dated story id keeps its day and enough of its key to tell two stories of a day apart
    dated = describe(replace(ev, story_id="20260105-0123456789abcdef"))
    assert "story=20260105-01234567 " in dated


def test_diagnosis_names_the_firing_event_and_what_was_read_for_a_miss() -> None:
    from streams.core.records import Alert

    fired = _ev("ceasefire", sides=["Ukraine"], evidence="A truce was offered.")
    alert = Alert(id="x", rule_id="truce", severity="high", story_id="s", title="t",
                  article_url="u", article_id="a", source="", event=fired, message="",
                  created="", destinations=[])
    replayed = [Replayed("d01.txt", [fired], [alert]),
                Replayed("d02.txt", [_ev("attack", evidence="Shelling.")], [])]
    score = score_alerts({"truce": ["d02|d03"]}, [("truce", "d01")])
    lines = diagnose(score, replayed, {"truce": ("ceasefire",)})
    assert lines[0].startswith("wrong   truce d01: ceasefire sides=[Ukraine]")
    assert lines[1] == "missed  truce d02|d03: d02 no ceasefire event extracted"
    assert "d03 not replayed" in lines[2]


def test_rule_types_come_from_each_rules_when_type() -> None:
    docs = [{"rules": [{"id": "a", "when": {"type": "attack"}},
                       {"id": "b", "when": {"type": ["meeting", "ceasefire"]}},
                       {"id": "c", "when": {"text": "x"}}]}]
    assert rule_types(docs) == {"a": ("attack",), "b": ("meeting", "ceasefire"), "c": ()}


# --- the command --------------------------------------------------------------------------


def test_arguments_pair_a_seed_folder_with_its_reference(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "expected.yaml").write_text("{}")
    fmt, seeds, corpora = parse(["--format", "json", str(ROOT / "seeds"),
                                 "tests/data/events.yaml", str(tmp_path / "c")])
    assert (fmt, seeds, corpora) == (
        "json", [(ROOT / "seeds", Path("tests/data/events.yaml"))], [tmp_path / "c"])
    with pytest.raises(ValueError, match="no such folder"):
        parse([str(tmp_path / "absent")])


# Invented articles (not real news): three stories, one alert each, and a sanctions alert
# expected where none is told, so the figures have a miss to show.
TINY = {
    "d01.txt": "Russia and Ukraine swap 200 prisoners of war\n"
               "Russia and Ukraine exchanged 200 prisoners of war on Monday, March 2, "
               "officials in Kyiv said.\nThe released soldiers crossed the border by bus.\n",
    "d02.txt": "Missile strike kills 12 in Dnipro\n"
               "A Russian missile strike killed 12 people in Dnipro on Tuesday, regional "
               "officials said.\nRescue teams worked through the night at the damaged block.\n",
    "d03.txt": "Turkish and Ukrainian ministers hold talks in Istanbul\n"
               "The foreign ministers of Turkey and Ukraine met in Istanbul on Wednesday, "
               "March 4, to discuss ending the war with Russia.\n"
               "The two ministers spoke to reporters after the meeting.\n",
    "feed.yaml": "title: Invented test corpus\nitems:\n"
                 "  - {file: d01.txt, published: 2026-03-02T12:00:00Z, source: test}\n"
                 "  - {file: d02.txt, published: 2026-03-03T12:00:00Z, source: test}\n"
                 "  - {file: d03.txt, published: 2026-03-04T12:00:00Z, source: test}\n",
    "expected.yaml": "prisoner-exchange-new: [d01]\nmass-casualty-strike: [d02]\n"
                     "peace-talks-turkey: [d03]\nsanctions-russia: [d02|d03]\n",
    "events.yaml": (
        "d01:\n  - {type: prisoner_exchange, date: 2026-03-02, sides: [Russia, Ukraine],"
        " prisoners: 200, status: occurred, story: px-200}\n"
        "d02:\n  - {type: attack, date: 2026-03-03, location: Dnipro, sides: [Russia, Ukraine],"
        " killed: 12, status: occurred, story: at-dnipro}\n"
        "d03:\n  - {type: meeting, date: 2026-03-04, location: Istanbul,"
        " sides: [Turkey, Ukraine], status: occurred, topic: war, story: m-istanbul}\n"
        "  - {type: sanctions, sides: [Ukraine, Russia], status: hypothetical, story: sx-call}\n"
    ),
}


@pytest.mark.slow
def test_command_scores_a_tiny_corpus_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    extractor: Any,
) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_RULES_DIR", str(ROOT / "rules"))
    monkeypatch.setenv("NEWSWATCH_TAXONOMY_DIR", str(ROOT / "rules" / "taxonomy"))
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path / "data"))
    assert main(["--format", "json", str(folder)], extractor=extractor) == 0
    out = json.loads(capsys.readouterr().out)
    corpus = out["corpora"][0]
    assert corpus["articles"] == 3
    alerts = corpus["alerts"]
    assert alerts["overall"] == {"tp": 3, "fp": 0, "fn": 1, "precision": 1.0, "recall": 0.75}
    assert alerts["rules"]["sanctions-russia"]["missed"] == ["d02|d03"]
    assert corpus["diagnosis"] == [
        "missed  sanctions-russia d02|d03: d02 no sanctions event extracted",
        "missed  sanctions-russia d02|d03: d03 no sanctions event extracted",
    ]
    events = corpus["events"]
    assert (events["total"], events["matched"], events["status_right"]) == (3, 3, 3)
    assert (events["killed_stated"], events["killed_right"]) == (1, 1)
    assert (events["nonevents_total"], events["nonevents_read_as_events"]) == (1, 0)
