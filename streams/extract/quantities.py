"""Numbers stated for an event, with their role: "killed at least 24 people" -> killed 24
(qualifier "at least"); "a ceasefire lasting at least 30 days" -> days 30; "roughly 1,200
Ukrainian prisoners" -> prisoners 1200. Numbers written as words count too.

A role comes from the taxonomy (quantities: role -> verbs, nouns): a toll phrase ("the death
toll rose to 14"), the verb the counted people are the object or subject of ("killed ...
people", "were reported killed"), else the noun counted ("days"); streams/extract/tolls.py reads
the ways a toll is phrased. A number with no role (a year, "four-year-old", "two of Russia's
largest companies") is no quantity, nor is a sub-count ("including two children"); a count
of victims over a war or several days gets the role "<role>_total" ("killed_total").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Span, Token

from streams.extract import tolls
from streams.knowledge.taxonomy import QuantityRole, Taxonomy

WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
QUALIFIERS = (
    "at least", "more than", "over", "roughly", "about", "around", "nearly", "almost",
    "up to", "some", "approximately", "an estimated", "fewer than", "less than",
    "as many as", "at most", "close to", "upwards of",
)  # fmt: skip
# Who gets counted by a verb role: "killed 24 people", "24 civilians died", "killing 24".
PEOPLE = frozenset(
    "people person civilian child resident soldier serviceman troop fighter woman man "
    "passenger worker citizen member".split()
)
_NOT_COUNTS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "ORDINAL"})
_DURATIONS = frozenset({"day", "hour", "week", "month"})


@dataclass(frozen=True)
class Quantity:
    """One number with its role, where it sits in the sentence (for assigning it to the
    nearest trigger) and the text it was read from."""

    role: str
    value: float
    qualifier: str | None
    text: str
    token: Token

    def as_dict(self) -> dict[str, object]:
        value: float | int = int(self.value) if self.value == int(self.value) else self.value
        return {"value": value, "qualifier": self.qualifier, "text": self.text}


def quantities_in(sent: Span, taxonomy: Taxonomy) -> list[Quantity]:
    """Every number in the sentence that has a role, in order."""
    out: list[Quantity] = []
    for group in _number_groups(sent):
        value = number_value(" ".join(t.text for t in group))
        if value is None:
            continue
        anchor = group[-1]
        found = _role(anchor, taxonomy.roles)
        if found is None:
            continue
        role, noun = found
        qualifier, start = _qualifier(sent, group[0])
        end = max(anchor.i, noun.i) + 1
        text = sent.doc[start:end].text
        out.append(Quantity(role, value, qualifier, text, anchor))
    return out


def by_role(quantities: Iterable[Quantity]) -> dict[str, dict[str, object]]:
    """One figure per role: the highest stated (a later update of a toll is higher; sub-counts
    and totals are not the toll, so they never compete with it)."""
    out: dict[str, dict[str, object]] = {}
    for q in quantities:
        keep_highest(out, {q.role: q.as_dict()})
    return out


def keep_highest(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    """Merge figures into `into`, role by role, keeping the higher value."""
    for role, q in other.items():
        old = into.get(role)
        if old is None or float(q["value"]) > float(old["value"]):
            into[role] = q


def number_value(text: str) -> float | None:
    """'1,200' -> 1200, 'five' -> 5, '2.5 million' -> 2500000, 'twenty-four' -> 24."""
    total, current, seen = 0.0, 0.0, False
    for word in re.split(r"[\s-]+", text.lower().replace(",", "")):
        if not word:
            continue
        if re.fullmatch(r"\d+(\.\d+)?", word):
            current += float(word)
        elif word in WORDS:
            current += WORDS[word]
        elif word in SCALES:
            current = (current or 1) * SCALES[word]
            if SCALES[word] >= 1000:
                total, current = total + current, 0.0
        elif word == "and":
            continue
        else:
            return None
        seen = True
    return total + current if seen else None


def _number_groups(sent: Span) -> list[list[Token]]:
    groups: list[list[Token]] = []
    for tok in sent:
        if not (tok.like_num or tok.lower_ in SCALES):
            continue
        # a date is no count, but "a ceasefire lasting 30 days" is (the model calls it DATE)
        if (
            tok.ent_type_ in _NOT_COUNTS
            and tok.head.lemma_.lower() not in _DURATIONS
            and not tolls.is_toll_value(tok)
        ):
            continue
        # "Eleven people have died": the model may tag a number word as an adjective
        if tok.pos_ not in ("NUM", "NOUN") and not tok.is_digit and tok.lower_ not in WORDS:
            continue
        if groups and groups[-1][-1].i == tok.i - 1:
            groups[-1].append(tok)
        else:
            groups.append([tok])
    return groups


def _role(number: Token, roles: tuple[QuantityRole, ...]) -> tuple[str, Token] | None:
    """(role, the counted noun) for a number: a toll phrase, the verb the counted are the
    argument of, the noun counted. A sub-count has none; a war-wide or several days' count
    of victims is a total ("killed_total")."""
    if number.dep_ == "quantmod" and number.head.like_num:
        return None  # the low end of a range: "from seven to 14", "between 10 and 15"
    noun = number.head if number.dep_ in ("nummod", "quantmod", "amod") else number
    found = _toll_or_verb(number, noun, roles) or _by_noun(noun, roles)
    if found is None or tolls.is_subcount(number, noun):
        return None
    role, anchors = found
    if role in tolls.HARM_ROLES and tolls.is_period_total(anchors):
        role += tolls.TOTAL
    return role, noun


def _toll_or_verb(
    number: Token, noun: Token, roles: tuple[QuantityRole, ...]
) -> tuple[str, list[Token]] | None:
    """'the toll rose to 14'; 'killed 24 people', '24 were reported killed', 'claimed 30
    lives': with the tokens a period ('since the war began') would hang from."""
    toll = tolls.toll_phrase(noun, roles)
    if toll is not None:
        return toll[0], [toll[1], toll[1].head]
    victims = noun == number or noun.lemma_.lower() in PEOPLE or noun.ent_type_ == "NORP"
    for pred in _predicates(number, noun):
        anchors = [pred, pred.head] if pred.dep_ in ("conj", "xcomp", "oprd") else [pred]
        if tolls.natural_death(pred):
            return None
        found = tolls.counted_by_verb(noun, pred)
        if found is None and victims:
            found = _verb_role(pred, roles) or tolls.complement_role(noun, pred, roles)
        if found is not None:
            return found, anchors
    return None


