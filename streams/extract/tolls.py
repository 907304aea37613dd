"""How news states a count of victims, read on the dependency parse.

- the toll phrase: "the death toll has risen to 14", "raised the toll to 23", "a death toll of
  14", "the number of dead reached 9" (the count's kind comes from the toll's modifier);
- the victims' predicate: "12 people were confirmed dead", "six were reported killed", "left
  25 people dead", "claimed 30 lives", "recovered 20 bodies" (bodies handed over are no toll);
- the sub-count, never the toll: "including two children", "two of them", "among them three
  women", "of whom four", "among the dead were five children";
- the total, no one strike's toll: "since the war began", "over the past four days", "in the
  war", "the war has killed ...", "across the country";
- a death that is no attack's: "died of hunger".
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Token

from streams.knowledge.taxonomy import QuantityRole

# Nouns that hold a count. "toll" alone is a death toll; the others need their kind
# ("the number of dead", "the casualty count").
TOLL_NOUNS = frozenset({"toll", "tally", "number", "count", "figure"})
BARE_TOLL = {"toll": "killed", "tally": "killed"}
# "the toll reached 14", "the toll is 14" (the number is the verb's object or attribute)
REACH_VERBS = frozenset("be reach hit top exceed surpass pass total near approach stand".split())
# "rose to 14", "stands at 14", "raised the toll to 23" (never "from 7")
TOLL_PREPOSITIONS = frozenset({"to", "at"})
# Verbs whose complement says what happened to the counted: "were reported killed",
# "confirmed dead", "left 25 people dead", "12 are dead", "feared dead".
COMPLEMENT_VERBS = frozenset(
    "be report confirm believe fear presume declare pronounce know leave find remain".split()
)
COMPLEMENT_DEPS = frozenset({"xcomp", "oprd", "acomp", "ccomp", "attr"})
# Objects that count the dead only with some verbs: lives claimed, bodies recovered (not
# bodies handed over or exchanged: those are the role the taxonomy gives "body").
COUNTED_BY: dict[str, tuple[str, frozenset[str]]] = {
    "life": ("killed", frozenset({"claim", "take", "cost", "lose"})),
    "body": ("killed", frozenset({"recover", "pull", "retrieve", "dig", "extract", "find"})),
}
# Roles that count the victims of an attack: only these have sub-counts and period totals.
HARM_ROLES = frozenset({"killed", "injured", "casualties"})
TOTAL = "_total"  # "killed" over a war or several days -> "killed_total"

_SUBSET_WORDS = frozenset({"including", "among", "amongst", "excluding", "besides"})
_PARTITIVE_PRONOUNS = frozenset({"them", "whom", "those", "these", "which"})
_VICTIM_NOUNS = frozenset({"victim", "dead", "casualty", "fatality", "wounded", "injured"})
_WAR_NOUNS = frozenset({"war", "conflict", "invasion"})
_PERIOD_NOUNS = frozenset({"hour", "day", "week", "month", "year"})
_RECENT = frozenset({"past", "last", "previous", "recent"})
_PERIOD_PREPOSITIONS = frozenset({"over", "in", "during", "within", "throughout", "for"})
_NOT_VIOLENT = frozenset(
    "malnutrition hunger starvation famine thirst disease illness cholera measles heat cold "
    "exposure age cause".split()
)


def toll_phrase(noun: Token, roles: tuple[QuantityRole, ...]) -> tuple[str, Token] | None:
    """(role, the toll noun) when the count is the value of a toll: 'rose to 14'."""
    toll = _toll_of(noun)
    if toll is None:
        return None
    role = _kind(toll, roles)
    return (role, toll) if role else None


def is_toll_value(number: Token) -> bool:
    """'stands at 14', 'from seven to 14': the model may call such a number a DATE or TIME."""
    return _toll_of(number) is not None


def complement_role(noun: Token, predicate: Token, roles: tuple[QuantityRole, ...]) -> str | None:
    """'12 people were confirmed dead' -> killed: the predicate's complement names the harm."""
    if predicate.lemma_.lower() not in COMPLEMENT_VERBS:
        return None
    for child in predicate.children:
        if child.dep_ not in COMPLEMENT_DEPS or child == noun:
            continue
        found = _role_of_word(child.lemma_.lower(), roles)
        if found:
            return found
    return None


def counted_by_verb(noun: Token, predicate: Token) -> str | None:
    """'claimed 30 lives', '20 bodies were recovered' -> killed."""
    role, verbs = COUNTED_BY.get(noun.lemma_.lower(), ("", frozenset()))
    return role if role and predicate.lemma_.lower() in verbs else None


