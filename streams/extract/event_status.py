"""An event's status from the words around its trigger: tense, modality and cue words.

occurred (past or present tense, no cue), proposed (sought, planned, discussed, "will" with
no date), scheduled (announced for a date), cancelled ("collapsed", "called off"),
hypothetical (called for, urged, feared, "could", "ready to", "if"), denied ("did not meet",
"denied that..."), eased (sanctions waived, lifted, exempted: never "imposed"). The cue
lemmas live in the taxonomy (status: ...), so analysts can add them.
"""

from __future__ import annotations

import datetime as dt

from spacy.tokens import Token

from streams.knowledge.taxonomy import Taxonomy

FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo"})  # "wo" is the "won't" token
# would: the future seen from a report ("said the talks would start on Friday"); else a
# condition ("a truce that would freeze the front")
MODAL_AUX = frozenset({"would", "could", "may", "might", "should", "must", "can", "ca"})
# possibility, not plan: "could secure a truce", "may meet": hypothetical
POSSIBLE_AUX = frozenset({"could", "may", "might", "can", "ca", "should", "must"})
# "Russia is ready to exchange", "open to talks", "willing to host ... when they are ready"
READINESS = frozenset({"ready", "willing", "open", "prepared", "eager", "keen"})
# the trigger names a kind of event, not one: "any ceasefire", "a possible swap" stays
GENERIC_DET = frozenset({"any", "every", "no"})
# An event that is the topic of talks is discussed, not done ("talks involved the release").
TOPIC_VERBS = frozenset({"discuss", "focus", "address", "review", "involve", "concern"})
CONDITIONAL_MARKS = frozenset({"until", "unless", "if", "once"})
# "announced a meeting": an announced event is ahead, whatever the tense of the announcing
ANNOUNCE = frozenset({"announce", "unveil"})
_MAX_STEPS = 8


def status_of(
    trigger: Token, scope: list[Token], taxonomy: Taxonomy, reporter: Token | None = None,
    etype: str = "",
) -> tuple[str, bool]:
    """(status, explicit) for an event; explicit is False when only a default applied (a
    present-tense or verbless mention), so a neighbour's explicit status may win.

    The reporting verb above the event (if any) may deny it ("denied that talks took place")
    or make it a call ("urged a ceasefire" has the trigger as object, in scope already)."""
    special = _special(trigger, scope, taxonomy, reporter, etype)
    if special is not None:
        return special, True
    return _status(trigger, scope, taxonomy)


def _special(
    trigger: Token, scope: list[Token], taxonomy: Taxonomy, reporter: Token | None, etype: str
) -> str | None:
    """Easing, denial and hypothetical cues, which outrank tense."""
    path = [trigger, *scope[1:_MAX_STEPS]]
    lemmas = [_phrasal(t) for t in path]
    near = {c.lemma_.lower() for c in trigger.children if c.dep_ in ("amod", "compound", "nmod")}
    if etype and etype in taxonomy.eased_types:
        easing = taxonomy.cues("eased")
        # "obtained a waiver from sanctions": the easing noun is the verb's object
        objects = {
            c.lemma_.lower()
            for t in path[1:]
            for c in t.children
            if c.dep_ in ("dobj", "nsubj", "nsubjpass", "attr") and c != trigger
        }
        if easing & (set(lemmas[1:]) | near | objects):
            return "eased"
    if reporter is not None and reporter.lemma_.lower() == "deny":
        return "denied"
    if any(c.dep_ == "neg" for t in path if t.pos_ in ("VERB", "AUX") for c in t.children):
        verb = next((t for t in path if t.pos_ in ("VERB", "AUX")), None)
        if verb is not None and _verb_tense(verb) == "past":
            return "denied"  # "the delegations did not meet"
    if any(c.dep_ == "det" and c.lower_ in GENERIC_DET for c in trigger.children):
        return "hypothetical"
    hypothetical = taxonomy.cues("hypothetical")
    if hypothetical & (set(lemmas[1:]) | near):
        return "hypothetical"
    for token in path:
        if token.pos_ not in ("VERB", "AUX", "ADJ"):
            continue
        words = {c.lower_ for c in token.children if c.dep_ in ("aux", "auxpass")}
        if words & POSSIBLE_AUX:
            return "hypothetical"  # "could secure a truce"
        if "would" in words and reporter is None and token.lemma_.lower() not in _PLANNED:
            return "hypothetical"  # "a deal that would end the war"
        marks = {c.lower_ for c in token.children if c.dep_ == "mark"}
        if marks & {"if", "unless", "whether"}:
            return "hypothetical"
        if token.lemma_.lower() in READINESS and token.pos_ == "ADJ":
            return "hypothetical"
        if token.head.lemma_.lower() in READINESS and token.dep_ == "xcomp":
            return "hypothetical"  # "ready to exchange"
    return None


