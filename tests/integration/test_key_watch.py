"""A server's keyring watcher against the database and a real key file: what it loads, what it
refuses (and keeps serving with the keyring it has), and the report it leaves for `candor keys
rotate` and `retire`."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlmodel import select

from adapters.key_watch import KeyringWatcher
from storage import keyholders
from storage.audit import audit_key
from storage.clock import utcnow
from storage.crypto import Vault
from storage.db import Database
from storage.keyring import Keyring, b64, save_keyring
from storage.models import DataKey
from tests.conftest import TEST_SCRYPT_LOG2_N
from tests.support.threads import at_once


@pytest.fixture
def key_file(tmp_path: Path, keyring: Keyring) -> Path:
    path = tmp_path / "candor.key"
    save_keyring(path, keyring, create=True)
    return path


def watcher(database: Database, keyring: Keyring, key_file: Path, *, poll: float = 3600.0) -> KeyringWatcher:
    vault = Vault(keyring, scrypt_log2_n=TEST_SCRYPT_LOG2_N)
    watching = KeyringWatcher(db=database, vault=vault, key_file=key_file, from_environment=False,
                              poll_seconds=poll, heartbeat_seconds=10)
    vault.refresh = watching.refresh
    return watching


def seal(database: Database, vault: Vault, record_id: str) -> tuple[bytes, int]:
    with database.write() as session:
        blob = vault.seal(session, kind="report", record_id=record_id, data={"what": record_id})
    with database.read() as session:
        version = session.exec(select(DataKey.master_version).where(DataKey.record_id == record_id)).one()
    return blob, version


def test_a_changed_key_file_is_loaded_and_reported(database, keyring, key_file):
    watching = watcher(database, keyring, key_file)
    watching.report()
    with database.read() as session:
        [held] = keyholders.db_live(session, now=utcnow())
    assert (held.versions, held.wrapping) == (frozenset({1}), 1)

    save_keyring(key_file, keyring.staged())
    assert watching.check() is True
    assert watching.check() is False  # unchanged since: not read again
    watching.report()
    with database.read() as session:
        [held] = keyholders.db_live(session, now=utcnow())
    assert (held.versions, held.wrapping) == (frozenset({1, 2}), 1)

    watching.forget()
    with database.read() as session:
        assert keyholders.db_live(session, now=utcnow()) == []


def test_another_keyring_in_the_key_file_is_refused_and_the_server_keeps_its_own(database, keyring, key_file, caplog):
    watching = watcher(database, keyring, key_file)
    save_keyring(key_file, Keyring.generate())
    with caplog.at_level(logging.ERROR, logger="candor.keys"):
        assert watching.check() is False
        assert watching.check() is False  # logged once, not at every look
    assert watching.vault.keyring == keyring
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "another keyring" in caplog.text
    assert seal(database, watching.vault, "r1")[1] == 1


def test_a_key_file_lacking_a_version_still_in_use_is_refused(database, keyring, key_file):
    watching = watcher(database, keyring, key_file)
    seal(database, watching.vault, "r-old")  # wrapped under v1
    save_keyring(key_file, keyring.rotated().retired(1))  # v1 removed too early
    assert watching.check() is False
    assert watching.vault.keyring == keyring


def test_a_staging_copy_with_its_own_v2_is_refused_and_the_versions_that_differ_are_logged(database, keyring, key_file, caplog):
    # Given a server holding v1 and v2, with a record wrapped under v2
    held = keyring.rotated()
    save_keyring(key_file, held)
    watching = watcher(database, held, key_file)
    watching.check()
    blob, _ = seal(database, watching.vault, "r-v2")
    # When the key file is replaced by a staging copy: the same index key and v1, its own v2
    staging = Keyring({1: keyring.versions[1], 2: Keyring.generate().versions[1]}, 2,
                      keyring.index_key)
    save_keyring(key_file, staging)
    with caplog.at_level(logging.ERROR, logger="candor.keys"):
        assert watching.check() is False
    # Then the server keeps its keyring, still opens the record, and the log names v2, no key
    assert watching.vault.keyring == held
    with database.read() as session:
        assert watching.vault.unseal(session, kind="report", record_id="r-v2", blob=blob) == {"what": "r-v2"}
    assert "its master key versions v2 hold other keys" in caplog.text  # v2 alone: v1 is the same
    for raw in (*held.versions.values(), *staging.versions.values(), held.index_key):
        assert b64(raw) not in caplog.text and raw.hex() not in caplog.text


def test_a_key_file_that_moves_current_back_is_refused(database, keyring, key_file, caplog):
    # Given a server wrapping under v2, and the key file put back to a state where v1 was current
    held = keyring.rotated()
    watching = watcher(database, held, key_file)
    save_keyring(key_file, Keyring(dict(held.versions), 1, held.index_key))
    with caplog.at_level(logging.ERROR, logger="candor.keys"):
        assert watching.check() is False
    assert watching.vault.keyring == held
    assert "older than the v2" in caplog.text
    assert seal(database, watching.vault, "r-after")[1] == 2


def test_a_version_the_server_never_held_must_open_the_data_keys_wrapped_under_it(database, keyring, key_file, caplog):
    # Given a server holding only v1, and records another server wrapped under the real v2
    watching = watcher(database, keyring, key_file)
    real = keyring.rotated()
    seal(database, Vault(real, scrypt_log2_n=TEST_SCRYPT_LOG2_N), "r-real-v2")
    # When the key file offers a v2 with other bytes (nothing to compare it with on this server)
    staging = Keyring({1: keyring.versions[1], 2: Keyring.generate().versions[1]}, 2,
                      keyring.index_key)
    save_keyring(key_file, staging)
    with caplog.at_level(logging.ERROR, logger="candor.keys"):
        assert watching.check() is False
    # Then it is refused: nothing gets wrapped under a v2 that is not the one in use
    assert watching.vault.keyring == keyring
    assert "v2 does not open" in caplog.text
    # And the real keyring, once in the file, is loaded
    save_keyring(key_file, real)
    assert watching.check() is True


def test_a_data_key_under_a_version_the_server_lacks_makes_it_read_the_key_file(database, keyring, key_file):
    # Given a server that would look at its key file only once an hour, and a record another
    # server wrapped under v2 just after the key file gained it
    watching = watcher(database, keyring, key_file)
    newer = keyring.rotated()
    save_keyring(key_file, newer)
    blob, version = seal(database, Vault(newer, scrypt_log2_n=TEST_SCRYPT_LOG2_N), "r-new")
    assert version == 2
    # When it opens the record, it reads the key file first, and the record opens
    with database.read() as session:
        assert watching.vault.unseal(session, kind="report", record_id="r-new", blob=blob) == {"what": "r-new"}
    assert watching.vault.keyring == newer


def test_a_server_that_has_not_looked_lately_looks_before_it_wraps(database, keyring, key_file):
    # Given a server that looked at its key file, then was paused longer than its poll interval
    # while the key file moved on to v2 (so rotate and retire no longer count on it)
    watching = watcher(database, keyring, key_file, poll=0.05)
    watching.check()
    save_keyring(key_file, keyring.rotated())
    time.sleep(0.1)
    # When it seals a record, the data key is wrapped under v2, not the v1 it held
    assert seal(database, watching.vault, "r-after-pause")[1] == 2


def test_the_start_up_report_and_the_first_heartbeat_at_once_write_one_row(database, keyring, key_file):
    # `candor serve` reports before its first request while the watcher's loop sends its first
    # heartbeat: both in threads, both finding no row for this server yet.
    watching = watcher(database, keyring, key_file)
    failures: list[BaseException] = []

    def report() -> None:
        try:
            watching.report()
        except BaseException as exc:  # noqa: BLE001  collected for the assertion
            failures.append(exc)

    at_once(report, threads=4)

    assert failures == []
    with database.read() as session:
        assert len(keyholders.db_live(session, now=utcnow())) == 1


def test_an_index_key_rotation_is_loaded_step_by_step_and_a_server_a_step_behind_catches_up(database, keyring, key_file):
    # Given a server on the keyring, and the key file moving through an index-key rotation
    watching = watcher(database, keyring, key_file)
    staged = keyring.index_staged()
    promoted = staged.index_promoted(audit_key(staged.index_key))
    # When the new index key is staged, then promoted, then the old one dropped, it loads each
    for step in (staged, promoted, promoted.index_finished()):
        save_keyring(key_file, step)
        assert watching.check() is True
        assert watching.vault.keyring == step
    # And a server that missed the staged step (it was paused) takes the promoted keyring too
    behind = watcher(database, keyring, key_file)
    save_keyring(key_file, promoted)
    assert behind.check() is True and behind.vault.keyring == promoted
    # But a keyring whose index key is neither held, staged, nor after the held one is refused
    stranger = Keyring(dict(keyring.versions), keyring.current, Keyring.generate().index_key)
    save_keyring(key_file, stranger.index_staged())
    assert behind.check() is False and behind.vault.keyring == promoted
