"""The world places index (streams/knowledge/places.py) and the gazetteer's fallback to it: cities
outside the hand-written file resolve with their country and nest in it, countries by other
names, demonyms; months, holidays, English words that are towns and surnames do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from spacy.tokens import Doc, Span

from streams.knowledge.gazetteer import Gazetteer
from streams.knowledge.places import world

SHIPPED = Path(__file__).parents[2] / "rules" / "taxonomy" / "gazetteer.yaml"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load(SHIPPED)


def test_a_city_outside_the_file_has_its_country_and_nests(gaz: Gazetteer) -> None:
    assert gaz.canonical("Almaty") == "Almaty"
    assert gaz.kind("Almaty") == "city"
    assert gaz.country_of("Almaty") == "Kazakhstan"
    assert gaz.within("Almaty", "Kazakhstan")
    assert gaz.containers("Goma") == ["Goma", "Democratic Republic of the Congo"]
    assert not gaz.within("Almaty", "Turkey")


def test_countries_keep_the_files_canonical_names(gaz: Gazetteer) -> None:
    # a Turkish city from the world index nests in the file's Turkey, which rules name
    assert gaz.country_of("Izmir") == "Turkey"
    assert gaz.within("Izmir", "Türkiye")
    assert gaz.canonical("Republic of Turkey") == "Turkey"
    assert gaz.canonical("Great Britain") == "United Kingdom"
    assert gaz.canonical("United States of America") == "United States"


def test_countries_by_other_names(gaz: Gazetteer) -> None:
    assert gaz.canonical("Côte d'Ivoire") == gaz.canonical("Ivory Coast") == "Ivory Coast"
    assert gaz.canonical("Burma") == "Myanmar"
    assert gaz.canonical("DR Congo") == "Democratic Republic of the Congo"
    assert gaz.kind("Kosovo") == "country"


def test_demonyms_are_their_countries(gaz: Gazetteer) -> None:
    assert gaz.canonical("Canadian") == "Canada"
    assert gaz.canonical("Canadians") == "Canada"
    assert gaz.canonical("Japanese") == "Japan"
    assert gaz.canonical("Sudanese") == "Sudan"
    assert gaz.canonical("British") == "United Kingdom"  # the file's name, the file's alias
    assert gaz.canonical("Dominican") == "Dominican Republic"  # the most populous wins


def test_a_shared_name_is_the_most_populous_place(gaz: Gazetteer) -> None:
    assert gaz.country_of("Tripoli") == "Libya"  # not Lebanon's
    assert gaz.kind("Jordan") == "country"  # a country before any town of that name


def test_close_spellings_of_big_cities(gaz: Gazetteer) -> None:
    assert gaz.canonical("Khan Younis") == gaz.canonical("Khan Yunis")
    assert gaz.country_of("Khan Younis") == "Palestine"
    assert gaz.canonical("Kharkov") == "Kharkiv"  # the file's name


def test_calendar_words_are_never_places(gaz: Gazetteer) -> None:
    for word in ("May", "March", "Easter", "Christmas", "Sunday", "Ramadan"):
        assert world().lookup(word) is None, word
        assert gaz.kind(word) is None, word


def test_the_file_alone_without_the_world_index() -> None:
    gaz = Gazetteer.load(SHIPPED, world=False)
    assert gaz.canonical("Almaty") is None
    assert gaz.canonical("Kiev") == "Kyiv"


def _ent(extractor: Any, text: str, word: str, label: str) -> Span:
    """The entity `word` in the parsed text, labelled as the model might have labelled it."""
    doc: Doc = extractor.nlp(text)
    start = next(t.i for t in doc if t.text == word)
    span = Span(doc, start, start + 1, label=label)
    doc.set_ents([span], default="unmodified")
    return span


@pytest.mark.parametrize(
    ("text", "word", "label", "expected"),
    [
        ("Talks were held in Almaty on Friday.", "Almaty", "GPE", "Almaty"),
        ("Talks were held in Almaty on Friday.", "Almaty", "PERSON", "Almaty"),  # locative
        ("Officials said Almaty would host the talks.", "Almaty", "PERSON", None),
        ("Officials said Almaty would host the talks.", "Almaty", "ORG", None),
        ("Canadian officials met on Friday.", "Canadian", "NORP", "Canada"),
        ("The officials met Nairobi officials.", "Nairobi", "NORP", None),  # NORP: demonyms only
        ("A blast hit a port in Split on Monday.", "Split", "GPE", "Split"),
        ("Split decisions delayed the talks.", "Split", "GPE", None),  # starts the sentence
        ("Mobile networks failed in the region.", "Mobile", "GPE", None),
        ("Strike On Split Harbour Kills Four", "Split", "GPE", None),  # a Title Case headline
        ("The ceasefire began in May last year.", "May", "GPE", None),
        ("A drone strike hit the town on Easter morning.", "Easter", "GPE", None),
    ],
)
def test_world_lookups_judge_the_entity(
    extractor: Any, gaz: Gazetteer, text: str, word: str, label: str, expected: str | None
) -> None:
    assert gaz.canonical(word, _ent(extractor, text, word, label)) == expected


def test_a_surname_named_before_is_the_person_not_the_town(extractor: Any) -> None:
    from streams.extract.actors import People, mentions

    # the model labels the lone surname GPE here
    doc = extractor.nlp(
        "Prime Minister Sarah Houston met the delegation in Geneva. "
        "Houston said the talks were useful."
    )
    people = People()
    found = [m for s in doc.sents for m in mentions(s, extractor.gazetteer, people)]
    assert [(m.name, m.kind) for m in found if "Houston" in m.name] == [
        ("Sarah Houston", "person"),
        ("Sarah Houston", "person"),
    ]


def test_the_index_is_built_once() -> None:
    assert world() is world()
    assert len([p for p in world().places.values() if p.kind == "country"]) > 240
