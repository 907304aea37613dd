"""The README's Configuration table is generated from the settings object and agrees with
it: every setting documented with its variable, default and meaning, and no variable the
README names that newswatch does not read."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from streams.config import settings_doc
from streams.config.env_check import known_variables
from streams.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# named in the README on purpose as a misspelling that is warned about
EXAMPLES = {"NEWSWATCH_POLL_INTERVALL"}


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert settings_doc.START in text and settings_doc.END in text, "README has no settings table"
    return settings_doc.START + text.split(settings_doc.START, 1)[1].split(settings_doc.END)[0] \
        + settings_doc.END


def test_readme_table_is_the_generated_one():
    assert readme_table() == settings_doc.table(), \
        ("README's settings table is stale: "
         "run python -m streams.config.settings_doc --write README.md")


def test_every_setting_has_a_row_with_its_default_and_meaning():
    documented = {var: (default, meaning) for var, default, meaning in settings_doc.rows()}
    for name, field in Settings.model_fields.items():
        var = f"NEWSWATCH_{name.upper()}"
        assert var in documented, f"{var} is not in the README"
        default, meaning = documented[var]
        assert default and meaning.strip(), f"{var}: no default or no meaning"
        assert field.description, f"{name}: add a docstring (its README meaning)"
    assert documented["NEWSWATCH_WEB_PORT"][0] == "`6066`"
    assert documented["NEWSWATCH_CONSOLE_ALERTS"][0] == "`true`"
    assert documented["NEWSWATCH_SMTP_PASSWORD"][1].endswith("(secret)")


def test_the_readme_names_no_variable_that_does_not_exist():
    named = set(re.findall(r"NEWSWATCH_[A-Z0-9_]*[A-Z0-9]", README.read_text(encoding="utf-8")))
    unknown = named - known_variables() - EXAMPLES
    assert not unknown, f"the README documents variables newswatch does not read: {unknown}"


def test_a_new_setting_without_a_row_is_caught(monkeypatch: pytest.MonkeyPatch):
    rows = settings_doc.rows()
    monkeypatch.setattr(settings_doc, "rows", lambda: rows + [("NEWSWATCH_NEW", "`1`", "x")])
    assert readme_table() != settings_doc.table()


def test_the_generator_prints_and_writes_the_table(tmp_path: Path):
    printed = subprocess.run([sys.executable, "-m", "streams.config.settings_doc"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert printed.strip() == settings_doc.table()
    stale = tmp_path / "README.md"
    stale.write_text(f"intro\n{settings_doc.START}\n| old |\n{settings_doc.END}\nrest\n")
    assert settings_doc.main(["--write", str(stale)]) == 0
    assert stale.read_text() == f"intro\n{settings_doc.table()}\nrest\n"
    (tmp_path / "other.md").write_text("no markers\n")
    assert settings_doc.main(["--write", str(tmp_path / "other.md")]) == 1


def test_every_setting_is_one_row_of_the_table():
    """A description written over several lines still renders as one Markdown table row: a
    line break inside a row ends the row and shows the rest as loose text."""
    lines = [line for line in settings_doc.table().splitlines() if line.strip()]
    body = lines[1:-1]  # between the markers
    assert all(line.startswith("|") and line.endswith("|") for line in body), \
        [line for line in body if not (line.startswith("|") and line.endswith("|"))]
    assert sum(line.startswith("| `NEWSWATCH_") for line in body) >= len(Settings.model_fields)
