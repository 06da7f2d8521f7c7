"""Rotating the index key (`candor keys rotate --index-key`) on a database with identities,
conversation references, named and pending reports and an audit chain, while a server runs:
every lookup still finds its row during and after it, no row stays tagged under the old key, the
audit chain verifies across the link both keys sign, and a rotation stopped part-way resumes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from adapters.cli.keys.rotation import Rotation
from adapters.key_watch import KeyringWatcher
from bot import drafts, followup, index_keys
from bot.core import CandorError
from bot.schedule.deadlines import ScheduleSettings
from storage import escrow, identities, references
from storage.audit import LINK, LINKED, AuditLog, audit_key
from storage.crypto import tag_under
from storage.escrow import RecoveryPair
from storage.keyring import Keyring, load_keyring, save_keyring
from storage.models import (
    AuditEvent,
    Conversation,
    ConversationRef,
    Identity,
    PendingReport,
    Report,
)
from storage.vocabulary import Platform
from tests.integration.test_administration import file_report
from tests.integration.test_status_checks import anonymous_case, status
from tests.support.world import World

REFERENCE = {"serviceUrl": "https://smba.example/emea/", "conversation": {"id": "a:1xyz"}}


@pytest.fixture
def key_file(tmp_path: Path, world: World) -> Path:
    path = tmp_path / "candor.key"
    save_keyring(path, world.core.vault.keyring, create=True)
    return path


@pytest.fixture
def server(world: World, key_file: Path) -> Iterator[KeyringWatcher]:
    """A running server's keyring watcher on the world's vault: it reloads the key file and
    reports what it holds, in its own thread, as `candor serve` does."""
    watching = KeyringWatcher(db=world.db, vault=world.core.vault, key_file=key_file,
                              from_environment=False, poll_seconds=0.05, heartbeat_seconds=10)
    world.core.vault.refresh = watching.refresh
    watching.report()  # `candor serve` reports before its first request
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            watching.check()
            watching.report()
            stop.wait(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield watching
    stop.set()
    thread.join()
    watching.forget()


def rotation(world: World, key_file: Path) -> Rotation:
    return Rotation(world.db, key_file, 30.0, lambda _line: None)


def given_keyed_rows(world: World) -> tuple[Report, str, str]:
    with world.db.write() as session:
        references.db_save(session, world.core.vault, name="teams:user:aad-1", kind="teams:user",
                           reference=REFERENCE, day=world.clock())
    named = file_report(world, "cfo")
    # A draft half written in a chat, under a keyed tag of its platform id (bot.drafts)
    world.say("controller", "report")
    world.say("controller", "3")
    # An anonymous report waits, sealed, under a keyed tag of its code (bot.pending)
    world.core.schedule = ScheduleSettings(anonymous_delay_minutes=60)
    code, secret = anonymous_case(world)
    with world.db.read() as session:
        assert session.exec(select(PendingReport)).first() is not None
    return named, code, secret


def then_every_lookup_finds_its_row(world: World, named: Report, code: str, secret: str) -> None:
    vault = world.core.vault
    with world.db.read() as session:
        assert identities.db_person_id(session, vault, Platform.SLACK, "U0CFO") == world.people["cfo"].id
        account = identities.db_account(session, vault, world.people["chair"].id, Platform.SLACK)
        assert account is not None and account.platform_user_id == "U0LEE"
        assert references.db_load(session, vault, "teams:user:aad-1") == REFERENCE
        draft, _expired = drafts.db_load(session, world.core, world.actor("controller"))
        assert draft is not None and draft.category is not None
    # The named reporter sees their own case by its code; the anonymous one by code and secret.
    assert "couldn't open" not in status(world, "cfo", named.code)
    assert code in status(world, "controller", f"{code} {secret}")


def tags_in_database(world: World) -> set[str]:
    with world.db.read() as session:
        return (set(session.exec(select(Identity.key)).all())
                | set(session.exec(select(Identity.person_key)).all())
                | set(session.exec(select(ConversationRef.key)).all())
                | set(session.exec(select(Conversation.key)).all())
                | {t for t in session.exec(select(Report.reporter_tag)).all() if t}
                | set(session.exec(select(PendingReport.code_tag)).all()))


def old_tags(old_index_key: bytes, world: World, named: Report, code: str) -> set[str]:
    cfo = world.people["cfo"]
    return {tag_under(old_index_key, "identity-account", "slack", "U0CFO"),
            tag_under(old_index_key, "identity-person", str(cfo.id), "slack"),
            tag_under(old_index_key, "conversationref", "teams:user:aad-1"),
            tag_under(old_index_key, "conversation", "console", world.people["controller"].email),
            tag_under(old_index_key, "reporter", str(cfo.id)),
            tag_under(old_index_key, "pending-code", code)}


def test_rotating_the_index_key_under_a_running_server_keeps_every_row_found_and_the_chain_whole(world, key_file, server):
    # Given identities, a Teams reference, a named report, a pending anonymous one and their audit
    old = world.core.vault.keyring
    named, code, secret = given_keyed_rows(world)
    assert old_tags(old.index_key, world, named, code) <= tags_in_database(world)
    # and the committee's recovery escrow, sealed to a recovery key
    pair = RecoveryPair.generate()
    with world.db.write() as session:
        escrow.db_install(session, keyring=old, public_key=pair.public, shares=3, threshold=2,
                          passphrase=False)
    # When the index key is rotated while the server runs
    finished, retagged = rotation(world, key_file).rotate_index(old, batch=2, advance=lambda _n: None)
    # Then the key file holds only the new index key, and the audit key of the chain's first part
    on_disk = load_keyring(key_file=key_file, env_value=None)
    assert on_disk == finished and not on_disk.index_rotating
    assert on_disk.index_key != old.index_key and on_disk.earlier_audit_keys == (audit_key(old.index_key),)
    assert on_disk.versions == old.versions  # the master keys are untouched
    # and the escrow was resealed to it (its fingerprint keyed by the new index key): the shares
    # would rebuild exactly the key file
    with world.db.read() as session:
        held = escrow.db_current(session)
    assert held is not None and escrow.holds(held, on_disk)
    assert escrow.open_keyring(held.sealed_keyring, pair=pair) == on_disk
    # and the server reloaded it, still finds every row, and no row keeps a tag under the old key
    server.check(force=True)
    assert world.core.vault.keyring == finished
    assert retagged >= 5
    then_every_lookup_finds_its_row(world, named, code, secret)
    assert not old_tags(old.index_key, world, named, code) & tags_in_database(world)
    # And the audit chain verifies across the link (rows appended after it too), with the keyring
    # the server holds and with the one the key file holds
    file_report(world, "controller")
    with world.db.read() as session:
        assert world.core.audit.verify(session).ok
        assert AuditLog(lambda: on_disk).verify(session).ok
        link = session.exec(select(AuditEvent).where(col(AuditEvent.action).in_([LINK, LINKED]))
                            .order_by(col(AuditEvent.seq))).all()
        assert [e.action for e in link] == [LINK, LINKED] and link[1].seq == link[0].seq + 1
        # and the old key alone cannot follow the chain past the link
        result = AuditLog(audit_key(old.index_key)).verify(session)
    assert not result.ok and result.broken_seq == link[0].seq and "does not hold" in result.reason


def test_an_edited_row_after_the_link_is_still_named_by_verify(world, key_file, server):
    old = world.core.vault.keyring
    file_report(world, "cfo")
    finished, _ = rotation(world, key_file).rotate_index(old, batch=50, advance=lambda _n: None)
    file_report(world, "controller")
    with world.db.write() as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
        last.detail = '{"category":"other"}'
        session.add(last)
    with world.db.read() as session:
        result = AuditLog(lambda: finished).verify(session)
    assert not result.ok and result.broken_seq == last.seq


def test_a_chain_cut_off_at_the_link_is_refused_though_its_rows_under_the_old_key_hold(world, key_file, server):
    # Given a rotated index key, and rows appended under the new chain key after the link
    old = world.core.vault.keyring
    file_report(world, "cfo")
    finished, _ = rotation(world, key_file).rotate_index(old, batch=50, advance=lambda _n: None)
    file_report(world, "controller")
    # When someone deletes the link and everything after it (the old part still verifies alone)
    with world.db.write() as session:
        link = session.exec(select(AuditEvent).where(AuditEvent.action == LINK)).one()
        for row in session.exec(select(AuditEvent).where(col(AuditEvent.seq) >= link.seq)).all():
            session.delete(row)
    with world.db.read() as session:
        assert AuditLog(audit_key(old.index_key)).verify(session).ok
        result = AuditLog(lambda: finished).verify(session)
    # Then verify with the keyring in use says the chain stops short of the key in use
    assert not result.ok and "earlier index key" in result.reason


def test_a_rotation_stopped_after_staging_or_part_way_through_re_tagging_resumes(world, key_file, server):
    old = world.core.vault.keyring
    named, code, secret = given_keyed_rows(world)
    # (and the named reporter holds an "Answer the committee" button issued under the old key)
    dana = world.people["cfo"]
    token = followup.answer_choice(world.core, named, person_id=dana.id).value.removeprefix("answer:")

    def answer_opens() -> bool:
        try:
            return followup.check_token(world.core, token, person=dana, actor=world.actor("cfo")) == named.id
        except CandorError:
            return False

    # Given a rotation that stopped once the new key was staged: lookups work meanwhile
    staged = old.index_staged()
    save_keyring(key_file, staged)
    server.check(force=True)
    then_every_lookup_finds_its_row(world, named, code, secret)
    # ... then went on: chain linked, key promoted, and stopped after one batch of re-tagging
    assert index_keys.link_audit(world.db, staged) is True
    promoted = staged.index_promoted(audit_key(staged.index_key))
    save_keyring(key_file, promoted)
    server.check(force=True)
    batches = index_keys.retag(world.db, promoted, batch=1)
    assert next(batches) == ("identities", 1)
    batches.close()  # the crash
    # Meanwhile every row is found, under either key, the button still opens, the chain verifies
    then_every_lookup_finds_its_row(world, named, code, secret)
    assert answer_opens()
    with world.db.read() as session:
        assert world.core.audit.verify(session).ok
    # When the rotation is run again from the key file
    resumed = load_keyring(key_file=key_file, env_value=None)
    finished, _ = rotation(world, key_file).rotate_index(resumed, batch=3, advance=lambda _n: None)
    # Then it finishes: one link in the chain, no old tag left, every row found
    assert finished.index_key == promoted.index_key and not finished.index_rotating
    server.check(force=True)
    then_every_lookup_finds_its_row(world, named, code, secret)
    assert not old_tags(old.index_key, world, named, code) & tags_in_database(world)
    assert not answer_opens()  # the old key is gone: the reporter opens the case for a new one
    with world.db.read() as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == LINK)).all()) == 1
        assert world.core.audit.verify(session).ok


def test_a_server_on_the_old_keyring_blocks_the_rotation_before_anything_is_tagged_under_the_new_key(world, key_file):
    # Given a live server that reports the old index key only (it cannot read the new key file)
    old = world.core.vault.keyring
    stuck = KeyringWatcher(db=world.db, vault=world.core.vault, key_file=key_file / "missing",
                           from_environment=False, poll_seconds=3600, heartbeat_seconds=10)
    stuck.report()
    file_report(world, "cfo")
    # When the rotation runs, it stops waiting for it
    from adapters.cli.keys.rotation import Lagging
    with pytest.raises(Lagging) as late:
        Rotation(world.db, key_file, 0.3, lambda _line: None).rotate_index(
            old, batch=10, advance=lambda _n: None)
    assert late.value.label == "the new index key" and late.value.wanted == "hold"
    # Then nothing is linked or tagged under the new key, and the old server still finds its rows
    with world.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == LINK)).first() is None
        assert world.core.audit.verify(session).ok
        assert identities.db_person_id(session, world.core.vault, Platform.SLACK, "U0CFO") == world.people["cfo"].id
    assert load_keyring(key_file=key_file, env_value=None).next_index_key is not None
    stuck.forget()


def test_the_keyring_file_keeps_a_rotation_in_progress_and_names_no_key_in_its_repr():
    keyring = Keyring.generate().index_staged()
    again = Keyring.from_json(keyring.to_json())
    assert again == keyring and again.next_index_key is not None
    promoted = again.index_promoted(audit_key(again.index_key))
    assert Keyring.from_json(promoted.to_json()) == promoted
    assert promoted.index_keys == (promoted.index_key, keyring.index_key)
    assert keyring.index_key.hex() not in repr(promoted)


def test_servers_a_step_apart_append_to_one_chain_under_the_key_the_chain_is_at(database, keyring):
    # Given servers holding the keyring before, during (staged, promoted) and after the rotation
    staged = keyring.index_staged()
    promoted = staged.index_promoted(audit_key(keyring.index_key))
    logs = [AuditLog(lambda k=k: k) for k in (keyring, staged, promoted, promoted.index_finished())]

    def append_from(servers: list[AuditLog], action: str) -> None:
        with database.write() as session:
            for log in servers:
                log.db_append(session, actor="system", action=action, record_kind="test", record_id="-")

    # When the first two append before the link, the link is written, and the last three after it
    append_from(logs[:2], "before")
    with database.write() as session:
        assert AuditLog(lambda: staged).db_link(session, actor="cli") is True
        assert AuditLog(lambda: promoted).db_link(session, actor="cli") is False  # once only
    append_from(logs[1:], "after")
    # Then the chain holds under every keyring that knows both segments
    with database.read() as session:
        for log in logs[1:]:
            assert log.verify(session).ok
