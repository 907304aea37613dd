"""streams/deliver/first_tellers.py: which story's alert an article raises for a rule, from
what is recorded, as if articles came in order of publication."""

from __future__ import annotations

from streams.deliver.first_tellers import Telling, order_of, precedes_any, raised_story

MAY, JUNE, JULY = (order_of(f"2025-0{m}-01T08:00:00+00:00", f"https://example.org/{m}")
                   for m in (5, 6, 7))


def test_in_order_of_publication_the_first_new_story() -> None:
    recorded = [Telling("kharkiv", "may", MAY, first=True)]
    assert raised_story("june", JUNE, ["kharkiv", "lviv", "odesa"], recorded) == "lviv"
    assert raised_story("june", JUNE, ["kharkiv"], recorded) is None  # an update only


def test_an_older_article_whose_story_a_newer_one_alerted_raises_none() -> None:
    # June's alert is on Lviv, which May tells first: it stands for May's alert
    recorded = [Telling("lviv", "june", JUNE, first=True)]
    assert raised_story("may", MAY, ["kharkiv", "lviv"], recorded) is None
    # twin: June told another story first too, so it keeps an alert of its own and May
    # raises the alert of its new story
    recorded.append(Telling("odesa", "june", JUNE, first=True))
    assert raised_story("may", MAY, ["kharkiv", "lviv"], recorded) == "kharkiv"


def test_a_newer_article_takes_nothing_from_an_older_one() -> None:
    recorded = [Telling("lviv", "may", MAY, first=True)]
    assert raised_story("july", JULY, ["kharkiv", "lviv"], recorded) == "kharkiv"


def test_a_covered_story_is_never_raised_later() -> None:
    # June raised Kharkiv and covered Lviv; May tells Lviv first but has no new story
    recorded = [Telling("kharkiv", "june", JUNE, first=True),
                Telling("lviv", "june", JUNE, first=True)]
    assert raised_story("may", MAY, ["lviv"], recorded) is None


def test_an_undated_article_keeps_the_order_it_was_processed_in() -> None:
    assert order_of(None, "https://example.org/x") is None
    assert order_of("not a date", "https://example.org/x") is None
    recorded = [Telling("lviv", "june", JUNE, first=True)]
    assert raised_story("undated", None, ["kharkiv", "lviv"], recorded) == "kharkiv"
    # and an undated teller is never taken as newer than a dated article
    recorded = [Telling("lviv", "undated", None, first=True)]
    assert raised_story("may", MAY, ["kharkiv", "lviv"], recorded) == "kharkiv"


def test_only_an_older_article_needs_the_other_stories_of_its_tellers() -> None:
    recorded = [Telling("lviv", "june", JUNE, first=True)]
    assert precedes_any(MAY, recorded)
    assert not precedes_any(JULY, recorded)  # in order of publication: never
    assert not precedes_any(None, recorded)
