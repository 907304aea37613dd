"""The rule language: the shipped rules load, each kind of mistake is reported with its file
and line by `newswatch rules check`, and conditions mean what rules/README.md says."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_support import EVENT_TYPES, ROOT, article, batch, event, gazetteer, write_rules

from streams.cli import main
from streams.cli.rules import event_types
from streams.evaluate.expectations import run_expectations
from streams.evaluate.matcher import evaluate
from streams.evaluate.rule_state import MemoryRuleState
from streams.evaluate.rulebook import load_rulebook

SHIPPED = {
    "prisoner-exchange-new",
    "peace-talks-turkey",
    "mass-casualty-strike",
    "ceasefire",
    "sanctions-russia",
}


def test_shipped_rules_load_against_the_taxonomy() -> None:
    types = event_types(ROOT / "rules" / "taxonomy")
    result = load_rulebook(ROOT / "rules", gazetteer(), types)
    assert result.errors == []
    assert {r.id for r in result.rulebook.rules} == SHIPPED


def test_rules_check_exits_0_on_the_shipped_rules(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["rules", "check", "rules"])
    assert result.exit_code == 0, result.output
    assert "5 rules OK" in result.output


BAD = """rules:
- id: unknown-field
  when:
    type: attack
    quantites: {killed: ">= 10"}
- id: wrong-type
  severity: urgent
  kind: corroborated
  min_sources: two
  when: {type: attack}
- id: bad-pattern
  when:
    regex: "(a"
- id: bad-type
  when: {type: meating}
- id: dup
  when: {type: attack}
- id: dup
  when: {type: meeting}
- id: bad-template
  template: "{{ evnt.type }}"
  when: {type: attack}
- id: good
  when: {type: attack}
