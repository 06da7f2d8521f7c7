"""A report's confidential fields, written through storage, leave no readable trace.

A canary string goes into every confidential field of a report, of a follow-up message, of a
determination of written notice and its delivery (issue 22), and of an
anonymous report held for its delay, into the reporter's Slack and Teams ids and their 1:1 chat's
reference (and the keyring, the recovery key and its shares are the canaries of the escrow); then
the bytes at rest (the SQLite file and its WAL, before and after a checkpoint; a dump of the
PostgreSQL schema) and the logs at DEBUG, SQLAlchemy's statement and parameter logging included,
are searched for it. Positive controls show each search does find what is stored in plain, and
the canary is opened back, so the test cannot pass by writing nothing. A kept view (a receipt
waiting for its Teams dialog) is searched the same way for its code, secret and person.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text
from sqlmodel import select

from adapters.notify import Notifier
from adapters.senders import Posted, Ref
from bot.delivery.outbox import key_ids
from bot.evidence.store import CHUNK
from bot.messages import Actor, Document, Notice
from bot.sweep import Sweeper
from bot.wording import notices
from storage import identities, references
from storage.audit import AuditLog
from storage.clock import utcnow
from storage.crypto import Vault, open_bytes, seal_bytes, seal_record
from storage.db import Database
from storage.escrow import RecoveryPair, db_install, db_reseal, open_keyring
from storage.identities import PlatformAccount
from storage.keyring import Keyring
from storage.models import (
    AuditEvent,
    CaseMessage,
    CaseNote,
    ConversationRef,
    DataKey,
    Designation,
    Determination,
    EvidenceChunk,
    EvidenceFile,
    FileLink,
    FormReceipt,
    Identity,
    NoticeDelivery,
    OutboxMessage,
    PendingReport,
    Person,
    RecoveryKey,
    Report,
    ReporterIdentity,
    new_id,
)
from storage.shares import GivenShare, combine, split
from storage.vocabulary import (
    BoardAction,
    Category,
    DesignationScope,
    MessageDirection,
    OutboxState,
    PersonKind,
    Platform,
    RecordKind,
    Role,
)
from tests.support.world import PEOPLE as WORLD_PEOPLE
from tests.support.world import build_world

# --- where to look ----------------------------------------------------------------------------


def sqlite_files(database: Database) -> dict[str, bytes]:
    """The database file and its companions (-wal, -shm, -journal), by name."""
    path = Path(str(database.engine.url.database))
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def sqlite_checkpoint(database: Database) -> None:
    """Move the WAL into the main file (outside a transaction, which the engine always opens)."""
    connection = sqlite3.connect(str(database.engine.url.database), isolation_level=None)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        connection.close()


def postgres_schema(database: Database) -> str:
    with database.read() as session:
        schema = session.execute(text("SELECT current_schema()")).scalar_one()
    assert schema.startswith("t_"), "the test must run in its own schema"
    return str(schema)


def postgres_dump(database: Database) -> str:
    """`pg_dump` of the test's schema (data and all); the rows cast to text if it is missing."""
    url = database.engine.url
    schema = postgres_schema(database)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is not None:
        result = subprocess.run(
            [pg_dump, "--no-password", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
             "-U", url.username or "postgres", "-n", schema, url.database or "postgres"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if result.returncode == 0:
            return result.stdout
    return postgres_rows(database)


def postgres_rows(database: Database) -> str:
    """Every row of every table in the test's schema, each cast to text."""
    schema = postgres_schema(database)
    lines = []
    with database.read() as session:
        tables = session.execute(
            text("SELECT table_name FROM information_schema.tables "
                 "WHERE table_schema = :schema AND table_type = 'BASE TABLE'"),
            {"schema": schema},
        ).scalars().all()
        assert "report" in tables
        for table in tables:
            rows = session.execute(text(f'SELECT t::text FROM "{schema}"."{table}" AS t')).scalars()
            lines.extend(f"{table}: {row}" for row in rows)
    return "\n".join(lines)


def table_texts(database: Database) -> dict[str, str]:
    """Every table the database holds (reflected: a table no model names is read too), its rows as
    JSON text, each value as `str` gives it: what a reader without the key sees of each table."""
    meta = MetaData()
    meta.reflect(database.engine)
    with database.engine.connect() as connection:
        return {table.name: json.dumps([list(map(str, row))
                                        for row in connection.execute(table.select())])
                for table in meta.sorted_tables}


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return caplog.text + "\n".join(record.getMessage() for record in caplog.records)


@pytest.fixture
def logs_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything at DEBUG, SQLAlchemy's statements, parameters and result rows included."""
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


# --- what is written ------------------------------------------------------------------------


def write_report(database: Database, vault: Vault, audit: AuditLog, canary: str) -> tuple[str, str]:
    """A named report and a reporter's answer, with the canary in every confidential field."""
    report_id, message_id = new_id(), new_id()
    with database.write() as session:
        officer = Person(email="dana@example.com", name="Dana Reyes", kind=PersonKind.OFFICER,
                         role=Role.CFO)
        session.add(officer)
        session.flush()
        session.add(Report(
            id=report_id, code="K7-4Q2M", category=Category.FRAUD, anonymous=False,
            reporter_tag=vault.tag("reporter", f"{canary}-reporter"),
            secret_hash=vault.hash_secret(f"{canary}-secret"),
            body=vault.seal(session, kind="report", record_id=report_id, data={
                "what": f"{canary}-what: revenue booked early",
                "who": f"{canary}-who", "when": f"{canary}-when", "evidence": f"{canary}-evidence",
                "known": f"{canary}-known",
                "reporter": {"person_id": officer.id, "name": f"{canary}-name", "email": f"{canary}@x"},
            }),
        ))
        session.flush()
        session.add(CaseMessage(
            id=message_id, report_id=report_id, direction=MessageDirection.ANSWER,
            body=vault.seal(session, kind="case_message", record_id=message_id,
                            data={"text": f"{canary}-answer"}),
        ))
        # A person the committee designated on the case, and why (issue 22): sealed
        adviser = Person(email="robin@counsel.example", name="Robin Vale",
                         kind=PersonKind.DESIGNEE, affiliation="outside counsel")
        session.add(adviser)
        session.flush()
        assert adviser.id is not None
        designation_id = new_id()
        session.add(Designation(
            id=designation_id, report_id=report_id, person_id=adviser.id,
            scope=DesignationScope.INVESTIGATE, until=date(2027, 1, 31),
            live=f"{report_id}:{adviser.id}",
            body=vault.seal(session, kind="designation", record_id=designation_id,
                            data={"why": f"{canary}-why", "renewals": []}),
        ))
        audit.db_append(session, actor="reporter", action="report.submitted", record_kind="report",
                        record_id=report_id, detail={"category": "fraud", "message": message_id})
        # The written notice (issue 22): a determination of written notice and its delivery
        determination_id, delivery_id = new_id(), new_id()
        session.add(Determination(
            id=determination_id, report_id=report_id, violation=True,
            action=BoardAction.WRITTEN_NOTICE, decided_on=date(2026, 11, 2),
            body=vault.seal(session, kind="determination", record_id=determination_id, data={
                "subject_id": officer.id, "nature": f"{canary}-finding",
                "reasoning": f"{canary}-reasoning"}),
        ))
        session.flush()
        session.add(NoticeDelivery(
            id=delivery_id, report_id=report_id, determination_id=determination_id,
            delivered_on=date(2026, 11, 3),
            body=vault.seal(session, kind="notice_delivery", record_id=delivery_id,
                            data={"how": f"{canary}-how"}),
        ))
        # A note on the case (issue 22): its text and whether it recommends, sealed
        note_id = new_id()
        session.add(CaseNote(id=note_id, report_id=report_id, author_id=officer.id,
                             body=vault.seal(session, kind="case_note", record_id=note_id,
                                             data={"text": f"{canary}-note", "recommendation": True})))
        # An anonymous report held for its delay (bot.pending): all of it sealed
        pending_id = new_id()
        session.add(PendingReport(
            id=pending_id, code_tag=vault.tag("pending-code", f"{canary}-code"), received_at=utcnow(),
            body=vault.seal(session, kind="pending_report", record_id=pending_id, data={
                "code": f"{canary}-code", "secret_hash": vault.hash_secret(f"{canary}-secret"),
                "content": {"what": f"{canary}-held", "reporter": None}, "due": f"{canary}-due"}),
        ))
        # A confidential reporter, sealed in a record of its own (issue 24), with a reveal's reason
        session.add(ReporterIdentity(
            report_id=report_id,
            body=vault.seal(session, kind="reporter_identity", record_id=report_id, new=True, data={
                "reporter": {"person_id": officer.id, "name": f"{canary}-sealed-name",
                             "email": f"{canary}-sealed@x", "platform": "slack"},
                "reveals": [{"how": "quorum", "reason": f"{canary}-reveal-reason", "by": "person:1",
                             "shown_to": "committee", "at": "2026-11-02T10:00:00+00:00"}]}),
        ))
    # An evidence file of the report (its name, and its content in two pieces) and a link to it
    with database.write() as session:
        file_id = new_id()
        key = vault.piece_key(session, kind=RecordKind.EVIDENCE_FILE, record_id=file_id, new=True)
        content = f"{canary}-file-content ".encode() * 20_000  # more than one piece
        for seq, start in enumerate(range(0, len(content), CHUNK)):
            session.add(EvidenceChunk(file_id=file_id, seq=seq, body=seal_bytes(
                key, content[start:start + CHUNK], kind="evidence_chunk",
                record_id=f"{file_id}:{seq}:{int(start + CHUNK >= len(content))}")))
        session.add(EvidenceFile(id=file_id, owner=report_id, added_at=utcnow(), body=seal_record(
            key, {"name": f"{canary}-file-name.docx", "sha256": "0" * 64}, kind="evidence_file",
            record_id=file_id)))
        link = vault.tag("file-link", f"{canary}-link-secret")
        session.add(FileLink(id=link, created_at=utcnow(), body=vault.seal(
            session, kind=RecordKind.FILE_LINK, record_id=link, new=True,
            data={"report_id": report_id, "name": f"{canary}-link-for"})))
    # And who the reporter is on each platform, and their Teams 1:1 chat's reference
    with database.write() as session:
        assert officer.id is not None
        identities.db_add(session, vault, PlatformAccount(officer.id, Platform.SLACK, f"U{canary}-slack-id"))
        identities.db_add(session, vault, PlatformAccount(officer.id, Platform.TEAMS, f"{canary}-aad-id"))
        references.db_save(session, vault, name=f"teams:user:{canary}-aad-id", kind="teams:user",
                           reference={"conversation": {"id": f"a:{canary}-chat"},
                                      "user": {"aadObjectId": f"{canary}-aad-id"}},
                           day=datetime(2026, 11, 30, tzinfo=UTC))
    return report_id, message_id


def open_back(database: Database, vault: Vault, report_id: str, message_id: str) -> str:
    with database.read() as session:
        report = session.exec(select(Report).where(Report.id == report_id)).one()
        message = session.exec(select(CaseMessage).where(CaseMessage.id == message_id)).one()
        content = vault.unseal(session, kind="report", record_id=report_id, blob=report.body)
        answer = vault.unseal(session, kind="case_message", record_id=message_id, blob=message.body)
        notes = [vault.unseal(session, kind="case_note", record_id=row.id, blob=row.body)
                 for row in session.exec(select(CaseNote)).all()]
        held = [vault.unseal(session, kind="pending_report", record_id=row.id, blob=row.body)
                for row in session.exec(select(PendingReport)).all()]
        held += [vault.unseal(session, kind="designation", record_id=row.id, blob=row.body)
                 for row in session.exec(select(Designation)).all()]
        evidence = [
            open_bytes(vault.piece_key(session, kind=RecordKind.EVIDENCE_FILE, record_id=c.file_id),
                       c.body, kind="evidence_chunk", record_id=f"{c.file_id}:{c.seq}:{int(last)}")
            for chunks in [session.exec(select(EvidenceChunk).order_by(EvidenceChunk.seq)).all()]
            for c, last in zip(chunks, [False] * (len(chunks) - 1) + [True], strict=True)]
        names = [vault.unseal(session, kind=RecordKind.EVIDENCE_FILE, record_id=f.id, blob=f.body)
                 for f in session.exec(select(EvidenceFile)).all()]
        links = [vault.unseal(session, kind=RecordKind.FILE_LINK, record_id=f.id, blob=f.body)
                 for f in session.exec(select(FileLink)).all()]
        sealed = session.exec(select(ReporterIdentity)).one()
        reporter = vault.unseal(session, kind="reporter_identity", record_id=sealed.report_id,
                                blob=sealed.body)
        ids = identities.db_all(session, vault)
        notice = [vault.unseal(session, kind=kind, record_id=row.id, blob=row.body)
                  for kind, model in (("determination", Determination),
                                      ("notice_delivery", NoticeDelivery))
                  for row in session.exec(select(model)).all()]
        (chat,) = [references.db_load(session, vault, f"teams:user:{a.platform_user_id}")
                   for a in ids if a.platform is Platform.TEAMS]
    return (str(content) + str(answer) + str(notes) + str(held) + str(ids) + str(chat) + str(notice)
            + b"".join(evidence).decode() + str(names) + str(links) + str(reporter))


def sealed_bodies(database: Database) -> list[bytes]:
    with database.read() as session:
        return [*session.exec(select(Report.body)).all(), *session.exec(select(CaseMessage.body)).all(),
                *session.exec(select(CaseNote.body)).all(),
                *session.exec(select(PendingReport.body)).all(),
                *session.exec(select(Identity.body)).all(), *session.exec(select(ConversationRef.body)).all(),
                *session.exec(select(Determination.body)).all(),
                *session.exec(select(NoticeDelivery.body)).all(),
                *session.exec(select(Designation.body)).all(),
                *session.exec(select(EvidenceFile.body)).all(), *session.exec(select(EvidenceChunk.body)).all(),
                *session.exec(select(FileLink.body)).all(),
                *session.exec(select(ReporterIdentity.body)).all()]


# --- the tests --------------------------------------------------------------------------------


def test_confidential_fields_leave_no_trace_at_rest_or_in_logs(
    database: Database, vault: Vault, audit: AuditLog, logs_at_debug: pytest.LogCaptureFixture
) -> None:
    canary = "CANARY-" + secrets.token_hex(8)
    needle = canary.encode()

    # Given a report and a follow-up message written through storage in one unit of work
    report_id, message_id = write_report(database, vault, audit, canary)

    # Then the logs show the statements ran, with their parameters, but never the canary
    log_text = logged(logs_at_debug)
    assert "INSERT INTO report" in log_text and "INSERT INTO casemessage" in log_text
    assert "INSERT INTO pendingreport" in log_text and "INSERT INTO designation" in log_text
    assert "INSERT INTO casenote" in log_text
    assert "INSERT INTO reporteridentity" in log_text
    assert "INSERT INTO identity" in log_text and "INSERT INTO conversationref" in log_text
    assert "INSERT INTO noticedelivery" in log_text
    assert "INSERT INTO evidencefile" in log_text and "INSERT INTO evidencechunk" in log_text
    assert "INSERT INTO filelink" in log_text
    assert canary not in log_text

    # And the bytes at rest hold the ciphertexts (the report, the answer, a note, the held report,
    # two platform ids, a chat's reference) but never the canary
    bodies = sealed_bodies(database)
    assert len(bodies) == 16  # ... an evidence file's name, its pieces, a link, a sealed reporter
    if database.is_sqlite:
        before = sqlite_files(database)
        assert before.get("candor.db-wal"), "the write should still be in the WAL"
        # (a piece of a file spans SQLite's overflow pages: its bytes are not in one run)
        small = [body for body in bodies if len(body) < 2000]
        assert all(any(body in data for data in before.values()) for body in small)
        assert [name for name, data in before.items() if needle in data] == []
        sqlite_checkpoint(database)
        after = sqlite_files(database)
        assert all(body in after["candor.db"] for body in small)  # now in the main file
        assert [name for name, data in after.items() if needle in data] == []
    else:
        dump = postgres_dump(database)
        assert all(body.hex() in dump for body in bodies), "the dump should hold the ciphertexts"
        assert canary not in dump
        rows = postgres_rows(database)
        assert all(body.hex() in rows for body in bodies)
        assert canary not in rows

    # And the content opens back, whole, for someone holding the key
    opened = open_back(database, vault, report_id, message_id)
    for field in ("what", "who", "when", "evidence", "known", "name", "answer", "held", "code", "due",
                  "slack-id", "aad-id", "chat", "finding", "how", "why",
                  "file-content", "file-name", "link-for", "note",
                  "sealed-name", "sealed", "reveal-reason"):
        assert f"{canary}-{field}" in opened
    assert canary not in logged(logs_at_debug)


def test_the_searches_find_what_is_stored_in_plain(
    database: Database, logs_at_debug: pytest.LogCaptureFixture
) -> None:
    # A positive control: the same searches do see a string written to a plain column
    control = "PLAIN-" + secrets.token_hex(8)
    with database.write() as session:
        session.add(Person(email="lee@example.com", name=control, kind=PersonKind.COMMITTEE))
    with database.read() as session:  # parameters are hidden from the SQL log; result rows are not
        session.exec(select(Person)).all()
    assert control in logged(logs_at_debug)
    if database.is_sqlite:
        assert any(control.encode() in data for data in sqlite_files(database).values())
        sqlite_checkpoint(database)
        assert control.encode() in sqlite_files(database)["candor.db"]
    else:
        assert control in postgres_dump(database)
        assert control in postgres_rows(database)


# --- the recovery escrow ----------------------------------------------------------------------


def key_material(keyring: Keyring, pair: RecoveryPair, mnemonics: list[str]) -> dict[str, list[bytes]]:
    """What must never be found in clear, by name: every key of the keyring and the recovery
    key's private half (raw, hex, base64), the keyring's JSON, and the shares' words (each share
    whole and every run of three of its words)."""
    found: dict[str, list[bytes]] = {}
    secrets_by_name = {f"master v{v}": k for v, k in keyring.versions.items()}
    secrets_by_name |= {"index key": keyring.index_key, "recovery private key": pair.private}
    for name, raw in secrets_by_name.items():
        found[name] = [raw, raw.hex().encode(), base64.b64encode(raw)]
    found["keyring json"] = [keyring.to_json().encode()]
    for number, mnemonic in enumerate(mnemonics, start=1):
        words = mnemonic.split()
        found[f"share {number}"] = [mnemonic.encode()] + [
            " ".join(words[i:i + 3]).encode() for i in range(len(words) - 2)]
    return found


def leaks(haystack: bytes, material: dict[str, list[bytes]]) -> list[str]:
    return [name for name, needles in material.items() if any(n in haystack for n in needles)]


def test_the_recovery_escrow_leaves_no_key_material_at_rest_or_in_logs(
    database: Database, vault: Vault, audit: AuditLog, logs_at_debug: pytest.LogCaptureFixture
) -> None:
    # Given an escrow made for the keyring, then re-sealed after a rotation, in two transactions
    pair = RecoveryPair.generate()
    mnemonics = split(pair.private, shares=5, threshold=3)
    rotated = vault.keyring.rotated()
    with database.write() as session:
        row = db_install(session, keyring=vault.keyring, public_key=pair.public, shares=5, threshold=3,
                         passphrase=False)
        audit.db_append(session, actor="cli", action="keys.split", record_kind="recoverykey",
                        record_id=str(row.id), detail={"shares": 5, "threshold": 3})
    with database.write() as session:
        assert db_reseal(session, rotated)
    material = key_material(rotated, pair, mnemonics) | key_material(vault.keyring, pair, [])

    # Then the logs (statements, parameters, result rows) carry none of it
    with database.read() as session:
        sealed = session.exec(select(RecoveryKey.sealed_keyring)).one()
        rows = [str(r) for r in session.exec(select(AuditEvent)).all()]
    log_text = logged(logs_at_debug)
    assert "INSERT INTO recoverykey" in log_text and "UPDATE recoverykey" in log_text
    assert leaks(log_text.encode(), material) == []
    assert leaks("\n".join(rows).encode(), material) == []

    # Nor the bytes at rest, which do hold the sealed keyring
    assert sealed is not None
    if database.is_sqlite:
        before = sqlite_files(database)
        assert any(sealed in data for data in before.values())
        assert [(name, leaks(data, material)) for name, data in before.items() if leaks(data, material)] == []
        sqlite_checkpoint(database)
        after = sqlite_files(database)
        assert sealed in after["candor.db"]
        assert [(name, leaks(data, material)) for name, data in after.items() if leaks(data, material)] == []
    else:
        dump = postgres_dump(database)
        assert sealed.hex() in dump
        assert leaks(dump.encode(), material) == []
        assert leaks(postgres_rows(database).encode(), material) == []

    # And the sealed copy opens, whole, for three of the shares
    given = [GivenShare(f"share {n}", tuple(m.split())) for n, m in enumerate(mnemonics[2:], start=3)]
    opened = open_keyring(sealed, pair=RecoveryPair.from_private(combine(given).secret))
    assert opened.to_json() == rotated.to_json()
    assert leaks(logged(logs_at_debug).encode(), material) == []


# --- what waits for a window: kept views ----------------------------------------------------


def test_a_kept_view_leaves_no_secret_code_or_person_at_rest_or_in_logs(
    database: Database, vault: Vault, logs_at_debug: pytest.LogCaptureFixture
) -> None:
    # Given a receipt with a code and a secret, kept for a Teams user's dialog (bot.receipts)
    canary = "CANARY-" + secrets.token_hex(8)
    code, secret, person = f"{canary}-code", f"{canary}-secret", f"{canary}-aad"
    world = build_world(database, vault)
    receipt = Document("Your receipt", (("Keep this", f"Case *{code}*. Your secret: *{secret}*"),))
    key = world.service.keep_view(Actor(Platform.TEAMS, person), [receipt])

    # Then the logs (statements, parameters, result rows) show the row written, never the canary
    with database.read() as session:
        [row] = session.exec(select(FormReceipt)).all()
        session.exec(select(DataKey)).all()
    assert "INSERT INTO formreceipt" in logged(logs_at_debug)
    assert canary not in logged(logs_at_debug) and key not in logged(logs_at_debug)
    # its plain columns name neither the key nor the person, and its time is the day
    assert canary not in row.id and key not in row.id and row.created_at == world.core.today_start()

    # Nor do the bytes at rest, which do hold the sealed body
    if database.is_sqlite:
        before = sqlite_files(database)
        assert any(row.body in data for data in before.values())
        assert [name for name, data in before.items() if canary.encode() in data or key.encode() in data] == []
        sqlite_checkpoint(database)
        after = sqlite_files(database)
        assert row.body in after["candor.db"]
        assert [name for name, data in after.items() if canary.encode() in data or key.encode() in data] == []
    else:
        dump = postgres_dump(database)
        assert row.body.hex() in dump
        assert canary not in dump and key not in dump
        assert canary not in postgres_rows(database)

    # And it opens, whole, for that person alone, once
    assert world.service.take_view(Actor(Platform.TEAMS, "someone-else"), key) is None
    assert world.service.take_view(Actor(Platform.TEAMS, person), key) == [receipt]
    assert canary not in logged(logs_at_debug)


# --- the outbox: whom notices went to ------------------------------------------------------


class ChatPlatform:
    """A platform answering as Slack does: a direct message lands in the person's own chat with
    the bot ("D" + their user id), each post with its id; the refs posts carry are kept."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, Notice]] = []  # (channel or chat, ref id, notice)

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        self.posts.append(("C0COMMITTEE", ref.id, notice))
        return Posted("C0COMMITTEE", f"1700000000.{len(self.posts):06d}")

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        self.posts.append((f"D{user_id}", ref.id, notice))
        return Posted(f"D{user_id}", f"1700000000.{len(self.posts):06d}")

    async def update(self, posted: Posted, notice: Notice) -> None:
        return None

    def chats_with(self, code: str) -> list[str]:
        return [chat for chat, _ref, notice in self.posts
                if chat.startswith("D") and code in json.dumps(notice.to_json())]


async def test_no_plain_column_links_a_person_to_a_case_or_to_whom_a_case_keeps_away(database, vault):
    # Given, on Slack: Dana's named report; Sam's anonymous one, which keeps Alex away
    world = build_world(database, vault, platforms=frozenset({Platform.SLACK}))
    slack = ChatPlatform()
    notifier = Notifier(world.relay, {Platform.SLACK: slack})
    people = world.people
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday
    world.submit("cfo", "intake", {"category": "fraud", "what": "Revenue booked early in every quarter",
                                   "anonymous": "no"})
    world.submit("controller", "intake", {"category": "fraud", "what": "Kickbacks from a supplier on every order",
                                          "anonymous": "yes",
                                          "exclude": [str(people["member"].id)]})
    # and Dana's confidential one (issue 24): her name sealed apart from the case
    world.submit("cfo", "intake", {"category": "code_violation", "what": "Gifts from a vendor, every month",
                                   "anonymous": "confidential"})
    world.clock.moment = datetime(2026, 11, 2, 13, tzinfo=UTC)  # past the anonymous report's delay
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock.moment)
    with world.db.read() as session:
        reports = session.exec(select(Report)).all()
        (confidential,) = [r for r in reports if r.confidential]
        named, anonymous = sorted((r for r in reports if not r.confidential), key=lambda r: r.anonymous)
        # the confidential report's row keeps no reporter, not even a blind index, and its sealed
        # record's only plain column is the case
        assert confidential.reporter_tag is None and confidential.secret_hash is None
        assert [c.name for c in ReporterIdentity.__table__.columns] == ["report_id", "body"]
    assert anonymous.anonymous and not named.anonymous
    # When neither is acknowledged for three business days (the channel, the chair, the members
    # are told), then the named one is (Dana is told there is news), and the officers are reminded
    # to attest; and every notice is delivered
    for moment in (datetime(2026, 11, 3, 15, tzinfo=UTC), datetime(2026, 11, 5, 15, tzinfo=UTC)):
        world.clock.moment = moment
        Sweeper(world.db, world.core, world.core.schedule).run(moment)
        await notifier.run_once()
    world.click("chair", f"case:ack:{named.id}")
    world.clock.moment = datetime(2027, 3, 1, 15, tzinfo=UTC)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock.moment)
    while await notifier.run_once():
        pass

    # Then the notices did reach their people: Dana's news; each escalation to every member, once
    # (the chair twice: the chair's step and the members'), Alex too for the case that keeps him
    # away, as nothing in it names a case: no chat shows whom a case keeps away
    assert "DU0CFO" in {chat for chat, _ref, _notice in slack.posts}
    assert slack.chats_with(anonymous.code) == slack.chats_with(named.code) == []
    nudges = sorted(chat for chat, _ref, n in slack.posts if n.title == notices.UNACKED_NUDGE_TITLE)
    members = ["DU0ALEX", "DU0JORD", "DU0LEE", "DU0LEE"]
    assert nudges == sorted(members * 3)  # three cases, each escalated the same way
    assert slack.chats_with(confidential.code) == []
    assert {"DU0CFO", "DU0CTL"} <= {chat for chat, _ref, n in slack.posts if "attest" in n.title.lower()}

    # And no plain column of any table holds a platform id or a person's chat
    tables = table_texts(database)
    ids = [p[6] for p in WORLD_PEOPLE]
    assert [(t, i) for t, text in tables.items() for i in ids if i in text] == []
    # And no plain column but the roster's names the confidential reporter
    assert "reporteridentity" in tables
    dana = [WORLD_PEOPLE[0][1], WORLD_PEOPLE[0][2]]
    assert [(t, i) for t, text in tables.items() for i in dana if i in text and t != "person"] == []
    # And no outbox row's plain columns name a person beside a case, nor whom a message went to
    with world.db.read() as session:
        rows = session.exec(select(OutboxMessage)).all()
        person_ids = {str(p.id) for p in people.values()}
        case_ids = {named.id, anonymous.id, confidential.id} | {str(m) for m in session.exec(select(CaseMessage.id)).all()}
    assert all(r.state is OutboxState.DELIVERED for r in rows)
    for row in rows:
        named_ids = key_ids(row.key)
        assert not (named_ids & case_ids and named_ids & person_ids), row.key
        if row.kind == "dm":
            assert not named_ids & person_ids, row.key
            assert (row.platform_channel, row.platform_message_id) == (None, None), row.key
    # And the posts in people's chats carry no row's id, to be matched back to it
    row_ids = {r.id for r in rows}
    assert not [ref for chat, ref, _n in slack.posts if chat.startswith("D") and ref in row_ids]
    # And the escalations of the case that keeps a member away are the same rows, by their plain
    # keys, as those of the case that keeps no one away
    def escalations(case: Report) -> list[str]:
        return sorted(r.key.replace(case.id, "<case>") for r in rows if r.key.startswith(f"unacked:{case.id}:"))
    assert escalations(anonymous) == escalations(named) == [
        "unacked:<case>:chair@slack", "unacked:<case>:channel@slack", "unacked:<case>:members@slack"]


# --- the quorum and consent reveal (issue 24): requests and votes ---------------------------


def test_a_reveal_requests_reason_and_a_votes_reason_leave_no_trace(
    database: Database, vault: Vault, logs_at_debug: pytest.LogCaptureFixture
) -> None:
    from bot import reveal
    from storage.models import RevealRequest, RevealVote
    from storage.vocabulary import RevealPath

    canary = "CANARY-" + secrets.token_hex(8)
    world = build_world(database, vault)
    world.submit("cfo", "intake", {"category": "fraud", "what": "Revenue early",
                                   "anonymous": "confidential"})
    with database.read() as session:
        report = session.exec(select(Report)).one()
    # Given a request with a canary reason, and a member's refusal with a canary reason
    world.submit("member", f"reveal-ask:{report.id}", {"reason": f"{canary}-reason"})
    with database.read() as session:
        request = session.exec(select(RevealRequest)).one()
    world.submit("chair", f"reveal-vote:{request.id}",
                 {"decision": "decline", "reason": f"{canary}-decline"})
    with database.read() as session:
        [vote] = session.exec(select(RevealVote)).all()
    assert request.path == RevealPath.QUORUM

    # Then neither the logs nor any table as text nor the bytes at rest hold the canary
    assert "INSERT INTO revealrequest" in logged(logs_at_debug)
    assert "INSERT INTO revealvote" in logged(logs_at_debug)
    assert canary not in logged(logs_at_debug)
    for table, dump in table_texts(database).items():
        assert canary not in dump, table
    if database.is_sqlite:
        sqlite_checkpoint(database)
        assert request.body in sqlite_files(database)["candor.db"]
        assert [n for n, data in sqlite_files(database).items() if canary.encode() in data] == []
    else:
        dump = postgres_dump(database)
        assert request.body.hex() in dump and vote.body.hex() in dump
        assert canary not in dump
    # And both open, whole, with the key
    with database.read() as session:
        assert vault.unseal(session, kind=reveal.REQUEST, record_id=request.id,
                            blob=request.body)["reason"] == f"{canary}-reason"
        assert vault.unseal(session, kind=reveal.VOTE, record_id=vote.id,
                            blob=vote.body)["reason"] == f"{canary}-decline"
