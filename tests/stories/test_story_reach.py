"""A window's reach (streams/stories/identity.py `reach`) leaves out only stories that the
mention's identity would refuse: over many invented stories and mentions of every type,
each story that `fits` a mention closes on a day inside the mention's reach, and the
reach still leaves many stories out (it is narrower than the open stories)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from streams.core.records import Event
from streams.knowledge.gazetteer import Gazetteer
from streams.stories.identity import identity, mention, note
from streams.stories.match import closes
from streams.stories.state import StoryState, absorb, new_story

ROOT = Path(__file__).resolve().parents[2]
GAZ = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")
DAY = dt.timedelta(days=1)
START = dt.date(2031, 3, 1)
TYPES = ["attack", "meeting", "sanctions", "ceasefire", "prisoner_exchange", "military"]
PAIRS = [["Russia", "Ukraine"], ["European Union", "Russia"], ["Turkey", "Ukraine"]]


def _event(rng: random.Random, n: int, type_: str, published: dt.date) -> Event:
    roll = rng.random()
    date = (None if roll < 0.4 else
            (published + rng.randint(-30, 20) * DAY).isoformat())
    return Event(
        id=f"e{n}", article_id=f"a{n}", type=type_, actors=rng.choice(PAIRS),
        location=[rng.choice(["Kyiv", "Odesa", "Istanbul", "Geneva"])],
        quantities={"prisoners": {"value": rng.choice([90, 150]), "qualifier": None,
                                  "text": "x"},
                    "hours": {"value": rng.choice([30, 72]), "qualifier": None, "text": "x"}},
        date=date, status=rng.choice(["occurred", "proposed", "scheduled"]),
        sides=rng.choice(PAIRS), topic=rng.choice([[], ["energy"], ["package 17"]]),
        background=False, evidence="a sentence")


def _story(rng: random.Random, n: int, type_: str) -> StoryState:
    """A story told by one to three articles over a few weeks."""
    published = START + rng.randint(-60, 60) * DAY
    event = _event(rng, n, type_, published)
    m = mention(event, published, GAZ)
    story = new_story(f"s{n}", event, m.when, event.article_id, "outlet", published)
    note(story, m)
    for k in range(rng.randint(0, 2)):
        later = published + rng.randint(0, 20) * DAY
        more = _event(rng, n * 10 + k, type_, later)
        m = mention(more, later, GAZ)
        absorb(story, more, m.when, more.article_id, "outlet", later)
        note(story, m)
    return story


def test_every_story_a_mention_fits_closes_within_its_reach() -> None:
    rng = random.Random(5)
    fitted = left_out = 0
    for type_ in TYPES:
        kind = identity(type_)
        stories = [_story(rng, n, type_) for n in range(150)]
        for n in range(150):
            published = START + rng.randint(-40, 40) * DAY
            m = mention(_event(rng, 10_000 + n, type_, published), published, GAZ)
            start, end = kind.reach(m)
            for story in stories:
                inside = start <= closes(story) <= end
                if kind.fits(m, story, GAZ, False) is not None:
                    fitted += 1
                    assert inside, (type_, m.day, m.published, story)
                left_out += not inside
    assert fitted > 1000 and left_out > 20_000  # both sides were tried, many times