"""


def test_rules_check_prints_one_line_per_mistake(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # the taxonomy and gazetteer of the project
    folder = tmp_path / "rules"
    write_rules(folder, "bad.yaml", BAD)
    write_rules(folder, "broken.yaml", "rules:\n- id: x\n  when: {type: [attack\n")
    write_rules(folder, "other.yaml", "rules:\n- id: good\n  when: {type: meeting}\n")
    result = CliRunner().invoke(main, ["rules", "check", str(folder)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(folder))]
    found = [re.match(r"(.+?):(\d+): (\S+?):? ", line).groups() for line in lines]
    bad, other = str(folder / "bad.yaml"), str(folder / "other.yaml")
    assert [(Path(f).name, int(n), fld) for f, n, fld in found] == [
        ("bad.yaml", 5, "when.quantites"),
        ("bad.yaml", 7, "severity"),
        ("bad.yaml", 9, "min_sources"),
        ("bad.yaml", 13, "when.regex"),
        ("bad.yaml", 15, "when.type"),
        ("bad.yaml", 18, "id"),
        ("bad.yaml", 21, "template"),
        ("broken.yaml", 4, "invalid"),
        ("other.yaml", 2, "id"),
    ]
    assert f"{bad}:15: when.type: unknown event type 'meating'" in result.output
    assert f"{other}:2: id: duplicate rule id 'good' (also {bad}:23)" in result.output
    assert "'evnt' is undefined" in result.output and "missing )" in result.output


def test_valid_rules_of_a_file_with_mistakes_still_load(tmp_path: Path) -> None:
    write_rules(tmp_path, "bad.yaml", BAD)
    result = load_rulebook(tmp_path, gazetteer(), EVENT_TYPES)
    assert [r.id for r in result.rulebook.rules] == ["dup", "good"]


def fires(rule_yaml: str, tmp_path: Path, *events_kw: dict, **article_kw) -> list[bool]:
    """For each event (given as keyword dicts), whether the one rule fires on it."""
    write_rules(tmp_path, "r.yaml", rule_yaml)
    result = load_rulebook(tmp_path, gazetteer(), EVENT_TYPES)
    assert result.errors == []
    out = []
    for kw in events_kw:
        art = article(**article_kw)
        matches = asyncio.run(
            evaluate(result.rulebook, batch(art, event(art, **kw)), MemoryRuleState())
        )
        out.append(bool(matches))
    return out


def rule(when: str) -> str:
    return f"rules:\n- id: r\n  when: {when}\n"


@pytest.mark.parametrize(
    ("when", "evidence", "expected"),
    [
        ("{text: [turkiye]}", "Talks in TÜRKİYE resumed", True),
        ("{text: ['prisoner of war exchange*']}", "more prisoner-of-war exchanges", True),
        ("{text: [ease]}", "the release of prisoners", False),  # whole words only
        ("{text: {all: [truce, violat*]}}", "Both sides say the truce was violated", True),
        ("{text: {all: [truce, violat*]}}", "The truce holds", False),
        ("{text: {none: ['lift*']}}", "Sanctions lifted on Monday", False),
        ("{regex: 'kill(ed|ing) (at least )?\\d+'}", "The strike KILLED at least 24", True),
        ("{regex: {none: ['\\bno\\b']}}", "There was no meeting", False),
    ],
)
def test_text_conditions(tmp_path: Path, when: str, evidence: str, expected: bool) -> None:
    assert fires(rule(when), tmp_path, {"evidence": evidence}) == [expected]


def test_text_in_title(tmp_path: Path) -> None:
    when = "{text: {any: [breaking], in: title}}"
    assert fires(rule(when), tmp_path, {}, title="BREAKING: talks") == [True]
    assert fires(rule(when), tmp_path, {"evidence": "breaking"}, title="Talks") == [False]


def test_field_conditions(tmp_path: Path) -> None:
    cases = [
        (
            "{actors: {all: [Zelenskyy, Russia]}}",
            {"actors": ["Volodymyr Zelensky", "Russia"]},
            True,
        ),
        ("{actors: {all: [Zelenskyy, Russia]}}", {"actors": ["Volodymyr Zelensky"]}, False),
        ("{actors: {none: [Russia]}}", {"actors": ["Ukraine"]}, True),
        ("{sides: Ukraine}", {"actors": ["Umerov"]}, True),  # a person acts for a country
        ("{location: Turkey}", {"location": ["Istanbul"]}, True),  # within a country
        ("{location: Turkey}", {"location": ["Kyiv"]}, False),
        ("{quantities: {killed: '>= 10'}}", {"quantities": {"killed": {"value": 10}}}, True),
        (
            "{quantities: {killed: {gt: 10, lt: 100}}}",
            {"quantities": {"killed": {"value": 10}}},
            False,
        ),
        ("{quantities: {killed: '>= 10'}}", {}, False),  # no number stated
        ("{status: {none: [cancelled]}}", {"status": "cancelled"}, False),
        ("{date: {after: -60d}}", {"date": "2025-08-01"}, False),  # article of 2025-11-18
        ("{date: {after: -60d}}", {"date": "2025-10-01"}, True),
        ("{date: {after: -60d, missing: fail}}", {}, False),
        ("{date: {before: 2025-01-01}}", {"date": "2024-12-31"}, True),
        ("{not: {type: attack}}", {"type": "meeting"}, True),
        ("{any: [{type: attack}, {sides: Turkey}]}", {"actors": ["Hakan Fidan"]}, True),
        ("{any: [{type: attack}, {sides: Turkey}]}", {}, False),
        ("{source: {any: [kyiv independent]}}", {}, False),
        ("{language: en}", {}, True),
    ]
    for when, kw, expected in cases:
        assert fires(rule(when), tmp_path, kw) == [expected], when


def readme_examples() -> list[str]:
    text = (ROOT / "rules" / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def test_readme_has_examples() -> None:
    assert len(readme_examples()) >= 8


@pytest.mark.parametrize("n", range(len(readme_examples())))
def test_readme_example_loads(tmp_path: Path, n: int) -> None:
    example = readme_examples()[n]
    types = event_types(ROOT / "rules" / "taxonomy")
    if example.startswith("rule:"):  # an expectations file: run it against the shipped rules
        write_rules(tmp_path / "tests", "example.yaml", example)
        shipped = load_rulebook(ROOT / "rules", gazetteer(), types).rulebook
        outcomes, errors = asyncio.run(run_expectations(tmp_path / "tests", shipped, None))
        assert errors == [] and [o.verdict for o in outcomes] == ["skip", "pass"]
        return
    write_rules(tmp_path, "example.yaml", example)
    result = load_rulebook(tmp_path, gazetteer(), types)
    assert [str(e) for e in result.errors] == []
    assert result.rulebook.rules


def test_rules_are_tried_whichever_branch_of_any_holds(tmp_path: Path) -> None:
    # the index offers a rule only for events with one of its keys: every branch counts
    when = "{type: meeting, any: [{text: [summit]}, {sides: Turkey}, {location: Doha}]}"
    assert fires(
        rule(when),
        tmp_path,
        {"evidence": "A summit was held"},
        {"actors": ["Hakan Fidan"]},
        {"location": ["Doha"]},
        {"type": "attack", "actors": ["Hakan Fidan"]},
        {},
    ) == [True, True, True, False, False]
