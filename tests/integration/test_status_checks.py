"""Checking a case by code and secret: guessing is limited per person and per code (and the limit
audited, never the secret), the slow hash runs outside the unit of work, every refusal costs the
same slow hash whether the code exists or not, and answer tokens are compared in constant time."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlmodel import select

from bot import followup
from storage.crypto import Vault
from storage.models import AuditEvent
from tests.support.world import World, build_world, text_of

CANARY = "CANARY-guess"


def anonymous_case(world: World) -> tuple[str, str]:
    form = world.command("cfo", "ethics", "report")[0]
    receipt = text_of(world.submit("cfo", form.form_id, {  # type: ignore[attr-defined]
        "category": "fraud", "what": f"Kickbacks {CANARY}", "anonymous": "yes"}))
    code = re.search(r"case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", receipt)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt)
    assert code and secret, receipt
    return code.group(1), secret.group(1)


def status(world: World, who: str, args: str) -> str:
    return text_of(world.command(who, "ethics", f"status {args}"))


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every stored hash scrypt is run against, in order."""
    seen: list[str] = []
    real = Vault.verify_secret

    def spy(secret: str, stored: str) -> bool:
        seen.append(stored)
        return real(secret, stored)

    monkeypatch.setattr(Vault, "verify_secret", staticmethod(spy))
    return seen


def test_a_person_is_paused_after_ten_wrong_secrets_and_the_pause_is_audited_without_the_secret(world):
    code, secret = anonymous_case(world)
    # Given Sam guesses ten wrong secrets
    for n in range(followup.PERSON_GUESSES):
        assert "couldn't open that case" in status(world, "controller", f"{code} WRONG{n}SECRET")
    # When he then tries the right one, Then he is paused, as he would be on any code
    assert "Too many case checks" in status(world, "controller", f"{code} {secret}")
    assert "Too many case checks" in status(world, "controller", f"ZZZZ-ZZZZ {secret}")
    # and the pause is audited against him, without the code or any secret
    with world.db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "status.guesses_limited")).all()
    assert [e.actor for e in events] == [f"person:{world.people['controller'].id}"]
    everything = str([(e.record_id, e.detail) for e in events])
    assert secret not in everything and code not in everything and "WRONG" not in everything
    # Someone else still gets in, and after the window Sam does too
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")
    world.clock.advance(seconds=2 * followup.GUESS_WINDOW_SECONDS)
    assert f"Case {code}" in status(world, "controller", f"{code} {secret}")


def test_a_code_is_paused_after_guesses_from_several_people_whether_or_not_it_exists(world, monkeypatch):
    monkeypatch.setattr(followup, "PERSON_GUESSES", 4)
    monkeypatch.setattr(followup, "CODE_GUESSES", 5)
    code, secret = anonymous_case(world)
    guessers = ["controller", "member", "member2"]
    for n in range(5):  # no one of them reaches their own limit (4 each at most)
        assert "couldn't open that case" in status(world, guessers[n % 3], f"{code} WRONG{n}")
        assert "couldn't open that case" in status(world, guessers[n % 3], f"AAAA-AAAA WRONG{n}")
    # The right secret no longer opens the case for a while, and an unknown code answers the same
    assert "Too many case checks" in status(world, "cfo", f"{code} {secret}")
    assert "Too many case checks" in status(world, "cfo", f"AAAA-AAAA {secret}")
    with world.db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "case.status_guesses_limited")).all()
    # Audited for the real case only, by the system: never who guessed
    assert [(e.actor, e.record_kind) for e in events] == [("system", "report")]
    world.clock.advance(seconds=2 * followup.GUESS_WINDOW_SECONDS)
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")


def test_every_refusal_costs_one_slow_hash_whether_the_code_exists_or_not(world, hashes):
    code, secret = anonymous_case(world)
    named = world.command("controller", "ethics", "report")[0]
    receipt = text_of(world.submit("controller", named.form_id, {  # type: ignore[attr-defined]
        "category": "fraud", "what": "Named concern", "anonymous": "no"}))
    named_code = re.search(r"case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", receipt).group(1)  # type: ignore[union-attr]
    real = hashes[:]
    hashes.clear()
    # When Dana tries an unknown code, a wrong secret, no secret, and someone else's named case
    for args in ("ZZZZ-ZZZZ SOME-SECRET", f"{code} WRONG-SECRET", code, f"{named_code} ANY"):
        assert "couldn't open that case" in status(world, "cfo", args)
    # Then each ran scrypt exactly once, at the cost a real secret's hash has
    assert len(hashes) == 4
    costs = {h.split("$")[1] for h in hashes}
    assert costs == {str(world.core.vault.scrypt_log2_n)}
    assert real == []  # (filing does not check a secret)
    # And the right secret opens the case with one check too; the named reporter needs none
    hashes.clear()
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")
    assert f"Case {named_code}" in status(world, "controller", named_code)
    assert len(hashes) == 1


def test_the_slow_hash_runs_outside_the_write_lock(tmp_path, vault, monkeypatch, sqlite_database):
    world = build_world(sqlite_database, vault)
    code, secret = anonymous_case(world)
    path = str(sqlite_database.engine.url.database)
    writes: list[bool] = []
    real = Vault.verify_secret

    def verify_while_someone_writes(secret_typed: str, stored: str) -> bool:
        # While scrypt runs, another connection tries to write at once (no waiting for a lock)
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writes.append(True)
        except sqlite3.OperationalError:
            writes.append(False)
        finally:
            other.close()
        return real(secret_typed, stored)

    monkeypatch.setattr(Vault, "verify_secret", staticmethod(verify_while_someone_writes))
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")
    assert "couldn't open that case" in status(world, "cfo", "ZZZZ-ZZZZ NOPE")
    assert writes == [True, True]


def test_answer_tokens_are_compared_in_constant_time(world, monkeypatch):
    code, secret = anonymous_case(world)
    document = world.command("cfo", "ethics", f"status {code} {secret}")
    token = next(c.value for c in document[0].choices if c.value.startswith("answer:"))  # type: ignore[attr-defined]
    compared: list[tuple[str, str]] = []
    real = followup.hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(followup.hmac, "compare_digest", spy)
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    assert "couldn't open that case" in text_of(world.click("cfo", forged))
    assert compared and all(len(a) == len(b) for a, b in compared)
