"""Candor's own aiohttp server, in-process on a free localhost port, for the Slack and Teams
harnesses: Candor built from the environment for one platform, a roster imported, the relay's
backoff short, the public and admin listeners up (the scheduler off: tests sweep themselves)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from adapters.bootstrap import Candor, build
from adapters.server import ADMIN_KEY, build_web
from adapters.settings import Settings
from bot.delivery.relay import RetryPolicy
from bot.roster import db_import_roster
from bot.roster_file import parse_roster
from storage.vocabulary import Platform


@dataclass
class Served:
    candor: Candor
    runner: web.AppRunner
    base: str  # http://127.0.0.1:PORT
    admin: str  # the admin listener's base URL


async def serve(platform: Platform, roster: str) -> Served:
    """Candor for `platform`, built from the environment the caller set, serving until
    `served.runner.cleanup()`."""
    candor = build(Settings(), platforms=frozenset({platform}), create_key=True, upgrade=True)
    candor.relay.policy = RetryPolicy(base_seconds=0.2, max_seconds=2.0)
    with candor.db.write() as session:
        db_import_roster(session, parse_roster(roster), prune=False, vault=candor.core.vault,
                         audit=candor.core.audit, actor="test")
    app = build_web(candor, with_scheduler=False)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Served(candor, runner, f"http://127.0.0.1:{port}", app[ADMIN_KEY].url)
