"""`candor serve` as a process, serving Slack (the real Bolt app, requests signed as Slack signs
them, to the Slack stand-in) and Teams (the Agents SDK in local mode, to the Connector stand-in)
from one server, with its log in a file; and the people using it, whose own chat messages are
noted as the platforms keep them (with their times)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from adapters.bootstrap import build
from adapters.settings import Settings
from bot.roster import db_import_roster
from bot.roster_file import parse_roster
from tests.e2e.slack_harness import SIGNING_SECRET, SlackHarness
from tests.support.connector_stand_in import ConnectorStandIn
from tests.support.observations import ChatMessage
from tests.support.slack_stand_in import SlackStandIn
from tests.support.waiting import eventually

COMMITTEE = "G0COMMITTEE"  # the Slack committee channel
TEAMS_CHANNEL = "19:committee@thread.tacv2"
TENANT = "tenant-0001"
BOT = "28:candor-bot"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """The running server, both stand-ins, and what people typed into their chats."""

    tmp: Path
    env: dict[str, str]
    slack: SlackHarness  # its `candor` is None: the test reads the store as an outsider would
    api: SlackStandIn
    connector: ConnectorStandIn
    teams_url: str
    log: Path
    slack_ids: dict[str, str]  # name -> Slack user id
    teams_ids: dict[str, str]  # name -> AAD object id
    process: asyncio.subprocess.Process | None = None
    typed: list[ChatMessage] = field(default_factory=list)
    counter: int = 0
    admin: str = ""  # the operators' listener (/metrics, the detailed /healthz): http://host:port

    # --- Slack -----------------------------------------------------------------------------

    async def slack_typed(self, name: str, text: str) -> None:
        """A message typed in the person's Messages tab with Candor (it stays in that chat)."""
        user = self.slack_ids[name]
        self.typed.append(ChatMessage(time.time(), "slack", user, "from", text))
        assert (await self.slack.dm(user, text)).status == 200

    async def slash(self, name: str, command: str, text: str) -> dict[str, Any]:
        """A slash command (its text is not kept in any chat) and the modal it opens."""
        before = len(self.api.called("views.open"))
        assert (await self.slack.command(self.slack_ids[name], command, text)).status == 200
        opened = await self.until(lambda: self.api.called("views.open")[before:])
        return dict(opened[0].args["view"])

    async def slack_submit(self, name: str, view: dict[str, Any], values: dict[str, Any]) -> str:
        """A modal submitted; what it shows next, as JSON."""
        response = await self.slack.submit(self.slack_ids[name], view["callback_id"], values)
        assert response.status == 200
        return json.dumps(await response.json())

    # --- Teams -----------------------------------------------------------------------------

    def personal(self, who: str, **fields: Any) -> dict[str, Any]:
        self.counter += 1
        user = self.teams_ids[who]
        return {"type": "message", "id": f"act-in-{self.counter}", "timestamp": "2026-11-25T10:00:00Z",
                "serviceUrl": self.connector.service_url, "channelId": "msteams",
                "from": {"id": f"29:{user}", "name": who, "aadObjectId": user},
                "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:personal-{user}"},
                "recipient": {"id": BOT, "name": "Candor"}, "channelData": {"tenant": {"id": TENANT}}, **fields}

    async def teams_post(self, activity: dict[str, Any]) -> aiohttp.ClientResponse:
        response = await self.slack.http.post(self.teams_url, data=json.dumps(activity),
                                              headers={"Content-Type": "application/json"})
        await response.read()
        assert response.status in (200, 201, 202), response.status
        return response

    async def teams_typed(self, name: str, text: str) -> Any:
        """A message typed in the person's chat with Candor; the bot's last answer there."""
        self.typed.append(ChatMessage(time.time(), "teams", self.teams_ids[name], "from", text))
        before = len(self.connector.posts())
        await self.teams_post(self.personal(name, text=text))
        return (await self.until(lambda: self.connector.posts()[before:]))[-1]

    async def teams_invoke(self, name: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """A dialog's invoke (task/fetch, task/submit): answered in the dialog, not in the chat."""
        response = await self.teams_post(self.personal(name, type="invoke", name=kind, value={"data": data}))
        return dict(await response.json())

    async def teams_dialog(self, name: str, card: Any) -> dict[str, Any]:
        """The dialog a chat card's button opens (task/fetch): its card."""
        [action] = [a for a in card.body["attachments"][0]["content"]["actions"]
                    if a["data"].get("msteams", {}).get("type") == "task/fetch"]
        return dict((await self.teams_invoke(name, "task/fetch", action["data"]))["task"]["value"]["card"]["content"])

    async def add_to_team(self) -> None:
        """Candor added to the committee's team: Teams says so in the team's General channel."""
        self.counter += 1
        await self.teams_post({
            "type": "conversationUpdate", "id": f"act-in-{self.counter}", "serviceUrl": self.connector.service_url,
            "channelId": "msteams", "from": {"id": "29:aad-lee", "aadObjectId": "aad-lee"},
            "conversation": {"conversationType": "channel", "isGroup": True, "tenantId": TENANT, "id": TEAMS_CHANNEL},
            "recipient": {"id": BOT, "name": "Candor"}, "membersAdded": [{"id": BOT}],
            "channelData": {"tenant": {"id": TENANT}, "eventType": "teamMemberAdded",
                            "team": {"id": TEAMS_CHANNEL, "name": "Audit Committee"},
                            "channel": {"id": TEAMS_CHANNEL}}})

    async def until(self, check: Any, timeout: float = 20.0) -> Any:
        return await eventually(check, timeout=timeout, explain=lambda: self.log.read_text()[-3000:])

    # --- the process ---------------------------------------------------------------------------

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "serve", env=self.env, cwd=self.tmp,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        health = self.slack.url.removesuffix("/slack/events") + "/healthz"

        async def up() -> bool:
            assert self.process is not None and self.process.returncode is None, self.log.read_text()[-3000:]
            try:
                async with self.slack.http.get(health) as response:
                    return response.status in (200, 503)
            except aiohttp.ClientError:
                return False

        await eventually(up, timeout=60, every=0.1, explain=lambda: self.log.read_text()[-3000:])

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), timeout=30)
        await self.slack.http.close()
        await self.connector.__aexit__()
        await self.api.__aexit__()


