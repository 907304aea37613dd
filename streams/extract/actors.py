"""Who and where: the entities of a sentence, normalised through the gazetteer, split into an
event's actors (people by full name, the countries involved, organisations) and its places.

"Turkish Foreign Minister Hakan Fidan" -> Hakan Fidan, Turkey; "Ukraine's Defense Minister"
-> Ukraine; "Kiev is preparing" -> Ukraine (a capital as subject stands for its country);
"in the Volyn and Odesa regions" -> places Volyn, Odesa. A place is the event's only when it
hangs off the trigger (or a head above it) by a locative preposition, or names the trigger
("the Istanbul talks", "visit Turkey").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from streams.knowledge.gazetteer import Gazetteer, fold
from streams.knowledge.places import CALENDAR

LOC_PREPS = frozenset(
    "in at to toward towards near into inside outside around across within".split()
)
# "to" makes a place only after motion ("travel to Turkey"), not "relay the outcome to Moscow"
MOTION = frozenset("travel visit trip go come arrive fly head return journey tour move".split())
# "parts of Chernihiv", "the outskirts of Kyiv": the place is still where it happened
PARTITIVE = frozenset(
    "part parts area areas outskirts centre center city region town village suburb district "
    "province oblast".split()
)
VISIT_LEMMAS = frozenset({"visit", "tour", "enter"})
# the place a strike hits is where it happened
HIT_LEMMAS = frozenset({"strike", "hit", "attack", "shell", "bomb", "pound", "target"})
_NP_DEPS = frozenset({"compound", "conj", "appos", "amod", "nmod", "poss", "nummod", "cc"})
_ARG_DEPS = frozenset({"prep", "pobj", "dobj", "nsubj", "nsubjpass", "conj", "attr", "acl"})
_MODEL_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_DROP_ARTICLE = ("the ", "The ")
# Titles by which a person is named ("Turkish Foreign Minister Hakan Fidan") and referred to
# later ("the Turkish minister"); "the Ukrainian leader" is whoever led with one of LEADERS.
ROLES = frozenset(
    "president leader minister prime premier chancellor secretary spokesman spokesperson "
    "envoy negotiator advisor adviser ambassador king".split()
)
LEADERS = frozenset({"president", "prime", "premier", "chancellor", "king", "leader"})
PRONOUNS = frozenset({"he", "she", "him", "his", "her"})


@dataclass(frozen=True)
class Mention:
    """An entity mention: its canonical name (or text), its kind (None if unknown)."""

    name: str
    kind: str | None
    label: str
    root: Token
    start: int
    end: int


@dataclass
class People:
    """People named so far in an article: full names by surname ("Smith"), their titles
    ("President"), the order they were named in, and who the current paragraph is about."""

    by_surname: dict[str, str] = field(default_factory=dict)
    last: str = ""
    seen: list[str] = field(default_factory=list)  # latest last
    titles: dict[str, set[str]] = field(default_factory=dict)
    paragraph: list[str] = field(default_factory=list)  # named or referred to, in order

    def resolve(self, text: str) -> str:
        if " " in text:
            self.by_surname.setdefault(text.split()[-1].lower(), text)
            return text
        return self.by_surname.get(text.lower(), text)

    def knows(self, text: str) -> bool:
        """True when text is the surname of someone named before."""
        return " " not in text and text.lower() in self.by_surname

    def new_paragraph(self) -> None:
        self.paragraph.clear()

    def named(self, name: str, titles: set[str]) -> None:
        if name in self.seen:
            self.seen.remove(name)
        self.seen.append(name)
        self.titles.setdefault(name, set()).update(titles)

    def by_role(self, role: str, country: str | None, gazetteer: Gazetteer) -> str | None:
        """The last person named with this title (and of this country, if given)."""
        wanted = LEADERS if role == "leader" else {role}
        for name in reversed(self.seen):
            if country and gazetteer.country_of(name) != country:
                continue
            if self.titles.get(name, set()) & wanted:
                return name
        return None


def mentions(sent: Span, gazetteer: Gazetteer, people: People) -> list[Mention]:
    """The sentence's entities with canonical names; unknown people resolved by surname."""
    out = []
    for ent in sent.ents:
        text = ent.text[4:] if ent.text.startswith(_DROP_ARTICLE) else ent.text
        canon = ent.ent_id_ or gazetteer.canonical(text, ent)
        # "Houston said", after Sarah Houston: the person, not a town of the world index
        surname = bool(canon) and not gazetteer.canonical(text, world=False) and people.knows(text)
        canon = None if surname else canon
        kind = gazetteer.kind(canon) if canon else None
        if canon is None and (ent.label_ == "PERSON" or surname):
            canon = people.resolve(text.removesuffix("’s").removesuffix("'s"))
            if " " not in canon:
                continue  # a lone name we cannot resolve is too weak to be an actor
            kind = "person"
        elif kind == "person" and canon:
            people.resolve(canon)
        if canon is None and (ent.label_ not in _MODEL_PLACE_LABELS or not _proper(ent, sent)):
            continue
        if canon is None and CALENDAR & {fold(w) for w in text.split()}:
            continue  # "the Easter truce": a holiday the model took for a place
        label = "GPE" if kind == "city" else ent.label_  # "in Dakar", called a person by the model
        out.append(Mention(canon or text, kind, label, ent.root, ent.start, ent.end))
    for m in out:
        if m.kind == "person":
            people.named(m.name, _titles(m, sent))
    out = sorted(out + _referring(sent, out, gazetteer, people), key=lambda m: m.start)
    persons = [m.name for m in out if m.kind == "person"]
    if persons:
        people.last = persons[-1]
        people.paragraph += persons
    return out


