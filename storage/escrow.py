"""The recovery escrow: the master keyring sealed to the committee's recovery key.

The recovery key is an X25519 key pair. Its public half and the keyring sealed to it (an
ephemeral X25519 agreement, HKDF-SHA256, AES-256-GCM) live in the database (`RecoveryKey`); its
private half exists only as the committee's SLIP-39 shares (`storage.shares`). Sealing needs only
the public half, so `candor keys rotate` and `retire` re-seal the keyring without anyone typing a
secret, and a database backup carries everything needed to recover, and nothing that opens
without a threshold of the shares.

The database alone must never choose where the keyring is sealed: each row carries a binding (an
HMAC under a key derived from the keyring's index key, `binding`) over its id, public key, split
date and counts, and nothing is sealed to a row that does not verify (`db_bound`). The recovery
public key's short fingerprint (`recovery_fingerprint`) is on every share and in `keys check`,
for the committee to compare out of band.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, col, select

from storage.clock import as_utc, utcnow
from storage.keyring import CryptoError, Keyring, KeyringError
from storage.models import RecoveryKey

_FORMAT = b"\x01"  # leading byte of a sealed keyring
_INFO = b"candor-escrow-v1"
_BINDING = b"candor-escrow-binding-v1"  # the binding key's label: no other use of the index key
_POINT = 32
_NONCE = 12


class EscrowError(CryptoError):
    """The escrow is missing, damaged, or the recovery key given is not the one it was sealed to.
    Messages never carry key material or share words."""


class EscrowUnbound(EscrowError):
    """The escrow in force cannot be trusted with the keyring: its row does not verify under the
    keyring at hand (`reason` "unbound"), or more than one row is in force ("several")."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- the recovery key pair ------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryPair:
    """A recovery key pair: `private` is the 32 bytes the shares carry."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:  # never the private half, even in a traceback
        return "RecoveryPair(<private>, public=...)"

    @classmethod
    def generate(cls) -> RecoveryPair:
        return cls.from_private(X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_private(cls, private: bytes) -> RecoveryPair:
        if len(private) != _POINT:
            raise EscrowError("the shares do not hold a recovery key (it has the wrong length)")
        key = X25519PrivateKey.from_private_bytes(private)
        return cls(private, key.public_key().public_bytes_raw())


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=_INFO).derive(shared)


def seal_keyring(keyring: Keyring, *, public_key: bytes) -> bytes:
    """The keyring sealed to the recovery key: format byte, ephemeral public key, nonce, AES-GCM
    ciphertext (the recipient's public key bound in as associated data)."""
    try:
        recipient = X25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        raise EscrowError("the stored recovery public key is damaged") from None
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    key = _key(ephemeral.exchange(recipient), ephemeral_public, public_key)
    nonce = secrets.token_bytes(_NONCE)
    body = AESGCM(key).encrypt(nonce, keyring.to_json().encode(), _INFO + public_key)
    return _FORMAT + ephemeral_public + nonce + body


def open_keyring(sealed: bytes, *, pair: RecoveryPair) -> Keyring:
    """The keyring sealed to `pair`'s public half; `EscrowError` when it does not open."""
    if len(sealed) < 1 + _POINT + _NONCE + 16 or sealed[:1] != _FORMAT:
        raise EscrowError("the sealed keyring in the database is damaged (not a Candor escrow)")
    ephemeral_public = sealed[1 : 1 + _POINT]
    nonce, body = sealed[1 + _POINT : 1 + _POINT + _NONCE], sealed[1 + _POINT + _NONCE :]
    private = X25519PrivateKey.from_private_bytes(pair.private)
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        text = AESGCM(_key(shared, ephemeral_public, pair.public)).decrypt(nonce, body,
                                                                           _INFO + pair.public)
    except (InvalidTag, ValueError):
        raise EscrowError("the recovery key does not open the sealed keyring: it was altered, "
                          "or sealed to another key") from None
    try:
        return Keyring.from_json(text.decode())
    except (KeyringError, UnicodeDecodeError):
        raise EscrowError("the sealed keyring opened but is not a Candor keyring") from None


def fingerprint(keyring: Keyring) -> str:
    """A keyed hash of the whole keyring: equal keyrings match; it reveals nothing without it."""
    return hmac.new(keyring.index_key,
                    b"candor-escrow-fingerprint-v1\x1f" + keyring.to_json().encode(),
                    hashlib.sha256).hexdigest()


def recovery_fingerprint(public_key: bytes) -> str:
    """The recovery public key's short fingerprint ("3f2a-91c0-..."), shown on each share and by
    `keys check` so that the committee can compare them: equal keys, equal fingerprints. Hex
    digits joined by dashes, so a share's word parser never mistakes a group for a word."""
    digest = hashlib.sha256(b"candor-recovery-key-v1\x1f" + public_key).hexdigest()[:20]
    return "-".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def binding(keyring: Keyring, row: RecoveryKey, *, index_key: bytes | None = None) -> str:
    """The row's binding under `keyring`: an HMAC, under a key derived from the index key (the
    current one, or `index_key`), over what a split fixes (id, public key, split date to the
    second, counts, passphrase). The one function that computes it: an index key that rotates
    re-binds through it."""
    key = hmac.new(index_key or keyring.index_key, _BINDING, hashlib.sha256).digest()
    split = as_utc(row.split_at).replace(microsecond=0).isoformat()
    message = "\x1f".join((str(row.id), row.public_key.hex(), split, str(row.shares),
                           str(row.threshold), str(bool(row.passphrase))))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def bound(row: RecoveryKey, keyring: Keyring) -> bool:
    """Whether `row` was bound under `keyring` (a split made with it, or a reseal re-bound it):
    under any index key it holds, as an index-key rotation moves from one to the next."""
    return row.binding is not None and any(
        hmac.compare_digest(row.binding, binding(keyring, row, index_key=key))
        for key in keyring.index_keys)


def versions_of(keyring: Keyring) -> str:
    return ",".join(str(v) for v in sorted(keyring.versions))


# --- the escrow in the database --------------------------------------------------------------


def db_current(session: Session) -> RecoveryKey | None:
    """The escrow in force: the newest recovery key not replaced."""
    return session.exec(
        select(RecoveryKey).where(col(RecoveryKey.replaced_at).is_(None)).order_by(col(RecoveryKey.id).desc())
    ).first()


def db_replaced(session: Session) -> list[RecoveryKey]:
    """Earlier recovery keys, newest first (their shares open nothing any more)."""
    return list(session.exec(
        select(RecoveryKey).where(col(RecoveryKey.replaced_at).is_not(None)).order_by(col(RecoveryKey.id).desc())
    ).all())


def db_in_force(session: Session) -> list[RecoveryKey]:
    """Every row not replaced, newest first: a split leaves exactly one."""
    return list(session.exec(
        select(RecoveryKey).where(col(RecoveryKey.replaced_at).is_(None)).order_by(col(RecoveryKey.id).desc())
    ).all())


def db_bound(session: Session, keyring: Keyring) -> RecoveryKey | None:
    """The escrow in force, verified under `keyring`; None when there is none. `EscrowUnbound`
    when its binding does not verify or several rows are in force: nothing may be sealed then."""
    rows = db_in_force(session)
    if not rows:
        return None
    if len(rows) > 1:
        raise EscrowUnbound(
            f"the database holds {len(rows)} recovery escrows in force where a split leaves one: "
            "rows were added or changed outside Candor", reason="several")
    if not bound(rows[0], keyring):
        raise EscrowUnbound(
            "the recovery escrow's public key is not bound to this keyring: its row was changed "
            "outside Candor (or split before escrows were bound, or with another key file)",
            reason="unbound")
    return rows[0]


def db_install(session: Session, *, keyring: Keyring, public_key: bytes, shares: int,
               threshold: int, passphrase: bool, now: datetime | None = None) -> RecoveryKey:
    """Make `public_key` the escrow in force, with the keyring sealed to it. An earlier escrow is
    replaced: its sealed copy is deleted, so its shares open nothing from now on."""
    moment = now or utcnow()
    for old in session.exec(select(RecoveryKey)
                            .where(col(RecoveryKey.replaced_at).is_(None))).all():
        old.replaced_at, old.sealed_keyring = moment, None
        session.add(old)
    row = RecoveryKey(public_key=public_key,
                      sealed_keyring=seal_keyring(keyring, public_key=public_key),
                      fingerprint=fingerprint(keyring), versions=versions_of(keyring),
                      shares=shares, threshold=threshold, passphrase=passphrase, split_at=moment,
                      sealed_at=moment)
    session.add(row)
    session.flush()  # its id is bound in
    row.binding = binding(keyring, row)
    session.add(row)
    return row


def db_reseal(session: Session, keyring: Keyring, *, previous: Keyring | None = None,
              now: datetime | None = None) -> bool:
    """Seal `keyring` into the escrow in force, in the caller's transaction (the one that changes
    the keyring's use: `keys rotate`, `keys retire`). False when there is no escrow yet.
    The escrow must verify under `previous` (the keyring it was bound under, when its index key
    differs from `keyring`'s) or else `keyring`: `EscrowUnbound` otherwise, and nothing is sealed.
    It is then re-bound under `keyring`."""
    row = db_bound(session, previous or keyring)
    if row is None:
        return False
    # A rotation seals twice (its new version staged, then made current): one change of versions.
    changed = row.versions != versions_of(keyring)
    row.sealed_keyring = seal_keyring(keyring, public_key=row.public_key)
    row.fingerprint, row.versions = fingerprint(keyring), versions_of(keyring)
    row.sealed_at, row.reseals = now or utcnow(), row.reseals + changed
    row.binding = binding(keyring, row)
    session.add(row)
    return True


def holds(row: RecoveryKey, keyring: Keyring) -> bool:
    """Whether the escrow `row` holds exactly this keyring."""
    return row.sealed_keyring is not None and hmac.compare_digest(row.fingerprint,
                                                                  fingerprint(keyring))
