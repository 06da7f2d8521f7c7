"""`candor serve` over HTTP, side by side with its floors (bench/floor_app.py) in the same run.

`candor serve` and the bare Bolt app each run in their own process, pointed at one Slack Web API
stand-in in this process; every request is signed as Slack signs it. Each client is one officer
in a closed loop (send, wait for the answer, send again):

- forms: a named report's `view_submission` until the modal's answer (the receipt), 1, 20 and
  50 at once, on SQLite (WAL, `synchronous=FULL`) and PostgreSQL, and twenty at once the CPU time
  each server process spends a form; the floor seals the form under a fresh data key and inserts
  one row;
- an anonymous report (scrypt at the production cost) 20 at once, on both databases, beside the
  least its p99 can be here (twenty secrets' hashes alone, one per core), and meanwhile one
  officer's named reports, one after another: a hash must not hold them up;
- DM turns: a signed message event until the bot's reply reaches the stand-in, and the CPU
  time each server process spends a turn; the floor posts one reply;
- `candor serve`'s start (until /healthz answers) and idle memory with Slack configured;
- the soak: mixed requests (forms, DM turns, /healthz), resident memory sampled as it goes.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, text

from adapters.settings import SCRYPT_LOG2_N_FLOOR
from bench.common import POSTGRES_URL, Table, check, cpu_seconds, free_port, percentile, rss_kb
from storage.crypto import Vault
from storage.db import normalize_url
from storage.keyring import Keyring
from tests.support.slack_stand_in import SlackStandIn

SECRET = "bench-signing-secret"
CLI = [sys.executable, "-m", "adapters.cli"]
# The bot's replies to each message of a DM turn (report: the form's button and its lead-in;
# cancel: one line).
REPLIES = {"report": 2, "cancel": 1}
OFFICERS = 400  # enough for every client of every level, each its own officer


class CountingStandIn(SlackStandIn):
    """The stand-in, counting posts per DM channel (cheaply, for the load)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[str, int] = {}

    def _answer(self, method, args):  # type: ignore[no-untyped-def]
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            self.replies[channel] = self.replies.get(channel, 0) + 1
        if len(self.calls) > 1000:  # a soak's calls are counted, not kept
            del self.calls[:500]
        return super()._answer(method, args)


def user(index: int) -> str:
    return f"U0B{index:04d}"


def roster(count: int) -> str:
    lines = ["officers:"]
    lines += [f"  - {{name: Bench {i}, email: b{i}@example.com, role: Controller, "
              f"slack_id: {user(i)}}}" for i in range(count)]
    lines += ["committee:",
              "  - {name: Chair, email: chair@example.com, chair: true, slack_id: U0CHAIR}"]
    return "\n".join(lines) + "\n"


def signed(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts,
                                                                              body=body)}


def form_body(officer: str, n: int, *, anonymous: bool) -> str:
    def choice(value: str, kind: str) -> dict[str, Any]:
        return {"value": {"type": kind, "selected_option": {
            "value": value, "text": {"type": "plain_text", "text": value}}}}

    values = {"category": choice("fraud", "static_select"),
              "what": {"value": {"type": "plain_text_input",
                                 "value": f"Revenue booked before delivery, entry {n}. " * 6}},
              "anonymous": choice("yes" if anonymous else "no", "radio_buttons")}
    payload = {"type": "view_submission", "team": {"id": "T0TEST"}, "api_app_id": "A0",
               "token": "t", "user": {"id": officer}, "trigger_id": f"trig-{n}",
               "view": {"id": "V0FORM", "type": "modal", "callback_id": "intake",
                        "state": {"values": values}}}
    return urlencode({"payload": json.dumps(payload)})


def dm_body(officer: str, text_: str, n: int) -> str:
    return json.dumps({"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0",
                       "token": "t", "event_id": f"Ev{officer}{n}{secrets.token_hex(3)}",
                       "event_time": int(time.time()),
                       "event": {"type": "message", "channel": f"D{officer}", "user": officer,
                                 "text": text_, "ts": f"{time.time():.6f}",
                                 "channel_type": "im"}})


