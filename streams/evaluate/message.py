"""A rule's message: its Jinja2 template rendered in a sandbox, or a one-line default.

Templates are compiled when the rule loads and tried on a sample event under StrictUndefined,
so a misspelt name ('evnt.type') is a load error with a line, not a blank in an alert. The
sandbox keeps a template from reaching anything but the values it is given.
"""

from __future__ import annotations

import logging
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from streams.core.errors import RuleDefinitionError
from streams.core.records import Article, Event
from streams.deliver.render import HEADLINE, cut, what_happened

log = logging.getLogger(__name__)

_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)

_SAMPLE_EVENT = Event(
    id="sample", article_id="sample", type="meeting", actors=["Ukraine", "Russia"],
    location=["Istanbul"], quantities={"killed": {"value": 1, "qualifier": None, "text": "1"}},
    date="2025-01-01", status="occurred", evidence="A sample sentence.", story_id="sample",
    story_new=True,
)  # fmt: skip
_SAMPLE_ARTICLE = Article(
    id="sample", url="http://127.0.0.1/sample", title="Sample headline", text="Sample text.",
    published="2025-01-01", source="Sample source", language="en",
)  # fmt: skip
_SAMPLE_STORY = {
    "id": "sample", "type": "meeting", "actors": ["Ukraine"], "location": ["Istanbul"],
    "date": "2025-01-01", "anchor": "2025-01-01", "first_article": "sample",
    "sources": ["Sample source"], "articles": 1, "summary": {}, "created": None, "updated": None,
}  # fmt: skip


class TemplateProblem(RuleDefinitionError, ValueError):
    """A template that does not compile or render; line is within the template (1-based)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


def compile_template(source: str, rule: Any) -> jinja2.Template:
    """Compile and try a template on a sample event; raise TemplateProblem naming the fault."""
    try:
        template = _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template: {exc.message}", exc.lineno or 1) from None
    try:
        template.render(_context(rule, _SAMPLE_EVENT, _SAMPLE_ARTICLE, _SAMPLE_STORY, ""))
    except jinja2.TemplateError as exc:  # undefined names, sandbox refusals
        raise TemplateProblem(f"template: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateProblem(f"template fails on a sample event: {exc}") from None
    return template


def _context(rule: Any, event: Event, article: Article, story: Any, detail: str) -> dict:
    return {
        "rule": {"id": rule.id, "name": rule.name, "severity": rule.severity, "kind": rule.kind},
        "event": event,
        "article": article,
        "story": story or {},
        "detail": detail,
    }


def default_message(rule_id: str, event: Event, article: Article, detail: str = "") -> str:
    """'<rule>: <headline> — <who did what to whom> in <places> on <date> (<status>)
    [<numbers>] — claimed by <claimant>' (deliver.render.what_happened), the headline cut."""
    text = f"{rule_id}: {cut(article.title, HEADLINE)} — {what_happened(event)}"
    return _one_line(f"{text} [{detail}]" if detail else text)


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def render_message(rule: Any, event: Event, article: Article, story: Any, detail: str) -> str:
    """The rule's template rendered for this event, else the default one-line message."""
    if rule.compiled_template is None:
        return default_message(rule.id, event, article, detail)
    try:
        return rule.compiled_template.render(_context(rule, event, article, story, detail)).strip()
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        # a template that worked on the sample can still meet an event it did not expect
        log.warning("rule %s: template failed (%s); default message used", rule.id, exc)
        return default_message(rule.id, event, article, detail)
