"""Teams under the same proof as Slack: the confidentiality audit (canaries in every free-text
field and a canary AAD id for an anonymous reporter, at DEBUG logging, on SQLite and PostgreSQL,
searched for in every table, conversation references and identities included, and in the bytes at
rest)
and the fault test (the Connector refuses 30% of calls with 429 + Retry-After or 503)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from adapters.bootstrap import configure_logging
from storage.models import FormReceipt, OutboxMessage
from storage.vocabulary import OutboxState
from tests.e2e.teams_harness import (
    CHANNEL,
    TENANT,
    Teams,
    check_in_dialog,
    free_port,
    report_by_dialog,
    secret_in,
    start,
    stop,
)
from tests.integration.test_storage_canary import (
    postgres_dump,
    postgres_rows,
    sqlite_files,
    table_texts,
)
from tests.support.connector_stand_in import ConnectorStandIn
from tests.support.waiting import eventually

FIELDS = ["what", "who", "when", "evidence", "known", "anon"]
CANARY = {name: f"TCANARY{name.upper()}x9" for name in FIELDS}
ANON_ID = "aad-canary-anon"


async def anonymous_card_report(teams: Teams, what: str) -> None:
    # Sam has no Teams id on the roster: Teams' member lookup gives his e-mail, which matches him.
    teams.connector.add_member(f"29:{ANON_ID}", aad_id=ANON_ID, name="Sam Ortiz", email="sam@example.com")
    activity = teams.personal(ANON_ID, value={"candor_form": "intake", "category": "fraud", "what": what,
                                              "anonymous": "yes"})
    response = await teams.post(activity)
    assert response.status in (200, 201, 202)


@pytest.fixture
async def teams_at_debug(tmp_path, monkeypatch, caplog, database_url):
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG")
    teams, runner = await start(tmp_path, monkeypatch, CANDOR_DATABASE_URL=database_url)
    try:
        yield teams
    finally:
        await stop(teams, runner)
        for name in ("slack_sdk", "slack_bolt", "microsoft_agents", "microsoft_teams", "httpx"):
            logging.getLogger(name).setLevel(logging.NOTSET)


async def test_no_canary_leaves_where_it_belongs_in_teams(teams_at_debug, caplog, tmp_path):
    teams, c = teams_at_debug, CANARY
    await teams.add_to_team()
    await teams.start_chat_report("aad-dana")
    for text in ["3", f"Revenue pulled forward {c['what']}", f"The plant controller {c['who']}", "done",
                 f"Since March {c['when']}", f"Ledger JE-4411 {c['evidence']}", f"The auditors {c['known']}",
                 "named", "submit"]:
        await teams.say("aad-dana", text)
    await anonymous_card_report(teams, f"Kickbacks {c['anon']}")
    reports = await teams.until(lambda: len(teams.reports()) == 2 and teams.reports())
    for report in reports:
        await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:ack:{report.id}"}))
    named = next(r for r in reports if not r.anonymous)
    await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:view:{named.id}"}))
    await teams.until(lambda: len(teams.connector.updates()) >= 2 and teams.connector.created())

    # Nothing the bot posts carries a canary, not even to the reporters' own chats or the member's
    # 1:1 chat (Teams keeps them; Purview collects them): the member's view opens in a dialog.
    private = [s for s in teams.connector.posts() if "/conversations/a:1on1-" in s.path]
    view = json.dumps(await teams.open_dialog("aad-lee", private[-1]))
    assert c["what"] in view  # the searches can find a canary
    outside = "\n".join(str(sent) for sent in teams.connector.sent + teams.connector.failed)
    assert teams.connector.posts(CHANNEL) and outside
    for canary in CANARY.values():
        assert canary not in outside
        assert canary not in caplog.text
    assert ANON_ID not in caplog.text

    for table, dump in table_texts(teams.candor.db).items():
        for canary in CANARY.values():
            assert canary not in dump, table
        assert ANON_ID not in dump, table  # identity and conversationref included: sealed
    # Nor in the bytes at rest: the SQLite file and its WAL, or a pg_dump of the schema
    if teams.candor.db.is_sqlite:
        stored = {path.name: path.read_bytes() for path in tmp_path.glob("candor.db*")}
        assert "candor.db" in stored
    else:
        stored = {"pg_dump": postgres_dump(teams.candor.db).encode()}
    for name, raw in stored.items():
        for canary in [*CANARY.values(), ANON_ID]:
            assert canary.encode() not in raw, name


async def test_with_30_percent_connector_failures_no_card_is_lost_or_doubled(tmp_path, monkeypatch):
    # Eight anonymous reports from one officer: more than a day's limit, which has its own tests
    teams, runner = await start(tmp_path, monkeypatch, ConnectorStandIn(failure_rate=0.3, seed=5),
                                CANDOR_ANONYMOUS_DAILY_LIMIT="10")
    try:
        await teams.add_to_team()
        for n in range(8):
            await anonymous_card_report(teams, f"Report {n}: invoices split to dodge approval")
        reports = await teams.until(lambda: len(teams.reports()) == 8 and teams.reports(), timeout=60)
        for report in reports:
            await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:ack:{report.id}"}))

        def drained() -> bool:
            with teams.candor.db.read() as session:
                states = session.exec(select(OutboxMessage.state)).all()
            return bool(states) and all(s is OutboxState.DELIVERED for s in states)

        def outstanding() -> str:
            with teams.candor.db.read() as session:
                rows = session.exec(select(OutboxMessage).where(OutboxMessage.state != OutboxState.DELIVERED)).all()
                return str([(r.key, r.state.value, r.attempts, r.last_error) for r in rows])

        await eventually(drained, timeout=120, explain=outstanding)
        cards = teams.connector.posts(CHANNEL)
        for report in reports:
            assert len([c for c in cards if report.code in str(c)]) == 1, report.code
            updates = [u for u in teams.connector.updates() if report.code in str(u)]
            assert updates and all("Lee Park" in str(u) for u in updates)
        assert teams.connector.failed, "the stand-in should have refused some calls"
        health = await teams.http.get(teams.url.replace("/api/messages", "/healthz"))
        assert health.status == 200
    finally:
        await stop(teams, runner)


def _personal(teams: Teams) -> str:
    """Every activity the bot posted (or tried to) to a person's chat: what Teams would keep."""
    return "\n".join(str(s) for s in teams.connector.sent + teams.connector.failed
                     if "/conversations/a:personal-" in s.path or "/conversations/a:1on1-" in s.path)


