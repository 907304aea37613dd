"""Quantities: numbers read as values, one figure per role (the highest: a toll's latest
update), and an article's several figures for one strike (streams/extract/quantities.py,
streams/extract/tolls.py). The phrasings themselves are golden cases in
tests/golden/extract/quantities.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.records import Article, content_key
from streams.extract.quantities import by_role, keep_highest, number_value, quantities_in


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,200", 1200), ("fourteen", 14), ("Eleven", 11), ("twenty-four", 24),
     ("2.5 million", 2_500_000), ("a hundred", None), ("three hundred and five", 305)],
)  # fmt: skip
def test_number_value(text: str, value: float | None) -> None:
    assert number_value(text) == value


def test_keep_highest_keeps_the_higher_figure_per_role() -> None:
    into: dict[str, Any] = {"killed": {"value": 7}, "injured": {"value": 30}}
    keep_highest(into, {"killed": {"value": 20}, "injured": {"value": 12}, "days": {"value": 3}})
    assert into == {"killed": {"value": 20}, "injured": {"value": 30}, "days": {"value": 3}}


def _read(extractor: Any, text: str) -> list[tuple[str, float]]:
    doc = extractor.nlp(text)
    return [(q.role, q.value) for s in doc.sents for q in quantities_in(s, extractor.taxonomy)]


def test_one_figure_per_role_in_a_sentence_is_the_highest(extractor: Any) -> None:
    doc = extractor.nlp("The toll rose from seven to 14 after two more bodies were recovered.")
    got = by_role(q for s in doc.sents for q in quantities_in(s, extractor.taxonomy))
    assert got["killed"]["value"] == 14


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the low end of a range is no count
        ("Between 10 and 15 people were killed in the shelling.", []),
        # a toll's value the model tags as a date is still a count
        ("The death toll in the town stands at 14, the mayor said.", [("killed", 14)]),
        # a part of a count already given
        ("Four of those killed were rescue workers.", []),
        ("Two of the dead were children.", []),
        # a death that is no attack's
        ("Over 60 people have died of hunger in the city.", []),
        ("Two people died from their wounds in hospital.", [("killed", 2)]),
        # the war as the killer, or a clause about the war: a total
        ("The war has killed more than 20,000 people.", [("killed_total", 20000)]),
        ("a conflict that has left 52 soldiers dead", [("killed_total", 52)]),
        # casualties are never the killed
        ("The shelling caused 45 casualties.", [("casualties", 45)]),
    ],
)
def test_quantities_in(extractor: Any, text: str, expected: list[tuple[str, float]]) -> None:
    assert _read(extractor, text) == expected


def test_an_article_states_a_strike_toll_as_its_highest_figure(extractor: Any) -> None:
    text = (
        "A Russian missile strike on Sumy killed two people, officials said on Sunday. "
        "Rescuers kept searching the rubble of the building hit by the Russian strike. "
        "Officials later said the toll of the Russian strike on Sumy had grown to 14."
    )
    article = Article(id=content_key(text), url="t", title="", text=text, published="2025-03-02")
    [events] = extractor.extract([article])
    attacks = [e for e in events if e.type == "attack"]
    assert [e.quantities["killed"]["value"] for e in attacks] == [14]