@dataclass
class Load:
    """What a closed-loop run measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0  # the server process's CPU seconds during the run (user and system)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def cpu_each(self) -> float:
        return self.cpu / len(self.latencies) if self.latencies else 0.0


async def submit(http: aiohttp.ClientSession, url: str, body: str) -> bool:
    async with http.post(url, data=body.encode(),
                         headers=signed(body, "application/x-www-form-urlencoded")) as response:
        answer = await response.read()
    return response.status == 200 and b'"update"' in answer


async def forms(http: aiohttp.ClientSession, url: str, clients: int, each: int, *,
                first: int = 0, anonymous: bool = False, pid: int | None = None) -> Load:
    """`clients` officers at once, each submitting `each` forms one after the other; with
    `pid`, the CPU time that server process spent meanwhile (a steadier figure than the rate on
    a shared machine: the same code's rate moves by a fifth from one run to the next)."""
    load = Load()

    async def client(index: int) -> None:
        for n in range(each):
            body = form_body(user(first + index), n, anonymous=anonymous)
            start = time.perf_counter()
            ok = await submit(http, url, body)
            load.latencies.append(time.perf_counter() - start)
            load.errors += not ok

    with spent(load, pid):
        await asyncio.gather(*(client(i) for i in range(clients)))
    return load


@contextmanager
def spent(load: Load, pid: int | None) -> Iterator[None]:
    """Times the block into `load.elapsed` and, with `pid`, that server process's CPU time
    meanwhile into `load.cpu`."""
    cpu_before = cpu_seconds(pid) if pid is not None else 0.0
    started = time.perf_counter()
    yield
    load.elapsed = time.perf_counter() - started
    if pid is not None:
        load.cpu = cpu_seconds(pid) - cpu_before


async def dm_turn(http: aiohttp.ClientSession, url: str, api: CountingStandIn, officer: str,
                  text_: str, n: int, replies: int) -> bool:
    channel = f"D{officer}"
    expected = api.replies.get(channel, 0) + replies
    body = dm_body(officer, text_, n)
    async with http.post(url, data=body.encode(),
                         headers=signed(body, "application/json")) as response:
        await response.read()
    deadline = time.monotonic() + 10
    while api.replies.get(channel, 0) < expected:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.001)
    return response.status == 200


async def dms(http: aiohttp.ClientSession, url: str, api: CountingStandIn, clients: int,
              each: int, *, first: int, floor: bool, pid: int | None = None) -> Load:
    """`clients` officers at once, each taking `each` DM turns (`report`, then `cancel`, in
    turn); with `pid`, the CPU time that server process spent meanwhile (as `forms`)."""
    load = Load()

    async def client(index: int) -> None:
        officer = user(first + index)
        for n in range(each):
            text_ = "report" if n % 2 == 0 else "cancel"
            start = time.perf_counter()
            ok = await dm_turn(http, url, api, officer, text_, n, 1 if floor else REPLIES[text_])
            load.latencies.append(time.perf_counter() - start)
            load.errors += not ok

    with spent(load, pid):
        await asyncio.gather(*(client(i) for i in range(clients)))
    return load


