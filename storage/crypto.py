"""Envelope encryption, blind indexes and slow secret hashes, and the data keys they rest on.

Each sealed record has its own 256-bit data key (a `DataKey` row). The record's fields are sealed
with AES-256-GCM under that key with the record's kind and id as associated data, so a
ciphertext copied into another row does not open. The data key is wrapped by a versioned master
key that lives outside the database (the keyring, in storage.keyring: the key file or
`CANDOR_MASTER_KEY`). Rotation re-wraps data keys and never touches bodies; deleting a `DataKey`
row shreds its record. Here: the seal and open primitives, the `Vault` (inside the caller's
session; it never commits) and the queries on data keys by master version.

A running server's keyring can change under it (`candor keys rotate` and `retire` rewrite the key
file): the vault then asks its `refresh` hook, set by the server, to re-read the file before it
wraps a data key with a keyring checked too long ago, and before it gives up on a data key wrapped
under a version it does not hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidKey, InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import bindparam, delete, insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from storage.group_commit import driver_in_transaction
from storage.keyring import CryptoError, Keyring, KeyringError, b64
from storage.models import DataKey
from storage.vocabulary import RecordKind

# A data key's row is written, read and deleted with these Core statements, built once: every
# record sealed or opened asks for one (an ORM object and a statement built each time cost five
# times the read itself), and nothing of a key waits in a session's flush.
_KEYS = DataKey.__table__  # type: ignore[attr-defined]
_INSERT_DATA_KEY = insert(_KEYS)
_OF_RECORD = (_KEYS.c.record_kind == bindparam("kind")) & (_KEYS.c.record_id == bindparam("id"))
_KEY_OF = select(_KEYS.c.master_version, _KEYS.c.wrapped).where(_OF_RECORD)
_KEYS_OF = (select(_KEYS.c.record_id, _KEYS.c.master_version, _KEYS.c.wrapped)
            .where(_KEYS.c.record_kind == bindparam("kind"),
                   _KEYS.c.record_id.in_(bindparam("ids", expanding=True))))
_DELETE_KEY = delete(_KEYS).where(_OF_RECORD).returning(_KEYS.c.id)
_GATHERED = "candor_new_data_keys"  # session.info: the new data keys `keys_together` writes
_FORMAT = b"\x01"  # leading byte of every ciphertext: lets the format change later
_NONCE = 12


@dataclass
class _Gathered:
    """The new data keys a `keys_together` block writes at its end, and the SAVEPOINT (or None)
    it began in."""

    savepoint: object | None
    rows: list[dict[str, Any]] = field(default_factory=list)


class SealedOpenError(CryptoError):
    """A ciphertext did not open: tampered, moved to another record, or a wrong master key."""


class ShreddedError(SealedOpenError):
    """The record's data key was deleted: its content is gone for good."""


# --- sealing ----------------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    # A colon in a kind would make "kind:id" ambiguous ("a:b" + "c" == "a" + "b:c").
    if not kind or ":" in kind:
        raise ValueError("a record kind is a plain name without ':'")
    return kind


def _record_aad(kind: str, record_id: str) -> bytes:
    return f"candor:{_check_kind(kind)}:{record_id}".encode()


def _wrap_aad(kind: str, record_id: str, version: int) -> bytes:
    return f"candor-datakey:{_check_kind(kind)}:{record_id}:v{version}".encode()


def seal_bytes(data_key: bytes, plaintext: bytes, *, kind: str, record_id: str) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return _FORMAT + nonce + AESGCM(data_key).encrypt(nonce, plaintext,
                                                      _record_aad(kind, record_id))


def open_bytes(data_key: bytes, blob: bytes, *, kind: str, record_id: str) -> bytes:
    if len(blob) < 1 + _NONCE + 16 or blob[:1] != _FORMAT:
        raise SealedOpenError(f"{kind} {record_id}: not a Candor ciphertext")
    nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
    try:
        return AESGCM(data_key).decrypt(nonce, body, _record_aad(kind, record_id))
    except InvalidTag:
        raise SealedOpenError(
            f"{kind} {record_id}: the ciphertext does not open (altered, or not this record's)"
        ) from None


