"""Slack intake, end to end, against a bare Bolt app; and `candor serve`'s memory.

`candor serve` runs in its own process (as in production), pointed at a Slack Web API stand-in
in this process. Each client is one officer in a closed loop: a signed DM event, then wait for
the bot's reply to arrive at the stand-in. The messages alternate "report" (a draft is created
and sealed) and "cancel" (the sealed draft is opened and shredded), so every request crosses
Bolt, the core, the encrypted conversation state and the Web API. The bare app is Bolt with a
listener that only acknowledges; its latency is the HTTP round trip.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bench.common import Table, percentile
from tests.support.slack_stand_in import SlackStandIn

SECRET = "bench-signing-secret"
REPLIES = {"report": 2, "cancel": 1}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts,
                                                                              body=body)}


def _event(user: str, text: str, n: int) -> str:
    return json.dumps({"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0",
                       "token": "t", "event_id": f"Ev{user}{n}", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": f"D{user}", "user": user,
                                 "text": text, "ts": f"{time.time():.6f}", "channel_type": "im"}})


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def _load(url: str, api: SlackStandIn | None, clients: int,
                seconds: float) -> tuple[int, list[float]]:
    """Closed-loop clients for `seconds`; returns (completed requests, latencies)."""
    latencies: list[float] = []
    done = 0
    stop_at = time.monotonic() + seconds

    async def client(index: int, http: aiohttp.ClientSession) -> None:
        nonlocal done
        user = f"U0B{index:04d}"
        n = 0
        expected = 0
        while time.monotonic() < stop_at:
            text = "report" if n % 2 == 0 else "cancel"
            body = _event(user, text, n)
            n += 1
            start = time.perf_counter()
            async with http.post(url, data=body.encode(), headers=_signed(body)) as response:
                await response.read()
            if api is not None:
                expected += REPLIES[text]
                while api.replies.get(f"D{user}", 0) < expected:
                    await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - start)
            done += 1

    started = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    elapsed = time.monotonic() - started
    return int(done / elapsed * 1000), latencies  # throughput in requests per 1000 s


class _CountingStandIn(SlackStandIn):
    """The stand-in, counting replies per DM channel (cheaply, for the load)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[str, int] = {}

    def _answer(self, method, args):  # type: ignore[no-untyped-def]
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            self.replies[channel] = self.replies.get(channel, 0) + 1
        return super()._answer(method, args)


async def _bare_app(port: int, api: SlackStandIn) -> web.AppRunner:
    client = AsyncWebClient(token="xoxb-bench", base_url=api.base_url)
    bolt = AsyncApp(signing_secret=SECRET, client=client)

    @bolt.event("message")
    async def only_ack() -> None:
        return None

    from adapters.slack.app import mount

    app = web.Application()
    mount(app, bolt)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def _roster(count: int) -> str:
    lines = ["officers:"]
    lines += [f"  - {{name: Bench {i}, email: b{i}@example.com, role: Controller, "
              f"slack_id: U0B{i:04d}}}"
              for i in range(count)]
    lines += ["committee:",
              "  - {name: Chair, email: chair@example.com, chair: true, slack_id: U0CHAIR}"]
    return "\n".join(lines) + "\n"


async def _measure(quick: bool) -> list[Table]:
    levels = [1, 10] if quick else [1, 10, 50]
    seconds = 3.0 if quick else 8.0
    rows: list[list[str]] = []
    memory: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        (home / "roster.yml").write_text(_roster(max(levels)))
        async with _CountingStandIn() as api:
            port = _free_port()
            env = {**os.environ, "CANDOR_DATABASE_URL": f"sqlite:///{home / 'candor.db'}",
                   "CANDOR_KEY_FILE": str(home / "candor.key"), "SLACK_BOT_TOKEN": "xoxb-bench",
                   "SLACK_SIGNING_SECRET": SECRET, "CANDOR_SLACK_API_URL": api.base_url,
                   "CANDOR_COMMITTEE_CHANNEL": "G0COMMITTEE", "CANDOR_PORT": str(port),
                   "CANDOR_ADMIN_PORT": "0",
                   "CANDOR_HOST": "127.0.0.1", "CANDOR_LOG_LEVEL": "WARNING",
                   "CANDOR_ROSTER": str(home / "roster.yml")}
            cli = [sys.executable, "-m", "adapters.cli"]
            subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
            server = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
            try:
                await _wait_port(port)
                await asyncio.sleep(2.0)
                idle = _rss_kb(server.pid)
                bare_port = _free_port()
                bare = await _bare_app(bare_port, api)
                peak = idle
                try:
                    for clients in levels:
                        full_rate, full_lat = await _load(f"http://127.0.0.1:{port}/slack/events",
                                                          api, clients, seconds)
                        peak = max(peak, _rss_kb(server.pid))
                        bare_rate, bare_lat = await _load(
                            f"http://127.0.0.1:{bare_port}/slack/events", None, clients, seconds)
                        rows.append([str(clients), f"{full_rate / 1000:,.1f}/s",
                                     f"{bare_rate / 1000:,.1f}/s",
                                     f"{full_rate / bare_rate:.2f}",
                                     f"{percentile(full_lat, 50) * 1000:.0f} ms",
                                     f"{percentile(full_lat, 99) * 1000:.0f} ms",
                                     f"{percentile(bare_lat, 50) * 1000:.1f} ms",
                                     f"{percentile(bare_lat, 99) * 1000:.1f} ms"])
                finally:
                    await bare.cleanup()
                memory.append([f"{idle / 1024:.0f} MB", f"{peak / 1024:.0f} MB", "< 150 MB idle"])
            finally:
                server.terminate()
                server.wait(timeout=20)
    return [
        Table("Slack intake: signed DM -> Bolt -> core -> sealed state -> reply, vs a bare Bolt "
              "app that only acknowledges",
              ["clients", "Candor", "bare Bolt", "ratio (≥ 0.5)", "Candor p50",
               "Candor p99 (≪ 3 s)", "bare p50", "bare p99"], rows),
        Table("Memory of `candor serve` (resident set)",
              ["idle", f"under {levels[-1]}-client load", "target"], memory),
    ]


def run(*, quick: bool) -> list[Table]:
    return asyncio.run(_measure(quick))
