"""A running server's keyring: reloaded when the key file changes or on SIGHUP, and reported to
the database (`storage.keyholders`) so that `candor keys rotate` and `retire` know what each live
server holds.

The loop looks at the key file every `CANDOR_KEY_POLL_SECONDS` (a stat: inode, size and
modification time) and reads it only when that changed; SIGHUP reads it at once. The vault asks
too (`refresh`): before it wraps a data key when the last look is older than the poll interval (a
server paused past its report's lifetime has been forgotten by `rotate` and `retire`, so it
looks before it writes), and before it gives up on a data key wrapped under a version it does
not hold. A key file that cannot be read, or is another keyring (another index key, or a version
this server holds with other bytes), or moves `current` back, or lacks a version data is still
wrapped under, or whose version does not open a data key wrapped under it, is refused with a log
line naming the versions (never key bytes) and the keyring the server holds stays in use.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from bot import keys
from storage import keyholders
from storage.audit import audit_key
from storage.clock import utcnow
from storage.crypto import Vault
from storage.db import Database
from storage.keyring import Keyring, KeyringError, load_keyring

log = logging.getLogger("candor.keys")

FORCED_READ_SECONDS = 1.0  # a version the server lacks re-reads the file at most this often
Stamp = tuple[int, int, int, int]  # device, inode, size, modification time (ns)


class KeyringWatcher:
    def __init__(self, *, db: Database, vault: Vault, key_file: Path, from_environment: bool,
                 poll_seconds: float, heartbeat_seconds: float) -> None:
        self.db = db
        self.vault = vault
        self.key_file = key_file
        self.source = keyholders.ENVIRONMENT if from_environment else keyholders.FILE
        self.poll = poll_seconds
        self.heartbeat = heartbeat_seconds
        self.server = secrets.token_hex(8)
        self.process = f"{socket.gethostname()} pid {os.getpid()}"
        self.started_at = utcnow()
        self._lock = threading.Lock()
        # None: the file has not been looked at since the keyring was loaded, so the first look
        # reads it (it may have changed between the load and the watcher's start).
        self._stamp: Stamp | None = None
        self._refused: Stamp | None = None  # a file already refused (logged once)
        self._looked = (float("-inf"), float("-inf"))  # (monotonic, wall) time of the last look
        self._forced_at = float("-inf")
        self._changed = threading.Event()  # reloaded since the last report
        # The start-up report and the first heartbeat run at once in two threads: one at a time,
        # or both insert this server's row and one fails on its key (seen on PostgreSQL).
        self._reporting = threading.Lock()

    # --- the key file ----------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """The vault's hook (any thread): look at the file when the last look is stale; with
        `force` (a data key under a version this server lacks), read it, at most once a second."""
        if self.source == keyholders.ENVIRONMENT:
            return
        if force:
            now = time.monotonic()
            if now - self._forced_at < FORCED_READ_SECONDS:
                return
            self._forced_at = now
            self.check(force=True)
        elif self._stale():
            self.check()

    def _stale(self) -> bool:
        mono, wall = self._looked
        now_wall = time.time()
        # Both clocks: the monotonic one stops while a machine sleeps, the wall clock can jump.
        return (time.monotonic() - mono >= self.poll or now_wall - wall >= self.poll
                or now_wall < wall)

    def check(self, *, force: bool = False) -> bool:
        """Reload the keyring if the key file changed (or, with `force`, in any case); True when
        the vault now holds a different keyring."""
        if self.source == keyholders.ENVIRONMENT:
            return False
        with self._lock:
            self._looked = (time.monotonic(), time.time())
            stamp = self._look()
            if stamp is None or (not force and stamp in (self._stamp, self._refused)):
                return False
            try:
                keyring = load_keyring(key_file=self.key_file, env_value=None)
                self._admit(keyring)
            except KeyringError as exc:
                if stamp != self._refused:
                    log.error("the key file changed but was not loaded (%s); the server keeps "
                              "master key versions %s", exc, _versions(self.vault.keyring))
                self._refused = stamp
                return False
            self._stamp, self._refused = stamp, None
            if keyring == self.vault.keyring:
                return False
            self.vault.keyring = keyring
            self._changed.set()
        log.info("keyring reloaded: master key versions %s, new data keys wrapped under v%d",
                 _versions(keyring), keyring.current)
        return True

    def _look(self) -> Stamp | None:
        try:
            st = self.key_file.stat()
        except OSError as exc:
            log.error("the key file cannot be looked at (%s); the server keeps its keyring",
                      exc.strerror)
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _admit(self, keyring: Keyring) -> None:
        """Raise `KeyringError` (naming versions, never key bytes) unless `keyring` is a later
        state of the one held: the same index key, every version both hold the same bytes (a
        staging copy with its own v2 is another keyring), `current` not moved back, and every
        version data keys are wrapped under opening one of them."""
        held = self.vault.keyring
        # An index-key rotation moves tagging to the key the held keyring has staged, or (a server
        # that missed a step) to one whose chain segment follows the held key's; any other index
        # key is another keyring.
        if (keyring.index_key not in (held.index_key, held.next_index_key)
                and audit_key(held.index_key) not in keyring.earlier_audit_keys):
            raise KeyringError("it is another keyring, not a rotation of this one")
        if keyring.earlier_audit_keys[:len(held.earlier_audit_keys)] != held.earlier_audit_keys:
            raise KeyringError("it lacks audit keys of the chain's earlier segments")
        differ = sorted(v for v in set(held.versions) & set(keyring.versions)
                        if not hmac.compare_digest(held.versions[v], keyring.versions[v]))
        if differ:
            raise KeyringError(f"its master key versions {_names(differ)} hold other keys than "
                               "the ones this server holds (a copy of another keyring?)")
        if keyring.current < held.current:
            raise KeyringError(f"it would wrap new data keys under v{keyring.current}, older than "
                               f"the v{held.current} this server wraps under")
        gone = set(held.versions) - set(keyring.versions)
        if gone:  # retired: only once no data key is wrapped under it
            in_use = keys.versions_in_use(self.db)
            if gone & in_use:
                raise KeyringError(f"it lacks master key versions {_names(gone & in_use)}, "
                                   "which still wrap data keys")
        # A version this server never held (so had no bytes to compare) must open what is
        # wrapped under it: one data key per version in use is tried.
        keys.check_opens(self.db, keyring)

    # --- the report ------------------------------------------------------------------------

    @property
    def live_for(self) -> timedelta:
        # Three missed heartbeats (and a poll) before rotate and retire take this server for gone.
        return timedelta(seconds=3 * self.heartbeat + self.poll)

    def report(self) -> None:
        with self._reporting:
            self._changed.clear()
            keyring = self.vault.keyring
            now = utcnow()
            keys.report_holder(self.db, server=self.server, process=self.process,
                               source=self.source, keyring=keyring,
                               started_at=self.started_at, now=now, live_for=self.live_for)

    def forget(self) -> None:
        keys.forget_holder(self.db, server=self.server)

    async def run(self, stop: asyncio.Event, *, sighup: bool = False) -> None:
        """Until `stop`: look at the key file every poll, report at each heartbeat and right
        after a reload; SIGHUP (with `sighup`) reads the file and reports at once."""
        loop = asyncio.get_running_loop()
        hup = asyncio.Event()
        if sighup:
            loop.add_signal_handler(signal.SIGHUP, hup.set)
        next_beat = time.monotonic()
        try:
            while not stop.is_set():
                forced = hup.is_set()
                hup.clear()
                try:
                    await asyncio.to_thread(self.check, force=forced)
                    if forced or self._changed.is_set() or time.monotonic() >= next_beat:
                        await asyncio.to_thread(self.report)
                        next_beat = time.monotonic() + self.heartbeat
                except Exception as exc:  # noqa: BLE001  the database may be briefly unreachable
                    log.error("keyring report failed: %s", type(exc).__name__)
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(hup.wait())]
                await asyncio.wait(waiters, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if sighup:
                loop.remove_signal_handler(signal.SIGHUP)
            try:
                await asyncio.to_thread(self.forget)
            except Exception as exc:  # noqa: BLE001  the report expires by itself
                log.info("keyring report left to expire (%s)", type(exc).__name__)


def _versions(keyring: Keyring) -> str:
    return _names(keyring.versions)


def _names(versions: Iterable[int]) -> str:
    return ", ".join(f"v{v}" for v in sorted(versions))
