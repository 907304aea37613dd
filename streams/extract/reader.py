"""Events of one article, read sentence by sentence from spaCy docs (its paragraphs, in
order), then completed with what only the whole article tells: a later sentence that goes on
about the same happening, the article's main actors, the other side of a two-sided event.

Everything kept here is plain data, so the docs can be freed (spaCy's memory_zone) as soon
as they are read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from spacy.tokens import Doc, Span, Token

from streams.extract.actors import People, actors_of, clause_tokens, mentions, places_of
from streams.extract.attribution import REPORTING, attribution_of, event_scope
from streams.extract.dates import WEEKDAYS, resolve_date
from streams.extract.event_status import finalize, status_of, tense_for_dates
from streams.extract.nlp import EVENTS_KEY
from streams.extract.quantities import Quantity, by_role, keep_highest, quantities_in
from streams.extract.sides import ROLE_NAMES, side_roles, sides_of
from streams.extract.topics import about_war, article_speaks_of_war, subject_words, topic_of
from streams.knowledge.gazetteer import Gazetteer
from streams.knowledge.taxonomy import Taxonomy

CONTINUATION_GAP = 2  # a same-type mention this many sentences later may go on about it
CURRENT_DAYS = 30  # an undated mention goes on about a current happening, not an old one
RECALL_DAYS = 7  # a happening dated this long before publication is recalled, not news
# "Putin had earlier announced", "recalled the exchange", "last month's sanctions"
_RECALL_WORDS = frozenset({"earlier", "previously", "recall", "formerly", "once", "ago"})
_RECALL_DATES = ("last month", "last year", "ago", "earlier this", "in 20", "previous")
_ANAPHORIC = frozenset("the this that these those such their its his her".split())
_EVIDENCE_SENTENCES = 3
# "the Russian delegation, headed by Medinski": a delegation's head takes part in its talks
_DELEGATIONS = frozenset({"delegation", "team"})
_LEAD = frozenset({"lead", "head"})
# "Leaders from the EU will be present.": the next sentence names more of the participants
_PARTICIPATE = frozenset({"attend", "participate", "join", "present"})
# meeting words that tell a journey: a meeting only with someone (or some state) to meet
_VISITS = frozenset({"visit", "trip", "travel", "tour", "journey"})


@dataclass
class Draft:
    """An event being built: one sentence, or a few that tell the same happening."""

    type: str
    first: int  # sentence index in the article
    last: int
    evidence: list[str]
    actors: list[str]
    location: list[str]
    date: dt.date | None
    status: str
    explicit: bool  # status from tense or a cue, not a default
    quantities: dict[str, dict[str, Any]] = field(default_factory=dict)
    attribution: str | None = None
    anaphoric: bool = False  # "the meeting": refers back, whoever it names
    sides: list[str] = field(default_factory=list)  # countries in the trigger's own clause
    delegations: bool = False  # "the delegations will meet": their heads take part
    participants: list[str] = field(default_factory=list)  # named by the next sentence
    roles: dict[str, list[str]] = field(default_factory=dict)  # see streams/extract/sides.py
    topic: list[str] = field(default_factory=list)  # see streams/extract/topics.py
    background: bool = False  # the sentence recalls an earlier happening
    trigger: str = ""  # the lemma of the word that told it ("talks", "visit")


class ArticleReader:
    """Accumulates an article's drafts across its docs; `drafts()` completes them."""

    def __init__(self, taxonomy: Taxonomy, gazetteer: Gazetteer, published: dt.date | None):
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.published = published
        self.reference = published  # the date last mentioned, for "a day earlier"
        self.people = People()
        self.sentences = 0
        self.topic: list[str] = []  # actors of the headline / lede
        self.pairs: Counter[tuple[str, str]] = Counter()  # countries named together
        self.countries: Counter[str] = Counter()
        self.weekdays: dict[int, dt.date] = {}  # "Friday" means the same day all article long
        self.delegates: dict[str, str] = {}  # country -> the person heading its delegation
        self.texts: list[str] = []  # the article's paragraphs, for its overall subject
        self._date_ents: dict[int, Any] = {}  # trigger token -> its DATE entity (this doc)
        self._drafts: list[Draft] = []

    def read(self, doc: Doc) -> None:
        """Read one doc (a headline or paragraph) of the article."""
        triggers = list(doc.spans[EVENTS_KEY]) if EVENTS_KEY in doc.spans else []
        self.texts.append(doc.text)
        self._date_ents = {}
        self.people.new_paragraph()
        paragraph_start = self.sentences
        for sent in doc.sents:
            index = self.sentences
            self.sentences += 1
            found = mentions(sent, self.gazetteer, self.people)
            self._count_countries(found)
            if not self.topic and index <= 1:
                self.topic = actors_of(found, set(), self.gazetteer)
            self._note_delegates(sent, found)
            mine = [s for s in triggers if sent.start <= s.root.i < sent.end]
            if mine:
                self._read_sentence(sent, index, found, mine)
            elif self._drafts and self._drafts[-1].last == index - 1 >= paragraph_start:
                self._participants(sent, found, self._drafts[-1])

    def _note_delegates(self, sent: Span, found: list[Any]) -> None:
        """'X will lead the delegation', 'the delegation, headed by X': X heads it."""
        people = {m.root.i: m.name for m in found if m.kind == "person"}
        for tok in sent:
            if tok.lemma_.lower() not in _DELEGATIONS:
                continue
            heads = []
            if tok.dep_ == "dobj" and tok.head.lemma_.lower() in _LEAD:
                heads += [c for c in tok.head.children if c.dep_ == "nsubj"]
            for verb in tok.children:
                if verb.dep_ in ("acl", "relcl") and verb.lemma_.lower() in _LEAD:
                    heads += [o for a in verb.children if a.dep_ == "agent" for o in a.children]
            for head in heads:
                name = people.get(head.i)
                country = self.gazetteer.country_of(name) if name else None
                if name and country:
                    self.delegates[country] = name

    def _participants(self, sent: Span, found: list[Any], draft: Draft) -> None:
        """'Leaders from the EU will be present.' right after an event: more participants."""
        root = sent.root
        verbs = {root, *(c for c in root.children if c.dep_ in ("acomp", "xcomp"))}
        if not any(v.lemma_.lower() in _PARTICIPATE for v in verbs):
            return
        draft.participants += actors_of(found, set(), self.gazetteer)

    def _count_countries(self, found: list[Any]) -> None:
        names = dict.fromkeys(  # ordered, not a set: most_common breaks ties by first seen
            self.gazetteer.country_of(m.name) if m.kind == "person" else m.name
            for m in found
            if m.kind in ("country", "person")
        )
        self.countries.update(n for n in names if n)
        for a, b in combinations(sorted(n for n in names if n), 2):
            self.pairs[(a, b)] += 1

    def _read_sentence(self, sent: Span, index: int, found: list[Any], spans: list[Span]) -> None:
        by_type: dict[str, list[Token]] = {}
        for span in spans:
            by_type.setdefault(span.label_, []).append(span.root)
        numbers = quantities_in(sent, self.taxonomy)
        owners = _assign_numbers(numbers, by_type)
        delegations = any(t.lemma_.lower() in _DELEGATIONS for t in sent)
        for etype, triggers in by_type.items():
            triggers.sort(key=lambda t: (_depth(t), t.i))
            primary = triggers[0]
            scope, reporter = event_scope(primary)
            status, explicit = status_of(primary, scope, self.taxonomy, reporter, etype)
            for other in triggers[1:]:
                if explicit:
                    break
                other_scope, other_reporter = event_scope(other)
                other_status, other_explicit = status_of(
                    other, other_scope, self.taxonomy, other_reporter, etype
                )
                if other_explicit:
                    status, explicit = other_status, True
            date = self._date(sent, triggers, status)
            place_mentions = [m for t in triggers for m in places_of(found, t, event_scope(t)[0])]
            location = list(dict.fromkeys(m.name for m in place_mentions))
            actors = actors_of(found, {m.start for m in place_mentions}, self.gazetteer)
            places = {m.start for m in place_mentions}
            roles = side_roles(
                [m for m in found if m.start not in places], scope, etype, self._side_of
            )
            if etype == "attack":  # the country of the place hit is the attacked side
                for place in location:
                    country = self.gazetteer.country_of(place)
                    if country and country not in roles.get("attacked", []):
                        roles.setdefault("attacked", []).append(country)
            draft = Draft(
                type=etype,
                first=index,
                last=index,
                evidence=[sent.text.strip()],
                actors=actors,
                location=location,
                date=date,
                status=status,
                explicit=explicit,
                quantities=by_role(q for q in numbers if owners.get(id(q)) == etype),
                attribution=attribution_of(sent, scope, reporter, self.gazetteer, self.people.last),
                anaphoric=any(
                    c.dep_ in ("det", "poss") and c.lower_ in _ANAPHORIC for c in primary.children
                ),
                sides=self._clause_sides(found, primary, scope),
                delegations=delegations,
                roles=roles,
                trigger=primary.lemma_.lower(),
                topic=topic_of(etype, primary, location),
                background=self._recalled(sent, primary, scope, reporter, date),
            )
            self._drafts.append(draft)
            if date is not None:
                self.reference = date

    def _side_of(self, mention: Any) -> str | None:
        """The country or party a mention stands for, None for a place or an unknown name."""
        if mention.kind == "person":
            return self.gazetteer.country_of(mention.name)
        if mention.kind in ("country", "organisation"):
            return str(mention.name)
        if mention.kind in ("city", "region", "site"):
            # "Kyiv and Moscow exchanged prisoners", "Istanbul hosted the talks", "a strike
            # on Dnipro": a place linked to the event as an argument stands for its country
            # (a place where it happened, "in Istanbul", is its location, not a side)
            return self.gazetteer.country_of(mention.name)
        return None

    def _recalled(
        self, sent: Span, trigger: Token, scope: list[Token], reporter: Token | None,
        date: dt.date | None,
    ) -> bool:
        """Does the sentence recall an earlier happening rather than report news?"""
        if date is not None and self.published is not None:
            if (self.published - date).days > RECALL_DAYS:
                return True
        lemmas = {t.lemma_.lower() for t in scope}
        for token in scope:
            lemmas |= {c.lemma_.lower() for c in token.children if c.dep_ == "advmod"}
        if reporter is not None:
            lemmas.add(reporter.lemma_.lower())
        if lemmas & _RECALL_WORDS:
            return True
        verb = next((t for t in scope if t.pos_ in ("VERB", "AUX")), None)
        reported = any(t.lemma_.lower() in REPORTING and t.pos_ == "VERB" for t in sent)
        if verb is not None and not reported and verb.tag_ == "VBN":
            auxes = {c.lower_ for c in verb.children if c.dep_ in ("aux", "auxpass")}
            if "had" in auxes:
                return True  # past perfect outside reported speech (no backshift): earlier
        ent = self._date_entity(sent, trigger)
        return ent is not None and any(w in ent.text.lower() for w in _RECALL_DATES)

    def _clause_sides(self, found: list[Any], trigger: Token, scope: list[Token]) -> list[str]:
        clause = clause_tokens(trigger, scope)
        mine = [m for m in found if m.root.i in clause]
        names = [
            self.gazetteer.country_of(m.name) if m.kind == "person" else m.name
            for m in mine
            if m.kind in ("country", "person")
        ]
        return list(dict.fromkeys(n for n in names if n))

    def _date_entity(self, sent: Span, trigger: Token) -> Span | None:
        """The trigger's DATE entity, found once per trigger (date and recall both ask)."""
        if trigger.i not in self._date_ents:
            self._date_ents[trigger.i] = _date_entity(sent, trigger)
        return self._date_ents[trigger.i]

    def _date(self, sent: Span, triggers: list[Token], status: str) -> dt.date | None:
        if self.published is None:
            return None
        for trigger in triggers:
            ent = self._date_entity(sent, trigger)
            if ent is None:
                continue
            words = ent.text.lower().split()
            day = next((WEEKDAYS[w] for w in words if w in WEEKDAYS), None)
            bare = day is not None and not {"this", "next", "last", "past", "coming"} & set(words)
            if bare and day in self.weekdays and not any(c.isdigit() for c in ent.text):
                return self.weekdays[day]
            date = resolve_date(ent.text, self.published, self.reference, tense_for_dates(status))  # type: ignore[arg-type]
            if date is not None and day is not None:
                self.weekdays.setdefault(day, date)
            return date
        return None

    def drafts(self) -> list[Draft]:
        """The article's events: continuations merged, actors completed, status final."""
        merged: list[Draft] = []
        for draft in self._drafts:
            previous = next((d for d in reversed(merged) if d.type == draft.type), None)
            if previous is not None and self._continues(previous, draft):
                _merge(previous, draft)
            else:
                merged.append(draft)
        out = []
        war = article_speaks_of_war("\n".join(self.texts))
        self._shared_subjects(merged)
        for draft in merged:
            if draft.type == "meeting" and not subject_words(draft.topic) and war:
                draft.topic.append("war")  # a meeting that names no subject has the article's
            if not draft.actors:
                draft.actors = list(self.topic)
            draft.actors += [a for a in draft.participants if a not in draft.actors]
            if draft.delegations:
                heads = [self.delegates.get(c) for c in self._countries(draft.actors)]
                draft.actors += [h for h in heads if h and h not in draft.actors]
            if self.taxonomy.event_types[draft.type].parties == 2:
                self._complete_sides(draft)
            self._final_sides(draft)
            if draft.type == "meeting" and not self._has_counterpart(draft):
                continue  # "the envoy visited Istanbul": a trip, not talks
            if not draft.actors and not draft.location:
                continue  # a heading like "Meetings and negotiations": nothing to alert on
            draft.status = finalize(draft.status, draft.date, self.published)
            out.append(draft)
        return out

    def _continues(self, previous: Draft, draft: Draft) -> bool:
        """Does draft go on about the happening previous told?"""
        if draft.first - previous.last > CONTINUATION_GAP:
            return False
        if previous.date and draft.date and previous.date != draft.date:
            return False
        dated = previous.date or draft.date
        if (previous.date is None) != (draft.date is None) and not self._current(dated):
            return False
        if not _statuses_agree(previous, draft):
            return False
        if previous.background != draft.background:
            return False
        if not _topics_agree(previous.topic, draft.topic):
            return False
        if previous.location and draft.location and not self._places_agree(previous, draft):
            return False
        if draft.anaphoric:
            return True
        if previous.actors and draft.actors and not self._actors_overlap(previous, draft):
            return False
        return True

    def _current(self, date: dt.date | None) -> bool:
        if date is None or self.published is None:
            return True
        return abs((date - self.published).days) <= CURRENT_DAYS

    def _places_agree(self, a: Draft, b: Draft) -> bool:
        within = self.gazetteer.within
        return all(any(within(p, q) or within(q, p) for q in a.location) for p in b.location)

    def _actors_overlap(self, a: Draft, b: Draft) -> bool:
        return bool(self._sides(a.actors) & self._sides(b.actors))

    def _countries(self, actors: list[str]) -> list[str]:
        found = (a if self.gazetteer.kind(a) == "country" else self.gazetteer.country_of(a)
                 for a in actors)  # fmt: skip
        return list(dict.fromkeys(c for c in found if c))

    def _sides(self, actors: list[str]) -> set[str]:
        return set(actors) | {c for a in actors if (c := self.gazetteer.country_of(a))}

    def _shared_subjects(self, drafts: list[Draft]) -> None:
        """A meeting that names no subject takes the subject the article gives to meetings
        between the same parties ("the talks" after "talks on embassy work")."""
        meetings = [d for d in drafts if d.type == "meeting"]
        for draft in meetings:
            if subject_words(draft.topic):
                continue
            mine = set(sides_of(draft.roles)) or set(draft.sides)
            for other in meetings:
                theirs = set(sides_of(other.roles)) or set(other.sides)
                if other is draft or not mine or not (mine <= theirs or theirs <= mine):
                    continue
                draft.topic += [w for w in subject_words(other.topic) if w not in draft.topic]

    def _has_counterpart(self, draft: Draft) -> bool:
        """A visit is a meeting when it names whom it visits: a person or party besides the
        visitor, or a country (a state visit); a city alone is a trip."""
        if draft.trigger not in _VISITS:
            return True
        hosts = [p for p in draft.location if self.gazetteer.kind(p) == "country"]
        for host in hosts:  # the state visited hosts the meeting: a side
            if host not in sides_of(draft.roles):
                draft.roles.setdefault("party", []).append(host)
        return len(sides_of(draft.roles)) >= 2

    def _final_sides(self, draft: Draft) -> None:
        """Sides from the structure; when the sentence links none to the event, the countries
        of its own clause, else of its actors (the headline's when it names none)."""
        agent, target = ROLE_NAMES.get(draft.type, ("party", "party"))
        if agent != target and draft.roles.get(agent) and not draft.roles.get(target):
            # "the UK's largest package yet, aimed at the shadow fleet": the clause's
            # other countries are the target when the sentence links none
            others = [c for c in draft.sides if c not in draft.roles[agent]]
            if others:
                draft.roles[target] = others
        if sides_of(draft.roles):
            return
        fallback = draft.sides or self._countries(draft.actors)
        if fallback:
            draft.roles = {"party": list(fallback)}

    def _complete_sides(self, draft: Draft) -> None:
        """A two-sided event naming one side (or none): add the country the article names
        most often with it (or the article's two most named countries)."""
        sides = draft.sides or [c for a in draft.actors if (c := self.gazetteer.country_of(a))]
        if len(set(sides)) >= 2:
            return
        if sides:
            side = sides[0]
            partners = Counter(
                {(b if a == side else a): n for (a, b), n in self.pairs.items() if side in (a, b)}
            )
            extra = [c for c, _ in partners.most_common(1)]
        else:
            extra = [c for c, _ in self.countries.most_common(2)]
        for country in extra:
            if country not in draft.actors:
                draft.actors.append(country)
            if sides_of(draft.roles) and country not in sides_of(draft.roles):
                draft.roles.setdefault("party", []).append(country)