def _titles(mention: Mention, sent: Span) -> set[str]:
    """The title words before a name ("Spanish Prime Minister") or in apposition to it."""
    out = set()
    for t in reversed(sent.doc[max(sent.start, mention.start - 4) : mention.start]):
        if t.is_punct or t.pos_ in ("VERB", "AUX", "DET", "ADP"):
            break
        if t.lemma_.lower() in ROLES:
            out.add(t.lemma_.lower())
    for child in mention.root.children:
        if child.dep_ == "appos" and child.lemma_.lower() in ROLES:
            out.add(child.lemma_.lower())
    return out


def _referring(
    sent: Span, named: list[Mention], gazetteer: Gazetteer, people: People
) -> list[Mention]:
    """He, his, the president, the Ukrainian leader: resolved to a person named before
    (a pronoun: the last one in the sentence, else in the paragraph; a title: the last one
    named with it, of the country it names)."""
    covered = {i for m in named for i in range(m.start, m.end)}
    persons = {m.start: m.name for m in named if m.kind == "person"}
    before: list[str] = []
    out = []
    for tok in sent:
        if tok.i in persons:
            before.append(persons[tok.i])
            continue
        if tok.i in covered:
            continue
        name = None
        if tok.lower_ in PRONOUNS and tok.pos_ == "PRON":
            known = before or people.paragraph
            name = known[-1] if known else None
        elif _role(tok):
            name = people.by_role(tok.lemma_.lower(), _role_country(tok, gazetteer), gazetteer)
        if name:
            out.append(Mention(name, "person", "PERSON", tok, tok.i, tok.i + 1))
            before.append(name)
    return out


def _role(tok: Token) -> bool:
    """'the president', 'the Ukrainian leader': a definite title that names no one itself."""
    return (
        tok.lemma_.lower() in ROLES
        and tok.pos_ in ("NOUN", "PROPN")
        and tok.dep_ not in ("compound", "appos")
        and not tok.ent_type_
        and any(c.dep_ == "det" and c.lower_ == "the" for c in tok.children)
        and not any(c.ent_type_ == "PERSON" for c in tok.children)
    )


def _role_country(tok: Token, gazetteer: Gazetteer) -> str | None:
    for child in tok.children:
        if child.dep_ in ("amod", "compound", "nmod", "poss"):
            canon = child.ent_id_ or gazetteer.canonical(child.text)
            country = gazetteer.country_of(canon) if canon else None
            if country:
                return country
    return None


def _proper(ent: Span, sent: Span) -> bool:
    """An unknown place must be a proper noun outside a Title Case headline ("in Bid to")."""
    words = [t for t in sent if t.is_alpha]
    title_case = sum(t.is_title for t in words) > 0.6 * max(len(words), 1)
    return ent.root.pos_ == "PROPN" and not title_case


def actors_of(found: list[Mention], places: set[int], gazetteer: Gazetteer) -> list[str]:
    """Canonical actors: people and their countries, countries, organisations, and capitals
    standing for their country. Cities and regions are places, not actors."""
    out: list[str] = []

    def add(name: str | None) -> None:
        if name and name not in out:
            out.append(name)

    for m in found:
        if m.kind == "person":
            add(m.name)
            add(gazetteer.country_of(m.name))
        elif m.kind in ("country", "organisation"):
            add(m.name)
        elif m.kind == "city" and m.start not in places and not _in_locative_phrase(m.root):
            entity = gazetteer.get(m.name)
            if entity is not None and entity.capital:
                add(entity.country)
    return out


