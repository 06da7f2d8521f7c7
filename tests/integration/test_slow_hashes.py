"""A secret's slow hash (scrypt) runs one per core at most, holding no transaction: officers
whose events need no hash are never queued behind those that do."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.messages import Reply
from tests.support.world import World, build_world, text_of

RECEIVED = "recorded, encrypted, as case"


@pytest.fixture
def world(database, vault) -> World:
    return build_world(database, vault)


def report(world: World, who: str, *, anonymous: bool) -> list[Reply]:
    return world.submit(who, "intake", {"category": "fraud", "what": "Invoices split to stay under approval.",
                                        "anonymous": "yes" if anonymous else "no"})


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