def _topics_agree(a: list[str], b: list[str]) -> bool:
    """Two numbered rounds or packages differ; so do a meeting about the war and one about
    something else. Topics named on one side only agree."""
    labels_a, labels_b = set(a) - set(subject_words(a)), set(b) - set(subject_words(b))
    if labels_a and labels_b and not labels_a & labels_b:
        return False
    subject_a, subject_b = subject_words(a), subject_words(b)
    return not (subject_a and subject_b) or about_war(subject_a) == about_war(subject_b)


def _statuses_agree(a: Draft, b: Draft) -> bool:
    if a.status == b.status or not a.explicit or not b.explicit:
        return "cancelled" not in (a.status, b.status) or a.status == b.status
    return {a.status, b.status} <= {"proposed", "scheduled"}


def _merge(into: Draft, other: Draft) -> None:
    into.last = other.last
    if len(into.evidence) < _EVIDENCE_SENTENCES:
        into.evidence.append(other.evidence[0])
    into.actors += [a for a in other.actors if a not in into.actors]
    into.location += [p for p in other.location if p not in into.location]
    into.date = into.date or other.date
    if not into.explicit and other.explicit:
        into.status, into.explicit = other.status, True
    into.sides += [c for c in other.sides if c not in into.sides]
    into.delegations = into.delegations or other.delegations
    into.participants += [a for a in other.participants if a not in into.participants]
    keep_highest(into.quantities, other.quantities)  # a toll's latest figure is its highest
    into.attribution = into.attribution or other.attribution
    for role, names in other.roles.items():
        mine = into.roles.setdefault(role, [])
        mine += [n for n in names if n not in mine]
    into.topic += [t for t in other.topic if t not in into.topic]


