"""The recovery escrow: the master keyring sealed to the committee's recovery key.

The recovery key is an X25519 key pair. Its public half and the keyring sealed to it (an
ephemeral X25519 agreement, HKDF-SHA256, AES-256-GCM) live in the database (`RecoveryKey`); its
private half exists only as the committee's SLIP-39 shares (`storage.shares`). Sealing needs only
the public half, so `candor keys rotate` and `retire` re-seal the keyring without anyone typing a
secret, and a database backup carries everything needed to recover, and nothing that opens
without a threshold of the shares.
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

from storage.clock import utcnow
from storage.keyring import CryptoError, Keyring, KeyringError
from storage.models import RecoveryKey

_FORMAT = b"\x01"  # leading byte of a sealed keyring
_INFO = b"candor-escrow-v1"
_POINT = 32
_NONCE = 12


class EscrowError(CryptoError):
    """The escrow is missing, damaged, or the recovery key given is not the one it was sealed to.
    Messages never carry key material or share words."""


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
    session.flush()
    return row


def db_reseal(session: Session, keyring: Keyring, *, now: datetime | None = None) -> bool:
    """Seal `keyring` into the escrow in force, in the caller's transaction (the one that changes
    the keyring's use: `keys rotate`, `keys retire`). False when there is no escrow yet."""
    row = db_current(session)
    if row is None:
        return False
    # A rotation seals twice (its new version staged, then made current): one change of versions.
    changed = row.versions != versions_of(keyring)
    row.sealed_keyring = seal_keyring(keyring, public_key=row.public_key)
    row.fingerprint, row.versions = fingerprint(keyring), versions_of(keyring)
    row.sealed_at, row.reseals = now or utcnow(), row.reseals + changed
    session.add(row)
    return True


def holds(row: RecoveryKey, keyring: Keyring) -> bool:
    """Whether the escrow `row` holds exactly this keyring."""
    return row.sealed_keyring is not None and hmac.compare_digest(row.fingerprint,
                                                                  fingerprint(keyring))
