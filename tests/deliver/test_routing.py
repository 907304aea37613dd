"""Named destinations and routing by severity (streams/deliver/routing.py), without servers:
`route`, the start-time checks of NEWSWATCH_DESTINATIONS / NEWSWATCH_ROUTES (each error
names the destination), the sinks built from them, and `config show` masking every secret."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from streams.cli import main
from streams.config.settings import SettingsError, load_settings
from streams.deliver.routing import FALLBACK, SEVERITIES, route
from streams.deliver.sinks.registry import build_sinks
from streams.deliver.sinks.slack import SlackSink
from streams.deliver.sinks.smtp import SmtpSink
from streams.runtime.bootstrap import settings_for_command

SECRETS = {  # environment variable -> value; none of these values may ever be printed
    "OPS_HOOK": "https://hooks.example/services/T1/B1/opsSeCrEt111",
    "ANALYST_TOKEN": "xoxb-analystSeCrEt222",
    "DESK_PW": "deskSeCrEt333",
    "HOOK_URL": "https://receiver.example/in/hookSeCrEt444",
    "HOOK_KEY": "hmacSeCrEt555",
    "NEWSWATCH_SLACK_WEBHOOK_URL": "https://hooks.example/services/T2/B2/flatSeCrEt666",
    "NEWSWATCH_SMTP_PASSWORD": "flatSeCrEt777",
}
NAMED = {
    "slack-ops": {"kind": "slack", "webhook_url_env": "OPS_HOOK"},
    "slack-analysts": {"kind": "slack", "bot_token_env": "ANALYST_TOKEN", "channel": "C42"},
    "email-desk": {"kind": "email", "host": "127.0.0.1", "port": 2525, "user": "desk",
                   "password_env": "DESK_PW", "to": ["desk@example.org"]},
    "partner": {"kind": "webhook", "url_env": "HOOK_URL", "secret_env": "HOOK_KEY"},
    "audit": {"kind": "jsonl", "path": "audit.jsonl"},
}
ROUTES = {"critical": ["slack-ops", "slack-analysts", "email-desk"],
          "high": ["slack-analysts"], "info": [], "default": ["console", "audit"]}


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    for var, value in SECRETS.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSWATCH_SMTP_TO", '["ops@example.org"]')
    monkeypatch.setenv("NEWSWATCH_DESTINATIONS", json.dumps(NAMED))
    monkeypatch.setenv("NEWSWATCH_ROUTES", json.dumps(ROUTES))
    return monkeypatch


def test_route_prefers_the_rules_destinations_then_severity_then_default(env):
    settings = load_settings()
    assert route(("slack-ops", "audit", "slack-ops"), "critical", settings) == (
        "slack-ops", "audit")
    assert route((), "critical", settings) == ("slack-ops", "slack-analysts", "email-desk")
    assert route((), "high", settings) == ("slack-analysts",)
    assert route((), "info", settings) == ()  # recorded, sent nowhere
    assert route((), "medium", settings) == ("console", "audit")
    env.delenv("NEWSWATCH_ROUTES")
    assert route((), "critical", load_settings()) == FALLBACK
    assert route((), "low", None) == FALLBACK


def test_without_routes_alerts_go_only_to_configured_destinations(tmp_path, monkeypatch, caplog):
    """A first run with neither Slack nor email set: console and JSONL, and no warning that
    slack and email are not configured."""
    from delivery_support import make_alert

    from streams.deliver.record import wanted as _wanted

    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert route((), "high", settings) == ("console", "jsonl")
    alert = make_alert(destinations=route((), "high", settings))
    with caplog.at_level("WARNING"):
        assert _wanted(alert, {"console", "jsonl"}) == ["console", "jsonl"]
    assert "not configured" not in caplog.text


def test_severities_are_the_rulebooks():
    from streams.evaluate.rulebook import SEVERITIES as RULEBOOK

    assert SEVERITIES == RULEBOOK


def test_named_and_flat_destinations_become_sinks(env):
    sinks = build_sinks(load_settings())
    assert sorted(sinks) == ["audit", "console", "email", "email-desk", "jsonl", "partner",
                             "slack", "slack-analysts", "slack-ops"]
    ops, analysts = sinks["slack-ops"], sinks["slack-analysts"]
    assert isinstance(ops, SlackSink) and not ops.threads and ops.name == "slack-ops"
    assert isinstance(analysts, SlackSink) and analysts.threads and analysts.channel == "C42"
    desk = sinks["email-desk"]
    assert isinstance(desk, SmtpSink) and (desk.host, desk.port) == ("127.0.0.1", 2525)
    assert desk.recipients == ["desk@example.org"] and desk.name == "email-desk"


def test_a_named_destination_replaces_a_builtin_of_the_same_name(env):
    env.setenv("NEWSWATCH_DESTINATIONS", json.dumps(
        {"slack": {"kind": "slack", "webhook_url_env": "OPS_HOOK"}}))
    env.delenv("NEWSWATCH_ROUTES")
    sink = build_sinks(load_settings())["slack"]
    assert isinstance(sink, SlackSink) and sink._webhook_url == SECRETS["OPS_HOOK"]


@pytest.mark.parametrize(("spec", "words"), [
    ({"kind": "pagerduty"}, ["destination 'pager'", "unknown kind 'pagerduty'", "slack"]),
    ({"kind": "slack", "webhook_url_env": "NOT_SET_ANYWHERE"},
     ["destination 'pager' (slack)", "environment variable NOT_SET_ANYWHERE", "not set"]),
    ({"kind": "webhook", "url_env": "HOOK_URL"}, ["destination 'pager' (webhook)",
                                                   "needs secret_env"]),
    ({"kind": "slack", "bot_token_env": "ANALYST_TOKEN"},
     ["destination 'pager' (slack)", "bot_token_env and channel"]),
    ({"kind": "email", "host": "mx", "to": ["a@b.c"], "pasword_env": "DESK_PW"},
     ["destination 'pager' (email)", "unknown option 'pasword_env'", "password_env"]),
    ({"kind": "email", "host": "mx", "to": "nobody"}, ["destination 'pager' (email)", "to:"]),
    ({"kind": "webhook", "url_env": "DESK_PW", "secret_env": "HOOK_KEY"},
     ["destination 'pager' (webhook)", "DESK_PW (url_env) is not an http(s) URL"]),
])
def test_a_bad_destination_fails_at_start_naming_it(env, spec, words):
    env.setenv("NEWSWATCH_DESTINATIONS", json.dumps({"pager": spec}))
    env.delenv("NEWSWATCH_ROUTES")
    with pytest.raises(SettingsError) as err:
        settings_for_command()
    message = str(err.value)
    assert "NEWSWATCH_DESTINATIONS" in message
    for word in words:
        assert word in message
    assert not any(secret in message for secret in SECRETS.values())


def test_an_inline_secret_is_refused_without_echoing_it(env):
    env.setenv("NEWSWATCH_DESTINATIONS", json.dumps(
        {"ops": {"kind": "slack", "webhook_url": SECRETS["OPS_HOOK"]}}))
    env.delenv("NEWSWATCH_ROUTES")
    with pytest.raises(SettingsError) as err:
        settings_for_command()
    assert "destination 'ops' (slack): 'webhook_url' is a secret" in str(err.value)
    assert "webhook_url_env" in str(err.value)
    assert SECRETS["OPS_HOOK"] not in str(err.value)


@pytest.mark.parametrize(("routes", "words"), [
    ({"critical": ["slak-ops"]}, ["route 'critical'", "'slak-ops' is not defined"]),
    ({"urgent": ["slack-ops"]}, ["route 'urgent'", "expected a severity"]),
])
def test_a_bad_route_fails_at_start(env, routes, words):
    env.setenv("NEWSWATCH_ROUTES", json.dumps(routes))
    with pytest.raises(SettingsError) as err:
        settings_for_command()
    assert "NEWSWATCH_ROUTES" in str(err.value)
    for word in words:
        assert word in str(err.value)


def test_config_show_masks_every_secret_of_every_destination(env):
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 0, result.output
    for secret in SECRETS.values():
        assert secret not in result.output
    shown = json.loads(result.output)
    dests = shown["destinations"]
    assert dests["slack-ops"] == {"kind": "slack", "webhook_url": "***",
                                  "webhook_url_env": "OPS_HOOK"}
    assert dests["slack-analysts"]["bot_token"] == "***"
    assert dests["email-desk"]["password"] == "***"
    assert dests["email"]["password_env"] == "NEWSWATCH_SMTP_PASSWORD"
    assert dests["partner"]["url"] == dests["partner"]["secret"] == "***"
    assert dests["slack"]["webhook_url_env"] == "NEWSWATCH_SLACK_WEBHOOK_URL"
    assert shown["routes"]["critical"] == ["slack-ops", "slack-analysts", "email-desk"]
    assert shown["routes"]["low"] == ["console", "audit"]
    assert shown["smtp_password"] == shown["slack_webhook_url"] == "***"


def test_config_show_names_the_destination_at_fault(env):
    env.delenv("DESK_PW")
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code != 0
    assert "destination 'email-desk' (email)" in result.output
    assert "DESK_PW" in result.output


def test_destinations_that_are_not_json_name_the_variable(env):
    env.setenv("NEWSWATCH_DESTINATIONS", '{"slack-ops": {"kind": "slack",')
    with pytest.raises(SettingsError, match="NEWSWATCH_DESTINATIONS: not valid JSON"):
        load_settings()


# --- a new sink kind is one class (streams/deliver/sink_kinds.py) -------------------------

BUILT: list = []


def build(dest, settings):  # noqa: ANN001, ANN201 - the kind's module: this test module
    """The sink of a `pager` destination, as a kind's module makes it."""
    from delivery_support import ScriptedSink

    sink = ScriptedSink(dest.name)
    sink.service = dest.options["service"]
    sink.key = dest.secret("key")
    BUILT.append(sink)
    return sink


