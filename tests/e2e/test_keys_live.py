"""Master keys that change under a running `candor serve` (Slack over HTTP, against the Web API
stand-in): the server loads a changed key file by itself and on SIGHUP and says so in the
database; `candor keys rotate` waits for every live server before it wraps anything under a new
version, and stops (naming the server) when one lags; `candor keys retire` refuses a version a
live server still wraps under and a keyring that comes from the environment. Then the whole
thing under load: rotations and retirements while officers file reports, a draft is half
written and notices wait for Slack, and afterwards every report opens and every notice arrived.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import delete, select

from adapters.bootstrap import build
from adapters.settings import Settings
from bot import sanitize
from bot.delivery.outbox import db_enqueue
from bot.messages import CHANNEL
from storage.clock import utcnow
from storage.crypto import Vault
from storage.db import Database
from storage.keyring import Keyring, load_keyring, save_keyring
from storage.models import (
    AuditEvent,
    Conversation,
    DataKey,
    Identity,
    KeyHolder,
    OutboxMessage,
    Report,
)
from storage.vocabulary import OutboxState, Platform
from tests.e2e.slack_harness import (
    COMMITTEE,
    ROSTER,
    SlackHarness,
    option,
    radio,
    running,
    slack_env,
    text_input,
)
from tests.e2e.test_crash import Load, Server, free_port
from tests.support.slack_stand_in import SlackStandIn
from tests.support.waiting import eventually

# Minutes of real servers and real load: `make quick` leaves these out, `make test` runs them.
pytestmark = pytest.mark.slow

SLACK = frozenset({Platform.SLACK})


async def candor(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The `candor` command, run while the event loop (and the load on the server) goes on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def environment(tmp_path: Path, api: SlackStandIn, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    env.update(slack_env(tmp_path, api))
    env.update({"CANDOR_HOST": "127.0.0.1", "CANDOR_PORT": str(free_port()),
                "CANDOR_RETRY_BASE_SECONDS": "0.2", "CANDOR_RETRY_MAX_SECONDS": "2",
                "CANDOR_RELAY_LEASE_SECONDS": "5", "CANDOR_KEY_POLL_SECONDS": "0.2",
                "CANDOR_KEY_HEARTBEAT_SECONDS": "1", "CANDOR_LOG_LEVEL": "INFO", "COLUMNS": "200", **more})
    return env


async def prepared(tmp_path: Path, api: SlackStandIn, monkeypatch: pytest.MonkeyPatch,
                   **more: str) -> tuple[dict[str, str], Server, Database]:
    env = environment(tmp_path, api, **more)
    roster = tmp_path / "roster.yml"
    roster.write_text(ROSTER)
    for args in (("init",), ("roster", "import", str(roster))):
        code, _out, err = await candor(env, *args)
        assert code == 0, err
    for key, value in env.items():
        if key.startswith(("CANDOR_", "SLACK_")):
            monkeypatch.setenv(key, value)
    server = Server(env, tmp_path / "serve.log", f"http://127.0.0.1:{env['CANDOR_PORT']}")
    return env, server, Database.from_url(env["CANDOR_DATABASE_URL"])


def key_file(env: dict[str, str]) -> Path:
    return Path(env["CANDOR_KEY_FILE"])


def reports_held(db: Database) -> list[KeyHolder]:
    with db.read() as session:
        return list(session.exec(select(KeyHolder).where(KeyHolder.live_until > utcnow())).all())


def notice_under(db: Database, keyring: Keyring, key: str) -> None:
    """A committee notice written by a replica that already wraps under `keyring.current`."""
    with db.write() as session:
        db_enqueue(session, Vault(keyring), now=utcnow(), key=key, target=CHANNEL,
                   notice=sanitize.reminder("Written under the new key", (("Key", key),)), platforms=SLACK)


def posted(api: SlackStandIn, text: str) -> bool:
    return any(text in str(c) for c in api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE)


def undelivered(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.state != OutboxState.DELIVERED)).all())


async def test_a_running_server_loads_a_changed_key_file_and_opens_what_is_wrapped_under_it(tmp_path, monkeypatch):
    async with SlackStandIn() as api, aiohttp.ClientSession() as http:
        env, server, db = await prepared(tmp_path, api, monkeypatch)
        await server.start(http)
        try:
            # Given a running server that holds v1 and says so
            await eventually(lambda: [r.versions for r in reports_held(db)] == ["1"], timeout=30,
                             explain=lambda: f"reports: {reports_held(db)}")
            # When the key file gains v2 (as `candor keys rotate` writes it), with no signal
            staged = load_keyring(key_file=key_file(env), env_value=None).staged()
            save_keyring(key_file(env), staged)
            # Then the server loads it and reports it
            await eventually(lambda: [r.versions for r in reports_held(db)] == ["1,2"], timeout=30,
                             explain=lambda: f"reports: {reports_held(db)}\n{server.log.read_text()[-2000:]}")
            # And a notice another replica wrapped under v2 reaches the committee
            notice_under(db, staged.promoted(), "under-v2")
            await eventually(lambda: posted(api, "under-v2"), timeout=30,
                             explain=lambda: f"{undelivered(db)}\n{server.log.read_text()[-2000:]}")
        finally:
            await server.stop()
        # A server that stops takes its report with it
        assert reports_held(db) == []
        db.dispose()


async def test_sighup_reloads_the_key_file_at_once(tmp_path, monkeypatch):
    async with SlackStandIn() as api, aiohttp.ClientSession() as http:
        # Given a server that would look at its key file only once an hour
        env, server, db = await prepared(tmp_path, api, monkeypatch, CANDOR_KEY_POLL_SECONDS="3600",
                                         CANDOR_KEY_HEARTBEAT_SECONDS="3600")
        await server.start(http)
        try:
            await eventually(lambda: [r.versions for r in reports_held(db)] == ["1"], timeout=30,
                             explain=lambda: f"reports: {reports_held(db)}")
            save_keyring(key_file(env), load_keyring(key_file=key_file(env), env_value=None).staged())
            # When it gets SIGHUP
            assert server.process is not None
            server.process.send_signal(signal.SIGHUP)
            # Then it loads the new version and reports it, still running
            await eventually(lambda: [r.versions for r in reports_held(db)] == ["1,2"], timeout=30,
                             explain=lambda: f"reports: {reports_held(db)}\n{server.log.read_text()[-2000:]}")
            assert server.process.returncode is None
            assert "keyring reloaded: master key versions v1, v2" in server.log.read_text()
        finally:
            await server.stop()
            db.dispose()


def lagging_server(db: Database, *, versions: str, wrapping: int) -> None:
    """A live report from a server on another machine, whose key file nobody updated."""
    now = utcnow()
    with db.write() as session:
        session.add(KeyHolder(server="elsewhere", process="web-2 pid 4242", source="file", versions=versions,
                              wrapping=wrapping, started_at=now, seen_at=now,
                              live_until=now + timedelta(hours=1)))


async def a_named_report(server: Server, api: SlackStandIn, http: aiohttp.ClientSession) -> None:
    """The CFO's named report through the running server, its alert posted."""
    harness = SlackHarness(f"{server.url}/slack/events", api, build(Settings(), platforms=SLACK), http)
    assert (await harness.submit("U0CFO", "intake", {
        "category": option("fraud"), "what": text_input("Invoices split"), "anonymous": radio("no")})).status == 200
    harness.candor.close()
    await eventually(lambda: posted(api, "New report"), timeout=30, explain=lambda: str(api.calls[-3:]))