async def test_an_anonymous_report_and_its_answered_question_leave_nothing_in_teams_chats(teams_at_debug):
    teams = teams_at_debug
    c = {name: f"TNOTRACE{name.upper()}q7" for name in ["what", "who", "when", "evidence", "known", "question", "answer"]}
    await teams.add_to_team()

    # An anonymous report, by the recommended path: `report` typed, the chat card's button, the form
    # in the dialog, the receipt in the dialog
    await teams.say("aad-dana", "report")
    form = await teams.open_dialog("aad-dana", teams.connector.posts("a:personal-aad-dana")[-2])
    [submit] = form["task"]["value"]["card"]["content"]["actions"]
    fields = {name: f"Field {name} {c[name]}" for name in ["what", "who", "when", "evidence", "known"]}
    receipt = json.dumps(await teams.invoke("aad-dana", "task/submit", {**submit["data"], "category": "fraud",
                                                                      "anonymous": "yes", **fields}))
    report = (await teams.until(teams.reports))[0]
    secret = secret_in(receipt)
    assert report.anonymous and report.code in receipt

    # The committee asks a question: Ask the reporter on the channel card, the form in a dialog
    await teams.until(lambda: teams.connector.posts(CHANNEL))
    await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:ask:{report.id}"}))
    opener = (await teams.until(lambda: [s for s in teams.connector.posts() if "a:1on1-" in s.path]))[-1]
    ask = await teams.open_dialog("aad-lee", opener)
    [send] = ask["task"]["value"]["card"]["content"]["actions"]
    sent = json.dumps(await teams.invoke("aad-lee", "task/submit", {**send["data"], "question": c["question"]}))
    assert report.code in sent

    # The reporter checks the case in the Check a case dialog, sees the question, answers it there
    status = await check_in_dialog(teams, "aad-dana", report.code, secret)
    assert c["question"] in status
    card = json.loads(status)["task"]["value"]["card"]["content"]
    [answer] = [a for a in card["actions"] if a["data"].get("candor", "").startswith("answer:")]
    answer_form = await teams.invoke("aad-dana", "task/submit", answer["data"])
    [reply] = answer_form["task"]["value"]["card"]["content"]["actions"]
    await teams.invoke("aad-dana", "task/submit", {**reply["data"], "answer": c["answer"]})
    status = await check_in_dialog(teams, "aad-dana", report.code, secret)
    assert c["answer"] in status  # the answer was recorded

    # Then no activity posted to a person's chat holds a canary, the secret, or the code beside it
    chats = _personal(teams)
    assert teams.connector.posts("a:personal-aad-dana") and chats
    for canary in c.values():
        assert canary not in chats
    assert secret not in chats
    for activity in teams.connector.sent + teams.connector.failed:
        assert not (report.code in str(activity) and secret in str(activity))