def _date_entity(sent: Span, trigger: Token) -> Span | None:
    """The DATE entity that belongs to the trigger: inside its phrase first, else attached to
    a head above it in the same clause (not to another verb, not to a reporting verb)."""
    scope = {t.i: n for n, t in enumerate(event_scope(trigger)[0])}
    subtree = {t.i for t in trigger.subtree}
    best: tuple[tuple[int, int], Span] | None = None
    for ent in sent.ents:
        if ent.label_ != "DATE":
            continue
        if ent.root.i in subtree:
            rank = (0, abs(ent.root.i - trigger.i))
        else:
            t, steps = ent.root, 0
            while t.i not in scope and t.head != t and steps < 6:
                if t != ent.root and t.pos_ in ("VERB", "AUX"):
                    break
                t, steps = t.head, steps + 1
            if t.i not in scope:
                continue
            rank = (1, scope[t.i])
        if best is None or rank < best[0]:
            best = (rank, ent)
    return best[1] if best else None


def _assign_numbers(numbers: list[Quantity], by_type: dict[str, list[Token]]) -> dict[int, str]:
    """Each number goes to the event type whose trigger is nearest in the parse tree."""
    owners: dict[int, str] = {}
    for q in numbers:
        best = min(
            ((min(_distance(q.token, t) for t in ts), etype) for etype, ts in by_type.items()),
            default=None,
        )
        if best is not None:
            owners[id(q)] = best[1]
    return owners


def _depth(token: Token) -> int:
    return sum(1 for _ in token.ancestors)


def _distance(a: Token, b: Token) -> int:
    path_a = [a, *a.ancestors]
    index_a = {t.i: n for n, t in enumerate(path_a)}
    for n, t in enumerate([b, *b.ancestors]):
        if t.i in index_a:
            return n + index_a[t.i]
    return 1_000
