"""What makes two mentions one story, per event type (GUIDELINES.md section 5), pure.

Each type has an identity: the facts that must agree (a strike's place and day, a round's
day and venue, a truce's scope and period, a sanctions package's authority and number) and
a span after which its story is closed. Facts a mention does not state never disagree (a
country is compatible with its cities, an unscoped truce with any scope); facts it states
must agree. The matcher (streams/stories/match.py) asks `fits` of every open story and takes
the best.

A fit is a tuple, higher is better: (facts stated on both sides and equal, -days apart).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass

from streams.core.records import Event
from streams.extract.dates import parse_published
from streams.knowledge.gazetteer import Gazetteer, fold
from streams.stories.state import StoryState, extend

Fit = tuple[int, int]
# The days a story's `closes` may fall on for a mention to fit it: (from, until)
Reach = tuple[dt.date, dt.date]
ANY_DAY: Reach = (dt.date.min, dt.date.max)
DAY = dt.timedelta(days=1)
# A recall (background) may join a story closed up to this long ago.
RECALL_DAYS = 120
# Facts a story keeps (streams/stories/state.py bounds the others): the parties of one
# happening are a handful (a story that gathered every party named near it would take any
# later mention), its scope words and package numbers a few, its authorities fewer.
MAX_SIDES = 8
MAX_TOPIC = 12
MAX_AUTHORITY = 6

# Ukraine is named in nearly every report of sanctions on Russia as their beneficiary, so
# without an authority role it is not taken for one (unknown rather than wrong).
_BENEFICIARY = "ukraine"
_DEFAULT_TARGET = "russia"
_PACKAGE = re.compile(r"\bpackage\s*(\d+)")


@dataclass(frozen=True)
class Mention:
    """An event as matching sees it."""

    event: Event
    published: dt.date  # its article's publication date; a dated recall: the happening's
    day: dt.date | None  # the event's own date
    sides: frozenset[str]
    scope: frozenset[str]  # topic words that are not a package number
    packages: frozenset[str]  # sanctions package numbers ("16")
    authority: frozenset[str]  # sanctions: who imposes them
    hours: float | None  # a truce's stated length
    recall: bool  # background: it recalls an earlier happening

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def when(self) -> dt.date:
        return self.day or self.published


def mention(event: Event, published: dt.date, gazetteer: Gazetteer) -> Mention:
    """The matching view of an event told in an article published on `published`."""
    day = parse_published(event.date)
    recall = is_recall(event, published)
    sides = sides_of(event, gazetteer)
    topic = [fold(t) for t in event.topic or []]
    packages = frozenset(m.group(1) for t in topic if (m := _PACKAGE.search(t)))
    return Mention(
        event=event,
        published=day if recall and day else published,
        day=day,
        sides=sides,
        scope=frozenset(t for t in topic if not _PACKAGE.search(t)),
        packages=packages,
        authority=authority_of(event, gazetteer),
        hours=_hours(event),
        recall=recall,
    )


def is_recall(event: Event, published: dt.date) -> bool:
    """Background, or dated before its type's span reaches back from the article."""
    day = parse_published(event.date)
    span = identity(event.type).span
    return event.background or (day is not None and (published - day).days > span)


def parties(names: list[str], gazetteer: Gazetteer) -> frozenset[str]:
    """Folded parties: a person or a place stands for its country, an organisation for
    itself; names the gazetteer does not know stay as they are. Remembered by the gazetteer
    (the same few names come back article after article)."""
    key = ("story parties", *names)
    return gazetteer.remembered(key, lambda: frozenset(_party(n, gazetteer) for n in names))


def _party(name: str, gazetteer: Gazetteer) -> str:
    ent = gazetteer.get(name)
    return fold(gazetteer.country_of(name) or (ent.name if ent else name))


def sides_of(event: Event, gazetteer: Gazetteer) -> frozenset[str]:
    """The event's sides when extraction read them, else its actors' countries."""
    return parties(event.sides or event.actors, gazetteer)