def wrapped_under(db: Database) -> set[int]:
    with db.read() as session:
        return set(session.exec(select(DataKey.master_version)).all())


async def test_rotate_waits_for_every_live_server_and_stops_naming_the_one_that_lags(tmp_path, monkeypatch):
    async with SlackStandIn() as api, aiohttp.ClientSession() as http:
        env, server, db = await prepared(tmp_path, api, monkeypatch)
        await server.start(http)
        try:
            await a_named_report(server, api, http)
            # Given a live server elsewhere that holds only v1
            lagging_server(db, versions="1", wrapping=1)

            # When the administrator rotates, waiting at most a second
            code, out, err = await candor(env, "keys", "rotate", "--wait", "1")

            # Then the command stops, names the server, and nothing is wrapped under v2
            assert code == 1, out + err
            assert "web-2 pid 4242" in err and "Nothing was re-wrapped" in err
            assert wrapped_under(db) == {1}
            left = load_keyring(key_file=key_file(env), env_value=None)
            assert (left.current, sorted(left.versions)) == (1, [1, 2])  # v2 staged, not current

            # When that server loads v2 and the rotation is run again
            with db.write() as session:
                session.exec(delete(KeyHolder).where(KeyHolder.server == "elsewhere"))  # type: ignore[call-overload]
            lagging_server(db, versions="1,2", wrapping=1)

            async def follow() -> None:  # it wraps under v2 once the key file says so
                await eventually(lambda: load_keyring(key_file=key_file(env), env_value=None).current == 2,
                                 timeout=60, explain=lambda: "v2 never became current")
                with db.write() as session:
                    row = session.get(KeyHolder, "elsewhere")
                    assert row is not None
                    row.wrapping = 2
                    session.add(row)

            follower = asyncio.create_task(follow())
            code, out, err = await candor(env, "keys", "rotate", "--wait", "60")
            await follower

            # Then it continues with v2 (no v3), and every data key is re-wrapped under it
            assert code == 0, out + err
            assert "continuing it" in out and "Master key v2 is current" in out
            assert wrapped_under(db) == {2}
            assert sorted(load_keyring(key_file=key_file(env), env_value=None).versions) == [1, 2]
        finally:
            await server.stop()
            db.dispose()