# --- what waits for a dialog is kept by the core: any server, after a restart, once, for one person


def _view_cards(teams: Teams, user: str) -> list[Any]:
    """The cards in a person's chat whose button opens something the core kept for a dialog."""
    return [s for s in teams.connector.posts(f"a:personal-{user}") if "candor_view" in str(s)]


@dataclass
class Serve:
    """`candor serve` (Teams in local mode, on loopback), a process of its own."""

    env: dict[str, str]
    log: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    async def start(self, http: aiohttp.ClientSession) -> str:
        self.port = free_port()
        env = {**self.env, "CANDOR_PORT": str(self.port), "CANDOR_ADMIN_PORT": "0"}
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "serve", env=env, cwd=self.log.parent,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)

        async def up() -> bool:
            assert self.process is not None and self.process.returncode is None, self.log.read_text()[-3000:]
            try:
                async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    return response.status in (200, 503)  # 503: no committee channel known yet
            except aiohttp.ClientError:
                return False

        for _ in range(600):
            if await up():
                return f"http://127.0.0.1:{self.port}/api/messages"
            await asyncio.sleep(0.1)
        raise AssertionError(f"candor serve did not come up:\n{self.log.read_text()[-3000:]}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), timeout=30)


@pytest.fixture
async def two_servers(tmp_path, monkeypatch, database_url):
    """Two `candor serve` processes on one database and key (replicas behind a load balancer),
    and a Teams harness for each (the same Connector stand-in, the same people)."""
    teams, runner = await start(tmp_path, monkeypatch, CANDOR_DATABASE_URL=database_url)
    await runner.cleanup()  # only the database, the key and the roster it made are kept
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    env.update({"CANDOR_DATABASE_URL": database_url, "CANDOR_KEY_FILE": str(tmp_path / "candor.key"),
                "CANDOR_SCRYPT_LOG2_N": "4", "CANDOR_ANONYMOUS_DELAY_MINUTES": "0", "CANDOR_LOG_LEVEL": "DEBUG",
                "CANDOR_TEAMS_CHANNEL": CHANNEL, "MICROSOFT_APP_TENANT_ID": TENANT, "CANDOR_TEAMS_LOCAL": "true",
                "CANDOR_HOST": "127.0.0.1"})
    servers = [Serve(env, tmp_path / "serve-a.log"), Serve(env, tmp_path / "serve-b.log")]
    try:
        urls = [await server.start(teams.http) for server in servers]
        yield [replace(teams, url=url) for url in urls], servers
    finally:
        for server in servers:
            await server.stop()
        await teams.http.close()
        await teams.connector.__aexit__()
        teams.candor.close()


def _at_rest(teams: Teams) -> bytes:
    """Everything the database holds, as bytes: the SQLite files (WAL too) or every PostgreSQL row."""
    database = teams.candor.db
    if database.is_sqlite:
        return b"\n".join(sqlite_files(database).values())
    return postgres_rows(database).encode()


def _kept_rows(teams: Teams) -> list[FormReceipt]:
    with teams.candor.db.read() as session:
        return list(session.exec(select(FormReceipt)).all())


async def test_a_receipt_and_a_new_secret_kept_by_one_server_open_on_another_and_after_a_restart(two_servers):
    (a, b), (_, server_b) = two_servers

    # Given an anonymous report typed into the chat, handled by server A: its receipt waits for a dialog
    await a.start_chat_report("aad-dana")
    for text in ["3", "Invoices were split to dodge approval", "skip", "done", "skip", "skip", "skip",
                 "anonymous", "submit"]:
        await a.say("aad-dana", text)
    [report] = a.reports()
    [card] = _view_cards(a, "aad-dana")
    assert report.code not in str(card)
    kept, at_rest = _kept_rows(a), _at_rest(a)

    # When Dana's dialog is opened through server B (another replica behind the balancer)
    receipt = json.dumps(await b.open_dialog("aad-dana", card))

    # Then it shows the receipt, code and secret, once
    assert "recorded, encrypted" in receipt and report.code in receipt
    secret = secret_in(receipt)
    assert secret not in json.dumps(await a.open_dialog("aad-dana", card))
    # and while it waited, the database held neither the secret nor, in the kept row, the code or Dana
    assert len(kept) == 1 and secret.encode() not in at_rest
    for row in kept:
        plain = (row.id + str(row.created_at)).encode() + row.body
        for needle in (secret, report.code, "aad-dana", "Dana"):
            assert needle.encode() not in plain, needle
        assert (row.created_at.hour, row.created_at.minute, row.created_at.second) == (0, 0, 0)

    # When the secret is typed into the chat on server B, and B restarts before the dialog opens
    await b.say("aad-dana", f"status {report.code} {secret}")
    [_, exposed] = _view_cards(b, "aad-dana")
    await server_b.stop()
    restarted = replace(b, url=await server_b.start(b.http))
    new = json.dumps(await restarted.open_dialog("aad-dana", exposed))

    # Then the new secret is shown after the restart, and it opens the case (the old one does not)
    new_secret = secret_in(new)
    assert report.code in new and new_secret != secret
    assert f"Case {report.code}" not in await check_in_dialog(a, "aad-dana", report.code, secret)
    assert f"Case {report.code}" in await check_in_dialog(a, "aad-dana", report.code, new_secret)
    assert _kept_rows(a) == []  # both views were taken, and shredded as they were
    # and no server wrote the secrets or a dialog's content to its log, even at DEBUG
    logs = "".join(server.log.read_text() for server in two_servers[1])
    assert "Candor listening" in logs and "DEBUG" in logs
    for needle in (secret, new_secret, "Invoices were split"):
        assert needle not in logs


async def test_a_kept_view_opens_once_for_its_person_only_even_when_asked_twice_at_once(teams_at_debug):
    teams = teams_at_debug
    # Given an anonymous report, and its secret typed into the chat: the new one waits for a dialog
    report, receipt = await report_by_dialog(teams)
    await teams.say("aad-dana", f"status {report.code} {secret_in(receipt)}")
    [card] = _view_cards(teams, "aad-dana")
    [action] = [a for a in card.body["attachments"][0]["content"]["actions"] if "candor_view" in a["data"]]
    kept = len(_kept_rows(teams))

    # When other people's dialogs ask for it with the same key (a chat's history holds the card)
    for other in ("aad-alex", "aad-lee", "aad-mallory"):
        answer = json.dumps(await teams.invoke(other, "task/fetch", action["data"]))
        # Then they get the one answer for anything gone, and nothing of it
        assert "opens once, for the person it was made for" in answer and report.code not in answer
    assert len(_kept_rows(teams)) == kept  # and it is still there, for Dana

    # When Dana's dialog is opened twice at once (a double click; two replicas)
    answers = [json.dumps(a) for a in await asyncio.gather(*(
        teams.invoke("aad-dana", "task/fetch", action["data"]) for _ in range(2)))]

    # Then one of them shows the new secret, the other says it is gone, and so does a third
    assert sorted("Your new secret" in a for a in answers) == [False, True]
    assert "opens once" in [a for a in answers if "Your new secret" not in a][0]
    again = json.dumps(await teams.invoke("aad-dana", "task/fetch", action["data"]))
    assert "Your new secret" not in again and "opens once" in again
    assert len(_kept_rows(teams)) == kept - 1
