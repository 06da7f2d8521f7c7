"""A secret's slow hash (scrypt) runs one per core at most, holding no transaction: officers
whose events need no hash are never queued behind those that do, in the core or in a server's
threads."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters import bridge as bridges
from adapters.bridge import Bridge
from bot.messages import FormSubmitted, Reply
from bot.service import SlowHash, Turn
from storage.vocabulary import Platform
from tests.support.world import SURFACES, World, build_world, text_of

RECEIVED = "recorded, encrypted, as case"


@pytest.fixture
def world(database, vault) -> World:
    return build_world(database, vault)


def form(world: World, who: str, *, anonymous: bool) -> FormSubmitted:
    return FormSubmitted(world.actor(who), "intake", {
        "category": "fraud", "what": "Invoices split to stay under approval.",
        "anonymous": "yes" if anonymous else "no"})


def report(world: World, who: str, *, anonymous: bool) -> list[Reply]:
    return world.service.handle(form(world, who, anonymous=anonymous))


def take_every_slot(world: World) -> int:
    taken = 0
    while world.service.hashing.acquire(blocking=False):
        taken += 1
    return taken


def test_a_named_report_is_filed_while_every_hashing_slot_is_taken(world):
    # Given every slot for a slow hash is taken, and an anonymous report waiting for one
    slots = take_every_slot(world)
    assert slots >= 1
    with ThreadPoolExecutor(max_workers=1) as pool:
        anonymous = pool.submit(report, world, "controller", anonymous=True)
        try:
            # When an officer files a named report meanwhile
            named = report(world, "cfo", anonymous=False)
            # Then it is recorded at once (the waiting hash holds no transaction, no write lock),
            # while the anonymous report still waits for its hash
            assert RECEIVED in text_of(named)
            assert not anonymous.done()
        finally:
            for _ in range(slots):
                world.service.hashing.release()
        # And once a slot is free the anonymous report is recorded too
        assert RECEIVED in text_of(anonymous.result(timeout=60))


def test_through_a_server_bridge_a_named_report_needs_no_core_thread_an_anonymous_one_holds(
        world, monkeypatch):
    # Given a server whose core has two threads, every slot for a slow hash taken, and four
    # anonymous reports (more than the core's threads) waiting for their secrets' hashes
    asked: list[Turn] = []
    attempt = world.service.attempt

    def counted(turn: Turn) -> list[Reply] | SlowHash:
        answer = attempt(turn)
        if isinstance(answer, SlowHash):
            asked.append(turn)
        return answer

    monkeypatch.setattr(world.service, "attempt", counted)
    bridge = Bridge(world.service, lambda: None, platform=Platform.CONSOLE,
                    surface=SURFACES[Platform.CONSOLE])
    slots = take_every_slot(world)

    async def scenario() -> tuple[list[Reply], list[list[Reply]]]:
        anonymous = [asyncio.create_task(bridge.handle(form(world, who, anonymous=True)))
                     for who in ("controller", "cfo", "controller", "cfo")]
        try:
            deadline = time.monotonic() + 30
            while len(asked) < len(anonymous):
                assert time.monotonic() < deadline, "the anonymous reports never asked for a hash"
                await asyncio.sleep(0.01)
            # When an officer files a named report meanwhile
            named = await asyncio.wait_for(bridge.handle(form(world, "cfo", anonymous=False)),
                                           timeout=30)
            # Then it is answered while every anonymous report still waits for its hash
            waiting = not any(task.done() for task in anonymous)
        finally:
            for _ in range(slots):
                world.service.hashing.release()
        assert waiting
        # And once the slots are free, each anonymous report is recorded too
        return named, await asyncio.wait_for(asyncio.gather(*anonymous), timeout=120)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-core") as core:
        monkeypatch.setattr(bridges, "_pool", core)
        named, anonymous = asyncio.run(scenario())
    assert RECEIVED in text_of(named)
    assert all(RECEIVED in text_of(replies) for replies in anonymous)
