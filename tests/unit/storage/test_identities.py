"""Platform ids and conversation references, sealed and found by keyed tags, on SQLite and
PostgreSQL: every lookup the bot and the Teams adapter make, and what the rows keep in clear."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from storage import identities, references
from storage.crypto import ShreddedError, Vault
from storage.db import Database
from storage.identities import PlatformAccount
from storage.models import ConversationRef, DataKey, Identity, Person
from storage.vocabulary import PersonKind, Platform

DAY = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def people(database: Database) -> tuple[int, int]:
    with database.write() as session:
        dana = Person(email="dana@example.com", name="Dana Reyes", kind=PersonKind.OFFICER)
        lee = Person(email="lee@example.com", name="Lee Park", kind=PersonKind.COMMITTEE)
        session.add_all([dana, lee])
        session.flush()
        assert dana.id is not None and lee.id is not None
        return dana.id, lee.id


def test_an_id_is_found_both_ways_and_no_column_holds_it(database: Database, vault: Vault, people) -> None:
    dana, _ = people
    with database.write() as session:
        identities.db_add(session, vault, PlatformAccount(dana, Platform.SLACK, "U0DANA"))
        identities.db_add(session, vault, PlatformAccount(dana, Platform.TEAMS, "aad-dana"))
    with database.read() as session:
        # Who is writing, and where a notice for Dana goes
        assert identities.db_person_id(session, vault, Platform.SLACK, "U0DANA") == dana
        assert identities.db_known(session, vault, Platform.TEAMS, "aad-dana")
        assert identities.db_person_id(session, vault, Platform.TEAMS, "U0DANA") is None
        assert identities.db_account(session, vault, dana, Platform.TEAMS) == PlatformAccount(
            dana, Platform.TEAMS, "aad-dana")
        assert identities.db_platforms(session, vault, dana, Platform) == {Platform.SLACK, Platform.TEAMS}
        rows = session.exec(select(Identity)).all()
    # The rows hold keyed tags and ciphertext: no id, no person id
    clear = repr([(r.key, r.person_key) for r in rows])
    assert "U0DANA" not in clear and "aad-dana" not in clear
    assert all(b"U0DANA" not in r.body and b"aad-dana" not in r.body for r in rows)


def test_an_identity_tag_is_not_the_drafts_tag_for_the_same_id(vault: Vault) -> None:
    # A person's draft is keyed by a tag of (platform, user id) too: equal tags would tie the two
    assert identities.account_tag(vault, Platform.SLACK, "U0DANA") != vault.tag("conversation", "slack", "U0DANA")


def test_an_id_removed_is_shredded_and_can_go_to_someone_else_at_once(database: Database, vault: Vault, people) -> None:
    dana, lee = people
    with database.write() as session:
        identities.db_add(session, vault, PlatformAccount(dana, Platform.SLACK, "U0SHARED"))
    with database.write() as session:  # as a roster import moves an id: removed, then added
        identities.db_remove(session, vault, PlatformAccount(dana, Platform.SLACK, "U0SHARED"))
        identities.db_add(session, vault, PlatformAccount(lee, Platform.SLACK, "U0SHARED"))
    with database.read() as session:
        assert identities.db_person_id(session, vault, Platform.SLACK, "U0SHARED") == lee
        assert identities.db_account(session, vault, dana, Platform.SLACK) is None
        assert len(session.exec(select(DataKey).where(DataKey.record_kind == identities.KIND)).all()) == 1


def test_an_identity_whose_key_is_gone_does_not_open(database: Database, vault: Vault, people) -> None:
    dana, _ = people
    with database.write() as session:
        identities.db_add(session, vault, PlatformAccount(dana, Platform.SLACK, "U0DANA"))
    with database.write() as session:
        key = identities.account_tag(vault, Platform.SLACK, "U0DANA")
        vault.shred(session, kind=identities.KIND, record_id=key)
    with database.read() as session, pytest.raises(ShreddedError):
        identities.db_person_id(session, vault, Platform.SLACK, "U0DANA")


def test_a_reference_is_rewritten_only_when_it_changes(database: Database, vault: Vault) -> None:
    chat = {"serviceUrl": "https://smba.example/", "conversation": {"id": "a:chat-dana"}}
    name = "teams:user:aad-dana"
    with database.write() as session:
        assert references.db_save(session, vault, name=name, kind="teams:user", reference=chat, day=DAY)
    with database.read() as session:
        first = session.exec(select(ConversationRef)).one()
    # The same reference a day later: nothing written, not even the day
    with database.write() as session:
        later = datetime(2026, 12, 1, tzinfo=UTC)
        assert not references.db_save(session, vault, name=name, kind="teams:user", reference=dict(chat), day=later)
    with database.read() as session:
        row = session.exec(select(ConversationRef)).one()
        assert (row.body, row.updated_at) == (first.body, DAY)
    # A new service URL: written, dated by the day
    moved = {**chat, "serviceUrl": "https://smba.example/emea/"}
    with database.write() as session:
        assert references.db_save(session, vault, name=name, kind="teams:user", reference=moved, day=later)
    with database.read() as session:
        row = session.exec(select(ConversationRef)).one()
        assert row.updated_at == later and row.kind == "teams:user"
        assert b"aad-dana" not in row.body and "aad-dana" not in row.key
        assert references.db_load(session, vault, name) == moved
        assert references.db_load(session, vault, "teams:user:aad-lee") is None


def test_the_latest_reference_is_found_by_kind(database: Database, vault: Vault) -> None:
    team = {"conversation": {"id": "19:general"}}
    chat = {"conversation": {"id": "a:chat-dana"}}
    with database.write() as session:
        references.db_save(session, vault, name="teams:team:19:general", kind="teams:team", reference=team, day=DAY)
        references.db_save(session, vault, name="teams:user:aad-dana", kind="teams:user", reference=chat,
                           day=datetime(2026, 12, 1, tzinfo=UTC))
    with database.read() as session:
        assert references.db_latest(session, vault, "teams:team") == team
        assert references.db_latest(session, vault) == chat
        assert references.db_latest(session, vault, "teams:channel") is None


def test_a_key_rotation_re_wraps_them_and_a_retired_version_is_not_needed(
    database: Database, vault: Vault, people
) -> None:
    # Given an id and a chat's reference sealed under master key v1
    dana, _ = people
    with database.write() as session:
        identities.db_add(session, vault, PlatformAccount(dana, Platform.TEAMS, "aad-dana"))
        references.db_save(session, vault, name="teams:user:aad-dana", kind="teams:user",
                           reference={"conversation": {"id": "a:chat-dana"}}, day=DAY)
    # When the keyring is rotated, every data key re-wrapped, and v1 retired
    rotated = Vault(vault.keyring.rotated(), scrypt_log2_n=vault.scrypt_log2_n)
    assert sum(rotated.rewrap_batches(database.write)) == 2
    retired = Vault(rotated.keyring.retired(1), scrypt_log2_n=vault.scrypt_log2_n)
    # Then both are found (the index key did not change) and open without v1
    with database.read() as session:
        assert identities.db_person_id(session, retired, Platform.TEAMS, "aad-dana") == dana
        assert references.db_load(session, retired, "teams:user:aad-dana") == {"conversation": {"id": "a:chat-dana"}}
