"""streams/deliver/first_tellers.py: which story's alert an article raises for a rule, from
what is recorded, as if articles came in order of publication."""

from __future__ import annotations

import random

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


def test_after_every_alerts_teller_the_alerts_own_tellings_decide_as_all_would() -> None:
    """An article published after each alert's teller of the stories it tells raises what
    it would with every telling of every story read (so streams/deliver/record.py reads
    the updates, and the other stories of their tellers, only for an older article)."""
    rng = random.Random(16)
    moments = [None] + [order_of(f"2025-{m:02d}-01T08:00:00+00:00", f"https://example.org/{m}")
                        for m in range(1, 13)]
    checked = 0
    for _ in range(3000):
        orders = {f"a{i}": rng.choice(moments) for i in range(6)}
        stories = [f"s{i}" for i in range(rng.randint(1, 5))]
        recorded = []
        for story in stories:
            tellers = rng.sample(sorted(orders), rng.randint(1, 4))
            recorded += [Telling(story, a, orders[a], first=(n == 0))
                         for n, a in enumerate(tellers)]
        told = rng.sample([*stories, "new1", "new2"], rng.randint(1, 3))
        order = rng.choice(moments)
        own = [t for t in recorded if t.first and t.story in told]
        if precedes_any(order, own):
            continue
        checked += 1
        assert raised_story("b", order, told, own) == raised_story("b", order, told, recorded)
    assert checked > 1000


def test_before_an_alerts_teller_the_alerts_own_tellings_do_not_suffice() -> None:
    # twin of the above: May tells Lviv before June, which raised Lviv's alert and Odesa's;
    # the alerts' own tellings of May's stories (Lviv's) miss that June keeps Odesa's
    recorded = [Telling("lviv", "june", JUNE, first=True),
                Telling("odesa", "june", JUNE, first=True)]
    own = recorded[:1]
    assert precedes_any(MAY, own)
    assert raised_story("may", MAY, ["kharkiv", "lviv"], own) is None
    assert raised_story("may", MAY, ["kharkiv", "lviv"], recorded) == "kharkiv"
