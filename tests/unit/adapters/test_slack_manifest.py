"""The Slack manifest creates an app that matches what the code handles."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from adapters.slack.app import COMMANDS, EVENTS

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
SOURCE = (ROOT / "adapters" / "slack" / "app.py").read_text()


def _decorated() -> tuple[set[str], set[str]]:
    """The commands and events the listeners are registered for, read from the code."""
    commands, events = set(), set()
    for node in ast.walk(ast.parse(SOURCE)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if node.func.attr == "command":
                    commands.add(arg.value)
                elif node.func.attr == "event":
                    events.add(arg.value)
    return commands, events


def test_slash_commands_match_the_listeners():
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    registered, _ = _decorated()
    assert declared == registered == set(COMMANDS)


def test_bot_events_match_the_listeners():
    declared = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    _, registered = _decorated()
    # message.im arrives as a "message" event with channel_type "im".
    assert declared == set(EVENTS)
    assert {e.split(".")[0] for e in declared} == registered


def test_scopes_cover_what_the_code_calls():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # groups:history and im:history: after a crash, the notifier reads back what it posted.
    needed = {"chat:write", "commands", "im:history", "im:write", "users:read", "users:read.email",
              "groups:history"}
    assert needed <= scopes


def test_app_is_reachable_in_socket_mode_and_over_http():
    settings = MANIFEST["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    for url in [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
                *(c["url"] for c in MANIFEST["features"]["slash_commands"])]:
        assert url.endswith("/slack/events")
