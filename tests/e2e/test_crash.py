"""The crash test: `candor serve` (Slack over HTTP) under load from several clients is killed with
SIGKILL twenty times at random moments and started again, on SQLite and on PostgreSQL, while the
Slack stand-in refuses half of all Web API calls (500) and rate-limits a method past fifty calls
a second (429 with Retry-After, which pauses the notifier for the whole platform).

Afterwards: every report whose receipt reached its reporter exists and opens with the key; every
report's channel notice, and every named reporter's "receipt acknowledged" message, was posted
exactly once; nothing is left undelivered; and `candor audit verify` passes. The Slack stand-in
holds each post for a moment before answering, so kills land between Slack accepting a post and
Candor recording it."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from adapters.bootstrap import build
from adapters.settings import Settings
from storage.db import Database
from storage.models import OutboxMessage, Report
from storage.vocabulary import CaseStatus, OutboxState
from tests.e2e.slack_harness import COMMITTEE, ROSTER, SlackHarness, radio, slack_env, text_input
from tests.e2e.slack_harness import option as choose
from tests.support.slack_stand_in import SlackStandIn
from tests.support.waiting import eventually

# Minutes of real servers and real load: `make quick` leaves these out, `make test` runs them.
pytestmark = pytest.mark.slow

KILLS = 20
CLIENTS = 3
SEED = 20261125
RECEIPT = re.compile(r"recorded, encrypted, as case \*{1,2}([0-9A-Z-]+)\*{1,2}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "adapters.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@dataclass
class Server:
    env: dict[str, str]
    log: Path
    url: str
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self, http: aiohttp.ClientSession) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "serve", env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                break
            try:
                async with http.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError(f"candor serve did not come up:\n{self.log.read_text()[-3000:]}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), timeout=30)


@dataclass
class Load:
    """Officers filing reports through the modal while the server comes and goes. A receipt
    counts only when its HTTP answer arrived, as the reporter would have seen it."""

    harness: SlackHarness
    receipts: set[str] = field(default_factory=set)
    refused: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    pause: random.Random = field(default_factory=lambda: random.Random(SEED))

    async def client(self, n: int) -> None:
        sent = 0
        while not self.stop.is_set():
            sent += 1
            try:
                response = await self.harness.submit("U0CFO", "intake", {
                    "category": choose("fraud"), "what": text_input(f"Client {n} report {sent}: split invoices"),
                    "anonymous": radio("yes" if sent % 2 else "no")})
                found = RECEIPT.search(await response.text()) if response.status == 200 else None
            except (TimeoutError, aiohttp.ClientError):
                found = None
            if found:
                self.receipts.add(found.group(1))
            else:
                self.refused += 1
            await asyncio.sleep(self.pause.uniform(0.1, 0.3))  # people, not a flood


def reports(db: Database) -> list[Report]:
    with db.read() as session:
        return list(session.exec(select(Report)).all())


def undelivered(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.state != OutboxState.DELIVERED)).all())


def outstanding(db: Database) -> str:
    rows = [(r.key, r.state.value, r.attempts, r.last_error, r.claimed_until) for r in undelivered(db)]
    unacked = [r.code for r in reports(db) if r.status is CaseStatus.RECEIVED]
    return f"undelivered: {rows[:10]} ({len(rows)}); unacknowledged: {unacked[:10]} ({len(unacked)})"


async def test_twenty_kills_lose_nothing_and_send_nothing_twice(database_url, tmp_path, monkeypatch):
    rng = random.Random(SEED)
    async with SlackStandIn(latency=0.02, failure_rate=0.5, rate_per_second=50, seed=SEED) as api:
        port = free_port()
        env = {**os.environ, **slack_env(tmp_path, api), "CANDOR_DATABASE_URL": database_url,
               "CANDOR_HOST": "127.0.0.1", "CANDOR_PORT": str(port), "CANDOR_RELAY_LEASE_SECONDS": "2",
               "CANDOR_RETRY_BASE_SECONDS": "0.2", "CANDOR_RETRY_MAX_SECONDS": "3",
               "CANDOR_LOG_LEVEL": "WARNING", "CANDOR_SCRYPT_LOG2_N": "4"}
        roster = tmp_path / "roster.yml"
        roster.write_text(ROSTER)
        cli(env, "init")
        cli(env, "roster", "import", str(roster))
        server = Server(env, tmp_path / "serve.log", f"http://127.0.0.1:{port}")
        for key, value in env.items():
            if key.startswith(("CANDOR_", "SLACK_")):
                monkeypatch.setenv(key, value)
        candor = build(Settings(), platforms=frozenset())  # the test's own view of the data
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        harness = SlackHarness(f"{server.url}/slack/events", api, candor, http)
        load = Load(harness)
        try:
            clients = [asyncio.create_task(load.client(n)) for n in range(CLIENTS)]
            for _kill in range(KILLS):
                await server.start(http)
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                await server.kill()
            load.stop.set()
            await asyncio.gather(*clients)

            # The last start: the committee acknowledges every report, then the notifier drains.
            await server.start(http)
            all_reports = reports(candor.db)
            for report in all_reports:
                assert (await harness.click("U0LEE", f"case:ack:{report.id}")).status == 200

            def settled() -> bool:
                done = all(r.status is not CaseStatus.RECEIVED for r in reports(candor.db))
                return done and not undelivered(candor.db)

            await eventually(settled, timeout=300, every=0.2,
                             explain=lambda: f"{outstanding(candor.db)}\n{server.log.read_text()[-3000:]}")
            await server.stop()
        finally:
            await http.close()
            if server.process is not None and server.process.returncode is None:
                await server.kill()

        # Every receipt the reporters saw names a report that is there and opens.
        by_code = {r.code: r for r in reports(candor.db)}
        assert load.receipts and load.receipts <= set(by_code)
        with candor.db.read() as session:
            for code in load.receipts:
                report = by_code[code]
                content = candor.core.vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
                assert "split invoices" in content["what"]
        # Every report's channel notice, and each named reporter's note of its acknowledgement
        # (which names no case: the reporter's chat keeps it), landed once.
        posts = [str(c) for c in api.called("chat.postMessage")]
        for code in by_code:
            assert len([p for p in posts if f'"channel": "{COMMITTEE}"' in p and code in p]) == 1, code
        news = [p for p in posts if "There is news on a report you made" in p]
        assert len(news) == len([r for r in by_code.values() if not r.anonymous])
        assert not any(code in p for p in news for code in by_code)
        assert not undelivered(candor.db)
        assert len(api.failed) > len(api.calls) / 3  # the stand-in did refuse about half
        candor.close()
        cli(env, "audit", "verify")
        print(f"\n{database_url.split(':')[0]}: {server.starts} starts, {KILLS} kills, {len(by_code)} reports, "
              f"{len(load.receipts)} receipts seen, {load.refused} submissions refused or cut off, "
              f"{len(api.called('conversations.history'))} read-backs of posts in doubt, "
              f"{len(api.failed)} Web API calls refused")