@pytest.fixture
def pager_kind():
    from streams.deliver.sink_kinds import KINDS, Option, SinkKind, register, text

    @register
    class PagerKind(SinkKind):
        name, module = "pager", __name__
        options = {"service": Option(text)}
        secrets = {"key": "pager_key"}
        required = ("service", "key")

    yield PagerKind
    KINDS.pop("pager")
    BUILT.clear()


async def test_a_kind_registered_in_one_class_is_configured_checked_and_delivered(
    pager_kind, monkeypatch, tmp_path, store
):
    from delivery_support import make_alert

    from streams.deliver.dispatcher import Dispatcher
    from streams.deliver.record import record_alert

    monkeypatch.setenv("NEWSWATCH_DESTINATIONS", json.dumps(
        {"oncall": {"kind": "pager", "service": "desk", "key_env": "PAGER_KEY"}}))
    with pytest.raises(SettingsError, match="environment variable PAGER_KEY"):
        settings_for_command(data_dir=tmp_path)
    monkeypatch.setenv("PAGER_KEY", "pagerSeCrEt888")
    settings = load_settings(data_dir=tmp_path, console_alerts=False, alerts_jsonl="",
                             routes={"default": ["oncall"]})
    sinks = build_sinks(settings)
    (pager,) = BUILT
    assert sinks["oncall"] is pager and (pager.service, pager.key) == ("desk", "pagerSeCrEt888")
    alert = make_alert(destinations=route((), "high", settings))
    assert await record_alert(store, alert, frozenset(sinks))
    await Dispatcher(store, sinks).settle()
    assert [[m.alert.id for m in batch] for batch in pager.got] == [[alert.id]]
