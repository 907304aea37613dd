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

from streams.gazetteer import Gazetteer

LOC_PREPS = frozenset(
    "in at to toward towards near into inside outside around across on from within".split()
)
# "parts of Chernihiv", "the outskirts of Kyiv": the place is still where it happened
PARTITIVE = frozenset(
    "part parts area areas outskirts centre center city region town village suburb district "
    "province oblast".split()
)
VISIT_LEMMAS = frozenset({"visit", "tour", "enter"})
_NP_DEPS = frozenset({"compound", "conj", "appos", "amod", "nmod", "poss", "nummod", "cc"})
_ARG_DEPS = frozenset({"prep", "pobj", "dobj", "nsubj", "nsubjpass", "conj", "attr"})
_MODEL_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_DROP_ARTICLE = ("the ", "The ")


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
    """Full names seen so far in an article, so a later surname resolves ("Smith")."""

    by_surname: dict[str, str] = field(default_factory=dict)
    last: str = ""

    def resolve(self, text: str) -> str:
        if " " in text:
            self.by_surname.setdefault(text.split()[-1].lower(), text)
            return text
        return self.by_surname.get(text.lower(), text)


def mentions(sent: Span, gazetteer: Gazetteer, people: People) -> list[Mention]:
    """The sentence's entities with canonical names; unknown people resolved by surname."""
    out = []
    for ent in sent.ents:
        text = ent.text[4:] if ent.text.startswith(_DROP_ARTICLE) else ent.text
        canon = ent.ent_id_ or gazetteer.canonical(text)
        kind = gazetteer.kind(canon) if canon else None
        if canon is None and ent.label_ == "PERSON":
            canon = people.resolve(text.removesuffix("’s").removesuffix("'s"))
            kind = "person"
        elif kind == "person" and canon:
            people.resolve(canon)
        if canon is None and ent.label_ not in _MODEL_PLACE_LABELS:
            continue
        out.append(Mention(canon or text, kind, ent.label_, ent.root, ent.start, ent.end))
    persons = [m.name for m in out if m.kind == "person"]
    if persons:
        people.last = persons[-1]
    return out


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
    return [
        m
        for m in found
        if (m.kind in ("country", "city", "region", "site") or m.kind is None)
        and m.label in _MODEL_PLACE_LABELS
        and _locative(m.root, trigger, anchors)
    ]


def _locative(token: Token, trigger: Token, anchors: set[int]) -> bool:
    t = token
    for _ in range(8):
        head = t.head
        if head.i == trigger.i and t.dep_ in ("compound", "poss", "nmod", "amod", "npadvmod"):
            return True  # "the Istanbul talks", "Turkey's talks"
        if head.i == trigger.i and t.dep_ == "dobj" and trigger.lemma_.lower() in VISIT_LEMMAS:
            return True  # "visit Turkey"
        if t.dep_ in _NP_DEPS and head is not t:
            t = head
            continue
        if t.dep_ == "pobj" and head.lemma_.lower() == "of" and head.head.lemma_ in PARTITIVE:
            t = head.head  # "parts of Chernihiv" is where "parts" is
            continue
        if t.dep_ != "pobj" or head.lower_ not in LOC_PREPS:
            return False
        owner = head.head
        if owner.i in anchors or _argument_of(owner, trigger):
            return True
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
        if t.dep_ not in _ARG_DEPS or t.head is t or (t is not token and t.pos_ == "VERB"):
            return False
        t = t.head
    return t.i == trigger.i


def _in_locative_phrase(token: Token) -> bool:
    t = token
    while t.dep_ in _NP_DEPS and t.head is not t:
        t = t.head
    return t.dep_ == "pobj" and t.head.lower_ in LOC_PREPS