async def serve(tmp: Path, database_url: str, *, roster: str, emails: dict[str, str], slack_ids: dict[str, str],
                teams_ids: dict[str, str], env: dict[str, str]) -> Served:
    """The schema, a key and the roster, then `candor serve` for Slack and Teams at once.
    The stand-ins know each person's e-mail (Slack's users.info, Teams' member lookup), so
    people on the roster by e-mail only are matched the first time they use Candor."""
    api = SlackStandIn(emails={slack_ids[name]: email for name, email in emails.items()})
    await api.__aenter__()
    connector = ConnectorStandIn()
    await connector.__aenter__()
    for name, email in emails.items():
        connector.add_member(f"29:{teams_ids[name]}", aad_id=teams_ids[name], name=name, email=email)
    port, admin = free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    environment.update({
        "CANDOR_DATABASE_URL": database_url, "CANDOR_KEY_FILE": str(tmp / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4",
        "CANDOR_HOST": "127.0.0.1", "CANDOR_PORT": str(port), "CANDOR_ADMIN_PORT": str(admin),
        "CANDOR_RETRY_BASE_SECONDS": "0.2", "CANDOR_RETRY_MAX_SECONDS": "2",
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CANDOR_SLACK_API_URL": api.base_url, "CANDOR_COMMITTEE_CHANNEL": COMMITTEE,
        "CANDOR_TEAMS_LOCAL": "true", "MICROSOFT_APP_TENANT_ID": TENANT, "CANDOR_TEAMS_CHANNEL": TEAMS_CHANNEL,
        # "{port}" in a value is the public port (CANDOR_PUBLIC_URL=http://127.0.0.1:{port})
        **{name: value.replace("{port}", str(port)) for name, value in env.items()},
    })
    # `candor init` and `candor roster import`, in this process (two fewer interpreters to start).
    settings = Settings(database_url=database_url, key_file=tmp / "candor.key", scrypt_log2_n=4)
    candor = build(settings, platforms=frozenset(), create_key=True, upgrade=True)
    try:
        with candor.db.write() as session:
            db_import_roster(session, parse_roster(roster), prune=False, vault=candor.core.vault,
                                 audit=candor.core.audit, actor="test")
    finally:
        candor.close()
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    slack = SlackHarness(f"http://127.0.0.1:{port}/slack/events", api, None, http)  # type: ignore[arg-type]
    served = Served(tmp, environment, slack, api, connector, f"http://127.0.0.1:{port}/api/messages",
                    tmp / "candor.log", slack_ids, teams_ids, admin=f"http://127.0.0.1:{admin}")
    try:
        await served.start()
    except BaseException:
        await served.close()
        raise
    return served
