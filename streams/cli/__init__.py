"""The `newswatch` command. Each sub-command group lives in its own module of this package;
modules import heavy libraries (spaCy, Faust) inside the command, so `--help` stays fast."""

from __future__ import annotations

import importlib

import click

# module name -> attribute holding the click command or group it adds
_COMMANDS: dict[str, str] = {
    "run": "run",
    "backtest": "backtest",
    "extract": "extract",
    "rules": "rules",
    "feeds": "feeds",
    "alerts": "alerts",
    "config": "config",
    "db": "db",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswatch")
def main() -> None:
    """newswatch: watches news feeds and alerts when something you care about happens."""


for _module, _attr in _COMMANDS.items():
    try:
        _mod = importlib.import_module(f"streams.cli.{_module}")
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != f"streams.cli.{_module}":
            raise
        continue
    _cmd = getattr(_mod, _attr, None)
    if isinstance(_cmd, click.Command):
        main.add_command(_cmd)
    elif isinstance(_cmd, list):  # a module may add several top-level commands
        for _c in _cmd:
            main.add_command(_c)