def authority_of(event: Event, gazetteer: Gazetteer) -> frozenset[str]:
    """Sanctions: the authority role, else the sides that are not the target."""
    roles = event.roles or {}
    if roles.get("authority"):
        return parties(roles["authority"], gazetteer)
    if event.type != "sanctions":
        return frozenset()
    known = parties([n for n in event.sides or event.actors if _state_like(n, gazetteer)],
                    gazetteer)
    rest = known - (parties(roles.get("target") or [], gazetteer) or {_DEFAULT_TARGET})
    return frozenset(rest - {_BENEFICIARY})


def _state_like(name: str, gazetteer: Gazetteer) -> bool:
    """Who may impose sanctions: a country or an organisation, or someone the gazetteer
    ties to a country. Other names (unplaced officials, companies, banks: often the
    targets) are left out: an authority unknown joins, a wrong one would split."""
    return gazetteer.country_of(name) is not None or gazetteer.kind(name) == "organisation"


def _hours(event: Event) -> float | None:
    hours, days = event.quantity("hours"), event.quantity("days")
    return hours if hours else (days * 24 if days else None)


# --- places ------------------------------------------------------------------------------


def _specific(places: list[str], gazetteer: Gazetteer) -> list[str]:
    """Places below a country (cities, regions, sites, names the gazetteer lacks)."""
    return [p for p in places if gazetteer.kind(p) not in ("country", "organisation")]


def _countries(places: list[str], gazetteer: Gazetteer) -> set[str]:
    return {fold(c) for p in places if (c := gazetteer.country_of(p))}


def _nested(p: str, q: str, gazetteer: Gazetteer) -> bool:
    return gazetteer.within(p, q) or gazetteer.within(q, p)


def places_agree(a: list[str], b: list[str], gazetteer: Gazetteer) -> bool:
    """One place can be told both ways: some city/site of one inside (or containing) some
    of the other; where one names only countries, a country in common (or none named).
    Remembered by the gazetteer: every candidate of an article is asked, the same few
    places again and again."""
    if not a or not b:
        return True
    key = ("places agree", tuple(a), tuple(b))
    return gazetteer.remembered(key, lambda: _places_agree(a, b, gazetteer))


def _places_agree(a: list[str], b: list[str], gazetteer: Gazetteer) -> bool:
    sa, sb = _specific(a, gazetteer), _specific(b, gazetteer)
    if sa and sb:
        return any(_nested(p, q, gazetteer) for p in sa for q in sb)
    ca, cb = _countries(a, gazetteer), _countries(b, gazetteer)
    return not ca or not cb or bool(ca & cb)


def same_place(a: list[str], b: list[str], gazetteer: Gazetteer) -> int:
    """1 when both name the same city or site (an exact match, preferred over nesting).
    Remembered by the gazetteer, as `places_agree`."""
    if not a or not b:
        return 0
    return gazetteer.remembered(("same place", tuple(a), tuple(b)),
                                lambda: _same_place(a, b, gazetteer))


def _same_place(a: list[str], b: list[str], gazetteer: Gazetteer) -> int:
    sb = {fold(gazetteer.canonical(q) or q) for q in _specific(b, gazetteer)}
    return int(any(fold(gazetteer.canonical(p) or p) in sb for p in _specific(a, gazetteer)))


def places_compatible(a: list[str], b: list[str], gazetteer: Gazetteer) -> bool:
    """Loose (other types): unknown on either side, or a pair nested or in one country."""
    if not a or not b:
        return True
    return any(
        _nested(p, q, gazetteer)
        or (gazetteer.country_of(p) is not None
            and gazetteer.country_of(p) == gazetteer.country_of(q))
        for p in a for q in b
    )


# --- identities --------------------------------------------------------------------------


