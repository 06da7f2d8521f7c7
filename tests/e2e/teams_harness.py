"""The real Teams endpoint of Candor (the Microsoft 365 Agents SDK's CloudAdapter on Candor's own
aiohttp server) on a free localhost port, with a Bot Connector stand-in that records every call:
`start` builds it (local mode, or with an app id and signed tokens), `Teams` posts activities as
Teams sends them and reads what the Connector was sent; `stop` undoes it all."""

from __future__ import annotations

import itertools
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from sqlmodel import select

from adapters.bootstrap import Candor
from storage import identities
from storage.models import Person, Report
from storage.vocabulary import Platform
from tests.support.connector_stand_in import ChannelKeys, ConnectorStandIn
from tests.support.serving import serve
from tests.support.waiting import eventually

TENANT = "tenant-0001"
CHANNEL = "19:committee@thread.tacv2"
BOT = "28:candor-bot"
APP_ID = "5a2f1c3e-1111-4a4a-9b9b-0123456789ab"
ACCESS_TOKEN = "stand-in-access-token"  # what the patched Azure AD token fetch answers
ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, teams_id: aad-dana}
  - {name: Sam Ortiz, email: sam@example.com, role: Controller}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, teams_id: aad-lee}
  - {name: Alex Kim, email: alex@example.com, teams_id: aad-alex}
"""
ids = itertools.count(1)


@dataclass
class Teams:
    url: str
    connector: ConnectorStandIn
    candor: Candor
    http: aiohttp.ClientSession
    keys: ChannelKeys | None = None  # with an app id: every post carries a token signed by these
    asked_for: list[str] = field(default_factory=list)  # the app ids outbound tokens were fetched for
    admin: str = ""  # the operators' listener (/metrics, the detailed /healthz): http://host:port

    def activity(self, user: str, *, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {"type": "message", "id": f"act-in-{next(ids)}", "timestamp": "2026-11-25T10:00:00Z",
                "serviceUrl": self.connector.service_url, "channelId": "msteams",
                "from": {"id": f"29:{user}", "name": user, "aadObjectId": user},
                "conversation": conversation, "recipient": {"id": BOT, "name": "Candor"},
                "channelData": {"tenant": {"id": TENANT}}, **fields}

    def personal(self, user: str, **fields: Any) -> dict[str, Any]:
        return self.activity(user, conversation={"conversationType": "personal", "tenantId": TENANT,
                                                 "id": f"a:personal-{user}"}, **fields)

    def in_channel(self, user: str, *, channel: str = CHANNEL, team: str = CHANNEL, **fields: Any) -> dict[str, Any]:
        activity = self.activity(user, conversation={"conversationType": "channel", "isGroup": True,
                                                     "tenantId": TENANT, "id": channel}, **fields)
        activity["channelData"]["team"] = {"id": team, "name": "Audit Committee"}
        activity["channelData"]["channel"] = {"id": channel}
        return activity

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        if headers is None and self.keys is not None:
            token = self.keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
            headers = {"Authorization": f"Bearer {token}"}
        response = await self.http.post(self.url, data=json.dumps(activity),
                                        headers={"Content-Type": "application/json", **(headers or {})})
        await response.read()
        return response

    async def say(self, user: str, text: str) -> None:
        before = len(self.connector.posts())
        response = await self.post(self.personal(user, text=text))
        assert response.status in (200, 201, 202)
        await self.until(lambda: len(self.connector.posts()) > before)

    async def click(self, user: str, value: str) -> None:
        before = len(self.connector.posts())
        response = await self.post(self.personal(user, value={"candor": value}))
        assert response.status in (200, 201, 202)
        await self.until(lambda: len(self.connector.posts()) > before)

    async def start_chat_report(self, user: str) -> None:
        """`report` typed, then the choice to type it in the chat anyway (after the warning)."""
        await self.say(user, "report")
        await self.click(user, "chatreport:start")

    async def invoke(self, user: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        """A Teams dialog's invoke (task/fetch or task/submit) from a person's personal chat."""
        response = await self.post(self.personal(user, type="invoke", name=name, value={"data": data}))
        assert response.status == 200
        return await response.json()

    async def open_dialog(self, user: str, sent: Any) -> dict[str, Any]:
        """What the dialog a chat card's button opens shows (the card's one task/fetch action)."""
        [action] = [a for a in sent.body["attachments"][0]["content"]["actions"]
                    if a["data"].get("msteams", {}).get("type") == "task/fetch"]
        return await self.invoke(user, "task/fetch", action["data"])

    async def add_to_team(self, *, team: str = CHANNEL) -> None:
        """The bot added to a team: Teams says so in the team's General channel, whose id is the
        team's id."""
        activity = self.in_channel("aad-lee", type="conversationUpdate", membersAdded=[{"id": BOT}],
                                   channel=team, team=team)
        activity["channelData"]["eventType"] = "teamMemberAdded"
        response = await self.post(activity)
        assert response.status in (200, 201, 202)

    def identity(self, user_id: str) -> str | None:
        """The e-mail of the roster person a Teams id is matched to, if any."""
        with self.candor.db.read() as session:
            person_id = identities.db_person_id(session, self.candor.core.vault, Platform.TEAMS, user_id)
            person = session.get(Person, person_id) if person_id is not None else None
            return person.email if person is not None else None

    def reports(self) -> list[Report]:
        with self.candor.db.read() as session:
            return list(session.exec(select(Report)).all())

    async def until(self, check: Any, timeout: float = 15.0) -> Any:
        return await eventually(check, timeout=timeout, explain=lambda: "the Connector saw:\n" + "\n".join(
            str(s)[:200] for s in self.connector.sent))


