"""Who claims an event: "according to Turkish security sources", "Russian officials accused
Ukraine of ...", "Bloomberg, citing a source, reported that ...".

Also decides the event's clause: reporting verbs ("said", "announced") above a trigger are
the claim, not the event, so their dates, places and tense are not the event's.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from streams.knowledge.gazetteer import Gazetteer

REPORTING = frozenset(
    "say tell announce report claim accuse allege confirm state add note insist deny warn "
    "write post stress emphasize emphasise indicate reveal acknowledge declare".split()
)
# Dependencies by which a clause hangs under a reporting verb ("said [that] X happened").
_CLAUSE_DEPS = frozenset({"ccomp", "parataxis", "xcomp", "advcl"})
# A verb joined to its head by these is another clause: its head's dates and places are not
# the event's ("advancing towards Pokrovsk while continuing attacks").
_OTHER_CLAUSE = frozenset({"advcl", "conj", "relcl", "acl", "parataxis"})
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i"})
_MAX_WORDS = 8


def event_scope(trigger: Token) -> tuple[list[Token], Token | None]:
    """The trigger and the heads above it up to (not including) a reporting verb that governs
    its clause; returns (scope, that reporting verb or None). Dates and places attached to a
    token in scope belong to the event."""
    scope = [trigger]
    token = trigger
    while token.head != token:
        head = token.head
        if head.lemma_.lower() in REPORTING and token.dep_ in _CLAUSE_DEPS:
            return scope, head
        if token.dep_ in _OTHER_CLAUSE and (
            token.pos_ in ("VERB", "AUX") or token.dep_ in ("advcl", "relcl", "parataxis")
        ):
            return scope, None
        scope.append(head)
        token = head
    return scope, None


def attribution_of(
    sent: Span, scope: list[Token], reporter: Token | None, gazetteer: Gazetteer, last_person: str
) -> str | None:
    """Who the sentence says claims the event, as written (canonical for a known name)."""
    for tok in sent:
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            to = next(c for c in tok.children if c.lower_ == "to")
            objects = [c for c in to.children if c.dep_ == "pobj"]
            if objects:
                return _name(objects[0], gazetteer, last_person)
    claimants = [t for t in scope[1:] if t.lemma_.lower() in REPORTING]
    if reporter is not None:
        claimants.append(reporter)
    for verb in claimants:
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is not None:
            return _name(subject, gazetteer, last_person)
    for tok in sent:  # "Bloomberg, citing a source familiar with preparations, reported"
        if tok.lemma_.lower() == "cite" and tok.dep_ in ("advcl", "acl") and tok.head.i != tok.i:
            subject = next((c for c in tok.head.children if c.dep_ == "nsubj"), None)
            if subject is not None:
                return _name(subject, gazetteer, last_person)
    return None


def _name(head: Token, gazetteer: Gazetteer, last_person: str) -> str | None:
    """The phrase headed by a token, without relative clauses; a pronoun resolves to the
    person last named in the article."""
    if head.lower_ in _PRONOUNS:
        return last_person or None
    keep = [
        t
        for t in head.subtree
        if not any(a.dep_ in ("relcl", "acl", "appos", "punct") for a in _path(t, head))
    ]
    words = [t for t in keep if not t.is_punct][:_MAX_WORDS]
    if not words:
        return None
    first, last = words[0].i, words[-1].i + 1
    known = [e.ent_id_ for e in head.doc.ents if e.ent_id_ and first <= e.start and e.end <= last]
    if len(known) == 1 and gazetteer.kind(known[0]) == "person":
        return known[0]  # "Ukrainian President Volodymyr Zelensky" -> Volodymyr Zelensky
    if words[0].lower_ in ("the", "a", "an") and len(words) > 1:
        words = words[1:]
    text = "".join(t.text_with_ws for t in words).strip()
    return gazetteer.canonical(text) or text


def _path(token: Token, stop: Token) -> list[Token]:
    """The tokens from token up to (not including) stop."""
    out = []
    while token != stop and token.head != token:
        out.append(token)
        token = token.head
    return out
