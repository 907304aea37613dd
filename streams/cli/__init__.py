"""The `newswatch` command. Each sub-command group lives in its own module of this package;
modules import heavy libraries (spaCy, Faust) inside the command, so `--help` stays fast."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

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


# commands that work without a project (they read only the environment)
_NO_PROJECT = frozenset({"config"})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswatch")
@click.pass_context
def main(ctx: click.Context) -> None:
    """newswatch: watches news feeds and alerts when something you care about happens.

    It works on a project folder (rules/, seeds/, the store in var/): NEWSWATCH_HOME, else
    the current folder, else the folder above the store NEWSWATCH_DATA_DIR points at,
    else the checkout it is installed from."""
    from streams.config.env_check import unknown_variables
    from streams.config.home import HomeError, use_home

    for warning in unknown_variables(os.environ):
        click.echo(f"newswatch: warning: {warning}", err=True)
    if ctx.resilient_parsing or {"-h", "--help"} & set(sys.argv[1:]):
        return
    try:
        use_home(os.environ, Path.cwd())
    except HomeError as exc:
        if ctx.invoked_subcommand in _NO_PROJECT:
            return
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)


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
