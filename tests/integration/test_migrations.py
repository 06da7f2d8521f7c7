"""The migrations build exactly the schema the models describe, on each backend; and 0009 seals
the platform ids and conversation references a database already holds, with the key, leaving
none in clear."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

import storage.models  # noqa: F401  the tables register themselves on SQLModel.metadata
from bot.delivery.outbox import db_enqueue, people_target, private_key
from bot.messages import Notice
from storage import identities, migrate, references
from storage.db import Database
from storage.keyring import Keyring, KeyringError
from storage.models import AuditEvent, ConversationRef, Determination
from storage.vocabulary import Platform
from tests.integration.test_storage_canary import postgres_dump, postgres_rows, sqlite_files


def test_the_migrated_schema_matches_the_models(database):
    assert migrate.current_revision(database) == migrate.head_revision()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_the_start_up_schema_check_agrees_with_alembic(database):
    # Given the scripts and a migrated database, read without Alembic at every start
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate._SCRIPTS))
    scripts = ScriptDirectory.from_config(config)
    # Then the head read from the scripts' lines is Alembic's, and so is the database's revision
    assert migrate.head_revision() == scripts.get_current_head()
    assert {s.revision for s in scripts.walk_revisions()} == {
        f.name[:4] for f in (migrate._SCRIPTS / "versions").glob("0*.py")}
    with database.engine.connect() as connection:
        assert migrate.current_revision(database) == \
            MigrationContext.configure(connection).get_current_revision()


def test_an_empty_database_is_at_no_revision(database_url):
    db = Database.from_url(database_url)
    try:
        assert migrate.current_revision(db) is None
        migrate.upgrade(db, "0007")
        assert migrate.current_revision(db) == "0007"
    finally:
        db.dispose()


# --- 0009: platform ids and conversation references sealed ---------------------------------

SLACK_ID = "UCANARYMIG7"  # a reporter's Slack id
AAD_ID = "aad-canary-mig-0c7e"  # their Teams AAD object id
CHAT = "a:canary-chat-0c7e"  # their 1:1 chat's conversation id
CANARIES = (SLACK_ID, AAD_ID, CHAT)


def plain_rows_at_0007(db: Database) -> None:
    """A company at 0007 as it kept platform ids: Dana's Slack and Teams ids, Lee's Slack id,
    Dana's 1:1 chat reference and the committee channel's, all in plain text."""
    migrate.upgrade(db, "0007")
    person = sa.table("person", *(sa.column(c) for c in ("id", "email", "name", "kind", "role", "chair",
                                                         "active", "attestation_due", "created_at")))
    identity = sa.table("identity", sa.column("person_id"), sa.column("platform"), sa.column("platform_user_id"))
    ref = sa.table("conversationref", sa.column("key"), sa.column("value"),
                   sa.column("updated_at", UTCDateTime))
    now = datetime(2026, 11, 30, 14, 3, 27, tzinfo=UTC)
    chat = {"serviceUrl": "https://smba.example/", "conversation": {"id": CHAT},
            "user": {"id": f"29:{AAD_ID}", "aadObjectId": AAD_ID}}
    channel = {"serviceUrl": "https://smba.example/", "conversation": {"id": "19:committee@thread.tacv2"}}
    with db.engine.begin() as connection:
        connection.execute(person.insert(), [
            {"id": 1, "email": "dana@example.com", "name": "Dana Reyes", "kind": "OFFICER", "role": "CFO",
             "chair": False, "active": True, "attestation_due": None, "created_at": now},
            {"id": 2, "email": "lee@example.com", "name": "Lee Park", "kind": "COMMITTEE", "role": None,
             "chair": True, "active": True, "attestation_due": None, "created_at": now}])
        connection.execute(identity.insert(), [
            {"person_id": 1, "platform": "SLACK", "platform_user_id": SLACK_ID},
            {"person_id": 1, "platform": "TEAMS", "platform_user_id": AAD_ID},
            {"person_id": 2, "platform": "SLACK", "platform_user_id": "U0LEE"}])
        connection.execute(ref.insert(), [
            {"key": f"teams:user:{AAD_ID}", "value": json.dumps(chat), "updated_at": now},
            {"key": "teams:channel:19:committee@thread.tacv2", "value": json.dumps(channel), "updated_at": now}])


def plain_text_anywhere(db: Database) -> list[str]:
    """Where a canary is found in clear: the SQLite file and its companions, or a pg_dump of the
    schema and every row of every table as text."""
    if db.is_sqlite:
        found = sqlite_files(db)
    else:
        found = {"pg_dump": postgres_dump(db).encode(), "rows": postgres_rows(db).encode()}
    return [f"{canary} in {name}" for name, data in found.items() for canary in CANARIES if canary.encode() in data]


def test_upgrading_from_0007_seals_the_plain_ids_and_leaves_none_behind(database_url, keyring, vault, audit):
    db = Database.from_url(database_url)
    try:
        # Given a database at 0007 holding platform ids and a 1:1 chat's reference in plain text
        plain_rows_at_0007(db)
        assert plain_text_anywhere(db)  # the search finds them while they are plain

        # When it is upgraded with the master key at hand
        migrate.upgrade(db, keyring=lambda: keyring)

        # Then no platform id or chat id is left in clear: not in a table, not in the file or its
        # WAL (SQLite), not in a dump (PostgreSQL)
        assert migrate.current_revision(db) == migrate.head_revision()
        assert plain_text_anywhere(db) == []
        # And every id and reference is found by its keyed tag, and opens, with the key
        with db.read() as session:
            assert identities.db_person_id(session, vault, Platform.SLACK, SLACK_ID) == 1
            assert identities.db_person_id(session, vault, Platform.TEAMS, AAD_ID) == 1
            assert identities.db_person_id(session, vault, Platform.SLACK, "U0LEE") == 2
            account = identities.db_account(session, vault, 1, Platform.TEAMS)
            assert account is not None and account.platform_user_id == AAD_ID
            chat = references.db_load(session, vault, f"teams:user:{AAD_ID}")
            assert chat is not None and chat["conversation"]["id"] == CHAT
            channel = references.db_latest(session, vault, "teams:channel")
            assert channel is not None and channel["conversation"]["id"] == "19:committee@thread.tacv2"
            stored = session.exec(select(ConversationRef)).all()
            # And the time they keep is the day only
            assert {(r.updated_at.hour, r.updated_at.minute, r.updated_at.second) for r in stored} == {(0, 0, 0)}
            # And the move is on the audit log, counts only, and the chain holds
            (event,) = session.exec(select(AuditEvent)).all()
            assert (event.action, event.record_kind, event.detail) == (
                "schema.rows_sealed", "schema", '{"identities":3,"references":2}')
            assert audit.verify(session).ok
    finally:
        db.dispose()


def test_an_upgrade_that_stops_short_of_the_newest_schema_seals_and_audits(database_url, keyring,
                                                                           vault, audit):
    # Given a database at 0007 holding plain ids
    db = Database.from_url(database_url)
    try:
        plain_rows_at_0007(db)
        # When it is upgraded to 0009 only (before the audit chain's head function, 0021)
        migrate.upgrade(db, "0009", keyring=lambda: keyring)
        # Then the ids are sealed, and the upgrade's audit event is on a chain that verifies
        assert migrate.current_revision(db) == "0009"
        with db.read() as session:
            assert identities.db_person_id(session, vault, Platform.SLACK, SLACK_ID) == 1
            assert audit.verify(session).ok
            assert session.execute(sa.text("SELECT count(*) FROM auditevent")).scalar_one() == 1
    finally:
        db.dispose()


def test_without_the_key_the_upgrade_stops_and_changes_nothing(database_url):
    db = Database.from_url(database_url)
    try:
        # Given a database at 0007 with plain ids
        plain_rows_at_0007(db)
        # When it is upgraded without the key, or with a key file that cannot be read
        with pytest.raises(KeyringError, match="needs the master key"):
            migrate.upgrade(db)

        def unreadable() -> Keyring:
            raise KeyringError("no master key at /nowhere/candor.key")

        with pytest.raises(KeyringError, match="no master key at /nowhere"):
            migrate.upgrade(db, keyring=unreadable)
        # Then it is still at 0007 with its rows as they were
        assert migrate.current_revision(db) == "0007"
        with db.engine.connect() as connection:
            ids = connection.execute(sa.text("SELECT platform_user_id FROM identity ORDER BY id")).scalars().all()
        assert ids == [SLACK_ID, AAD_ID, "U0LEE"]
    finally:
        db.dispose()


def test_a_database_without_ids_upgrades_without_the_key(database_url):
    db = Database.from_url(database_url)
    try:
        migrate.upgrade(db, "0007")
        migrate.upgrade(db)  # nothing to seal: the key is never asked for
        assert migrate.current_revision(db) == migrate.head_revision()
    finally:
        db.dispose()


def test_going_back_to_0007_and_up_again_keeps_every_id(database_url, keyring, vault):
    db = Database.from_url(database_url)
    try:
        plain_rows_at_0007(db)
        migrate.upgrade(db, keyring=lambda: keyring)
        migrate.downgrade(db, "0007", keyring=lambda: keyring)
        with db.engine.connect() as connection:
            ids = connection.execute(sa.text("SELECT person_id, platform, platform_user_id FROM identity")).all()
            keys = connection.execute(sa.text("SELECT key FROM conversationref")).scalars().all()
        assert sorted(tuple(r) for r in ids) == [(1, "SLACK", SLACK_ID), (1, "TEAMS", AAD_ID), (2, "SLACK", "U0LEE")]
        assert sorted(keys) == ["teams:channel:19:committee@thread.tacv2", f"teams:user:{AAD_ID}"]
        migrate.upgrade(db, keyring=lambda: keyring)
        with db.read() as session:
            assert identities.db_person_id(session, vault, Platform.TEAMS, AAD_ID) == 1
    finally:
        db.dispose()


# --- 0012: outbox keys name no one, a delivered direct message keeps no chat ---------------


def outbox_rows_at_0009(db: Database) -> None:
    """The outbox as 0009 kept it: Dana's attestation reminder under a key naming her, delivered
    to her Slack chat; a case's escalation as one row per member not kept away (2 and 3, not 4);
    a failure notice about a reminder of Dana's; and the case's channel alert."""
    migrate.upgrade(db, "0009")
    outbox = sa.table("outboxmessage", *(sa.column(c) for c in (
        "id", "key", "platform", "kind", "state", "attempts", "next_attempt_at", "due_at", "in_doubt",
        "created_at", "delivered_at", "platform_channel", "platform_message_id", "blocked", "body")),
        sa.column("created_at", UTCDateTime))
    now = datetime(2026, 11, 30, 14, 3, 27, tzinfo=UTC)

    def row(n: int, key: str, kind: str, channel: str | None, ts: str | None) -> dict[str, object]:
        return {"id": f"row{n}", "key": key, "platform": "SLACK", "kind": kind, "state": "DELIVERED",
                "attempts": 1, "next_attempt_at": now, "due_at": now, "in_doubt": False,
                "created_at": now.replace(second=n), "delivered_at": now, "platform_channel": channel,
                "platform_message_id": ts, "blocked": False, "body": b"sealed"}

    with db.engine.begin() as connection:
        connection.execute(outbox.insert(), [
            row(1, "attest-remind:1:2027-03-31:d-30@slack", "dm", "DU0CFO", "1700000000.000001"),
            row(2, "unacked:r1:member:2@slack", "dm", "DU0LEE", "1700000000.000002"),
            row(3, "unacked:r1:member:3@slack", "dm", "DU0ALEX", "1700000000.000003"),
            row(4, "delivery-failed:attest-overdue:1:2027-03-31:w1@slack", "channel", "C0COMMITTEE",
                "1700000000.000004"),
            row(5, "alert:r1@slack", "channel", "C0COMMITTEE", "1700000000.000005"),
        ])


def test_upgrading_from_0009_leaves_no_person_in_an_outbox_key_or_chat(database_url, keyring, vault):
    db = Database.from_url(database_url)
    try:
        # Given an outbox at 0009 whose keys and delivered messages name people
        outbox_rows_at_0009(db)
        # When it is upgraded: without the key it stops; with it, it goes through
        with pytest.raises(KeyringError, match="needs the master key"):
            migrate.upgrade(db)
        assert migrate.current_revision(db) == "0009"
        migrate.upgrade(db, keyring=lambda: keyring)

        with db.engine.connect() as connection:
            rows = {r.id: r for r in connection.execute(sa.text(
                "SELECT id, key, platform_channel, platform_message_id FROM outboxmessage"))}
        # Then a key that named a person is its kind and a keyed tag, as the sweep writes it now
        assert rows["row1"].key == private_key(vault, "attest-remind:1:2027-03-31:d-30") + "@slack"
        assert rows["row4"].key == "delivery-failed:" + private_key(vault, "attest-overdue:1:2027-03-31:w1") + "@slack"
        # And the case's escalation is the one row the sweep writes now (so it is not sent again);
        # the other member's row names no one
        assert rows["row2"].key == "unacked:r1:members@slack"
        assert rows["row3"].key.startswith("unacked:r1:") and "member:" not in rows["row3"].key
        assert not [r.key for r in rows.values() if re.search(r":[1-4](:|@|$)", r.key)]
        # And a direct message keeps no chat or post id; the channel's notices keep theirs
        assert {(r.platform_channel, r.platform_message_id) for i, r in rows.items() if i in ("row1", "row2", "row3")} == {
            (None, None)}
        assert rows["row5"].platform_channel == "C0COMMITTEE" and rows["row5"].platform_message_id
        # And a sweep writing the escalation again writes nothing: it was sent
        with db.write() as session:
            assert db_enqueue(session, vault, now=datetime(2026, 12, 1, tzinfo=UTC), key="unacked:r1:members",
                              target=people_target([2, 3]), notice=Notice(title="Waiting"),
                              platforms=[Platform.SLACK]) == 0
        # And the count is on the audit log
        with db.read() as session:
            (event,) = session.exec(select(AuditEvent)).all()
            assert (event.action, event.detail) == ("schema.rows_sealed", '{"outbox_keys":4}')
    finally:
        db.dispose()


def test_upgrading_from_0009_seals_each_determinations_officer_and_going_back_restores_it(
        database_url, keyring, vault):
    db = Database.from_url(database_url)
    try:
        # Given a determination at 0009 with its officer in plain beside the Board's action
        migrate.upgrade(db, "0009")
        with db.write() as session:
            # The person as 0009's table holds them (today's model has columns added since)
            officer_id = session.execute(sa.text(
                "INSERT INTO person (email, name, kind, role, chair, active, created_at) "
                "VALUES ('sam@example.com', 'Sam Ortiz', 'OFFICER', 'CONTROLLER', :no, :yes, "
                "'2026-11-02 09:00:00') RETURNING id"), {"no": False, "yes": True}).scalar_one()
            # the report as 0009 has it (the model's later columns are not there yet)
            session.execute(sa.text(
                "INSERT INTO report (id, code, category, status, anonymous, received_at, legal_hold, body) "
                "VALUES ('r1', 'K7-4Q2M', 'FRAUD', 'RECEIVED', :no, '2026-11-02 09:00:00', :no, :x)"),
                {"no": False, "x": b"x"})
            body = vault.seal(session, kind="determination", record_id="d1", data={"reasoning": "weighed"}, new=True)
            session.execute(sa.text(
                "INSERT INTO determination (id, report_id, subject_id, violation, action, decided_on, created_at, body) "
                "VALUES ('d1', 'r1', :officer, :yes, 'TERMINATION', '2026-11-02', '2026-11-02 10:00:00', :body)"),
                {"officer": officer_id, "yes": True, "body": body})

        # When it is upgraded with the key
        migrate.upgrade(db, keyring=lambda: keyring)

        # Then the table has no officer column; the action stays plain (the register counts it)
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("determination")}
            action = connection.execute(sa.text("SELECT action FROM determination")).scalar_one()
        assert "subject_id" not in columns and action == "TERMINATION"
        # And the officer is in the sealed body, beside what was there
        with db.read() as session:
            row = session.exec(select(Determination)).one()
            assert vault.unseal(session, kind="determination", record_id="d1", blob=row.body) == {
                "reasoning": "weighed", "subject_id": officer_id}

        # And going back brings the column back, filled
        migrate.downgrade(db, "0009", keyring=lambda: keyring)
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT subject_id FROM determination")).scalar_one() == officer_id
    finally:
        db.dispose()