class Identity:
    """Other types: today's rule, bounded. Same place (loosely), within `span` days of the
    story's first anchor; closed `span` days after it."""

    span = 10
    # Sides another article's mention must share with the story (fewer when either names
    # fewer): the two parties of a meeting or a truce, so that a mediator or a host in
    # common is not enough. (An exchange's reports name its mediators and helpers with one
    # party as often as both parties: one side is enough there.) Within one article a
    # sentence names the one party it is about, and none need be shared.
    parties = 1

    def __init__(self) -> None:
        self.span_days = self.span * DAY  # (closes is asked for every candidate)

    def closes(self, story: StoryState) -> dt.date:
        """The last day a (non-recall) mention may join the story."""
        return story.first + self.span_days

    def reach(self, m: Mention) -> Reach:
        """The days on which `closes` falls for every story `fits` may accept for this
        mention (other than as an undated recall): the store loads no other (a superset:
        `fits` still decides). Here: its earliest day within `span` days of the mention."""
        return (m.when, m.when + 2 * self.span * DAY)

    def fits(self, m: Mention, story: StoryState, gazetteer: Gazetteer, timeless: bool
             ) -> Fit | None:
        """How well the mention fits the story, None when it is another happening.
        `timeless`: an undated recall, for which only the facts are compared."""
        if not places_compatible(m.event.location, story.location, gazetteer):
            return None
        gap = abs((m.when - story.first).days)
        return (0, -gap) if timeless or gap <= self.span else None


class Attack(Identity):
    """One strike = one place and one day. The day is the event's date, else publication
    (an overnight strike is reported the next morning: one day either way; a toll update on
    the same named city, two days). A city and its country are one place; two cities
    neither inside the other, two strikes."""

    span = 3

    def closes(self, story: StoryState) -> dt.date:
        return story.day + self.span_days

    def reach(self, m: Mention) -> Reach:
        # a day apart from the mention's date, else -1 to 2 days from its article's (`fits`)
        if m.day is not None:
            return (m.day + (self.span - 1) * DAY, m.day + (self.span + 1) * DAY)
        return (m.published + (self.span - 2) * DAY, m.published + (self.span + 1) * DAY)

    def fits(self, m: Mention, story: StoryState, gazetteer: Gazetteer, timeless: bool
             ) -> Fit | None:
        # the days first: most candidates of an article are another day's strikes
        dated = m.day is not None or timeless
        gap = (m.when if dated else m.published) - story.day
        lag = gap.days
        if not (timeless or (abs(lag) <= 1 if dated else -1 <= lag <= 2)):
            return None
        if not places_agree(m.event.location, story.location, gazetteer):
            return None
        exact = same_place(m.event.location, story.location, gazetteer)
        if dated:
            return (exact, -abs(lag))
        return (exact, -abs(lag)) if lag <= 1 + exact else None


class Meeting(Identity):
    """One round = one meeting day, venue and parties. A dated story takes dated mentions
    within a day of its date (a round moved by a day keeps its story) and undated ones from
    three weeks before (the announcement) to ten days after (the recaps); later rounds are
    new stories. Parties: two in common (one mediator in common, Turkey hosting talks on
    another war, is another meeting). Two venues on one day are one meeting when a person
    is named at both (one person is at one venue a day: the outlets differ)."""

    span = 10  # days after its date (undated: `ahead` days after it was first told)
    parties = 2
    ahead = 21  # how long before a round it may be announced
    ahead_days = ahead * DAY

    def closes(self, story: StoryState) -> dt.date:
        held = story.held
        return held + self.span_days if held else story.since + self.ahead_days

    def reach(self, m: Mention) -> Reach:
        # dated: held a day apart, or announced up to `ahead` days before and a day after;
        # undated: held from `span` days before the article to `ahead` after it, or
        # announced from `span` days before it to a day after
        if m.day is not None:
            return (m.day, m.day + (self.ahead + 1) * DAY)
        return (m.published, m.published + (self.span + self.ahead) * DAY)

    def fits(self, m: Mention, story: StoryState, gazetteer: Gazetteer, timeless: bool
             ) -> Fit | None:
        held = story.held
        # the days first (the cheaper test: most candidates of an article are other rounds)
        if timeless:
            gap, ok = (m.published - story.day).days, True
        elif held and m.day:
            gap, ok = abs((m.day - held).days), abs((m.day - held).days) <= 1
        elif m.day:  # an announced round, now dated
            gap = (m.day - story.since).days
            ok = -1 <= gap <= self.ahead
        elif held:  # nearest round to the article
            gap = (m.published - held).days
            ok = -self.ahead <= gap <= self.span
        else:
            gap = (m.published - story.since).days
            ok = -1 <= gap <= 10
        if not ok:
            return None
        if not places_agree(m.event.location, story.location, gazetteer) and not (
            m.day == held and _same_person(m.event.actors, story.actors, gazetteer)
        ):
            return None  # (one person is at one venue a day: two outlets name two cities)
        return (same_place(m.event.location, story.location, gazetteer), -abs(gap))