def _predicates(number: Token, noun: Token) -> list[Token]:
    """What is said of the counted: a participle or adjective after them ('five people
    killed', '12 injured'), the verb they are the argument of ('killed 24 people')."""
    preds = [c for c in noun.children if c.dep_ in ("acl", "amod") and c.i > noun.i]
    if noun.dep_ in ("dobj", "nsubj", "nsubjpass", "attr") or noun == number:
        preds.append(noun.head)  # after the participle: "left five dead and 12 injured"
    return preds


def _verb_role(verb: Token, roles: tuple[QuantityRole, ...]) -> str | None:
    lemma = verb.lemma_.lower()
    return next((r.name for r in roles if lemma in r.verbs), None)


def _by_noun(noun: Token, roles: tuple[QuantityRole, ...]) -> tuple[str, list[Token]] | None:
    """'24 dead', '45 casualties', '30 days'; 'the deaths of 12 civilians' counts deaths."""
    lemma = noun.lemma_.lower()
    if noun.dep_ == "pobj" and noun.head.lower_ == "of" and lemma in PEOPLE:
        owner = noun.head.head  # "the deaths of 12 civilians", "the bodies of 900 soldiers"
        role = next((r.name for r in roles if owner.lemma_.lower() in r.nouns), None)
        if role is not None:
            return role, [owner, owner.head]
    role = next((r.name for r in roles if lemma in r.nouns), None)
    return (role, [noun, noun.head]) if role is not None else None


def _qualifier(sent: Span, first: Token) -> tuple[str | None, int]:
    """The hedge before a number ('at least') and where the quantity's text starts."""
    start = max(sent.start, first.i - 3)
    words = [t.lower_ for t in sent.doc[start : first.i]]
    for n in (3, 2, 1):
        phrase = " ".join(words[-n:]) if len(words) >= n else ""
        if phrase in QUALIFIERS:
            return phrase, first.i - n
    return None, first.i
