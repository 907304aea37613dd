"""What an event is about or covers, from the words of its own phrase.

- a meeting's subject: "peace talks", "talks on ending the war", "embassy talks", "talks on
  Syria" -> the subject words, plus "war" when one of them is the war's vocabulary (peace,
  ceasefire, prisoners...); a meeting that names no subject takes the article's ("war" when
  the article speaks of the war throughout);
- a truce's scope: "energy ceasefire", "a truce at sea", "the Easter truce", "a full 30-day
  ceasefire", "a pause to collect the dead" -> energy, black sea, easter, full, local...;
- a numbered package or round: "the 16th package of sanctions", "the second round of
  talks" -> "package 16", "round 2".

Topics are folded words; stories use them to tell two truces or two packages apart, rules
to ask for talks about the war (`topic: war`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only hinted: the rules (streams.evaluate) use this module without spaCy
    from spacy.tokens import Token

# the war's vocabulary: a meeting about one of these is about the war
WAR_WORDS = frozenset(
    "war peace ceasefire truce conflict hostility invasion settlement prisoner exchange swap "
    "fighting aggression armistice occupation front".split()
)
# one of them as a whole word of letters, plural or not ("prisoners"); none ends in "s"
_WAR_WORD = re.compile(r"(?<![a-z])(?:" + "|".join(sorted(WAR_WORDS)) + r")s*(?![a-z])")
# a truce's scope, by the words that name it (folded lemmas) -> the scope
SCOPES = {
    "energy": "energy", "infrastructure": "energy", "power": "energy", "grid": "energy",
    "maritime": "black sea", "sea": "black sea", "naval": "black sea", "shipping": "black sea",
    "port": "black sea",
    "easter": "easter", "christmas": "christmas", "victory": "victory day",
    "full": "full", "complete": "full", "comprehensive": "full", "general": "full",
    "unconditional": "full", "total": "full", "nationwide": "full",
    "local": "local", "humanitarian": "local", "body": "local", "dead": "local",
    "wounded": "local", "evacuation": "local", "frontline": "local", "section": "local",
}  # fmt: skip
_SUBJECT_PREPS = frozenset({"on", "about", "over", "regarding", "concerning"})
# "on the sidelines of a summit", "on the eve of": where or when, not what about
_NOT_SUBJECTS = frozenset(
    "sideline margin fringe eve side occasion day week evening morning night afternoon "
    "weekend anniversary behalf basis level phone call video link invitation".split()
)
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
_NUMBERED = frozenset({"package", "round", "tranche", "batch"})
_SKIP = frozenset({"new", "next", "latest", "further", "possible", "direct", "first", "last"})
_MAX_DEPTH = 3
_DESCEND = frozenset({"pobj", "pcomp", "dobj", "compound", "prep", "xcomp"})
_LABEL = re.compile(r"(?:package|round|tranche|batch) \d+")
# "the talks focused on embassy work", "delegations met to discuss trade": the subject
_SUBJECT_VERBS = frozenset("focus centre center concentrate address discuss cover concern".split())


def topic_of(etype: str, trigger: Token, places: Iterable[str]) -> list[str]:
    """The topic words of the event whose trigger this is (empty when it names none)."""
    out: list[str] = []
    if etype == "ceasefire":
        out += _scope(trigger, places)
    elif etype == "meeting":
        out += _subject(trigger)
    out += _numbered(trigger)
    return list(dict.fromkeys(out))


def subject_words(topic: Iterable[str]) -> list[str]:
    """The topic without its numbered labels ("round 2", "package 16"): what it is about."""
    return [t for t in topic if not _LABEL.fullmatch(t)]


def about_war(words: Iterable[str]) -> bool:
    """Is a meeting with these subject words about the war?"""
    return any(w in WAR_WORDS for w in words)


def article_speaks_of_war(text: str) -> bool:
    """The article's own subject, for meetings that name none: the war when its vocabulary
    comes back at least three times."""
    return len(_WAR_WORD.findall(text.lower())) >= 3


def _subject(trigger: Token) -> list[str]:
    out = []
    for child in trigger.children:
        if child.dep_ == "compound" and child.pos_ == "NOUN" and not child.ent_type_:
            if child.lemma_.lower() not in _SKIP:
                out.append(child.lemma_.lower())  # "peace talks", "embassy talks"
        if child.dep_ == "prep" and child.lower_ in _SUBJECT_PREPS:
            out += _nouns(child, 0)
        if child.dep_ in ("acl", "relcl") and child.lemma_.lower() in ("aim", "focus", "end"):
            out += _nouns(child, 0)
        if child.dep_ in ("advcl", "xcomp") and child.lemma_.lower() in _SUBJECT_VERBS:
            out += _nouns(child, 0)  # "met to discuss trade"
    head = trigger.head
    if trigger.dep_ in ("nsubj", "nsubjpass") and head.lemma_.lower() in _SUBJECT_VERBS:
        out += _nouns(head, 0)  # "the talks focused on embassy operations"
    if trigger.dep_ == "dobj" and head.pos_ == "VERB":
        for prep in head.children:  # "held talks in Istanbul on ending the war"
            if prep.dep_ == "prep" and prep.lower_ in _SUBJECT_PREPS:
                out += _nouns(prep, 0)
    out = [w for w in out if w not in _NOT_SUBJECTS]
    if any(w in WAR_WORDS for w in out):
        out.append("war")
    return out


def _nouns(token: Token, depth: int) -> list[str]:
    """Nouns and verbs under a subject phrase ("on ending the war" -> end, war)."""
    out = []
    for child in token.children:
        if child.ent_type_ in ("DATE", "TIME") or child.lemma_.lower() in _NOT_SUBJECTS:
            continue
        if child.pos_ in ("NOUN", "PROPN", "VERB") and child.dep_ not in ("advcl", "relcl"):
            out.append(child.lemma_.lower())
        if depth < _MAX_DEPTH and child.dep_ in _DESCEND:
            out += _nouns(child, depth + 1)
    return out


def _scope(trigger: Token, places: Iterable[str]) -> list[str]:
    words = {t.lemma_.lower() for t in trigger.subtree if t.i != trigger.i}
    head = trigger.head
    if trigger.dep_ in ("dobj", "nsubjpass") and head.pos_ == "VERB":
        # "declared a truce for Easter", "a truce was agreed for the Black Sea"
        for prep in head.children:
            if prep.dep_ == "prep" and prep.lower_ in ("for", "during", "over", "in", "at", "on"):
                words |= {t.lemma_.lower() for t in prep.subtree}
    # "a 30-day ceasefire", "a ceasefire lasting 30 days": a period, not a scope word
    out = [SCOPES[w] for w in words if w in SCOPES]
    if any(p.lower() == "black sea" for p in places):
        out.append("black sea")
    return sorted(set(out))


def _numbered(trigger: Token) -> list[str]:
    """'the 16th package', 'the second round': the ordinal of a package or round that the
    trigger belongs to (its own phrase or the noun it hangs off)."""
    head = trigger.head.head if trigger.head.lower_ == "of" else trigger.head
    near = [trigger, head, *trigger.children, *head.children]
    out = []
    for noun in near:
        if noun.lemma_.lower() not in _NUMBERED:
            continue
        for child in noun.children:
            n = _ordinal(child)
            if n:
                out.append(f"{noun.lemma_.lower()} {n}")
    return out


def _ordinal(token: Token) -> int | None:
    text = token.lower_
    if text in _ORDINALS:
        return _ORDINALS[text]
    m = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)", text)
    return int(m.group(1)) if m else None