def _same_person(a: list[str], b: list[str], gazetteer: Gazetteer) -> bool:
    people = {gazetteer.canonical(n) for n in b if gazetteer.kind(n) == "person"}
    return any(gazetteer.canonical(n) in people for n in a if gazetteer.kind(n) == "person")


class PrisonerExchange(Identity):
    """One exchange = one swap, or one agreement with the swaps that carry it out over the
    following ~2 weeks. A swap with no agreement is one day; a new agreement (a week on,
    or other numbers) is a new story."""

    span = 21  # from its first article: the agreement, its stages, the recaps
    stages = 16  # days after an agreement its swaps may come
    restated = 7  # days after an agreement other outlets still report it as news

    def closes(self, story: StoryState) -> dt.date:
        return story.since + self.span_days

    def reach(self, m: Mention) -> Reach:
        return ANY_DAY  # a swap's day is not bound to when its story was first told

    def fits(self, m: Mention, story: StoryState, gazetteer: Gazetteer, timeless: bool
             ) -> Fit | None:
        if timeless:
            return (0, -abs((m.published - story.day).days))
        agreement = m.event.status != "occurred"
        if agreement and story.agreed and _numbers_differ(m.event, story):
            return None
        if agreement and m.day is None:
            if story.agreed:
                gap = (m.published - story.since).days
                return (1, -abs(gap)) if -1 <= gap <= self.restated else None
            gap = abs((m.published - story.day).days)
            return (0, -gap) if gap <= 1 else None
        day = m.when  # a swap, or a stage set for a day
        if story.agreed:
            gap = (day - story.since).days
            return (0, -abs(gap)) if -1 <= gap <= self.stages else None
        gap = abs((day - story.day).days)
        return (1, -gap) if gap <= 1 else None


def _numbers_differ(event: Event, story: StoryState) -> bool:
    mine, theirs = event.quantity("prisoners"), story.quantities.get("prisoners")
    return mine is not None and theirs is not None and float(theirs["value"]) != mine


