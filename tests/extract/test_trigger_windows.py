"""The event matcher reads only around the words a trigger needs
(streams/extract/trigger_windows.py): the same matches, in the same order, as the whole doc."""

from __future__ import annotations

from typing import Any

import pytest

from streams.extract.extractor import Extractor
from streams.extract.nlp import EVENTS_KEY, EventMatcher
from streams.extract.trigger_windows import TriggerWindows

# invented sentences: triggers at the edges, long optional patterns, look-alikes and their
# must-not-match twins ("a heart attack" / "an attack"), and text with no trigger at all
SENTENCES = [
    "Talks",
    "The weather in Larkspur was mild and the markets were calm all week.",
    "Prisoners of war were exchanged on Tuesday, and a prisoner-of-war swap followed.",
    "The exchange of 90 captured soldiers came after the release of two civilians.",
    "He suffered a heart attack before the attack on the depot; the raid left a blackout.",
    "Forces advanced towards Kharkiv while troops later seized the village, officials said.",
    "A cease-fire and a truce were agreed, then a halt to fighting and a great deal of talk.",
    "The visit met expectations: ministers will meet in Ankara to negotiate a ceasefire",
]


def _matcher(extractor: Extractor) -> EventMatcher:
    matcher = extractor.nlp.get_pipe("newswatch_events").run
    assert isinstance(matcher, EventMatcher)
    return matcher


def test_shipped_patterns_are_matched_in_windows(extractor: Extractor) -> None:
    assert _matcher(extractor).windows is not None


def test_windows_give_the_whole_docs_matches_in_order(extractor: Extractor) -> None:
    matcher = _matcher(extractor)
    assert matcher.windows is not None
    read = tokens = matches = 0
    for doc in extractor.nlp.pipe(SENTENCES):
        whole = list(matcher.matcher(doc))
        assert matcher._matches(doc) == whole, doc.text
        read += sum(end - start for start, end in matcher.windows.around(doc))
        tokens, matches = tokens + len(doc), matches + len(whole)
    assert matches > 20 and read < tokens  # many matches, and less text read


def test_look_alike_twins(extractor: Extractor) -> None:
    [alike, twin] = extractor.nlp.pipe(
        ["He suffered a heart attack in Larkspur.", "He ordered an attack on Larkspur."]
    )
    assert [s.label_ for s in alike.spans[EVENTS_KEY]] == []
    assert [s.label_ for s in twin.spans[EVENTS_KEY]] == ["attack"]


def test_no_trigger_word_no_window(extractor: Extractor) -> None:
    [doc] = extractor.nlp.pipe(["The weather in Larkspur was mild."])
    windows = _matcher(extractor).windows
    assert windows is not None and windows.around(doc) == []


def test_window_reaches_as_far_as_the_patterns() -> None:
    windows = TriggerWindows.of([
        ({"LOWER": "cease"}, {"ORTH": "-"}, {"LOWER": "fire"}),
        ({"LEMMA": {"IN": ["prisoner", "captive"]}}, {"OP": "?"}, {"LEMMA": "swap"}),
    ])
    assert windows is not None
    # "cease" anchors the first (not the common "-"), "swap" the second (fewest words)
    reach = dict(zip(windows.attrs, windows.reach, strict=True))
    assert sorted(len(r) for r in reach.values()) == [1, 1]
    assert sorted(v for r in reach.values() for v in r.values()) == [(0, 2), (2, 0)]


@pytest.mark.parametrize("pattern", [
    ({"LEMMA": "talk"}, {"OP": "?"}),  # an optional last token
    ({"LEMMA": "talk"}, {"OP": "*"}, {"LOWER": "end"}),  # unbounded length
    ({"POS": "NOUN"}, {"LOWER": {"REGEX": "^talk"}}),  # no word a match cannot lack
])
def test_patterns_beyond_the_windows_match_whole_docs(pattern: tuple[dict[str, Any], ...]) -> None:
    assert TriggerWindows.of([({"LEMMA": "meet"},), pattern]) is None