TEAMS_ENV = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID", "CANDOR_TEAMS_LOCAL",
             "CANDOR_TEAMS_CHANNEL")


async def start(tmp_path, monkeypatch, connector: ConnectorStandIn | None = None, *, roster: str = ROSTER,
                **env: str):
    """Candor with Teams on a free port, for `roster`'s people. Without MICROSOFT_APP_ID in `env`,
    in local mode."""
    connector = connector or ConnectorStandIn()
    await connector.__aenter__()
    local = {} if "MICROSOFT_APP_ID" in env else {"CANDOR_TEAMS_LOCAL": "true"}
    settings = {"CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}",
                "CANDOR_KEY_FILE": str(tmp_path / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4",
                "CANDOR_ANONYMOUS_DELAY_MINUTES": "0", "CANDOR_ADMIN_PORT": "0",
                "CANDOR_TEAMS_CHANNEL": CHANNEL, "MICROSOFT_APP_TENANT_ID": TENANT, **local, **env}
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", *TEAMS_ENV):
        monkeypatch.delenv(key, raising=False)
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    served = await serve(Platform.TEAMS, roster)
    return Teams(f"{served.base}/api/messages", connector, served.candor, aiohttp.ClientSession(),
                 admin=served.admin), served.runner


async def stop(teams: Teams, runner: web.AppRunner) -> None:
    """Undo what `_start` did: the client session, the server, the Connector stand-in, Candor."""
    await teams.http.close()
    await runner.cleanup()
    await teams.connector.__aexit__()
    teams.candor.close()



async def report_by_dialog(teams: Teams, user: str = "aad-dana", *, what: str = "Kickbacks from a supplier",
                           anonymous: bool = True) -> tuple[Report, str]:
    """A report made the recommended way in Teams: the form in a dialog. (The report, the receipt's text.)"""
    form = (await teams.invoke(user, "task/fetch", {"msteams": {"type": "task/fetch"}, "verb": "candor",
                                                    "candor": "cmd:ethics:report"}))["task"]["value"]["card"]["content"]
    [submit] = form["actions"]
    receipt = json.dumps(await teams.invoke(user, "task/submit", {
        **submit["data"], "category": "fraud", "what": what, "anonymous": "yes" if anonymous else "no"}))
    return (await teams.until(teams.reports))[-1], receipt


def secret_in(text: str) -> str:
    # Teams' markdown makes bold with two asterisks (one would be italics)
    return text.split("secret: **")[1].split("**")[0]


async def check_in_dialog(teams: Teams, user: str, code: str, secret: str) -> str:
    """`status` typed, its card's button opening the Check a case dialog, the code and secret typed there."""
    await teams.say(user, "status")
    form = (await teams.open_dialog(user, teams.connector.posts(f"a:personal-{user}")[-1]))["task"]["value"]["card"]
    [submit] = form["content"]["actions"]
    return json.dumps(await teams.invoke(user, "task/submit", {**submit["data"], "code": code, "secret": secret}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