class Ceasefire(Identity):
    """One truce = its parties, scope and period. Different scopes (topic words) or places
    never join, nor, unless they name the same scope, lengths more than twice apart (a
    30-hour and a 72-hour truce); an
    unscoped mention joins the most recently told compatible truce; once a truce in force
    or set for a day has run its length, later news is of another truce.

    Span: 60 days since the last mention. Restatements of an offer come weeks apart (the
    same pause offered again seven weeks on) and should still join it; a truce nobody has
    mentioned for 60 days is old news that the rules' 60-day limit would not alert on
    either, so a fresh offer after that is news again. Holiday truces recur yearly."""

    span = 60
    parties = 2
    # however often it is told, a truce's story closes this long after it was first told
    # (a story renewed by every mention would never close, and gather a year of news)
    lasts = 180
    lasts_days = lasts * DAY

    def closes(self, story: StoryState) -> dt.date:
        return min(story.latest + self.span_days, story.since + self.lasts_days)

    def reach(self, m: Mention) -> Reach:
        return ANY_DAY  # the facts decide, not the days

    def fits(self, m: Mention, story: StoryState, gazetteer: Gazetteer, timeless: bool
             ) -> Fit | None:
        scope = frozenset(story.topic)
        if m.scope and scope and not m.scope & scope:
            return None
        named = bool(m.scope & scope)  # the same scope named: the same truce, whatever lengths
        # a sentence merged into it may state (another truce's "30 days" said in passing)
        if not named and m.hours and story.hours and (
            max(m.hours, story.hours) > 2 * min(m.hours, story.hours)
        ):
            return None
        if not (timeless or m.recall) and _period_over(story, m.published):
            return None
        if not places_agree(m.event.location, story.location, gazetteer):
            return None
        exact = len(m.scope & scope) + same_place(m.event.location, story.location, gazetteer)
        start = story.started
        exact += bool(m.day and start and abs((m.day - start).days) <= 1)  # its day named
        return (exact, -abs((m.published - story.latest).days))


def _period_over(story: StoryState, when: dt.date) -> bool:
    start = story.started
    if start is None or not story.hours:
        return False
    return when > start + (math.ceil(story.hours / 24) + 1) * DAY


class Sanctions(Identity):
    """One decision = one authority and one package: different authorities or package
    numbers never join; one authority's numbered package is one story from proposal to
    adoption (45 days); without numbers, within three weeks of its first article."""

    span = 45
    unnumbered = 21

    def closes(self, story: StoryState) -> dt.date:
        return story.since + self.span_days

    def reach(self, m: Mention) -> Reach:
        # first told from `span` days (a package named: `unnumbered` without) before the
        # article to a day after it
        back = self.unnumbered if not m.packages else self.span
        return (m.published + (self.span - back) * DAY, m.published + (self.span + 1) * DAY)

    def fits(self, m: Mention, story: StoryState, gazetteer: Gazetteer, timeless: bool
             ) -> Fit | None:
        authority = frozenset(story.authority)
        if m.authority and authority and not m.authority & authority:
            return None
        packages = _packages(tuple(story.topic))
        if m.packages and packages and not m.packages & packages:
            return None
        exact = int(bool(m.packages & packages)) + int(bool(m.authority & authority))
        gap = (m.published - story.since).days
        if timeless:
            return (exact, -abs(gap))
        limit = self.span if m.packages & packages else self.unnumbered
        return (exact, -abs(gap)) if -1 <= gap <= limit else None


@functools.lru_cache(maxsize=1024)
def _packages(topic: tuple[str, ...]) -> frozenset[str]:
    """The package numbers among a story's topic words (asked for every candidate: the
    same few topics come back)."""
    return frozenset(m.group(1) for t in topic if (m := _PACKAGE.search(t)))


_IDENTITIES: dict[str, Identity] = {
    "attack": Attack(),
    "meeting": Meeting(),
    "prisoner_exchange": PrisonerExchange(),
    "ceasefire": Ceasefire(),
    "sanctions": Sanctions(),
}
_OTHER = Identity()


def identity(event_type: str) -> Identity:
    """The identity of an event type (other types: the bounded default)."""
    return _IDENTITIES.get(event_type, _OTHER)


def note(story: StoryState, m: Mention) -> None:
    """Keep the facts identities compare: sides, scope and packages, authority, agreement,
    a truce's length (the first stated)."""
    extend(story.sides, sorted(m.sides), MAX_SIDES)
    extend(story.topic, [fold(t) for t in m.event.topic or []], MAX_TOPIC)
    extend(story.authority, sorted(m.authority), MAX_AUTHORITY)
    story.agreed = story.agreed or (m.type == "prisoner_exchange" and m.event.status != "occurred")
    story.hours = story.hours or m.hours
    if m.day and m.event.status in ("occurred", "scheduled"):
        story.start = story.start or m.day.isoformat()  # in force, or set for that day
