"""A platform's event id (or a form's token) is handled once, even when two deliveries of it
arrive together: the second waits for the first's transaction and finds the key seen."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot import once
from bot.attestation import load_policy
from bot.core import Core
from storage.audit import AuditLog
from storage.models import InboundEvent
from storage.vocabulary import Platform


def _core(vault):
    return Core(vault=vault, audit=AuditLog(lambda: vault.keyring), policy=load_policy(),
                platforms=frozenset({Platform.SLACK}))


def test_a_key_is_new_once_and_seen_after(database, vault):
    core = _core(vault)
    with database.write() as session:
        assert once.db_first_use(session, core, "slack:Ev001")
        assert not once.db_first_use(session, core, "slack:Ev001")  # in the same transaction
    with database.write() as session:
        assert not once.db_first_use(session, core, "slack:Ev001")  # and after it committed
        assert once.db_first_use(session, core, "slack:Ev002")
    with database.read() as session:
        assert session.execute(select(func.count()).select_from(InboundEvent)).scalar_one() == 2


def test_two_deliveries_at_once_record_the_key_once(database, vault):
    # Given a first delivery that has recorded the key and not committed yet
    core = _core(vault)
    recorded, release = threading.Event(), threading.Event()
    verdicts: dict[str, bool] = {}

    def first() -> None:
        with database.write() as session:
            verdicts["first"] = once.db_first_use(session, core, "form:tok-1")
            recorded.set()
            release.wait(timeout=30)

    def second() -> None:
        with database.write() as session:
            verdicts["second"] = once.db_first_use(session, core, "form:tok-1")

    one = threading.Thread(target=first)
    one.start()
    assert recorded.wait(timeout=30)
    # When a second delivery of it arrives meanwhile (it waits: SQLite's writer, PostgreSQL's
    # row), and the first commits
    two = threading.Thread(target=second)
    two.start()
    release.set()
    one.join(timeout=30)
    two.join(timeout=30)

    # Then the first is the one that handles it; the second finds it seen
    assert verdicts == {"first": True, "second": False}
    with database.read() as session:
        assert session.execute(select(func.count()).select_from(InboundEvent)).scalar_one() == 1
