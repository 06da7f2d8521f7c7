"""Candor over Slack's Socket Mode, the manifest's default: the real Bolt Socket Mode handler
connects to a local WebSocket that stands in for Slack's, receives envelopes as Slack sends them,
acknowledges each, and answers through the Web API stand-in. /healthz tells whether the socket
is up, so a wrong app token does not go unnoticed."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import aiohttp

from tests.e2e.slack_harness import ROSTER, running, slack_env
from tests.e2e.test_crash import cli, free_port
from tests.support.slack_stand_in import SlackStandIn
from tests.support.waiting import eventually

SOCKET_MODE = {"SLACK_APP_TOKEN": "xapp-test-token", "SLACK_SIGNING_SECRET": None}


def dm_event(text: str, event_id: str) -> dict:
    return {"token": "legacy", "team_id": "T0TEST", "api_app_id": "A0CANDOR", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "event": {"type": "message", "channel": "DU0CFO", "user": "U0CFO", "text": text,
                      "ts": "1700000100.000001", "channel_type": "im"}}


async def test_a_direct_message_arrives_over_the_socket_and_is_answered(tmp_path, monkeypatch):
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch, env=SOCKET_MODE) as slack:
        await slack.until(lambda: api.sockets)
        health_url = slack.url.replace("/slack/events", "/healthz")

        envelope = await api.envelope("events_api", dm_event("report", "EvSOCKET1"))

        await slack.until(lambda: [a for a in api.socket_acks if a.get("envelope_id") == envelope])
        answers = await slack.until(lambda: [c for c in api.called("chat.postMessage")
                                             if "Open the form" in str(c)])
        assert answers[0].args["channel"] == "DU0CFO"
        health = await slack.http.get(health_url)
        assert health.status == 200 and (await health.json())["ok"] is True
        # Without a signing secret nothing is served over HTTP: every request comes by the socket
        assert (await slack.dm("U0CFO", "report")).status == 404


async def test_a_slash_command_over_the_socket_opens_its_modal(tmp_path, monkeypatch):
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch, env=SOCKET_MODE) as slack:
        await slack.until(lambda: api.sockets)
        envelope = await api.envelope("slash_commands", {
            "token": "legacy", "team_id": "T0TEST", "channel_id": "DU0CFO", "user_id": "U0CFO",
            "command": "/ethics", "text": "report", "api_app_id": "A0CANDOR",
            "response_url": f"{api.response_url}1", "trigger_id": "trig-socket"})

        await slack.until(lambda: [a for a in api.socket_acks if a.get("envelope_id") == envelope])
        opened = await slack.until(lambda: api.called("views.open"))
        assert opened[0].args["trigger_id"] == "trig-socket"
        assert opened[0].args["view"]["callback_id"].startswith("intake:")


async def test_a_wrong_app_token_leaves_the_server_up_but_unhealthy(tmp_path, monkeypatch):
    wrong = {**SOCKET_MODE, "SLACK_APP_TOKEN": "xapp-revoked"}
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch, env=wrong) as slack:
        await slack.until(lambda: [c for c in api.called("apps.connections.open")])
        health = await slack.http.get(slack.admin + "/healthz")
        assert health.status == 503 and (await health.json()) == {"ok": False, "slack_socket_mode": "disconnected"}
        assert api.sockets == []


async def test_candor_serve_in_socket_mode_connects_and_answers(tmp_path):
    # The real command, as an operator starts it: no signing secret, an app-level token.
    async with SlackStandIn() as api:
        port = free_port()
        env = {**os.environ, **slack_env(tmp_path, api), "SLACK_APP_TOKEN": "xapp-test-token",
               "CANDOR_HOST": "127.0.0.1", "CANDOR_PORT": str(port), "CANDOR_LOG_LEVEL": "WARNING"}
        env.pop("SLACK_SIGNING_SECRET")
        (tmp_path / "roster.yml").write_text(ROSTER)
        cli(env, "init")
        cli(env, "roster", "import", str(tmp_path / "roster.yml"))
        log = tmp_path / "serve.log"
        with log.open("wb") as err:
            server = await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "serve",
                                                          env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err)
        try:
            await eventually(lambda: api.sockets, timeout=30, explain=lambda: log.read_text()[-3000:])
            async with aiohttp.ClientSession() as http:
                async def healthy() -> bool:
                    try:  # the socket may be up a moment before the port listens
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            return response.status == 200
                    except aiohttp.ClientConnectionError:
                        return False
                await eventually(healthy, timeout=30, explain=lambda: log.read_text()[-3000:])

            await api.envelope("events_api", dm_event("help", "EvSERVE1"))

            answers = await eventually(lambda: api.called("chat.postMessage"), timeout=30,
                                       explain=lambda: log.read_text()[-3000:])
            assert answers[0].args["channel"] == "DU0CFO" and "brings concerns to the Audit Committee" in str(answers[0])
        finally:
            server.terminate()
            await server.wait()
        assert "Traceback" not in log.read_text()
