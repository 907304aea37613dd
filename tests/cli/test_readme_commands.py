"""The README's command examples (tests/support/readme_commands.py) are what the commands print now,
on a project made from the seeds, and every command of the CLI has one."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
import readme_commands
from readme_commands import END, EXAMPLES, START, replace_section, section

from streams.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
STALE = "README's command examples are stale: run `make readme` (python " \
    "tests/support/readme_commands.py " \
        "--write README.md)"


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "README has no command examples section"
    return START + text.split(START, 1)[1].split(END, 1)[0] + END


def cli_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[str]:
    """Every command a user can run ("rules check", "run", ...), from click's own tree."""
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += cli_commands(command, (*prefix, name))
        else:
            found.append(" ".join((*prefix, name)))
    return found


def shown_commands(text: str) -> list[tuple[str, ...]]:
    """The words after `newswatch` of each `$ ...` line (variables set before it skipped)."""
    shown = []
    for line in text.splitlines():
        if line.startswith("$ "):
            words = shlex.split(line[2:])
            if "newswatch" in words:
                shown.append(tuple(words[words.index("newswatch") + 1:]))
    return shown


def missing(text: str, commands: list[str]) -> list[str]:
    """The commands that no `$ newswatch ...` line of text runs."""
    shown = shown_commands(text)
    return [c for c in commands
            if not any(words[: len(c.split())] == tuple(c.split()) for words in shown)]


def test_every_command_of_the_cli_has_an_example_in_the_readme():
    commands = cli_commands()
    assert {"run", "rules check", "feeds add", "alerts ack", "db revision"} <= set(commands)
    assert len(commands) >= 25
    assert missing(readme_section(), commands) == [], \
        "add an Example to tests/support/readme_commands.py"


def test_a_command_without_an_example_is_caught():
    digest = click.Group("digest", commands={"send": click.Command("send")})
    tree = click.Group("newswatch", commands={**main.commands, "digest": digest})
    assert missing(readme_section(), cli_commands(tree)) == ["digest send"]
    without = readme_section().replace("$ newswatch feeds failed\n", "")
    assert missing(without, cli_commands()) == ["feeds failed"]


def test_the_section_is_written_between_its_markers(tmp_path: Path):
    readme = f"intro\n{START}\nold\n{END}\nrest\n"
    assert replace_section(readme, f"{START}\nnew\n{END}") == f"intro\n{START}\nnew\n{END}\nrest\n"
    with pytest.raises(ValueError, match="markers"):
        replace_section("no markers\n", "x")
    stale = tmp_path / "README.md"
    stale.write_text("no markers\n")
    assert readme_commands.main(["--write", str(stale)]) == 1


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 90 s on an idle machine; generous for a busy one
def test_the_readme_shows_what_the_commands_print_now():
    generated = section(EXAMPLES)
    assert "newswatch-readme-" not in generated  # the temporary folder is never shown
    assert "[CRITICAL] mass-casualty-strike" in generated  # the seeds raised their alerts
    assert readme_section() == generated, STALE