def seal_record(data_key: bytes, data: dict[str, Any], *, kind: str, record_id: str) -> bytes:
    """A record's fields (a JSON object) sealed under its data key: what `Vault.seal` stores."""
    plaintext = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return seal_bytes(data_key, plaintext, kind=kind, record_id=record_id)


@dataclass
class Vault:
    """Seals and opens records' confidential fields inside the caller's session.

    The vault never commits: the unit of work that writes the record writes its data key."""

    keyring: Keyring
    scrypt_log2_n: int = 15
    _cache: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)
    # Set by a running server: re-read the keyring from its source now (`force`) or when it was
    # last checked too long ago, replacing `keyring` when it changed. None: the keyring is fixed.
    refresh: Callable[..., None] | None = field(default=None, repr=False)

    # data keys

    def wrap(self, data_key: bytes, *, kind: str, record_id: str) -> tuple[int, bytes]:
        # A server paused past its report's lifetime may find the current version retired
        # meanwhile: it checks the key file (a stat, when the last check is stale) before wrapping.
        if self.refresh is not None:
            self.refresh()
        keyring = self.keyring
        version = keyring.current
        nonce = secrets.token_bytes(_NONCE)
        master = AESGCM(keyring.master(version))
        return version, nonce + master.encrypt(nonce, data_key, _wrap_aad(kind, record_id, version))

    def unwrap(self, version: int, wrapped: bytes, *, kind: str, record_id: str) -> bytes:
        if version not in self.keyring.versions and self.refresh is not None:
            self.refresh(force=True)  # wrapped by a server that loaded a newer key file first
        master = AESGCM(self.keyring.master(version))
        try:
            return master.decrypt(wrapped[:_NONCE], wrapped[_NONCE:],
                                  _wrap_aad(kind, record_id, version))
        except InvalidTag:
            raise KeyringError(
                f"master key v{version} does not open the data key of {kind} {record_id}: "
                "this is not the key the data was sealed with"
            ) from None

    def _data_key(self, session: Session, *, kind: str, record_id: str, create: bool,
                  new: bool = False) -> bytes:
        if new:  # a record id just drawn at random has no key yet: skip the lookup
            return self._new_data_key(session, kind=kind, record_id=record_id)
        row = session.connection().execute(
            _KEY_OF, {"kind": str(kind), "id": record_id}).first()
        if row is not None:
            version, wrapped = row
            return self.unwrap(version, wrapped, kind=kind, record_id=record_id)
        if not create:
            raise ShreddedError(f"{kind} {record_id}: its data key is gone (shredded)")
        return self._new_data_key(session, kind=kind, record_id=record_id)

    def _new_data_key(self, session: Session, *, kind: str, record_id: str) -> bytes:
        data_key = AESGCM.generate_key(bit_length=256)
        version, wrapped = self.wrap(data_key, kind=kind, record_id=record_id)
        # Written with a Core statement: no ORM object, no flush, no RETURNING of the row's id
        # (nothing needs it). At once, so it is there for any read later in the transaction;
        # inside `keys_together`, at the block's end, with the block's other new keys.
        row = {"record_kind": str(kind), "record_id": record_id, "master_version": version,
               "wrapped": wrapped}
        gathered: _Gathered | None = session.info.get(_GATHERED)
        if gathered is not None and session.get_nested_transaction() is gathered.savepoint:
            gathered.rows.append(row)
        else:  # a SAVEPOINT opened inside the block: the key goes (or stays) with its record
            session.connection().execute(_INSERT_DATA_KEY, row)
        return data_key

    @contextmanager
    def keys_together(self, session: Session) -> Iterator[None]:
        """The data keys of the records sealed new in the block are written at its end, in one
        statement (a statement less per record on a hot path: a report and its alert). For a
        block that does not read those keys back (the key is not there yet). A key sealed
        inside a SAVEPOINT opened in the block is written at once, so it is rolled back with its
        record. When the block raises, the keys gathered so far are still written (a caller
        that catches the error and commits keeps records that open); when its transaction
        cannot take them any more, the block's own error is what the caller sees. A block
        inside another leaves its keys to the outer one."""
        if _GATHERED in session.info:
            yield
            return
        gathered = _Gathered(session.get_nested_transaction())
        session.info[_GATHERED] = gathered
        try:
            yield
        except BaseException:
            del session.info[_GATHERED]
            if gathered.rows and driver_in_transaction(session.connection()):
                with suppress(SQLAlchemyError):  # a failed transaction: it is rolled back
                    session.connection().execute(_INSERT_DATA_KEY, gathered.rows)
            raise
        del session.info[_GATHERED]
        if gathered.rows:
            session.connection().execute(_INSERT_DATA_KEY, gathered.rows)

    # records

    def seal(self, session: Session, *, kind: RecordKind, record_id: str, data: dict[str, Any],
             new: bool = False) -> bytes:
        """Seal a record's confidential fields (a JSON object) under its data key. `new` says
        the record id was just drawn (`storage.models.new_id`), so no key can exist yet."""
        data_key = self._data_key(session, kind=kind, record_id=record_id, create=True, new=new)
        return seal_record(data_key, data, kind=kind, record_id=record_id)

    def piece_key(self, session: Session, *, kind: RecordKind, record_id: str,
                  new: bool = False) -> bytes:
        """The data key of a record sealed in pieces (an evidence file's chunks, each sealed with
        `seal_bytes` and its own associated data): a new one with `new`, else the stored one
        (`ShreddedError` when it is gone). Wrapped, rotated and shredded like any other."""
        return self._data_key(session, kind=kind, record_id=record_id, create=new, new=new)

    def unseal(self, session: Session, *, kind: RecordKind, record_id: str,
               blob: bytes) -> dict[str, Any]:
        """Decrypt a record sealed by `seal` (to *unseal* is to decrypt; to *open* a case is to
        view it, which `bot.committee.db_view` audits)."""
        data_key = self._data_key(session, kind=kind, record_id=record_id, create=False)
        return self._record(data_key, blob, kind=kind, record_id=record_id)

    def wrapped_keys(self, session: Session, *, kind: RecordKind,
                     record_ids: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """The data keys of several records of one kind, as `unseal_wrapped` takes them, read in
        one statement (one a record would be a round trip each on PostgreSQL); a shredded
        record's is missing."""
        if not record_ids:
            return {}
        found = session.connection().execute(_KEYS_OF, {"kind": str(kind), "ids": list(record_ids)})
        return {record_id: (version, wrapped) for record_id, version, wrapped in found}

    def unseal_wrapped(self, version: int | None, wrapped: bytes | None, *, kind: RecordKind,
                       record_id: str, blob: bytes) -> dict[str, Any]:
        """`unseal`, given the record's data key as two columns read with the record (a join:
        one query less, and no ORM object, on a path every event takes); None for either is a
        shredded record."""
        if version is None or wrapped is None:
            raise ShreddedError(f"{kind} {record_id}: its data key is gone (shredded)")
        data_key = self.unwrap(version, wrapped, kind=kind, record_id=record_id)
        return self._record(data_key, blob, kind=kind, record_id=record_id)

    @staticmethod
    def _record(data_key: bytes, blob: bytes, *, kind: str, record_id: str) -> dict[str, Any]:
        value = json.loads(open_bytes(data_key, blob, kind=kind, record_id=record_id))
        if not isinstance(value, dict):
            raise SealedOpenError(f"{kind} {record_id}: sealed content is not a record")
        return value

    def shred(self, session: Session, *, kind: RecordKind, record_id: str) -> bool:
        """Delete the record's data key; its ciphertexts can never be opened again. False when
        it had none (shredded before)."""
        return session.connection().execute(
            _DELETE_KEY, {"kind": str(kind), "id": record_id}).first() is not None

    def check(self, session: Session) -> None:
        """Raise `KeyringError` unless this keyring opens the data already stored (one key per
        master version in use is tried), so a wrong key stops a server at start."""
        for version in sorted(db_versions_in_use(session)):
            row = session.exec(select(DataKey).where(DataKey.master_version == version)
                               .limit(1)).first()
            if row is None:  # re-wrapped meanwhile by a running rotation (read committed)
                continue
            self.unwrap(row.master_version, row.wrapped, kind=row.record_kind,
                        record_id=row.record_id)

    def rewrap_batches(self, session_factory: Callable[[], Any], *,
                       batch: int = 500) -> Iterator[int]:
        """Re-wrap every data key not under the current master version, one short transaction per
        batch (the service keeps running). Yields how many keys each batch re-wrapped."""
        current = self.keyring.current
        last_id = 0
        while True:
            with session_factory() as session:
                rows = session.exec(
                    select(DataKey)
                    .where(DataKey.master_version != current, col(DataKey.id) > last_id)
                    .order_by(col(DataKey.id))
                    .limit(batch)
                ).all()
                if not rows:
                    return
                for row in rows:
                    data_key = self.unwrap(row.master_version, row.wrapped,
                                           kind=row.record_kind, record_id=row.record_id)
                    row.master_version, row.wrapped = self.wrap(data_key, kind=row.record_kind,
                                                                record_id=row.record_id)
                    session.add(row)
                    last_id = max(last_id, row.id or 0)
                count = len(rows)
            yield count

    # blind indexes and secrets

    def tag(self, *parts: str) -> str:
        """A keyed hash of identifying values: equal inputs match, the inputs stay unknown."""
        # A server paused past its report may have missed an index-key rotation: it looks at the
        # key file (a stat, when its last look is stale) before it tags, as before it wraps.
        if self.refresh is not None:
            self.refresh()
        return tag_under(self.keyring.index_key, *parts)

    def tags(self, *parts: str) -> list[str]:
        """The tags a lookup tries: under the index key rows are tagged under first, then under
        the other one an index-key rotation holds (a row not re-tagged yet, or tagged by a server
        that tags under the staged key already)."""
        if self.refresh is not None:
            self.refresh()
        return [tag_under(key, *parts) for key in self.keyring.index_keys]

    def hash_secret(self, secret: str) -> str:
        """A slow, salted scrypt hash of a reporter's secret: the only form it is stored in."""
        if "\x00" in secret:
            raise ValueError("a secret never holds a NUL character")
        salt = secrets.token_bytes(16)
        n = 2**self.scrypt_log2_n
        digest = Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(_utf8(secret))
        return f"scrypt${self.scrypt_log2_n}$8$1${b64(salt)}${b64(digest)}"

    @staticmethod
    def verify_secret(secret: str, stored: str) -> bool:
        # scrypt's PBKDF2 keys HMAC with the secret, and HMAC pads a short key with zero bytes:
        # "" and "\x00" would derive the same digest. No secret Candor issues holds a NUL.
        if "\x00" in secret:
            return False
        try:
            scheme, log2_n, r, p, salt, digest = stored.split("$")
            if scheme != "scrypt":
                return False
            kdf = Scrypt(salt=base64.b64decode(salt), length=32, n=2 ** int(log2_n), r=int(r),
                         p=int(p))
            kdf.verify(_utf8(secret), base64.b64decode(digest))
            return True
        except (ValueError, TypeError, InvalidKey):
            return False


def _utf8(text: str) -> bytes:
    """Text as UTF-8 bytes; a lone surrogate (JSON may carry one, `"\\ud800"`) is kept as its
    code point's bytes rather than raising, so typed text never turns a hash into an error."""
    return text.encode("utf-8", "surrogatepass")


def tag_under(index_key: bytes, *parts: str) -> str:
    """`Vault.tag` under a given index key (re-tagging computes a row's tag under both)."""
    message = _utf8("\x1f".join(parts))
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


# --- data keys by master version: what rotation, retirement and the restore drill count ------


def db_versions_in_use(session: Session) -> set[int]:
    """The master key versions the stored data keys are wrapped under."""
    return set(session.exec(select(DataKey.master_version).distinct()).all())


def db_count_not_under(session: Session, version: int) -> int:
    """How many data keys are wrapped under another master version than `version`."""
    return int(session.exec(select(func.count()).select_from(DataKey)
                            .where(DataKey.master_version != version)).one())


def db_any_under(session: Session, version: int) -> bool:
    """Whether any data key is still wrapped under master version `version`."""
    return session.exec(select(DataKey.id).where(col(DataKey.master_version) == version)
                        .limit(1)).first() is not None


def db_data_keys_after(session: Session, last_id: int, *, limit: int) -> list[DataKey]:
    """The next `limit` data keys after id `last_id`, in id order (to walk them all in batches)."""
    return list(session.exec(select(DataKey).where(col(DataKey.id) > last_id)
                             .order_by(col(DataKey.id)).limit(limit)).all())
