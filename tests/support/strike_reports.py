"""Invented strike reports and the rule they match, shared by the one-alert-per-article tests
(tests/evaluate/test_one_alert_per_article.py, tests/runtime/test_alert_order.py)."""

from __future__ import annotations

from streams.core.records import Article, content_key

RULE = """
rules:
  - id: strikes
    name: Strikes on Ukrainian cities
    severity: high
    when:
      type: attack
      sides: {any: [Russia, Ukraine]}
"""
# two strikes on two cities the same night; later, the toll of one of them; a third city
BOTH = ("Russian missiles struck Kharkiv overnight, killing five people. In a separate attack "
        "the same night, Russian drones struck Lviv, killing three.")
TOLL = "The toll of the Russian drone strike on Lviv rose to four, officials said."
OTHER = "A Russian missile struck Dnipro on Tuesday, killing two people."


def report(n: int, text: str, published: str) -> Article:
    """Article n of an outlet of its own."""
    return Article(id=content_key(str(n)), url=f"test/{n}", title="", text=text,
                   published=published, source=f"outlet{n}")
