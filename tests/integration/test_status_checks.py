"""Checking a case by code and secret: guessing is limited per person and day (the limit audited,
never the secret; people who know a code cannot lock its reporter out, and no counter ties a
person to the code they tried), the slow hash runs outside the unit of work, every refusal costs the
same slow hash whether the code exists or not, and answer tokens are compared in constant time."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC

import pytest
from sqlmodel import select

from bot import followup
from storage.crypto import Vault
from storage.models import AuditEvent, GuessCount
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
    assert "Too many of your case checks" in status(world, "controller", f"{code} {secret}")
    assert "Too many of your case checks" in status(world, "controller", f"ZZZZ-ZZZZ {secret}")
    # and the pause is audited against him, dated by the day, without the code or any secret
    with world.db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "status.guesses_limited")).all()
    assert [e.actor for e in events] == [f"person:{world.people['controller'].id}"]
    assert events[0].at.replace(tzinfo=UTC) == world.core.today_start()
    everything = str([(e.record_id, e.detail) for e in events])
    assert secret not in everything and code not in everything and "WRONG" not in everything
    # Someone else still gets in, and the next day Sam does too
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")
    world.clock.advance(days=1)
    assert f"Case {code}" in status(world, "controller", f"{code} {secret}")


def test_people_who_know_a_code_cannot_lock_its_reporter_out(world):
    code, secret = anonymous_case(world)
    # Given three people who saw the code in the channel each guess until they are paused
    for guesser in ("controller", "member", "member2"):
        for n in range(followup.PERSON_GUESSES):
            assert "couldn't open that case" in status(world, guesser, f"{code} WRONG{n}")
        assert "Too many of your case checks" in status(world, guesser, f"{code} {secret}")
    # When the reporter checks the case with the right secret, Then it opens
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")
    # And no audit event names the case for the guessing
    with world.db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action.like("%guesses%"))).all()  # type: ignore[attr-defined]
    assert {e.record_kind for e in events} == {"person"}


def test_a_failed_check_writes_one_keyed_counter_with_no_code_and_no_time_finer_than_the_day(world):
    code, _secret = anonymous_case(world)
    # When Dana mistypes her secret twice, at two moments of the day
    world.clock.moment = world.clock.moment.replace(hour=10, minute=17)
    assert "couldn't open that case" in status(world, "cfo", f"{code} WRONG-ONE")
    world.clock.advance(minutes=43)
    assert "couldn't open that case" in status(world, "cfo", f"{code} WRONG-TWO")
    # Then one counter holds both: hers, keyed, for the day; nothing is counted for the code, so
    # even with the key nothing ties her to the code she tried
    with world.db.read() as session:
        counters = session.exec(select(GuessCount)).all()
    assert [(c.subject, c.slot, c.failures) for c in counters] == [
        (world.core.vault.tag("guess", "person", str(world.people["cfo"].id)),
         world.core.today().toordinal(), 2)]
    assert not [c for c in counters if c.subject == world.core.vault.tag("guess", "code", code)]


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
