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
from bot import fresh_secret
from bot.messages import FormSubmitted, Reply
from bot.service import MOST_TRIES, SlowHash, Turn
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
                assert time.monotonic() < deadline, (
                    f"{len(asked)} of {len(anonymous)} anonymous reports reached their hash: the "
                    "others wait for a core thread, which those waiting for a hash hold")
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

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-core") as core, \
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-hash") as hashes:
        monkeypatch.setattr(bridges, "_pool", core)
        monkeypatch.setattr(bridges, "_hash_pool", hashes)
        named, anonymous = asyncio.run(scenario())
    assert RECEIVED in text_of(named)
    assert all(RECEIVED in text_of(replies) for replies in anonymous)


def test_an_event_that_keeps_asking_for_hashes_is_refused_after_its_last_try(world, monkeypatch):
    # Given an event whose every try asks for one more new secret
    tries: list[Turn] = []

    def needs_another(event, verdicts, made):
        tries.append(event)
        raise fresh_secret.SecretNeeded

    monkeypatch.setattr(world.service, "_handle", needs_another)
    turn = Turn(form(world, "controller", anonymous=True))
    # When it is handled
    answers = []
    while isinstance(answer := world.service.attempt(turn), SlowHash):
        answers.append(answer)
        answer.run()
    # Then it is tried four times, with a hash before each try after the first and none wasted
    # after the last, and the officer is told it did not work
    assert len(tries) == MOST_TRIES
    assert len(turn.made) == len(answers) == MOST_TRIES - 1
    assert "went wrong" in text_of(answer)
    # And the secrets it made appear in no repr
    assert all(secret not in repr(turn) and secret not in repr(slow)
               for secret, _hash in turn.made for slow in answers)