# "would" before these still tells a plan ("the talks would take place on Friday")
_PLANNED = frozenset({"take", "begin", "start", "hold", "resume"})


def _status(trigger: Token, scope: list[Token], taxonomy: Taxonomy) -> tuple[str, bool]:
    cancelled, proposed = taxonomy.cues("cancelled"), taxonomy.cues("proposed")
    scheduled = taxonomy.cues("scheduled")
    weak: str | None = None
    for child in trigger.children:
        lemma = child.lemma_.lower()
        if child.dep_ in ("amod", "acl", "compound", "nmod"):
            if lemma in cancelled:
                return "cancelled", True
            if lemma in scheduled and child.dep_ == "acl":  # "a meeting scheduled for ..."
                return "scheduled", True
            if lemma in proposed:  # "a planned summit": weaker than the verb's tense
                weak = "proposed"
    came_by = ""  # how the path reached this token: "nsubj" of a verb is not its topic
    for token in scope[:_MAX_STEPS]:
        lemma = _phrasal(token)
        if token != trigger:
            if lemma in cancelled:
                return "cancelled", True
            if lemma in scheduled and token.pos_ in ("VERB", "ADJ"):
                return "scheduled", True
            if lemma in proposed and token.pos_ != "AUX":
                return "proposed", True
            if lemma in TOPIC_VERBS and token.pos_ == "VERB" and came_by in ("dobj", "prep"):
                return "proposed", True
            if lemma in ANNOUNCE and came_by == "dobj" and trigger.pos_ == "NOUN":
                return "proposed", True
        if token.pos_ in ("VERB", "AUX"):
            tense = _verb_tense(token)
            if tense == "future":
                return "proposed", True
            if tense == "past":
                return "occurred", True
            if tense == "present":
                return weak or "occurred", False
        came_by = "prep" if token.dep_ == "pobj" else token.dep_
    top = scope[min(len(scope), _MAX_STEPS) - 1]
    infinitive = any(c.lower_ == "to" and c.dep_ == "aux" for c in top.children)
    if top.pos_ in ("VERB", "AUX") and infinitive:
        return "proposed", True  # headline "Delegations to meet in Istanbul"
    return weak or "occurred", False


def _phrasal(token: Token) -> str:
    """The lemma with its particle for phrasal verbs ('call off')."""
    particle = next((c.lower_ for c in token.children if c.dep_ == "prt"), None)
    return f"{token.lemma_.lower()} {particle}" if particle else token.lemma_.lower()


def _verb_tense(verb: Token) -> str | None:
    """future | past | present for a finite verb; None for an infinitive or participle that
    takes its tense from the verb above it."""
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    words = {a.lower_ for a in auxes}
    if words & FUTURE_AUX or words & MODAL_AUX:
        return "future"
    if "going" in words and any(c.lower_ == "to" for c in auxes):
        return "future"
    marks = {c.lower_ for c in verb.children if c.dep_ == "mark"}
    if marks & CONDITIONAL_MARKS and verb.tag_ in ("VBP", "VBZ"):
        return "future"  # "until Putin and Trump meet"
    if verb.tag_ == "VBD" or any(a.tag_ == "VBD" or a.lemma_ == "have" for a in auxes):
        return "past"
    if "to" in words and not (words - {"to"}):
        return None  # infinitive: the governing verb decides
    if verb.tag_ in ("VBP", "VBZ") or any(a.tag_ in ("VBP", "VBZ") for a in auxes):
        return "present"
    return None


def finalize(status: str, date: dt.date | None, published: dt.date | None) -> str:
    """Reconcile status with the resolved date: a proposal with a date ahead is scheduled,
    a 'scheduled' without a date is only proposed, a past tense with a future date is
    scheduled."""
    if status in ("cancelled", "hypothetical", "denied", "eased"):
        return status
    ahead = date is not None and published is not None and date >= published
    if status == "occurred" and date is not None and published is not None and date > published:
        return "scheduled"
    if status == "proposed" and ahead:
        return "scheduled"
    if status == "scheduled" and date is None:
        return "proposed"
    return status


def tense_for_dates(status: str) -> str | None:
    """Which way a bare weekday points for this status."""
    return {"occurred": "past", "proposed": "future", "scheduled": "future"}.get(status)