@contextmanager
def database(backend: str, folder: Path, name: str) -> Iterator[str]:
    """A database URL: a SQLite file in `folder`, or a fresh PostgreSQL schema dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / name}.db"
        return
    schema = f"bench_{name}_{secrets.token_hex(4)}"
    admin = create_engine(normalize_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{normalize_url(POSTGRES_URL)}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


async def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> float:
    """Seconds until GET /healthz answers 200 (from now)."""
    start = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() - start < timeout:
            if process.poll() is not None:
                said = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise RuntimeError(f"the server exited with {process.returncode}: {said}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    raise RuntimeError("the server did not answer /healthz")


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    started: float  # seconds from launch to /healthz


@asynccontextmanager
async def candor_serve(api: SlackStandIn, folder: Path, database_url: str,
                       extra: dict[str, str] | None = None) -> AsyncIterator[Served]:
    (folder / "roster.yml").write_text(roster(OFFICERS))
    port = free_port()
    env = {**os.environ, "CANDOR_DATABASE_URL": database_url,
           "CANDOR_KEY_FILE": str(folder / "candor.key"), "SLACK_BOT_TOKEN": "xoxb-bench",
           "SLACK_SIGNING_SECRET": SECRET, "CANDOR_SLACK_API_URL": api.base_url,
           "CANDOR_COMMITTEE_CHANNEL": "G0COMMITTEE", "CANDOR_PORT": str(port),
           "CANDOR_ADMIN_PORT": "0", "CANDOR_HOST": "127.0.0.1", "CANDOR_LOG_LEVEL": "WARNING",
           "CANDOR_ANONYMOUS_DAILY_LIMIT": "100", "CANDOR_ROSTER": str(folder / "roster.yml"),
           **(extra or {})}
    subprocess.run([*CLI, "init"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([*CLI, "serve"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        started = await wait_healthy(port, process)
        yield Served(f"http://127.0.0.1:{port}/slack/events", port, process, started)
    finally:
        process.terminate()
        process.wait(timeout=30)


@asynccontextmanager
async def floor_app(api: SlackStandIn, database_url: str) -> AsyncIterator[Served]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.floor_app", "--port", str(port),
                                "--api", api.base_url, "--database", database_url,
                                "--secret", SECRET],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        started = await wait_healthy(port, process)
        yield Served(f"http://127.0.0.1:{port}/slack/events", port, process, started)
    finally:
        process.terminate()
        process.wait(timeout=30)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


async def beside_anonymous(http: aiohttp.ClientSession, url: str, *, first: int,
                           each: int) -> tuple[Load, Load]:
    """Twenty officers filing anonymous reports at once (`each` each) and, meanwhile, one more
    filing named reports one after another until they are done: (the anonymous, the named)."""
    anonymous = asyncio.create_task(forms(http, url, 20, each, first=first, anonymous=True))
    named = Load()
    officer = user(first + 20)
    started = time.perf_counter()
    n = 0
    while not anonymous.done():
        body = form_body(officer, n, anonymous=False)
        sent = time.perf_counter()
        ok = await submit(http, url, body)
        named.latencies.append(time.perf_counter() - sent)
        named.errors += not ok
        n += 1
        await asyncio.sleep(0.02)
    named.elapsed = time.perf_counter() - started
    return await anonymous, named


async def form_tables(backends: list[str], quick: bool,
                      levels: dict[int, int] | None = None) -> dict[str, list[list[str]]]:
    """Rows for each backend and level (`levels`: clients at once -> forms each), and on
    PostgreSQL twenty anonymous reports at once with a named one beside them."""
    rows: list[list[str]] = []
    anonymous_rows: list[list[str]] = []
    levels = levels or {1: 5 if quick else 200, 20: 1 if quick else 15, 50: 1 if quick else 6}
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            async with CountingStandIn() as api, \
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                with database(backend, folder, "candor") as candor_db, \
                        database(backend, folder, "floor") as floor_db:
                    async with candor_serve(api, folder, candor_db) as candor, \
                            floor_app(api, floor_db) as floor:
                        # warm both (first connections, first imports on the way)
                        await forms(http, candor.url, 5, 2, first=OFFICERS - 5)
                        await forms(http, floor.url, 5, 2, first=OFFICERS - 5)
                        first = 0
                        for clients, each in levels.items():
                            ours = await forms(http, candor.url, clients, each, first=first,
                                               pid=candor.process.pid)
                            bare = await forms(http, floor.url, clients, each, first=first,
                                               pid=floor.process.pid)
                            first += clients
                            rows += _form_rows(backend, clients, ours, bare)
                        if backend == "postgres":  # SQLite's: sqlite_tables, beside the floor
                            anonymous, named = await beside_anonymous(
                                http, candor.url, first=100, each=1 if quick else 3)
                            errors = f" ({anonymous.errors} failed)" if anonymous.errors else ""
                            anonymous_rows += [
                                check(f"{backend}, anonymous report, 20 at once: p99{errors}",
                                      ms(anonymous.p(99)), "—", "—", "≤ 0.5 s",
                                      anonymous.p(99) <= 0.5 and not anonymous.errors),
                                *_beside_rows(backend, named)]
    return {"named": rows, "anonymous": anonymous_rows}


def _beside_rows(backend: str, named: Load) -> list[list[str]]:
    """The named report's answers beside twenty anonymous ones: a hash waits in threads of its
    own, so a report that needs none is not held up."""
    errors = f" ({named.errors} failed)" if named.errors else ""
    return [check(f"{backend}, a named report beside them, one after another: p50{errors}",
                  ms(named.p(50)), "—", "—", "—", None),
            check(f"{backend}, a named report beside them: the slowest of {len(named.latencies)}",
                  ms(max(named.latencies)), "—", "—", "—", None)]


def _form_rows(backend: str, clients: int, ours: Load, bare: Load) -> list[list[str]]:
    what = f"{backend}, {clients} at once"
    errors = f" ({ours.errors} failed)" if ours.errors else ""
    rows = []
    if clients == 1:
        ratio = ours.p(50) / bare.p(50)
        rows.append(check(f"{what}: p50{errors}", ms(ours.p(50)), ms(bare.p(50)), f"{ratio:.2f}x",
                          "≤ 1.5x", ratio <= 1.5 and not ours.errors))
        rows.append(check(f"{what}: p99", ms(ours.p(99)), ms(bare.p(99)),
                          f"{ours.p(99) / bare.p(99):.2f}x", "—", None))
    elif clients == 20:
        ratio = ours.rate / bare.rate
        rows.append(check(f"{what}: throughput{errors}", f"{ours.rate:,.0f}/s",
                          f"{bare.rate:,.0f}/s", f"{ratio:.2f}", "≥ 0.5",
                          ratio >= 0.5 and not ours.errors))
        rows.append(check(f"{what}: p50", ms(ours.p(50)), ms(bare.p(50)),
                          f"{ours.p(50) / bare.p(50):.2f}x", "—", None))
        rows.append(check(f"{what}: p99", ms(ours.p(99)), ms(bare.p(99)),
                          f"{ours.p(99) / bare.p(99):.2f}x", "≤ 250 ms", ours.p(99) <= 0.25))
        rows.append(check(f"{what}: the server's CPU a form", ms(ours.cpu_each),
                          ms(bare.cpu_each), f"{ours.cpu_each / max(bare.cpu_each, 1e-9):.2f}x",
                          "—", None))
    else:
        top = max(ours.latencies)
        rows.append(check(f"{what}: max{errors}", ms(top), ms(max(bare.latencies)),
                          f"{top / max(bare.latencies):.2f}x", "≤ 1 s",
                          top <= 1.0 and not ours.errors))
        rows.append(check(f"{what}: p99", ms(ours.p(99)), ms(bare.p(99)),
                          f"{ours.p(99) / bare.p(99):.2f}x", "—", None))
        rows.append(check(f"{what}: throughput", f"{ours.rate:,.0f}/s", f"{bare.rate:,.0f}/s",
                          f"{ours.rate / bare.rate:.2f}", "—", None))
    return rows


def hashes_alone(count: int) -> float:
    """Seconds that `count` secrets' scrypt hashes at the production cost take when they arrive
    at once and nothing else runs, as many at a time as `candor serve` runs them (one per core,
    `adapters.bridge.hash_threads`): the least an anonymous report's p99 can be with `count` at
    once here."""
    vault = Vault(Keyring.generate(), scrypt_log2_n=SCRYPT_LOG2_N_FLOOR)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        started = time.perf_counter()
        list(pool.map(vault.hash_secret, ["secret"] * count))
        return time.perf_counter() - started


async def sqlite_tables(quick: bool) -> dict[str, list[list[str]]]:
    """Everything measured on one SQLite `candor serve` beside the floor: the anonymous
    report, the DM turn, start-up and memory, the soak."""
    out: dict[str, list[list[str]]] = {"anonymous": [], "dm": [], "serve": [], "soak": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with CountingStandIn() as api, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            with database("sqlite", folder, "candor") as candor_db, \
                    database("sqlite", folder, "floor") as floor_db:
                async with candor_serve(api, folder, candor_db) as candor, \
                        floor_app(api, floor_db) as floor:
                    await asyncio.sleep(2.0)
                    idle = rss_kb(candor.process.pid)
                    out["serve"] += [
                        check("`candor serve` (Slack): start to /healthz", ms(candor.started),
                              ms(floor.started), f"{candor.started / floor.started:.2f}x",
                              "≤ 1.5 s", candor.started <= 1.5),
                        check("`candor serve` (Slack): idle resident memory",
                              f"{idle / 1024:.0f} MB", f"{rss_kb(floor.process.pid) / 1024:.0f} MB",
                              f"{idle / max(rss_kb(floor.process.pid), 1):.2f}x", "≤ 100 MB",
                              idle <= 100 * 1024)]
                    # The anonymous report, 20 at once (each officer once or a few times), and
                    # a named one beside them.
                    each = 1 if quick else 3
                    ours, named = await beside_anonymous(http, candor.url, first=200, each=each)
                    bare = await forms(http, floor.url, 20, each, first=200, anonymous=True)
                    errors = f" ({ours.errors} failed)" if ours.errors else ""
                    alone = hashes_alone(20)
                    out["anonymous"] += [
                        check(f"sqlite, anonymous report, 20 at once: p99{errors}",
                              ms(ours.p(99)), ms(bare.p(99)), f"{ours.p(99) / bare.p(99):.1f}x",
                              "≤ 0.5 s", ours.p(99) <= 0.5 and not ours.errors),
                        check("sqlite, anonymous report, 20 at once: p50", ms(ours.p(50)),
                              ms(bare.p(50)), f"{ours.p(50) / bare.p(50):.1f}x", "—", None),
                        check("twenty secrets' hashes alone, one per core (the least a p99 can "
                              "be)", ms(alone), "—", f"p99 {ours.p(99) / alone:.2f}x it", "—",
                              None),
                        *_beside_rows("sqlite", named)]
                    # DM turns, 10 officers at once.
                    each = 2 if quick else 40
                    ours = await dms(http, candor.url, api, 10, each, first=240, floor=False,
                                     pid=candor.process.pid)
                    bare = await dms(http, floor.url, api, 10, each, first=260, floor=True,
                                     pid=floor.process.pid)
                    ratio = ours.rate / bare.rate
                    errors = f" ({ours.errors} failed)" if ours.errors else ""
                    out["dm"] += [
                        check(f"DM turn, 10 at once: throughput{errors}", f"{ours.rate:,.0f}/s",
                              f"{bare.rate:,.0f}/s", f"{ratio:.2f}", "≥ 0.5",
                              ratio >= 0.5 and not ours.errors),
                        check("DM turn, 10 at once: p50", ms(ours.p(50)), ms(bare.p(50)),
                              f"{ours.p(50) / bare.p(50):.2f}x", "—", None),
                        check("DM turn, 10 at once: p99", ms(ours.p(99)), ms(bare.p(99)),
                              f"{ours.p(99) / bare.p(99):.2f}x", "—", None),
                        check("DM turn, 10 at once: the server's CPU a turn", ms(ours.cpu_each),
                              ms(bare.cpu_each),
                              f"{ours.cpu_each / max(bare.cpu_each, 1e-9):.2f}x", "—", None)]
                    out["soak"] = await soak(http, candor, api, quick)
    return out


async def soak(http: aiohttp.ClientSession, candor: Served, api: CountingStandIn,
               quick: bool) -> list[list[str]]:
    """Mixed requests from 10 officers at once: a named report, a DM turn and /healthz in turn;
    resident memory sampled every tenth of the way, settled at the first fifth."""
    total = 150 if quick else 10_000
    clients = 10
    per_client = total // clients
    samples: list[int] = []
    done = 0
    failed = 0
    step = total // 10

    async def client(index: int) -> None:
        nonlocal done, failed
        officer = user(300 + index)
        for n in range(per_client):
            kind = n % 3
            if kind == 0:
                ok = await submit(http, candor.url, form_body(officer, n, anonymous=False))
            elif kind == 1:
                text_ = "report" if (n // 3) % 2 == 0 else "cancel"
                ok = await dm_turn(http, candor.url, api, officer, text_, n, REPLIES[text_])
            else:
                async with http.get(f"http://127.0.0.1:{candor.port}/healthz") as response:
                    ok = response.status == 200
            failed += not ok
            done += 1
            if done % step == 0:
                samples.append(rss_kb(candor.process.pid))

    await asyncio.gather(*(client(i) for i in range(clients)))
    settled, final, top = samples[1], samples[-1], max(samples)
    growth = final / settled
    errors = f" ({failed} failed)" if failed else ""
    return [check(f"{done:,} mixed requests: resident memory at the end{errors}",
                  f"{final / 1024:.0f} MB", f"{settled / 1024:.0f} MB (settled, at 20%)",
                  f"{growth:.2f}", "≤ 1.10", growth <= 1.10 and not failed),
            check("the most it held", f"{top / 1024:.0f} MB", "—", "—", "—", None)]


async def _measure(backends: list[str], quick: bool) -> list[Table]:
    form_rows = await form_tables(backends, quick)
    rest = await sqlite_tables(quick)
    head = ["what", "Candor", "floor", "ratio", "target", "result"]
    return [
        Table("A named report's form (Slack view_submission -> receipt) vs a bare Bolt app that "
              "seals it and inserts one row", head, form_rows["named"]),
        Table("An anonymous report's form (scrypt at the production cost) vs the same floor, "
              "and a named report beside them", head,
              rest["anonymous"] + form_rows["anonymous"]),
        Table("A DM turn (signed event -> reply posted) vs a bare Bolt app posting one reply",
              head, rest["dm"]),
        Table("`candor serve`: start and memory (floor: the bare Bolt app)", head, rest["serve"]),
        Table("Soak: `candor serve` on SQLite", head, rest["soak"]),
    ]


def run(backends: list[str], *, quick: bool) -> list[Table]:
    return asyncio.run(_measure(backends, quick))
