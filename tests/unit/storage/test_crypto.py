"""Envelope encryption, key rotation, shredding and secret hashes, as properties.

Whatever goes in comes back out; anything altered, moved or opened under the wrong master key
refuses to open with a specific error whose message names records, never content or keys.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import delete, select

from storage.crypto import SealedOpenError, ShreddedError, Vault, open_bytes, seal_bytes
from storage.db import Database
from storage.keyring import Keyring, KeyringError, load_keyring, save_keyring
from storage.models import DataKey, new_id
from tests.conftest import TEST_SCRYPT_LOG2_N

# The database-backed properties reuse one migrated SQLite file across examples (each example
# uses fresh record ids), hence the function-scoped-fixture health check is suppressed there.
FAST = settings(max_examples=50, deadline=None)
WITH_DB = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

KINDS = st.sampled_from(["report", "case_message", "conversation", "attestation", "disclosure"])
RECORD_IDS = st.text(alphabet="0123456789abcdef", min_size=1, max_size=24)
KEYS = st.binary(min_size=32, max_size=32)

# Any value `json` writes and reads back equal (NaN is the one float that is not equal to itself).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
RECORDS = st.dictionaries(st.text(), JSON_VALUES, max_size=6)


def vault_for(keyring: Keyring) -> Vault:
    return Vault(keyring, scrypt_log2_n=TEST_SCRYPT_LOG2_N)


def seal_one(database: Database, vault: Vault, data: dict[str, Any], *, kind: str = "report") -> tuple[str, bytes]:
    record_id = new_id()
    with database.write() as session:
        blob = vault.seal(session, kind=kind, record_id=record_id, data=data)
    return record_id, blob


def open_one(database: Database, vault: Vault, record_id: str, blob: bytes, *, kind: str = "report") -> dict[str, Any]:
    with database.read() as session:
        return vault.unseal(session, kind=kind, record_id=record_id, blob=blob)


def flip(blob: bytes, bit: int) -> bytes:
    raw = bytearray(blob)
    raw[bit // 8] ^= 1 << (bit % 8)
    return bytes(raw)


# --- the low-level envelope --------------------------------------------------------------------


@FAST
@given(key=KEYS, plaintext=st.binary(max_size=2048), kind=KINDS, record_id=RECORD_IDS)
def test_any_bytes_round_trip(key: bytes, plaintext: bytes, kind: str, record_id: str) -> None:
    blob = seal_bytes(key, plaintext, kind=kind, record_id=record_id)
    assert open_bytes(key, blob, kind=kind, record_id=record_id) == plaintext


@FAST
@given(key=KEYS, plaintext=st.binary(max_size=256), data=st.data())
def test_a_flipped_bit_anywhere_fails_to_open(key: bytes, plaintext: bytes, data: st.DataObject) -> None:
    blob = seal_bytes(key, plaintext, kind="report", record_id="r1")
    bit = data.draw(st.integers(min_value=0, max_value=len(blob) * 8 - 1), label="bit")
    with pytest.raises(SealedOpenError, match="report r1"):
        open_bytes(key, flip(blob, bit), kind="report", record_id="r1")


@FAST
@given(
    key=KEYS,
    plaintext=st.binary(max_size=256),
    origin=st.tuples(KINDS, RECORD_IDS),
    target=st.tuples(KINDS, RECORD_IDS),
)
def test_a_ciphertext_moved_to_another_record_fails_to_open(
    key: bytes, plaintext: bytes, origin: tuple[str, str], target: tuple[str, str]
) -> None:
    # Even under the same data key, the record's kind and id are bound in as associated data.
    if origin == target:
        return
    blob = seal_bytes(key, plaintext, kind=origin[0], record_id=origin[1])
    with pytest.raises(SealedOpenError, match="does not open"):
        open_bytes(key, blob, kind=target[0], record_id=target[1])


@FAST
@given(key=KEYS, other=KEYS, plaintext=st.binary(max_size=256))
def test_another_data_key_fails_to_open(key: bytes, other: bytes, plaintext: bytes) -> None:
    if key == other:
        return
    blob = seal_bytes(key, plaintext, kind="report", record_id="r1")
    with pytest.raises(SealedOpenError):
        open_bytes(other, blob, kind="report", record_id="r1")


@FAST
@given(key=KEYS, junk=st.binary(max_size=40))
def test_junk_is_not_a_ciphertext(key: bytes, junk: bytes) -> None:
    with pytest.raises(SealedOpenError):
        open_bytes(key, junk, kind="report", record_id="r1")


# --- the vault, inside a session ---------------------------------------------------------------


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    return sqlite_database


@WITH_DB
@given(data=RECORDS, kind=KINDS)
def test_any_json_record_round_trips_through_the_vault(db: Database, vault: Vault, data: dict[str, Any], kind: str) -> None:
    record_id, blob = seal_one(db, vault, data, kind=kind)
    assert open_one(db, vault, record_id, blob, kind=kind) == data


@WITH_DB
@given(data=RECORDS, seed=st.integers(min_value=0))
def test_a_flipped_bit_in_a_sealed_record_fails(db: Database, vault: Vault, data: dict[str, Any], seed: int) -> None:
    record_id, blob = seal_one(db, vault, data)
    with pytest.raises(SealedOpenError, match=f"report {record_id}"):
        open_one(db, vault, record_id, flip(blob, seed % (len(blob) * 8)))


@WITH_DB
@given(data=RECORDS)
def test_a_sealed_field_copied_into_another_row_fails(db: Database, vault: Vault, data: dict[str, Any]) -> None:
    # Given two records of the same kind, and a report and a message with the same id
    source_id, blob = seal_one(db, vault, data)
    other_id, _ = seal_one(db, vault, {"x": 1})
    with db.write() as session:
        vault.seal(session, kind="case_message", record_id=source_id, data={"y": 2})
    # When the first record's ciphertext is read as the other's, or as the message's
    # Then neither opens
    with pytest.raises(SealedOpenError, match=other_id):
        open_one(db, vault, other_id, blob)
    with pytest.raises(SealedOpenError, match=f"case_message {source_id}"):
        open_one(db, vault, source_id, blob, kind="case_message")


def test_a_wrong_master_key_fails_with_a_clear_message(db: Database, vault: Vault) -> None:
    record_id, blob = seal_one(db, vault, {"narrative": "x"})
    stranger = vault_for(Keyring.generate())
    with pytest.raises(KeyringError) as caught:
        open_one(db, stranger, record_id, blob)
    message = str(caught.value)
    assert "not the key the data was sealed with" in message
    assert f"report {record_id}" in message
    assert not isinstance(caught.value, SealedOpenError)  # a key problem, not a tampered record
    # The start-up check says the same before anything is served
    with db.read() as session, pytest.raises(KeyringError, match="not the key the data was sealed with"):
        stranger.check(session)
    with db.read() as session:
        vault.check(session)


def test_a_master_key_version_missing_from_the_file_says_to_restore_it(db: Database, keyring: Keyring) -> None:
    newer = vault_for(keyring.rotated())
    record_id, blob = seal_one(db, newer, {"narrative": "x"})
    with pytest.raises(KeyringError, match="master key v2 is not in the key file; restore it"):
        open_one(db, vault_for(keyring), record_id, blob)


@WITH_DB
@given(count=st.integers(min_value=1, max_value=7), batch=st.integers(min_value=1, max_value=3))
def test_rotation_keeps_every_record_readable_and_the_old_key_can_be_retired(
    db: Database, count: int, batch: int
) -> None:
    # Given records sealed under a keyring's current master key (and no other data keys)
    with db.write() as session:
        session.exec(delete(DataKey))
    keyring = Keyring.generate()
    old = vault_for(keyring)
    records = []
    for n in range(count):
        record_id, blob = seal_one(db, old, {"n": n})
        records.append((record_id, blob, {"n": n}))
    # When a new master version is added and every data key re-wrapped, a few per transaction
    rotated = keyring.rotated()
    new = vault_for(rotated)
    rewrapped = list(new.rewrap_batches(db.write, batch=batch))
    # Then nothing is left under an old version, and every record opens, bodies untouched
    assert sum(rewrapped) == count and all(0 < n <= batch for n in rewrapped)
    with db.read() as session:
        assert set(session.exec(select(DataKey.master_version)).all()) == {rotated.current}
    for record_id, blob, data in records:
        assert open_one(db, new, record_id, blob) == data
    # And the old version can be retired: everything still opens without it
    retired = vault_for(rotated.retired(keyring.current))
    assert keyring.current not in retired.keyring.versions
    for record_id, blob, data in records:
        assert open_one(db, retired, record_id, blob) == data
    # While a vault holding only the old key opens nothing any more
    for record_id, blob, _ in records:
        with pytest.raises(KeyringError, match="restore it from your backup"):
            open_one(db, old, record_id, blob)
    # And a second rotation pass has nothing left to do
    assert list(retired.rewrap_batches(db.write, batch=batch)) == []


def test_the_current_master_key_cannot_be_retired(keyring: Keyring) -> None:
    with pytest.raises(KeyringError, match="current"):
        keyring.retired(keyring.current)
    with pytest.raises(KeyringError, match="no master key v9"):
        keyring.rotated().retired(9)


@WITH_DB
@given(data=RECORDS)
def test_a_shredded_record_never_opens_again(db: Database, vault: Vault, data: dict[str, Any]) -> None:
    record_id, blob = seal_one(db, vault, data)
    with db.write() as session:
        assert vault.shred(session, kind="report", record_id=record_id) is True
    with pytest.raises(ShreddedError, match=f"report {record_id}"):
        open_one(db, vault, record_id, blob)
    with db.write() as session:
        assert vault.shred(session, kind="report", record_id=record_id) is False


# --- passphrases -------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(secret=st.text(st.characters(blacklist_characters="\x00"), min_size=1, max_size=64),
       wrong=st.text(max_size=64))
@example(secret="\ud800", wrong="\ud800x")  # a lone surrogate: JSON may carry one
def test_a_secret_hash_accepts_the_secret_and_refuses_others(secret: str, wrong: str) -> None:
    stored = vault_for(Keyring.generate()).hash_secret(secret)
    assert stored.startswith(f"scrypt${TEST_SCRYPT_LOG2_N}$8$1$")  # scheme, cost, salt, digest
    assert Vault.verify_secret(secret, stored)
    assert Vault.verify_secret(wrong, stored) is (wrong == secret)


@pytest.mark.parametrize(("secret", "typed"), [("", "\x00"), ("abc", "abc\x00"), ("abc", "abc\x00\x00")])
def test_a_secret_padded_with_nul_bytes_is_refused(secret: str, typed: str) -> None:
    # HMAC (inside scrypt) pads its key with zero bytes: without the guard these verify.
    stored = vault_for(Keyring.generate()).hash_secret(secret)
    assert Vault.verify_secret(typed, stored) is False


def test_two_hashes_of_one_secret_differ_by_their_salt(vault: Vault) -> None:
    assert vault.hash_secret("correct horse") != vault.hash_secret("correct horse")


@pytest.mark.parametrize("stored", ["", "plain", "bcrypt$4$8$1$AA==$AA==", "scrypt$x$8$1$AA==$AA==",
                                    "scrypt$4$8$1$!!$AA=="])
def test_a_damaged_secret_hash_refuses_everything(stored: str) -> None:
    assert Vault.verify_secret("anything", stored) is False


# --- the keyring file ----------------------------------------------------------------------------


@FAST
@given(rotations=st.integers(min_value=0, max_value=4))
def test_a_keyring_survives_its_json(rotations: int) -> None:
    keyring = Keyring.generate()
    for _ in range(rotations):
        keyring = keyring.rotated()
    assert Keyring.from_json(keyring.to_json()) == keyring


def test_save_keyring_writes_mode_0600_and_create_refuses_to_overwrite(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "keys" / "candor.key"
    save_keyring(path, keyring, create=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_keyring(key_file=path, env_value=None) == keyring

    with pytest.raises(FileExistsError):
        save_keyring(path, Keyring.generate(), create=True)
    assert load_keyring(key_file=path, env_value=None) == keyring  # untouched

    rotated = keyring.rotated()
    save_keyring(path, rotated)  # an explicit replace (rotation) is allowed, still 0600
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_keyring(key_file=path, env_value=None) == rotated
    assert sorted(p.name for p in path.parent.iterdir()) == ["candor.key"]  # no temp file left


def test_load_keyring_prefers_the_environment_and_says_what_is_missing(tmp_path: Path, keyring: Keyring) -> None:
    assert load_keyring(key_file=tmp_path / "absent", env_value=keyring.to_json()) == keyring
    with pytest.raises(KeyringError, match="no master key at"):
        load_keyring(key_file=tmp_path / "absent", env_value=None)
    with pytest.raises(KeyringError, match="CANDOR_KEY_FILE or CANDOR_MASTER_KEY"):
        load_keyring(key_file=None, env_value=None)


def _secrets_of(keyring: Keyring) -> list[str]:
    encoded = [base64.b64encode(k).decode() for k in [*keyring.versions.values(), keyring.index_key]]
    return [piece for text in encoded for piece in (text[:12], text[12:24], text[-12:])]


def _damaged_keyrings() -> Iterator[tuple[str, Keyring]]:
    keyring = Keyring.generate().rotated()
    text = keyring.to_json()
    doc = json.loads(text)
    yield text[: len(text) // 2], keyring
    yield text.replace('"current": 2', '"current": 7'), keyring
    yield json.dumps(dict(doc, keys={k: v[:20] for k, v in doc["keys"].items()})), keyring
    yield json.dumps(dict(doc, index_key=doc["index_key"][:-4])), keyring
    yield json.dumps(dict(doc, index_key=doc["index_key"] + "!")), keyring
    yield json.dumps(dict(doc, keys={"one": doc["keys"]["1"]})), keyring
    yield json.dumps(dict(doc, keys=[doc["keys"]["1"]])), keyring
    yield json.dumps({k: v for k, v in doc.items() if k != "index_key"}), keyring


@pytest.mark.parametrize(("damaged", "keyring"), list(_damaged_keyrings()))
def test_a_damaged_keyring_is_refused_without_echoing_key_material(damaged: str, keyring: Keyring) -> None:
    with pytest.raises(KeyringError) as caught:
        Keyring.from_json(damaged)
    message = str(caught.value)
    assert "master key" in message
    assert not any(piece in message for piece in _secrets_of(keyring))


@FAST
@given(garbage=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_garbage_keyring_raises_keyring_error(garbage: str) -> None:
    with pytest.raises(KeyringError, match="master key"):
        Keyring.from_json(garbage)


@FAST
@given(cut=st.integers(min_value=0, max_value=400))
def test_a_truncated_key_file_never_echoes_a_key(cut: int) -> None:
    keyring = Keyring.generate().rotated()
    text = keyring.to_json()
    cut = cut % len(text)
    with pytest.raises(KeyringError) as caught:
        Keyring.from_json(text[:cut])
    assert not any(piece in str(caught.value) for piece in _secrets_of(keyring))


def test_saving_a_keyring_makes_its_directory_entry_durable(
    tmp_path: Path, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rename that replaces the key file is on disk only once its directory is synced: a
    # crash just after a rotation must not bring back the old file (data may already be
    # wrapped under the new version).
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / "candor.key"
    save_keyring(path, keyring, create=True)
    assert synced == ["file", "directory"]
    synced.clear()
    save_keyring(path, keyring.rotated())
    assert synced == ["file", "directory"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_loaded_with_a_warning(tmp_path: Path, keyring: Keyring, mode: int) -> None:
    path = tmp_path / "candor.key"
    save_keyring(path, keyring, create=True)
    warnings: list[str] = []
    assert load_keyring(key_file=path, env_value=None, warn=warnings.append) == keyring
    assert warnings == []
    path.chmod(mode)
    assert load_keyring(key_file=path, env_value=None, warn=warnings.append) == keyring
    assert len(warnings) == 1 and f"mode {mode:04o}" in warnings[0] and f"chmod 600 {path}" in warnings[0]
    assert base64.b64encode(keyring.index_key).decode() not in warnings[0]


def test_a_staged_version_opens_data_keys_but_wraps_none_until_promoted(db: Database, keyring: Keyring) -> None:
    staged = keyring.staged()
    assert (staged.current, staged.newest) == (1, 2)
    # A server that holds the staged keyring still wraps under v1...
    with db.write() as session:
        blob = Vault(staged).seal(session, kind="report", record_id="r-staged", data={"what": "x"})
    with db.read() as session:
        assert session.exec(select(DataKey.master_version).where(DataKey.record_id == "r-staged")).one() == 1
    # ...and opens what a server holding the promoted keyring wrapped under v2
    promoted = staged.promoted()
    assert (promoted.current, sorted(promoted.versions)) == (2, [1, 2])
    with db.write() as session:
        blob2 = Vault(promoted).seal(session, kind="report", record_id="r-promoted", data={"what": "y"})
    with db.read() as session:
        assert Vault(staged).unseal(session, kind="report", record_id="r-promoted", blob=blob2) == {"what": "y"}
        assert Vault(promoted).unseal(session, kind="report", record_id="r-staged", blob=blob) == {"what": "x"}
