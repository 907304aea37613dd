"""Expectations written next to the rules (rules/tests/*.yaml), run by `newswatch rules test`.

Each file names a rule and lists cases: sample articles (title, text, published, source) on
which the rule must fire or must not. A case's text goes through the real extractor when one
is given; a case may instead give hand-made `events`, which tests the rule alone. A case
with `articles:` is a sequence told by several articles: events of the same type share a
story, opened by the first article (how `new` rules are tested). Each case starts with an
empty rule state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from streams.core.records import Article, ArticleEvents, Event, content_key
from streams.core.rule_yaml import RuleError, read_rule_file
from streams.evaluate.matcher import evaluate
from streams.evaluate.rule_state import MemoryRuleState
from streams.evaluate.rulebook import Rulebook

Extract = Callable[[Sequence[Article]], list[list[Event]]]


@dataclass(frozen=True)
class Outcome:
    """One article of one case: passed, failed or skipped, and why."""

    file: str
    rule: str
    case: str
    verdict: str  # pass | fail | skip
    reason: str = ""

    def __str__(self) -> str:
        tail = f" — {self.reason}" if self.reason else ""
        return f"{self.verdict.upper():<4} {self.rule}: {self.case}{tail}"


def expectation_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


async def run_expectations(
    folder: Path, rulebook: Rulebook, extract: Extract | None
) -> tuple[list[Outcome], list[RuleError]]:
    """Run every expectation file of a folder: the outcomes, and the files' own mistakes."""
    outcomes: list[Outcome] = []
    errors: list[RuleError] = []
    for path in expectation_files(folder):
        doc, error = read_rule_file(path)
        if doc is None:
            errors.extend([error] if error else [])
            continue
        data = doc.data or {}
        rule_id = data.get("rule") if isinstance(data, dict) else None
        if not isinstance(rule_id, str) or rulebook.get(rule_id) is None:
            errors.append(doc.error(("rule",), f"no such rule: {rule_id!r}"))
            continue
        for i, case in enumerate(data.get("cases") or []):
            if not isinstance(case, dict) or not isinstance(case.get("name"), str):
                errors.append(doc.error(("cases", i), "a case needs a name"))
                continue
            outcomes += await _run_case(doc.file, rule_id, case, rulebook, extract)
    return outcomes, errors


async def _run_case(
    file: str, rule_id: str, case: dict[str, Any], rulebook: Rulebook, extract: Extract | None
) -> list[Outcome]:
    state = MemoryRuleState()
    opened: set[str] = set()
    outcomes = []
    steps = case.get("articles") or [case]
    for n, step in enumerate(steps):
        label = case["name"] if len(steps) == 1 else f"{case['name']} (article {n + 1})"
        article = _article(step, f"{case['name']}/{n}")
        if "events" in step:
            events = [_event(article, raw, i) for i, raw in enumerate(step["events"] or [])]
        elif extract is None:
            outcomes.append(Outcome(file, rule_id, label, "skip", "no extractor available"))
            continue
        else:
            events = extract([article])[0]
        events = _storied(events, case["name"], opened)
        matches = await evaluate(rulebook, ArticleEvents(article=article, events=events), state)
        did = any(m.rule.id == rule_id for m in matches)
        want = bool(step.get("fires", False))
        found = ", ".join(f"{e.type}/{e.status}" for e in events) or "no events"
        reason = "" if did == want else (f"expected it to {'fire' if want else 'stay quiet'}; "
                                         f"events: {found}")  # fmt: skip
        outcomes.append(Outcome(file, rule_id, label, "pass" if did == want else "fail", reason))
    return outcomes


def _article(step: dict[str, Any], key: str) -> Article:
    published = step.get("published")
    return Article(
        id=content_key("rules-test", key),
        url=f"rules-test:{key}",
        title=str(step.get("title", "")),
        text=str(step.get("text", "")),
        published=str(published) if published is not None else None,
        source=str(step.get("source", "")),
        language=str(step.get("language", "en")),
    )


def _event(article: Article, raw: dict[str, Any], i: int) -> Event:
    quantities = {
        role: q if isinstance(q, dict) else {"value": q, "qualifier": None, "text": str(q)}
        for role, q in (raw.get("quantities") or {}).items()
    }
    location = raw.get("location") or []
    return Event(
        id=content_key(article.id, str(i)),
        article_id=article.id,
        type=str(raw["type"]),
        actors=list(raw.get("actors") or []),
        location=[location] if isinstance(location, str) else list(location),
        quantities=quantities,
        date=str(raw["date"]) if raw.get("date") else None,
        status=str(raw.get("status", "occurred")),
        evidence=str(raw.get("evidence", "")),
    )


def _storied(events: list[Event], case: str, opened: set[str]) -> list[Event]:
    # one story per event type within a case; the first article to tell it opens it
    out = []
    for event in events:
        story = content_key("rules-test-story", case, event.type)
        out.append(replace(event, story_id=story, story_new=story not in opened))
    opened.update(e.story_id for e in out)
    return out
