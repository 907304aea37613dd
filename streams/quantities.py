"""Numbers stated for an event, with their role: "killed at least 24 people" -> killed 24
(qualifier "at least"); "a ceasefire lasting at least 30 days" -> days 30; "roughly 1,200
Ukrainian prisoners" -> prisoners 1200. Numbers written as words count too.

A role comes from the taxonomy (quantities: role -> verbs, nouns): the verb the counted
people are the object or subject of ("killed ... people"), else the noun counted ("days").
A number with no role (a year, "four-year-old", "two of Russia's largest companies") is no
quantity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span, Token

from streams.taxonomy import QuantityRole, Taxonomy

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
        if tok.ent_type_ in _NOT_COUNTS and tok.head.lemma_.lower() not in _DURATIONS:
            continue
        if tok.pos_ not in ("NUM", "NOUN") and not tok.is_digit:
            continue
        if groups and groups[-1][-1].i == tok.i - 1:
            groups[-1].append(tok)
        else:
            groups.append([tok])
    return groups


def _role(number: Token, roles: tuple[QuantityRole, ...]) -> tuple[str, Token] | None:
    """(role, the counted noun) for a number, by verb first, then by noun."""
    noun = number.head if number.dep_ in ("nummod", "quantmod", "amod") else number
    lemma = noun.lemma_.lower()
    verb = noun.head if noun.dep_ in ("dobj", "nsubj", "nsubjpass", "attr") else None
    if noun == number or lemma in PEOPLE:
        for role in roles:
            if verb is not None and verb.lemma_.lower() in role.verbs:
                return role.name, noun
            # "24 killed", "killing 24": the number is the verb's argument
            if noun == number and number.head.lemma_.lower() in role.verbs:
                return role.name, number
    for role in roles:
        if lemma in role.nouns:
            return role.name, noun
    if number.dep_ == "pobj" and number.head.lemma_ == "of":  # "the release of 1,200 prisoners"
        return None
    return None


def _qualifier(sent: Span, first: Token) -> tuple[str | None, int]:
    """The hedge before a number ('at least') and where the quantity's text starts."""
    start = max(sent.start, first.i - 3)
    words = [t.lower_ for t in sent.doc[start : first.i]]
    for n in (3, 2, 1):
        phrase = " ".join(words[-n:]) if len(words) >= n else ""
        if phrase in QUALIFIERS:
            return phrase, first.i - n
    return None, first.i