def natural_death(predicate: Token) -> bool:
    """'died of malnutrition', 'died from disease': a death, but no attack's toll."""
    return any(
        prep.dep_ == "prep"
        and prep.lower_ in ("of", "from")
        and any(o.dep_ == "pobj" and o.lemma_.lower() in _NOT_VIOLENT for o in prep.children)
        for prep in predicate.children
    )


def is_subcount(number: Token, noun: Token) -> bool:
    """A part of a count already given: 'including two children', 'two of them', 'among
    them three women', 'of whom four were', 'among the dead were five children'."""
    for tok in (noun, *noun.ancestors):
        if tok.lower_ in _SUBSET_WORDS:
            return True
        if tok.pos_ in ("VERB", "AUX") and tok.dep_ != "prep":
            break
    holders = {number, noun}
    if noun.dep_ in ("nsubj", "nsubjpass", "attr", "appos", "npadvmod"):
        holders.add(noun.head)
    return any(_partitive(tok) for tok in holders)


def is_period_total(anchors: Iterable[Token]) -> bool:
    """The count covers a war or several days: a 'since' phrase or clause, 'over the past
    four days', 'in the war', a war as the subject, or a clause about a war."""
    for tok in anchors:
        if tok.dep_ == "relcl" and tok.head.lemma_.lower() in _WAR_NOUNS:
            return True
        if any(_period_marker(child) for child in tok.children):
            return True
    return False


def _toll_of(noun: Token) -> Token | None:
    head = noun.head
    if noun.dep_ == "pobj" and (head.lower_ in TOLL_PREPOSITIONS or _range_end(noun)):
        return _toll_argument(head.head, ("nsubj", "nsubjpass", "dobj"))
    if noun.dep_ in ("dobj", "attr") and head.lemma_.lower() in REACH_VERBS:
        return _toll_argument(head, ("nsubj", "nsubjpass"))
    if noun.dep_ == "pobj" and head.lower_ == "of" and head.head.lemma_.lower() in TOLL_NOUNS:
        return head.head
    return None


def _range_end(noun: Token) -> bool:
    """'rose from seven to 14': the model may read 'seven to 14' as one range under 'from'."""
    return noun.head.lower_ == "from" and any(
        c.dep_ == "quantmod" and c.lower_ == "to" for c in noun.children
    )


def _toll_argument(verb: Token, deps: tuple[str, ...]) -> Token | None:
    return next(
        (c for c in verb.children if c.dep_ in deps and c.lemma_.lower() in TOLL_NOUNS), None
    )


def _kind(toll: Token, roles: tuple[QuantityRole, ...]) -> str | None:
    """What a toll counts: 'death toll' -> killed, 'the number of wounded' -> injured."""
    for child in toll.children:
        if child.dep_ in ("compound", "amod", "nmod"):
            found = _role_of_word(child.lemma_.lower(), roles)
            if found:
                return found
        if child.dep_ == "prep" and child.lower_ == "of":
            for obj in child.children:
                words = [obj, *(c for c in obj.children if c.dep_ in ("acl", "amod", "relcl"))]
                found = next(
                    (r for w in words if (r := _role_of_word(w.lemma_.lower(), roles))), None
                )
                if found:
                    return found
    return BARE_TOLL.get(toll.lemma_.lower())


def _role_of_word(lemma: str, roles: tuple[QuantityRole, ...]) -> str | None:
    for role in roles:
        if lemma in role.verbs or lemma in role.nouns:
            return role.name
    return None


def _partitive(tok: Token) -> bool:
    """'of them', 'of whom', 'among them', 'of those killed', 'among the dead'."""
    for prep in tok.children:
        if prep.dep_ != "prep" or prep.lower_ not in ("of", "among", "amongst"):
            continue
        for obj in prep.children:
            if obj.dep_ == "pobj" and (
                obj.lower_ in _PARTITIVE_PRONOUNS or obj.lemma_.lower() in _VICTIM_NOUNS
            ):
                return True
    return False


def _period_marker(child: Token) -> bool:
    dep, word = child.dep_, child.lower_
    if dep == "prep" and word == "since":
        return True
    if dep == "advcl" and any(m.dep_ == "mark" and m.lower_ == "since" for m in child.children):
        return True
    if dep == "nsubj" and child.lemma_.lower() in _WAR_NOUNS:
        return True
    if dep == "agent":  # "killed by the war"
        return any(c.lemma_.lower() in _WAR_NOUNS for c in child.children)
    if dep == "prep" and word == "across":  # "across the country": many places, no one strike
        return True
    if dep != "prep" or word not in _PERIOD_PREPOSITIONS | {"from"}:
        return False
    for obj in child.children:
        lemma = obj.lemma_.lower()
        if obj.dep_ != "pobj":
            continue
        if lemma in _WAR_NOUNS:
            return True
        if lemma in _PERIOD_NOUNS and any(c.lower_ in _RECENT for c in obj.children):
            return True
    return False
