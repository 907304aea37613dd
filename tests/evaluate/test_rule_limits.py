"""Rule files are parsed with bounded cost: a YAML alias bomb, a file over the size limit and
nesting past the limit are refused with file and line, by `rules check` and by the watcher of
a running service, whose previous rules stay in force; a load past its time limit is refused
the same way while the event loop goes on."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_support import EVENT_TYPES, ROOT, RULE, fires, gazetteer, held_folder, until, write_rules

import streams.evaluate.hot_reload as rules_watch
from streams.cli import main
from streams.evaluate.hot_reload import watch_rules
from streams.evaluate.rulebook import load_rulebook
from streams.knowledge.gazetteer import Gazetteer, GazetteerError

ALIASES = "aliases are not allowed in rule files"


def alias_bomb(levels: int) -> str:
    """`levels` nested lists of ten aliases each: 10**levels strings once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nrules:\n- id: bomb\n  when: {{text: *a{levels - 1}}}\n"


def _limit_memory() -> None:  # in the child: an expanded bomb dies here, not on the machine
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_rules_check_refuses_a_ten_level_alias_bomb_with_bounded_memory(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    bomb = write_rules(folder, "bomb.yaml", alias_bomb(10))
    write_rules(folder, "good.yaml", RULE.format(type="meeting"))
    out = subprocess.run(
        [sys.executable, "-m", "streams.cli", "rules", "check", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=_limit_memory,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr[-2000:]
    assert f"{bomb}:1: {ALIASES} (anchor &a0 here)" in out.stdout
    assert "1 mistakes" in out.stderr


def test_an_alias_alone_is_refused_on_its_line(tmp_path: Path) -> None:
    write_rules(tmp_path, "a.yaml", "rules:\n- id: x\n  when:\n    type: attack\n"
                "    text: *nothing\n")  # fmt: skip
    result = load_rulebook(tmp_path, gazetteer(), EVENT_TYPES)
    assert [str(e) for e in result.errors][0].startswith(f"{tmp_path / 'a.yaml'}:5: {ALIASES}")
    # an asterisk in a quoted phrase is no alias
    write_rules(tmp_path, "a.yaml", "rules:\n- id: x\n  when: {text: 'violat*'}\n")
    assert load_rulebook(tmp_path, gazetteer(), EVENT_TYPES).errors == []


def test_file_size_limit_is_a_setting(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "rules"
    path = write_rules(folder, "big.yaml", RULE.format(type="meeting") + "#" * 2000 + "\n")
    monkeypatch.chdir(ROOT)
    assert CliRunner().invoke(main, ["rules", "check", str(folder)]).exit_code == 0
    monkeypatch.setenv("NEWSWATCH_RULES_MAX_FILE_BYTES", "1000")
    result = CliRunner().invoke(main, ["rules", "check", str(folder)])
    assert result.exit_code == 1
    assert f"{path}:1: file larger than the limit of 1,000 bytes" in result.output


def test_nesting_past_the_limit_is_refused(tmp_path: Path) -> None:
    write_rules(tmp_path, "deep.yaml", "rules: " + "[" * 900 + "]" * 900 + "\n")
    (error,) = load_rulebook(tmp_path, gazetteer(), EVENT_TYPES).errors
    assert "nested deeper than 50 levels" in str(error)


def test_gazetteer_with_aliases_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gazetteer.yaml"
    path.write_text("entities:\n- &u {name: Ukraine, kind: country}\n- *u\n")
    with pytest.raises(GazetteerError, match=f"gazetteer.yaml:2: {ALIASES}"):
        Gazetteer.load(path, world=False)


@pytest.fixture
async def watched(tmp_path: Path):
    return held_folder(tmp_path)


async def _run(holder, folder, gaz, status, **kw):
    return asyncio.create_task(watch_rules(holder, folder, gaz, status_path=status, **kw))


async def _stop(task) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_alias_bomb_saved_under_a_running_watcher_is_refused(watched) -> None:
    holder, folder, status, gaz = watched
    task = await _run(holder, folder, gaz, status)
    try:
        # six levels (a million strings expanded) keep this process safe without the limits
        write_rules(folder, "a.yaml", alias_bomb(6))
        await until(lambda: holder.errors, "the alias bomb refused")
        assert [str(e) for e in holder.all_errors()] == [
            f"{folder / 'a.yaml'}:1: {ALIASES} (anchor &a0 here): write the value out"
        ]
        assert await fires(holder, "meeting") == ["watched"]  # the previous version runs
    finally:
        await _stop(task)


async def test_a_load_past_its_time_limit_keeps_the_previous_version(watched, monkeypatch):
    holder, folder, status, gaz = watched
    release = threading.Event()
    real = rules_watch.load_rule_file

    def stuck(*args, **kw):  # a load that does not finish until released
        release.wait(60)
        return real(*args, **kw)

    monkeypatch.setattr(rules_watch, "load_rule_file", stuck)
    task = await _run(holder, folder, gaz, status, load_timeout=0.2)
    try:
        write_rules(folder, "a.yaml", RULE.format(type="attack"))
        await until(lambda: holder.errors, "the load past its time limit")
        assert "loading took longer than 0.2 s" in str(holder.all_errors()[0])
        # the event loop went on meanwhile, and the previous version is still in force
        assert await fires(holder, "meeting") == ["watched"]
    finally:
        release.set()
        await _stop(task)
