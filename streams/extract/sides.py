"""The sides of an event, from the sentence's structure rather than from co-occurrence.

A side is a country or party that acts in the event or is its target: a name is a side only
when the dependency path from it to the event's trigger (or a head of the trigger in the
same clause, see attribution.event_scope) is made of argument links — subject, object,
"between X and Y", "with X", "on X", a modifier ("Russian strikes", "EU sanctions") — and
never crosses into another clause ("to support Russia's war") or a reason or time adjunct
("over its help to Russia", "since the invasion of Ukraine").

Each side gets a role from the link that reaches the trigger: for sanctions the authority
(who imposes) and the target ("on", "against", the object of "sanction"); for attacks the
attacker and the attacked (the target, and the country of the place hit); for talks,
exchanges and truces the parties and the mediator ("mediated by", "hosted by").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from spacy.tokens import Token

# links by which a name takes part in its head's phrase or clause
_ARG_DEPS = frozenset(
    "nsubj nsubjpass dobj pobj prep agent compound amod poss nmod appos conj cc attr dative "
    "npadvmod nummod quantmod case".split()
)
# prepositions of reason, time and comparison: what follows is context, not a side
_ADJUNCT_PREPS = frozenset(
    "over for because amid despite after during since following before like than due "
    "about regarding concerning including except beyond throughout until given".split()
)
_WHERE_PREPS = frozenset("in at near inside outside around across within throughout".split())
_TARGET_PREPS = frozenset({"on", "against", "targeting", "upon", "at"})
# "talks mediated by Turkey", "a swap brokered by the UAE", "talks hosted by Turkey"
MEDIATE = frozenset("mediate broker host chair facilitate sponsor organise organize".split())
_MEDIATION_NOUNS = frozenset({"mediation", "mediator", "auspices", "help", "facilitation"})
# verbs whose object is hit by the event ("sanctioned Russia's oil firms", "struck Kharkiv")
_HITTING = frozenset("sanction target hit strike attack bomb shell penalise penalize".split())
# "a package targeting Russia's fleet", "sanctions aimed at Russia": the object is hit
_TARGETING = frozenset("target aim punish penalise penalize hit".split())
# "handed 90 prisoners to Russia": the one who receives takes part
_TRANSFER = frozenset("return hand transfer give send release repatriate".split())
_MAX_STEPS = 7

ROLE_NAMES = {
    "sanctions": ("authority", "target"),
    "attack": ("attacker", "attacked"),
}


def side_roles(
    found: Iterable[Any],
    scope: list[Token],
    etype: str,
    country_of: Callable[[Any], str | None],
) -> dict[str, list[str]]:
    """role -> sides, in sentence order. `found` are the sentence's mentions (streams.extract.actors
    Mention), `country_of` maps one to the country or party it stands for (None: not a side).
    """
    anchors = {t.i: t for t in scope}
    agent_role, target_role = ROLE_NAMES.get(etype, ("party", "party"))
    roles: dict[str, list[str]] = {}
    pending: list[tuple[str, str]] = []  # (name, link): a bare modifier decided last
    for mention in found:
        side = country_of(mention)
        if side is None:
            continue
        link = _link(mention.root, anchors, scope[0])
        if link is None:
            continue
        if link == "mediator":
            role = "mediator"
        elif link == "target":
            role = target_role
        elif link == "modifier":
            pending.append((side, link))
            continue
        else:
            role = agent_role
        _add(roles, role, side)
    for side, _ in pending:
        # "EU sanctions on Russia": the modifier is the authority when a target is named;
        # "new Russia sanctions imposed by the US": the target when the authority is named
        if target_role != agent_role and roles.get(agent_role) and not roles.get(target_role):
            _add(roles, target_role, side)
        else:
            _add(roles, agent_role, side)
    return roles


def sides_of(roles: dict[str, list[str]]) -> list[str]:
    """Every side once, agents first."""
    return list(dict.fromkeys(s for names in roles.values() for s in names))


def _add(roles: dict[str, list[str]], role: str, side: str) -> None:
    names = roles.setdefault(role, [])
    if side not in names:
        names.append(side)


def _link(root: Token, anchors: dict[int, Token], trigger: Token) -> str | None:
    """How a name reaches the event: 'agent', 'target', 'mediator', 'modifier', or None
    when its path leaves the clause or passes through an adjunct."""
    token = root
    steps: list[Token] = []
    mediated = targeted = False
    for _ in range(_MAX_STEPS):
        if token.i in anchors:
            if targeted and not mediated:
                return "target"
            return _role_of(steps, anchors[token.i], mediated, trigger)
        head = token.head
        if head == token:
            return None
        if token.dep_ in ("acl", "relcl", "advcl", "xcomp") and token.lemma_.lower() in MEDIATE:
            mediated = True  # "talks hosted by Turkey": the path goes on through "hosted"
        elif (token.dep_ in ("acl", "advcl") and token.lemma_.lower() in _TARGETING
              and not any(c.dep_ in ("nsubj", "nsubjpass") for c in token.children)):
            targeted = True  # "a package targeting Russia's fleet" (no subject of its own)
        elif token.dep_ not in _ARG_DEPS:
            return None
        elif token != root and token.pos_ in ("VERB", "AUX") and token.i not in anchors:
            return None  # another verb's argument
        if token.dep_ == "pobj" and head.lower_ in _ADJUNCT_PREPS:
            return None  # "over its help to Russia"
        if token == root and token.dep_ == "pobj" and head.lower_ in _WHERE_PREPS:
            return None  # "in Dnipro" is where, not who
        receiver = head.head.lemma_.lower() in _TRANSFER
        if token.dep_ == "pobj" and head.lower_ == "to" and not receiver:
            return None  # "deliveries to Russia" is context; "returned 90 to Russia" is not
        if token.lemma_.lower() in _MEDIATION_NOUNS and token.dep_ == "pobj":
            mediated = True  # "under the mediation of the UAE"
        steps.append(token)
        token = head
    return None


def _role_of(steps: list[Token], anchor: Token, mediated: bool, trigger: Token) -> str:
    if mediated:
        return "mediator"
    if not steps:
        return "agent"
    last = steps[-1]  # the link into the event's clause
    if last.dep_ == "prep":  # "sanctions on Russia"; "talks with", "imposed by the EU"
        return "target" if last.lower_ in _TARGET_PREPS else "agent"
    if last.dep_ in ("dobj", "dative", "nsubjpass") and anchor.lemma_.lower() in _HITTING:
        return "target"  # "sanctioned Russia", "Kharkiv was struck"
    if last.dep_ in ("dobj", "dative") and trigger.head == anchor and trigger.dep_ == "nsubj":
        return "target"  # "the sanctions cover Russian banks", "the strike hit Kharkiv"
    if last.dep_ in ("compound", "amod", "nmod") and anchor.pos_ in ("NOUN", "PROPN"):
        return "modifier"  # "EU sanctions", "Russian strikes"
    return "agent"