def identity_rows(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.exec(select(Identity.key)).all())


def matched_events(db: Database) -> int:
    with db.read() as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == "identity.matched")).all())


async def test_an_index_key_rotation_under_a_running_server_keeps_finding_who_writes(tmp_path, monkeypatch):
    async with SlackStandIn() as api, aiohttp.ClientSession() as http:
        env, server, db = await prepared(tmp_path, api, monkeypatch)
        await server.start(http)
        try:
            # Given a running server, and a named report whose officer it matched by e-mail
            await a_named_report(server, api, http)
            before, matched = identity_rows(db), matched_events(db)
            old = load_keyring(key_file=key_file(env), env_value=None)

            # When the administrator rotates the index key while it runs
            code, out, err = await candor(env, "keys", "rotate", "--index-key", "--wait", "60")

            # Then it waited for the server (which loaded each step), re-tagged every identity,
            assert code == 0, f"{out}{err}\n{server.log.read_text()[-3000:]}"
            new = load_keyring(key_file=key_file(env), env_value=None)
            assert new.index_key != old.index_key and not new.index_rotating
            await eventually(lambda: [r.index_keys for r in reports_held(db)] == [new.index_fingerprints[0]],
                             timeout=30, explain=lambda: f"reports: {reports_held(db)}")
            assert len(identity_rows(db)) == len(before) and not set(identity_rows(db)) & set(before)
            assert "not loaded" not in server.log.read_text()
            # and the server still knows the officer by their keyed platform id (no new match)
            harness = SlackHarness(f"{server.url}/slack/events", api, build(Settings(), platforms=SLACK), http)
            assert (await harness.submit("U0CFO", "intake", {
                "category": option("fraud"), "what": text_input("Second concern"), "anonymous": radio("no")})).status == 200
            harness.candor.close()
            await eventually(lambda: len([c for c in api.called("chat.postMessage")
                                          if "New report" in str(c)]) >= 2, timeout=30,
                             explain=lambda: f"{server.log.read_text()[-2000:]}")
            assert matched_events(db) == matched
            # and the audit chain verifies across the link
            code, out, err = await candor(env, "audit", "verify")
            assert code == 0, out + err
        finally:
            await server.stop()
            db.dispose()


