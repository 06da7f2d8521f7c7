"""Candor's real HTTP server with the real Bolt app, on a free localhost port, talking to the
Slack Web API stand-in; requests are signed as Slack signs them."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from adapters.bootstrap import Candor
from storage.models import Report
from storage.vocabulary import Platform
from tests.support.serving import serve
from tests.support.slack_stand_in import SlackStandIn
from tests.support.waiting import eventually

SIGNING_SECRET = "test-signing-secret"
COMMITTEE = "G0COMMITTEE"
ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, slack_id: U0CFO, attestation_due: 2027-03-31}
  - {name: Sam Ortiz, email: sam@example.com, role: Controller}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, slack_id: U0LEE}
  - {name: Alex Kim, email: alex@example.com, slack_id: U0ALEX}
"""


def slack_env(tmp: Path, api: SlackStandIn) -> dict[str, str]:
    return {
        "CANDOR_DATABASE_URL": f"sqlite:///{tmp / 'candor.db'}",
        "CANDOR_KEY_FILE": str(tmp / "candor.key"),
        "CANDOR_SCRYPT_LOG2_N": "4",
        "CANDOR_ANONYMOUS_DELAY_MINUTES": "0",  # the delay has its own tests (test_timing_cover)
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CANDOR_SLACK_API_URL": api.base_url,
        "CANDOR_COMMITTEE_CHANNEL": COMMITTEE,
        "CANDOR_ADMIN_PORT": "0",  # the operators' listener on a free port (SlackHarness.admin)
    }


@dataclass(repr=False)
class SlackHarness:
    url: str
    api: SlackStandIn
    candor: Candor
    http: aiohttp.ClientSession
    counter: int = 0
    admin: str = ""  # the operators' listener (/metrics, the detailed /healthz): http://host:port

    async def post(self, body: str, content_type: str, *, timestamp: int | None = None,
                   secret: str = SIGNING_SECRET, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": signature, **(headers or {})}
        response = await self.http.post(self.url, data=body.encode(), headers=all_headers)
        await response.read()
        return response

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, **kw: Any) -> aiohttp.ClientResponse:
        self.counter += 1
        body = {"token": "legacy", "team_id": "T0TEST", "api_app_id": "A0CANDOR", "type": "event_callback",
                "event": event, "event_id": event_id or f"Ev{self.counter:08d}", "event_time": int(time.time())}
        return await self.post(json.dumps(body), "application/json", **kw)

    async def dm(self, user: str, text: str, **kw: Any) -> aiohttp.ClientResponse:
        self.counter += 1
        return await self.event({"type": "message", "channel": f"D{user}", "user": user, "text": text,
                                 "ts": f"1700000100.{self.counter:06d}", "channel_type": "im"}, **kw)

    async def command(self, user: str, command: str, text: str) -> aiohttp.ClientResponse:
        self.counter += 1
        form = {"token": "legacy", "team_id": "T0TEST", "channel_id": f"D{user}", "user_id": user,
                "command": command, "text": text, "api_app_id": "A0CANDOR",
                "response_url": f"{self.api.response_url}{self.counter}", "trigger_id": f"trig-{self.counter}"}
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        payload = {"team": {"id": "T0TEST"}, "api_app_id": "A0CANDOR", "token": "legacy", **payload}
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def click(self, user: str, value: str, *, channel: str = COMMITTEE,
                    view: str | None = None) -> aiohttp.ClientResponse:
        """A button clicked in a channel's message, or, with `view` ("home" or "modal"), in the
        App Home tab or an open modal (as Slack sends them: a `view`, no channel)."""
        self.counter += 1
        trigger = f"trig-{self.counter}"
        self.api.trigger_contexts[trigger] = view or "message"
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user}, "trigger_id": trigger,
            "actions": [{"type": "button", "action_id": "candor:0", "block_id": "choices-0", "value": value,
                         "action_ts": str(time.time())}],
        }
        if view is None:
            payload["container"] = {"type": "message", "channel_id": channel, "message_ts": "1700000000.000001"}
            payload["channel"] = {"id": channel}
        else:
            view_id = f"V0{view.upper()}"
            payload["container"] = {"type": "view", "view_id": view_id}
            payload["view"] = {"id": view_id, "type": view, "callback_id": "candor:view"}
        return await self.interact(payload)

    async def submit(self, user: str, callback_id: str, values: dict[str, Any]) -> aiohttp.ClientResponse:
        return await self.interact({
            "type": "view_submission", "user": {"id": user}, "trigger_id": "trig-view",
            "view": {"id": "V0FORM", "type": "modal", "callback_id": callback_id, "state": {"values": values}},
        })

    async def acknowledge(self, user: str, report_id: str) -> None:
        """A member's click on a case's Acknowledge button, then wait until it is recorded (Bolt
        answers the click before the work is done; the member sees the channel message change)."""
        assert (await self.click(user, f"case:ack:{report_id}")).status == 200
        await self.until(lambda: any(r.id == report_id and r.acknowledged_at is not None
                                     for r in self.reports()))

    def reports(self) -> list[Report]:
        with self.candor.db.read() as session:
            return list(session.exec(select(Report)).all())

    async def until(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until `check()` is truthy (work after the acknowledgement is asynchronous)."""
        return await eventually(check, timeout=timeout, explain=lambda: "the Web API saw:\n" + "\n".join(
            str(c)[:200] for c in self.api.calls))

    async def say(self, user: str, text: str) -> None:
        """A direct message, then wait for the bot's answer (as a person would)."""
        before = len(self.api.called("chat.postMessage"))
        response = await self.dm(user, text)
        assert response.status == 200
        await self.until(lambda: len(self.api.called("chat.postMessage")) > before)


def text_input(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def option(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}}


def radio(value: str) -> dict[str, Any]:
    return {"value": {"type": "radio_buttons", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}}


@asynccontextmanager
async def running(tmp: Path, api: SlackStandIn, monkeypatch: Any, *, database_url: str | None = None,
                  env: dict[str, str | None] | None = None) -> AsyncIterator[SlackHarness]:
    """Candor's server on a free port for the length of a test, then stopped and closed; `env`
    adds to (or, with None, removes from) the environment it is configured by."""
    harness, runner = await start(tmp, api, monkeypatch, database_url=database_url, env=env)
    try:
        yield harness
    finally:
        await harness.http.close()
        await runner.cleanup()
        harness.candor.close()


async def start(tmp: Path, api: SlackStandIn, monkeypatch: Any, *, database_url: str | None = None,
                env: dict[str, str | None] | None = None) -> tuple[SlackHarness, web.AppRunner]:
    """The server on a SQLite file in `tmp`, or on `database_url`."""
    for key, value in {**slack_env(tmp, api), **(env or {})}.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    if database_url is not None:
        monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)
    served = await serve(Platform.SLACK, ROSTER)
    return SlackHarness(f"{served.base}/slack/events", api, served.candor, aiohttp.ClientSession(),
                        admin=served.admin), served.runner
