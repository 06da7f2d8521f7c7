"""The master keys: the versioned keyring, and its key file (read, written, checked for exposure).

A `Keyring` holds the versioned master keys that wrap data keys (the newest wraps new ones) and
the blind-index key (two of them while it rotates, and the audit keys of earlier ones). It lives
outside the database: in the key file (mode 0600, written atomically and durably) or in
`CANDOR_MASTER_KEY`. `candor keys rotate` and `retire` rewrite the file.

Envelope encryption under these keys lives in storage.crypto, which imports this module; the
errors both raise are defined here, below it. Touches the file system, never the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

log = logging.getLogger("candor.keys")

_KEY = 32


class CryptoError(Exception):
    """Base of every failure in storage.keyring and storage.crypto. Messages name records by kind
    and id, never by content."""


class KeyringError(CryptoError):
    """The master key is missing, unreadable, or not the one the data was sealed with."""


@dataclass(frozen=True)
class Keyring:
    """Versioned master keys (the newest wraps new data keys) and the blind-index key.

    An index-key rotation (`candor keys rotate --index-key`) holds a second index key beside the
    one tags are written under, which lookups try too: the next one while it is staged (servers
    load it before any row is tagged under it), then the previous one while rows are re-tagged.
    The audit chain is MACed under a key derived from the index key; the keys of the chain's
    earlier segments stay (`earlier_audit_keys`, oldest first) so the whole chain still verifies
    once a previous index key is dropped: they MAC, they find no row."""

    versions: dict[int, bytes] = field(repr=False)
    current: int
    index_key: bytes = field(repr=False)
    next_index_key: bytes | None = field(default=None, repr=False)
    previous_index_key: bytes | None = field(default=None, repr=False)
    earlier_audit_keys: tuple[bytes, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:  # never the key material, even in a traceback
        return f"Keyring(versions={sorted(self.versions)}, current={self.current})"

    # --- the index key --------------------------------------------------------------------

    @property
    def index_keys(self) -> tuple[bytes, ...]:
        """Every index key a lookup tries: the one tags are written under first."""
        others = (self.next_index_key, self.previous_index_key)
        return (self.index_key, *(k for k in others if k is not None))

    @property
    def index_fingerprints(self) -> list[str]:
        """What names each of `index_keys` (in a server's report) without revealing it."""
        return [hmac.new(k, b"candor-index-key-id", hashlib.sha256).hexdigest()[:16]
                for k in self.index_keys]

    @property
    def index_rotating(self) -> bool:
        return self.next_index_key is not None or self.previous_index_key is not None

    def index_staged(self) -> Keyring:
        """A new index key that lookups try but nothing is tagged under yet."""
        if self.index_rotating:
            raise KeyringError("an index-key rotation is already under way")
        return replace(self, next_index_key=secrets.token_bytes(_KEY))

    def index_promoted(self, earlier_audit_key: bytes) -> Keyring:
        """The staged index key becomes the one tags are written under; the previous one stays
        for lookups until every row is re-tagged. `earlier_audit_key` is the audit key of the
        chain's segment that ends here (storage.audit derives it)."""
        if self.next_index_key is None:
            raise KeyringError("no index key is staged")
        return replace(self, index_key=self.next_index_key, next_index_key=None,
                       previous_index_key=self.index_key,
                       earlier_audit_keys=(*self.earlier_audit_keys, earlier_audit_key))

    def index_finished(self) -> Keyring:
        """Every row is tagged under the current index key: the previous one is dropped."""
        return replace(self, previous_index_key=None)

    @classmethod
    def generate(cls) -> Keyring:
        return cls(versions={1: secrets.token_bytes(_KEY)}, current=1,
                   index_key=secrets.token_bytes(_KEY))

    def rotated(self) -> Keyring:
        """A keyring with one more master key version, which becomes the current one."""
        return self.staged().promoted()

    def staged(self) -> Keyring:
        """A keyring with one more master key version that opens data keys but does not wrap
        new ones yet: what running servers load before anything is wrapped under it."""
        version = max(self.versions) + 1
        return replace(self, versions={**self.versions, version: secrets.token_bytes(_KEY)})

    @property
    def newest(self) -> int:
        return max(self.versions)

    def promoted(self) -> Keyring:
        """The newest version becomes the one that wraps new data keys."""
        return replace(self, versions=dict(self.versions), current=self.newest)

    def retired(self, version: int) -> Keyring:
        if version == self.current:
            raise KeyringError(f"master key v{version} is the current one and cannot be retired")
        if version not in self.versions:
            raise KeyringError(f"there is no master key v{version}")
        rest = {v: k for v, k in self.versions.items() if v != version}
        return replace(self, versions=rest)

    def master(self, version: int) -> bytes:
        try:
            return self.versions[version]
        except KeyError:
            raise KeyringError(
                f"master key v{version} is not in the key file; restore it from your backup"
            ) from None

    def to_json(self) -> str:
        doc: dict[str, object] = {
            "format": "candor-keyring-1",
            "current": self.current,
            "keys": {str(v): b64(k) for v, k in sorted(self.versions.items())},
            "index_key": b64(self.index_key),
        }
        # Written only when present: a keyring that never rotated its index key reads as before.
        if self.next_index_key is not None:
            doc["next_index_key"] = b64(self.next_index_key)
        if self.previous_index_key is not None:
            doc["previous_index_key"] = b64(self.previous_index_key)
        if self.earlier_audit_keys:
            doc["earlier_audit_keys"] = [b64(k) for k in self.earlier_audit_keys]
        return json.dumps(doc, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            doc = json.loads(text)
            versions = {int(v): base64.b64decode(k, validate=True) for v, k in doc["keys"].items()}
            optional = {name: base64.b64decode(doc[name], validate=True)
                        for name in ("next_index_key", "previous_index_key") if name in doc}
            keyring = cls(versions, int(doc["current"]),
                          base64.b64decode(doc["index_key"], validate=True),
                          optional.get("next_index_key"), optional.get("previous_index_key"),
                          tuple(base64.b64decode(k, validate=True)
                                for k in doc.get("earlier_audit_keys", [])))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError(f"the master key is not a Candor keyring "
                               f"({type(exc).__name__})") from None
        if keyring.current not in versions or any(len(k) != _KEY for k in versions.values()):
            raise KeyringError("the master key is damaged: a key has the wrong length or is "
                               "missing")
        if any(len(k) != _KEY for k in (*keyring.index_keys, *keyring.earlier_audit_keys)):
            raise KeyringError("the master key is damaged: an index key has the wrong length")
        if keyring.next_index_key is not None and keyring.previous_index_key is not None:
            raise KeyringError("the master key is damaged: it holds both a next and a previous "
                               "index key")
        return keyring


def b64(raw: bytes) -> str:
    """Key material as base64 text (the key file's and the secret hashes' encoding)."""
    return base64.b64encode(raw).decode("ascii")


def load_keyring(*, key_file: Path | None, env_value: str | None,
                 warn: Callable[[str], None] | None = None) -> Keyring:
    """The keyring from `CANDOR_MASTER_KEY` (its JSON text) or else from the key file. A key
    file that others than its owner may read is loaded, with a warning (`warn`, by default the
    log)."""
    if env_value:
        return Keyring.from_json(env_value)
    if key_file is None:
        raise KeyringError("no master key: set CANDOR_KEY_FILE or CANDOR_MASTER_KEY")
    try:
        with key_file.open("r", encoding="utf-8") as source:
            warning = exposure(os.fstat(source.fileno()).st_mode, key_file)
            text = source.read()
    except FileNotFoundError:
        raise KeyringError(f"no master key at {key_file}") from None
    except OSError as exc:
        raise KeyringError(f"the key file {key_file} cannot be read ({exc.strerror})") from None
    if warning:
        (warn or log.warning)(warning)
    return Keyring.from_json(text)


def exposure(mode: int, key_file: Path) -> str | None:
    """The warning for a key file that its group or other users may read (or write), or None."""
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    return (f"the key file {key_file} has mode {stat.S_IMODE(mode):04o}: users other than its "
            f"owner may read or change the master key. Run `chmod 600 {key_file}`.")


def save_keyring(path: Path, keyring: Keyring, *, create: bool = False) -> None:
    """Write the keyring with mode 0600, atomically and durably: the file is flushed to disk,
    then its directory, so that a crash just after never leaves the old key file (or none) in
    place of a keyring data may already be wrapped under. `create` refuses to replace a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if create:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(keyring.to_json())
            out.flush()
            os.fsync(out.fileno())
        _fsync_directory(path.parent)
        return
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(keyring.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # The rename (or the new name) is durable only once the directory's entry is on disk.
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