async def test_retire_refuses_a_version_a_live_server_still_wraps_under(tmp_path, monkeypatch):
    async with SlackStandIn() as api:
        env, _server, db = await prepared(tmp_path, api, monkeypatch)
        code, _out, err = await candor(env, "keys", "rotate")
        assert code == 0, err
        # Given a live server elsewhere that still wraps under v1
        lagging_server(db, versions="1,2", wrapping=1)
        before = key_file(env).read_text()
        # When v1 is retired, it is refused, naming the server, and the key file is unchanged
        code, _out, err = await candor(env, "keys", "retire", "1")
        assert code == 1 and "web-2 pid 4242" in err and "wraps under v1" in err
        assert key_file(env).read_text() == before
        # Once it wraps under v2, v1 retires
        with db.write() as session:
            row = session.get(KeyHolder, "elsewhere")
            assert row is not None
            row.wrapping = 2
            session.add(row)
        code, out, err = await candor(env, "keys", "retire", "1")
        assert code == 0 and "Master key v1 retired" in out, err
        db.dispose()


async def test_retire_refuses_a_keyring_from_the_environment_and_writes_no_key_file(tmp_path, monkeypatch):
    async with SlackStandIn() as api:
        env, _server, db = await prepared(tmp_path, api, monkeypatch)
        assert (await candor(env, "keys", "rotate"))[0] == 0
        keyring_json = key_file(env).read_text()
        key_file(env).unlink()
        code, _out, err = await candor({**env, "CANDOR_MASTER_KEY": keyring_json}, "keys", "retire", "1")
        assert code == 1 and "CANDOR_MASTER_KEY" in err
        assert not key_file(env).exists()
        db.dispose()


async def test_a_key_file_others_can_read_is_warned_about_and_still_used(tmp_path, monkeypatch):
    async with SlackStandIn() as api, aiohttp.ClientSession() as http:
        env, server, db = await prepared(tmp_path, api, monkeypatch)
        key_file(env).chmod(0o644)
        # A command shows the warning and works
        code, out, err = await candor(env, "roster", "list")
        assert code == 0 and "Dana Reyes" in out
        assert "warning" in err and "mode 0644" in err and "chmod 600" in err
        # The server logs it, and starts
        await server.start(http)
        await server.stop()
        assert "mode 0644" in server.log.read_text()
        # Private again: no warning
        key_file(env).chmod(0o600)
        assert "warning" not in (await candor(env, "roster", "list"))[2]
        db.dispose()


# --- under load -----------------------------------------------------------------------------

DRAFT = "Freight costs moved into next quarter"


