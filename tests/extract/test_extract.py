"""The extract stage over the seeds and at its edges: stories across articles, the jsonl
command, long and empty texts, deterministic ids, and the measurement `make eval` prints."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from streams.cli.extract import extract, extract_lines, read_articles
from streams.core.records import Article
from streams.extract.extractor import Extractor
from streams.quality.seeds import evaluate

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def seed_lines(extractor: Extractor) -> list[dict[str, Any]]:
    return asyncio.run(extract_lines(extractor, read_articles(SEEDS)))


def _stories(lines: list[dict[str, Any]], etype: str, **where: Any) -> set[str]:
    def ok(line: dict[str, Any]) -> bool:
        return all(
            (v in line[k]) if isinstance(line[k], list) else line[k] == v for k, v in where.items()
        )

    return {line["story"] for line in lines if line["type"] == etype and ok(line)}


def test_one_story_per_happening_across_outlets(seed_lines: list[dict[str, Any]]) -> None:
    jan = _stories(seed_lines, "meeting", date="2026-01-01")
    assert len(jan) == 1, "000's Ankara meeting and 001's meeting in Turkey are one story"
    nov_exchanges = {
        line["story"]
        for line in seed_lines
        if line["type"] == "prisoner_exchange" and line["article"][:3] in ("002", "003")
    }
    assert len(nov_exchanges) == 1
    florida = _stories(seed_lines, "meeting", location="Florida")
    madrid = _stories(seed_lines, "meeting", location="Madrid")
    budapest = _stories(seed_lines, "meeting", location="Budapest")
    assert len(florida | madrid | budapest | jan) == 4, "other meetings stay apart"


def test_lines_have_the_documented_fields(seed_lines: list[dict[str, Any]]) -> None:
    fields = {"article", "type", "actors", "location", "date", "status", "quantities",
              "attribution", "evidence", "story"}  # fmt: skip
    assert seed_lines and all(set(line) == fields for line in seed_lines)
    kherson = [line for line in seed_lines if "Kherson" in line["location"]]
    assert kherson[0]["quantities"]["killed"]["value"] == 24
    assert kherson[0]["attribution"] == "Russian officials"


def test_command_prints_jsonl_for_one_file() -> None:
    result = CliRunner().invoke(extract, [str(SEEDS / "004_9f486ea33ae97183.txt")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert {"meeting", "ceasefire"} <= {line["type"] for line in lines}
    assert all(line["article"] == "004_9f486ea33ae97183.txt" for line in lines)


def test_command_names_a_bad_path(tmp_path: Path) -> None:
    bad = tmp_path / "notes.md"
    bad.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(extract, [str(bad)])
    assert result.exit_code != 0 and "notes.md" in result.output


def test_long_text_is_read_in_chunks_not_dropped(extractor: Extractor) -> None:
    filler = "The weather was mild and markets were calm. " * 200
    tail = "Russian and Ukrainian delegations held talks in Istanbul on Friday."
    text = filler + tail  # one paragraph longer than the limit below
    old = extractor.nlp.max_length
    extractor.nlp.max_length = 3_000
    try:
        [events] = extractor.extract([_article(text)])
    finally:
        extractor.nlp.max_length = old
    assert any(e.type == "meeting" and e.location == ["Istanbul"] for e in events)


def test_ids_are_deterministic_and_stories_left_empty(extractor: Extractor) -> None:
    article = _article("Russian and Ukrainian delegations held talks in Istanbul on Friday.")
    first, second = extractor.extract([article]), extractor.extract([article])
    assert [e.id for e in first[0]] == [e.id for e in second[0]] and first[0]
    assert all(e.story_id == "" for e in first[0])
    # dated by their article's publication day (a day's events side by side in the store)
    assert all(e.id.startswith("20250516-") for e in first[0])
    undated = extractor.extract([replace(article, published=None)])[0]
    assert undated and all(len(e.id) == 16 and "-" not in e.id for e in undated)


def test_empty_and_eventless_articles_give_no_events(extractor: Extractor) -> None:
    results = extractor.extract([_article(""), _article("The weather was mild.")])
    assert results == [[], []]


def test_eval_on_seeds_meets_the_targets(extractor: Extractor) -> None:
    report = evaluate(SEEDS, ROOT / "tests" / "data" / "events.yaml", extractor)
    assert report.recall >= 0.9, report.text()
    for field in ("date", "status", "location"):
        assert report.accuracy(field) >= 0.9, report.text()


def _article(text: str) -> Article:
    return Article(id="t", url="t", title="", text=text, published="2025-05-16")


def test_words_read_are_kept_up_to_the_limit(extractor: Extractor) -> None:
    vocab = extractor.nlp.vocab
    article = _article("Envoy Quillabert met Ministers of Vostrania in Istanbul on Friday.")
    full = Extractor(extractor.nlp, extractor.taxonomy, extractor.gazetteer,
                     known_words=len(vocab))
    freed = full.extract([article])
    assert "Quillabert" not in vocab  # the vocabulary is full: read, then freed
    assert extractor.extract([article]) == freed and freed[0]  # the same events either way
    assert "Quillabert" in vocab and "Vostrania" in vocab  # kept after the memory zone