def places_of(found: list[Mention], trigger: Token, scope: list[Token]) -> list[Mention]:
    """The mentions that are where the event happened."""
    anchors = {t.i for t in scope}
    out = [
        m
        for m in found
        if (m.kind in ("country", "city", "region", "site") or m.kind is None)
        and m.label in _MODEL_PLACE_LABELS
        and _locative(m.root, trigger, anchors)
    ]
    # "Russia-Ukraine negotiations": two countries naming the trigger are its parties
    naming = [m for m in out if m.kind == "country" and _names(m.root, trigger)]
    if len(naming) >= 2:
        out = [m for m in out if m not in naming]
    return out


def clause_tokens(trigger: Token, scope: list[Token]) -> set[int]:
    """The trigger's own clause: the top of its scope without other clauses hanging off it
    ("..., and he confirmed that Turkey will take part" is another clause)."""
    top = scope[-1]
    out = {t.i for t in top.subtree}
    for child in top.subtree:
        if child.dep_ in ("conj", "advcl", "ccomp", "parataxis") and child.pos_ in ("VERB", "AUX"):
            if trigger.i not in {t.i for t in child.subtree}:
                out -= {t.i for t in child.subtree}
    return out


def _names(token: Token, trigger: Token) -> bool:
    """True when token modifies the trigger as a compound ('Turkey talks'), via conj too."""
    t = token
    while t.dep_ in ("compound", "conj") and t.head != t:
        if t.head == trigger:
            return True
        t = t.head
    return False


def _locative(token: Token, trigger: Token, anchors: set[int]) -> bool:
    t = token
    partitive = False
    for _ in range(8):
        head = t.head
        if partitive and _argument_of(t, trigger):
            return True  # "parts of Chernihiv were disconnected"
        if head.i == trigger.i and t.dep_ in ("compound", "nmod", "npadvmod"):
            return True  # "the Istanbul talks", "Turkey's talks"
        if head.i == trigger.i and t.dep_ == "dobj" and trigger.lemma_.lower() in VISIT_LEMMAS:
            return True  # "visit Turkey"
        if head.i == trigger.i and t.dep_ in ("dobj", "nsubjpass") and (
            trigger.lemma_.lower() in HIT_LEMMAS and t.ent_type_ in ("GPE", "LOC", "FAC")
        ):
            return True  # "missiles struck Kharkiv", "Kharkiv was shelled"
        if t.dep_ in _NP_DEPS and head != t:
            t = head
            continue
        if t.dep_ == "pobj" and head.lemma_.lower() == "of" and head.head.lemma_ in PARTITIVE:
            t, partitive = head.head, True  # "parts of Chernihiv" is where "parts" is
            continue
        if t.dep_ != "pobj" or head.lower_ not in LOC_PREPS:
            return False
        owner = head.head
        if head.lower_ == "to" and owner.lemma_.lower() not in MOTION:
            return False
        if owner.ent_type_ in ("DATE", "TIME") and owner.dep_ == "pobj":
            owner = owner.head.head  # "scheduled for January 3 in Ukraine"
        if owner.i in anchors or _argument_of(owner, trigger):
            return True
        if owner.dep_ in ("dobj", "nsubjpass") and owner.head.i in anchors:
            return True  # "a strike killed 12 people in Dnipro"
        if owner.dep_ == "pobj" and owner.head.lower_ in LOC_PREPS:
            t = owner  # "at an undisclosed location in the Brest region"
            continue
        return False
    return False


def _argument_of(token: Token, trigger: Token) -> bool:
    """True when token is a participant of the trigger within a few steps ("households [in
    Volyn] were disconnected", "a strike on a hotel [in Kherson]"), no other verb between."""
    t = token
    for _ in range(4):
        if t.i == trigger.i:
            return True
        if t.dep_ not in _ARG_DEPS or t.head == t or (t != token and t.pos_ == "VERB"):
            return False
        t = t.head
    return t.i == trigger.i


def _in_locative_phrase(token: Token) -> bool:
    t = token
    while t.dep_ in _NP_DEPS and t.head != t:
        t = t.head
    return t.dep_ == "pobj" and t.head.lower_ in LOC_PREPS