async def test_rotating_and_retiring_under_load_loses_no_report_and_no_notice(database_url, tmp_path, monkeypatch):
    async with SlackStandIn(latency=0.01, seed=20261201, emails={"U0SAM": "sam@example.com"}) as api, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        env, server, db = await prepared(tmp_path, api, monkeypatch, CANDOR_DATABASE_URL=database_url)
        await server.start(http)
        harness = SlackHarness(f"{server.url}/slack/events", api, build(Settings(), platforms=SLACK), http)
        load = Load(harness)
        try:
            # Given a draft half written in the Messages tab,
            # ("report", then the choice to type it in the Messages tab despite the warning)
            await harness.dm("U0SAM", "report")
            await harness.until(lambda: len(api.called("chat.postMessage")) >= 2)
            await harness.click("U0SAM", "chatreport:start", channel="DU0SAM")
            await harness.until(lambda: len(api.called("chat.postMessage")) >= 4)
            for text in ["3", f"{DRAFT}, said before the rotation"]:
                await harness.say("U0SAM", text)
            # officers filing reports through the form, and Slack refusing a third of all calls
            # and pausing the notifier once (notices wait)
            api.failure_rate = 0.3
            clients = [asyncio.create_task(load.client(n)) for n in range(3)]
            await eventually(lambda: len(load.receipts) >= 3, timeout=60, explain=lambda: f"{load}")
            api.fail_next("chat.postMessage", status=429, retry_after=2)

            # When the master key is rotated and the old version retired, twice, while it runs
            steps = []
            for old in (1, 2):
                for args in (("keys", "rotate", "--wait", "60"), ("keys", "retire", str(old))):
                    code, out, err = await candor(env, *args)
                    assert code == 0, f"{args}: {out}{err}\n{server.log.read_text()[-3000:]}"
                    steps.append(out)
                await asyncio.sleep(0.5)  # more reports under the new key
            load.stop.set()
            await asyncio.gather(*clients)
            api.failure_rate = 0.0

            # Then every notice reaches Slack,
            await eventually(lambda: not undelivered(db), timeout=180, every=0.2,
                             explain=lambda: f"{[(r.key, r.last_error) for r in undelivered(db)][:10]}\n"
                                             f"{server.log.read_text()[-3000:]}")
            # the draft half written before the rotations still opens, with what was typed in it
            vault = Vault(load_keyring(key_file=key_file(env), env_value=None))
            with db.read() as session:
                drafts = [json.dumps(vault.unseal(session, kind="conversation", record_id=c.key, blob=c.body))
                          for c in session.exec(select(Conversation)).all()]
            assert any(f"{DRAFT}, said before the rotation" in d for d in drafts), len(drafts)
            # and a committee member opens a report made before the first rotation
            reports = sorted(harness.reports(), key=lambda r: r.received_at)
            before = len(api.called("views.open"))
            assert (await harness.click("U0ALEX", f"case:view:{reports[0].id}")).status == 200
            opened = await harness.until(lambda: api.called("views.open")[before:])
            assert "split invoices" in str(opened[0])
        finally:
            harness.candor.close()
            await server.stop()

        # Every receipt a reporter saw names a report that opens with the key file left, which
        # holds v3 alone; every data key is wrapped under it
        assert "Master key v3 is current" in steps[2]
        final = build(Settings(), platforms=SLACK)
        assert sorted(final.keyring.versions) == [3]
        by_code = {r.code: r for r in harness.reports()}
        assert load.receipts and load.receipts <= set(by_code)
        with final.db.read() as session:
            for report in by_code.values():
                content = final.core.vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
                assert content["what"]
        assert wrapped_under(db) == {3}
        # Every report's committee notice was posted, once; the server never failed to open a row
        posts = [str(c) for c in api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE]
        for code in by_code:
            assert len([p for p in posts if code in p]) == 1, code
        log = server.log.read_text()
        assert "did not open" not in log and "keyring reloaded" in log
        final.close()
        db.dispose()
        code, _out, err = await candor(env, "audit", "verify")
        assert code == 0, err
        print(f"\n{database_url.split(':')[0]}: {len(by_code)} reports, {len(load.receipts)} receipts seen, "
              f"{load.refused} submissions refused, {len(api.failed)} Web API calls refused")


def _what(harness: SlackHarness, report: Report) -> str:
    """The report's text, opened with the key file as it is now (the test's own view)."""
    vault = Vault(load_keyring(key_file=harness.candor.settings.key_file, env_value=None))
    with harness.candor.db.read() as session:
        sealed = vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
    return str(sealed.get("what", ""))


async def test_a_notice_the_server_cannot_open_is_counted_in_metrics_and_the_rest_go_out(tmp_path, monkeypatch):
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch) as slack:
        # Given a notice wrapped under a version no key file here holds, and one that opens
        foreign = Vault(slack.candor.keyring.rotated())
        notice_under(slack.candor.db, foreign.keyring, "foreign")
        notice_under(slack.candor.db, slack.candor.keyring, "ours")
        # Then the one that opens is posted, the other waits, and /metrics counts it
        await slack.until(lambda: posted(api, "ours"))
        async with slack.http.get(slack.admin + "/metrics") as response:
            assert response.status == 200
            exposition = await response.text()
        counted = [line for line in exposition.splitlines() if line.startswith("candor_outbox_unopened_total ")]
        assert counted and float(counted[0].split()[1]) >= 1, exposition
        assert not posted(api, "foreign")
