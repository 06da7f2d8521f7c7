"""What recording a report writes: exactly its rows, sealed, on the audit chain.

A submission writes its rows with Core statements (bot.reports, bot.delivery.outbox,
storage.crypto, storage.audit), not ORM objects: these tests pin what it writes, on SQLite and on
PostgreSQL, so that a faster write path cannot write less (or more) than the report needs. A
canary string goes into every field a reporter types; no column of any table holds it in plain,
and the report opens back to it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import MetaData, func, select, text

from bot import codes, fresh_secret
from bot.attestation import load_policy
from bot.core import Core
from bot.delivery.outbox import KIND as OUTBOX_KIND
from bot.intake import Draft, Step
from bot.reports import (
    Receipt,
    code_tag,
    code_tags,
    db_content,
    db_submit,
    db_unused_code,
    reporter_tag,
)
from storage.audit import AuditLog
from storage.crypto import Vault
from storage.db import Database
from storage.models import (
    AuditEvent,
    DataKey,
    Exclusion,
    OutboxMessage,
    PendingReport,
    Person,
    Report,
    new_id,
)
from storage.vocabulary import (
    AuditAction,
    CaseStatus,
    Category,
    OutboxKind,
    OutboxState,
    PersonKind,
    Platform,
    RecordKind,
    Role,
)

CANARY = "CANARY-7f3a9c-quarter-end"


def _core(vault: Vault) -> Core:
    return Core(vault=vault, audit=AuditLog(lambda: vault.keyring), policy=load_policy(),
                platforms=frozenset({Platform.SLACK}))


def _people(db: Database) -> tuple[Person, Person]:
    with db.write() as session:
        officer = Person(name="Dana Reyes", email="dana@example.com", kind=PersonKind.OFFICER,
                         role=Role.CFO)
        member = Person(name="Alex Kim", email="alex@example.com", kind=PersonKind.COMMITTEE)
        session.add_all([officer, member])
    return officer, member


def _draft(*, anonymous: bool = False, exclude: tuple[int, ...] = ()) -> Draft:
    return Draft(step=Step.REVIEW, category=Category.FRAUD, texts={
        "what": f"Revenue booked before delivery {CANARY}", "who": f"The controller {CANARY}",
        "when": f"Since Q3 {CANARY}", "evidence": f"Ledger entries {CANARY}",
        "known": None}, anonymous=anonymous, exclude=list(exclude))


def _counts(db: Database) -> dict[str, int]:
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in tables.tables.items()}


def _written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before.get(name, 0) for name in after
            if after[name] != before.get(name, 0)}


def _plain_values(db: Database) -> list[tuple[str, str, Any]]:
    """Every value of every column of every table, as an adversary reading the store sees it."""
    tables = MetaData()
    tables.reflect(db.engine)
    found = []
    with db.engine.connect() as connection:
        for name, table in tables.tables.items():
            for row in connection.execute(select(table)).mappings():
                found += [(name, column, value) for column, value in row.items()]
    return found


def _holds(value: Any, needle: str) -> bool:
    if isinstance(value, bytes | bytearray | memoryview):
        return needle.encode() in bytes(value)
    return value is not None and needle in str(value)


def _submit(db: Database, core: Core, person: Person, draft: Draft) -> Receipt:
    with db.write() as session:
        if draft.anonymous:  # made outside the transaction, as the service does (fresh_secret)
            session.info[fresh_secret.FRESH] = [fresh_secret.make(core.vault)]
        return db_submit(session, core, draft=draft, person=person, platform=Platform.SLACK)


def test_a_named_report_writes_the_report_its_keys_its_alert_and_one_audit_link(database, vault):
    # Given an officer, and a database with nothing recorded yet
    core = _core(vault)
    officer, _member = _people(database)
    before = _counts(database)

    # When they report
    receipt = _submit(database, core, officer, _draft())

    # Then exactly these rows were written: the report, its alert, a data key for each, one link
    assert _written(before, _counts(database)) == {
        "report": 1, "datakey": 2, "outboxmessage": 1, "auditevent": 1}
    with database.read() as session:
        report = session.get(Report, receipt.report_id)
        assert report is not None and report.code == receipt.code
        assert (report.category, report.status, report.anonymous, report.confidential) == (
            Category.FRAUD, CaseStatus.RECEIVED, False, False)
        assert report.reporter_tag == reporter_tag(core, officer.id)
        assert report.secret_hash is None and report.acknowledged_at is None
        content = db_content(session, core, report)
        assert CANARY in content.texts["what"] and content.reporter is not None
        assert content.reporter.name == "Dana Reyes"
        keys = {(k.record_kind, k.record_id) for k in session.exec(select(DataKey)).scalars()}
        alert = session.exec(select(OutboxMessage)).scalars().one()
        assert keys == {(RecordKind.REPORT.value, report.id), (OUTBOX_KIND.value, alert.id)}
        assert (alert.key, alert.platform, alert.kind, alert.state, alert.attempts) == (
            f"alert:{report.id}@slack", Platform.SLACK, OutboxKind.CHANNEL, OutboxState.PENDING,
            0)
        assert alert.due_at == alert.next_attempt_at and alert.in_doubt is False
        link = session.exec(select(AuditEvent)).scalars().one()
        assert (link.seq, link.actor, link.action, link.record_id) == (
            1, "reporter", AuditAction.REPORT_SUBMITTED.value, report.id)
        assert core.audit.verify(session).ok


def test_a_member_kept_away_adds_the_sealed_exclusion_its_key_and_its_audit_link(database, vault):
    core = _core(vault)
    officer, member = _people(database)
    before = _counts(database)

    receipt = _submit(database, core, officer, _draft(exclude=(member.id,)))

    assert _written(before, _counts(database)) == {
        "report": 1, "exclusion": 1, "datakey": 3, "outboxmessage": 1, "auditevent": 2}
    with database.read() as session:
        exclusion = session.exec(select(Exclusion)).scalars().one()
        assert exclusion.report_id == receipt.report_id
        members = core.vault.unseal(session, kind=RecordKind.EXCLUSION, record_id=exclusion.id,
                                    blob=exclusion.body)["members"]
        assert members == [member.id]
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))
                   .scalars()]
        assert actions == [AuditAction.REPORT_SUBMITTED.value,
                           AuditAction.CASE_EXCLUSION_ADDED.value]
        assert core.audit.verify(session).ok


def test_no_column_of_any_table_holds_what_a_reporter_typed(database, vault):
    # Given a named report and an anonymous one (recorded at once: no delay here), each with the
    # canary in every field
    core = _core(vault)
    officer, member = _people(database)
    named = _submit(database, core, officer, _draft(exclude=(member.id,)))
    anonymous = _submit(database, core, officer, _draft(anonymous=True))

    # Then no plain value anywhere holds the canary, the reporter's name or e-mail beside a report
    plain = _plain_values(database)
    assert not [(t, c) for t, c, v in plain if _holds(v, CANARY)]
    assert not [(t, c) for t, c, v in plain if t != "person" and _holds(v, "dana@example.com")]
    # (the positive control: the search finds what is plain, and the reports open to the canary)
    assert [c for t, c, v in plain if t == "report" and _holds(v, named.code)] == ["code"]
    with database.read() as session:
        for receipt in (named, anonymous):
            report = session.get(Report, receipt.report_id)
            assert report is not None
            assert CANARY in db_content(session, core, report).texts["who"]
        secret_report = session.get(Report, anonymous.report_id)
        assert secret_report is not None and secret_report.reporter_tag is None
        assert secret_report.secret_hash and anonymous.secret not in secret_report.secret_hash


def test_reports_one_after_another_extend_one_chain_that_verifies(database, vault):
    core = _core(vault)
    officer, member = _people(database)
    for exclude in ((), (member.id,), ()):
        _submit(database, core, officer, _draft(exclude=exclude))

    with database.read() as session:
        links = list(session.exec(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
        assert [link.seq for link in links] == [1, 2, 3, 4]
        assert all(b.prev_hash == a.hash for a, b in zip(links, links[1:], strict=False))
        assert core.audit.verify(session).ok


@pytest.mark.parametrize("rotating", [False, True], ids=["one index key", "index key rotating"])
def test_a_new_code_is_neither_a_reports_nor_one_a_held_report_reserves(database, vault,
                                                                         monkeypatch, rotating):
    # Given a recorded report and a held anonymous one, each with its code
    core = _core(vault)
    officer, _member = _people(database)
    recorded = _submit(database, core, officer, _draft())
    held_code = "HELD-0001"
    with database.write() as session:
        pending_id = new_id()
        session.add(PendingReport(id=pending_id, code_tag=code_tag(core, held_code),
                                  received_at=core.today_start(),
                                  body=core.vault.seal(session, kind=RecordKind.PENDING_REPORT,
                                                       record_id=pending_id, data={}, new=True)))
    if rotating:
        # (and an index-key rotation under way: new tags under the new key, the held report's
        # reservation still under the old one, which lookups try second)
        reserved = code_tag(core, held_code)
        vault.keyring = vault.keyring.index_staged().index_promoted(b"\x01" * 32)
        assert code_tags(core, held_code)[1] == reserved != code_tags(core, held_code)[0]
    # When the code drawn next is the recorded report's, then the held one's, then a new one
    drawn = iter([recorded.code, held_code, "FREE-0002"])
    monkeypatch.setattr(codes, "new_case_code", lambda: next(drawn))

    with database.write() as session:
        code = db_unused_code(session, core)

    # Then the new one is taken
    assert code == "FREE-0002"

    # And a report submitted while the codes drawn are taken the same way is recorded under
    # the free one, the report holding the taken code left as it was
    drawn = iter([recorded.code, held_code, "FREE-0003"])
    receipt = _submit(database, core, officer, _draft())
    assert receipt.code == "FREE-0003"
    with database.read() as session:
        codes_kept = sorted(session.exec(select(Report.code)).scalars())
        assert codes_kept == sorted([recorded.code, "FREE-0003"])
        assert session.get(Report, recorded.report_id).code == recorded.code
        assert db_content(session, core, session.get(Report, receipt.report_id)).texts[
            "what"].endswith(CANARY)


@pytest.mark.parametrize("count", [3])
def test_a_rolled_back_submission_leaves_no_row(database, vault, count):
    # Given an officer whose unit of work fails after recording (a later step refused)
    core = _core(vault)
    officer, _member = _people(database)
    before = _counts(database)

    class Refused(Exception):
        pass

    for _ in range(count):
        with pytest.raises(Refused), database.write() as session:
            db_submit(session, core, draft=_draft(), person=officer, platform=Platform.SLACK)
            raise Refused

    # Then nothing of it stays: no report, no key, no alert, no audit link
    assert _written(before, _counts(database)) == {}
    with database.read() as session:
        assert session.execute(text("SELECT count(*) FROM report")).scalar_one() == 0


def test_records_sealed_together_open_once_their_keys_are_written_at_the_blocks_end(
        database, vault):
    # Given records sealed new inside a block that writes their keys together, one of them in
    # a block inside it
    ids = [new_id() for _ in range(3)]
    sealed: dict[str, bytes] = {}
    with database.write() as session:
        with vault.keys_together(session):
            sealed[ids[0]] = vault.seal(session, kind=RecordKind.REPORT, record_id=ids[0],
                                        data={"what": CANARY}, new=True)
            with vault.keys_together(session):
                sealed[ids[1]] = vault.seal(session, kind=RecordKind.REPORT, record_id=ids[1],
                                            data={"what": CANARY}, new=True)
            sealed[ids[2]] = vault.seal(session, kind=RecordKind.REPORT, record_id=ids[2],
                                        data={"what": CANARY}, new=True)
    # Then each has its own key, and each opens
    with database.read() as session:
        assert sorted(session.exec(select(DataKey.record_id)).scalars()) == sorted(ids)
        for record_id, blob in sealed.items():
            assert vault.unseal(session, kind=RecordKind.REPORT, record_id=record_id,
                                blob=blob) == {"what": CANARY}
    # And a block that fails writes no key (its unit of work is rolled back)
    with pytest.raises(ValueError), database.write() as session, \
            vault.keys_together(session):
        vault.seal(session, kind=RecordKind.REPORT, record_id=new_id(), data={}, new=True)
        raise ValueError("refused")
    with database.read() as session:
        assert len(session.exec(select(DataKey.id)).all()) == 3


def test_keys_sealed_together_stay_with_their_records_through_savepoints_and_caught_errors(
        database, vault):
    # Given a block that seals a record inside a SAVEPOINT that is rolled back, and one that
    # seals a record kept, then fails, its error caught and its unit of work committed
    kept, undone, caught = new_id(), new_id(), new_id()
    with database.write() as session:
        with vault.keys_together(session):
            vault.seal(session, kind=RecordKind.REPORT, record_id=kept, data={}, new=True)
            nested = session.begin_nested()
            vault.seal(session, kind=RecordKind.REPORT, record_id=undone, data={}, new=True)
            nested.rollback()
        blob = b""
        try:
            with vault.keys_together(session):
                blob = vault.seal(session, kind=RecordKind.REPORT, record_id=caught,
                                  data={"what": CANARY}, new=True)
                raise ValueError("a later step refused")
        except ValueError:
            pass
    # Then the record rolled back left no key, and the others each have theirs: the one kept
    # despite the error opens
    with database.read() as session:
        assert sorted(session.exec(select(DataKey.record_id)).scalars()) == sorted([kept, caught])
        assert vault.unseal(session, kind=RecordKind.REPORT, record_id=caught,
                            blob=blob) == {"what": CANARY}
