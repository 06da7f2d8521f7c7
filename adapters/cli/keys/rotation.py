"""Rotating and retiring master keys while servers run: the order of steps behind `candor keys
rotate` and `candor keys retire`, and the waiting for running servers in between.

Rotation never wraps a data key under a version a live server cannot open:
1. the new version is added to the key file *staged*: servers load it and can open data keys
   wrapped under it, but still wrap under the old one;
2. once every live server reports holding it (`storage.keyholders`), it becomes current in the
   key file: servers reload and wrap under it; one that has not reloaded yet still opens it;
3. once every live server reports wrapping under it, every older data key is re-wrapped.
A step that times out stops the command with nothing re-wrapped; running it again resumes.

Retiring refuses a version a live server still wraps under, and a version a data key is wrapped
under, checked again after the key file is written (and the file put back if one appeared).
Each step re-seals the committee's recovery escrow (`storage.escrow`) to the keyring it writes;
an escrow whose row does not verify (`storage.escrow.EscrowUnbound`) stops both before anything
changes: the database alone must never choose where the keyring is sealed.

The index key (`rotate --index-key`, `Rotation.rotate_index`) follows the same order: staged
(lookups try it) until every live server holds it; then the audit chain is linked to it and it
tags new rows; once every live server tags under it, every keyed row is re-tagged
(`bot.index_keys`) and the old key dropped. Stopped at any step, running it again resumes.
The key file and the waiting are here; what the database holds is read and written through
`bot.keys`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import index_keys, keys
from storage import keyholders
from storage.audit import audit_key
from storage.clock import utcnow
from storage.db import Database
from storage.keyholders import Holder
from storage.keyring import Keyring, KeyringError, save_keyring

POLL_SECONDS = 0.5
PROGRESS_SECONDS = 5.0
REWRAP_PASSES = 3  # a server that wrapped under an old version just before it reloaded


class Lagging(Exception):
    """Live servers did not reach the keyring asked for in time; `holders` names them."""

    def __init__(self, holders: list[Holder], label: str, wanted: str) -> None:
        super().__init__(f"{len(holders)} servers do not {wanted} {label}")
        self.holders, self.label, self.wanted = holders, label, wanted


@dataclass
class Rotation:
    db: Database
    key_file: Path
    wait_seconds: float
    say: Callable[[str], None]
    now: Callable[[], datetime] = utcnow

    def prepare(self, keyring: Keyring) -> Keyring:
        """The keyring with the version to rotate to: a staged one already in the key file (an
        earlier rotation stopped while waiting), the current one when data keys are still under
        older versions (an earlier rotation stopped before it finished), or a new staged one.
        `EscrowUnbound` first, with nothing changed, when the escrow does not verify."""
        keys.bound_escrow(self.db, keyring)
        if keyring.newest != keyring.current:
            self.say(f"Master key v{keyring.newest} is already in the key file, not yet current "
                     "(an earlier rotation stopped while waiting): continuing it.")
            return keyring
        behind = self.behind(keyring.current)
        if behind:
            self.say(f"{behind} data keys are still wrapped under older versions than the current "
                     f"v{keyring.current} (an earlier rotation stopped): finishing it.")
            return keyring
        staged = keyring.staged()
        _escrow_then_save(self.db, self.key_file, staged)
        self.say(f"Master key v{staged.newest} added to {self.key_file}, not yet current.")
        return staged

    def promote(self, keyring: Keyring) -> Keyring:
        """Wait until every live server holds the newest version, then make it current."""
        self.wait(keyring.newest, keyholders.not_holding, "hold")
        if keyring.current == keyring.newest:
            return keyring
        promoted = keyring.promoted()
        _escrow_then_save(self.db, self.key_file, promoted)
        self.say(f"Master key v{promoted.current} is current in {self.key_file}.")
        return promoted

    def rewrap(self, keyring: Keyring, *, batch: int, advance: Callable[[int], None]) -> int:
        """Wait until every live server wraps under the current version, then re-wrap every
        data key under an older one; returns how many were re-wrapped."""
        self.wait(keyring.current, keyholders.not_wrapping, "wrap new data keys under")
        done = 0
        for _pass in range(REWRAP_PASSES):
            for count in keys.rewrap(self.db, keyring, batch=batch):
                done += count
                advance(count)
            if not self.behind(keyring.current):
                break
        return done

    def behind(self, current: int) -> int:
        return keys.data_keys_behind(self.db, current)

    def wait(self, version: int, lagging: Callable[[list[Holder], int], list[Holder]],
             wanted: str) -> None:
        """Until no live server lags, or raise `Lagging` after `wait_seconds`."""
        self.wait_for(lambda holders: lagging(holders, version), wanted,
                      label=f"master key v{version}")

    def wait_for(self, lagging: Callable[[list[Holder]], list[Holder]], wanted: str, *,
                 label: str) -> None:
        """`wait`, for what `lagging` picks out (`label` names it in what is said)."""
        deadline = time.monotonic() + self.wait_seconds
        shown: tuple[str, ...] | None = None
        shown_at = float("-inf")
        while True:
            late = lagging(keys.live_holders(self.db, now=self.now()))
            if not late:
                if shown is not None:
                    self.say(f"Every running server now {_present(wanted)} {label}.")
                return
            if time.monotonic() >= deadline:
                raise Lagging(late, label, wanted)
            names = tuple(h.process for h in late)
            if names != shown or time.monotonic() - shown_at >= PROGRESS_SECONDS:
                self.say(f"Waiting for {len(late)} running server(s) to {wanted} {label}: "
                         + "; ".join(describe(h, self.now()) for h in late))
                shown, shown_at = names, time.monotonic()
            time.sleep(POLL_SECONDS)


    # --- the index key (`candor keys rotate --index-key`) ----------------------------------

    def rotate_index(self, keyring: Keyring, *, batch: int,
                     advance: Callable[[int], None]) -> tuple[Keyring, int]:
        """Replace the index key, resuming where an earlier run stopped: stage the new key (lookups
        try it), hand the audit chain over to it and make it the one rows are tagged under once
        every live server holds it, re-tag every keyed row once every live server tags under it,
        then drop the old key. Returns the keyring written and how many rows were re-tagged."""
        if not keyring.index_rotating:
            keyring = keyring.index_staged()
            _escrow_then_save(self.db, self.key_file, keyring)
            self.say(f"A new index key was added to {self.key_file}: lookups try it, nothing is "
                     "tagged under it yet.")
        elif keyring.next_index_key is not None:
            self.say("A new index key is already in the key file (an earlier rotation stopped "
                     "while waiting): continuing it.")
        else:
            self.say("Rows are still tagged under the previous index key (an earlier rotation "
                     "stopped): finishing it.")
        if keyring.next_index_key is not None:
            staged = keyring.index_fingerprints[1]
            self.wait_for(lambda hs: keyholders.not_holding_index(hs, staged), "hold",
                          label="the new index key")
            index_keys.link_audit(self.db, keyring)  # under the old chain key, naming the new
            keyring = keyring.index_promoted(audit_key(keyring.index_key))
            # The escrow is resealed to (and bound under) the keyring with the new index key.
            _escrow_then_save(self.db, self.key_file, keyring)
            self.say(f"The new index key is the one rows are tagged under in {self.key_file}.")
        tagging = keyring.index_fingerprints[0]
        self.wait_for(lambda hs: keyholders.not_tagging(hs, tagging), "tag new rows under",
                      label="the new index key")
        total = 0
        for _pass in range(REWRAP_PASSES):
            done = 0
            for _what, count in index_keys.retag(self.db, keyring, batch=batch):
                done += count
                advance(count)
            total += done
            if not done:
                break
        finished = keyring.index_finished()
        _escrow_then_save(self.db, self.key_file, finished)
        index_keys.record_retagged(self.db, finished, rows=total)
        return finished, total


def _present(wanted: str) -> str:
    return {"hold": "holds", "tag new rows under": "tags new rows under"}.get(
        wanted, "wraps new data keys under")


def describe(holder: Holder, now: datetime) -> str:
    ago = max(0, int((now - holder.seen_at).total_seconds()))
    source = "key from CANDOR_MASTER_KEY" if holder.source == keyholders.ENVIRONMENT else "key file"
    return (f"{holder.process} (holds {holder.versions_text}, wraps under v{holder.wrapping}, "
            f"{source}, reported {ago} s ago)")


def retire(db: Database, key_file: Path, keyring: Keyring, version: int, *,
           now: Callable[[], datetime] = utcnow) -> Keyring:
    """Remove `version` from the key file, or raise `KeyringError` (or `EscrowUnbound`, before
    anything changes) saying why not."""
    keys.bound_escrow(db, keyring)
    if version == keyring.current:
        raise KeyringError(f"master key v{version} is the current one: rotate first, then "
                           "retire it")
    retired = keyring.retired(version)
    holders = keys.live_holders(db, now=now())
    stale = [h for h in holders if h.wrapping not in retired.versions]
    if stale:
        raise KeyringError(
            f"{len(stale)} running server(s) still wrap new data keys under a version this would "
            "remove or that the key file lacks: " + "; ".join(describe(h, now()) for h in stale)
            + ". Let them load the key file (they do within seconds; SIGHUP makes them do it at "
            "once, and a server on another machine needs the file copied there), or finish the "
            "rotation with `candor keys rotate`, then retire again.")
    if keys.wrapped_under(db, version):
        raise KeyringError(f"master key v{version} still wraps data keys: run "
                           "`candor keys rotate` first")
    save_keyring(key_file, retired)
    # A server that wrapped under `version` between the check and the write (it could only
    # have been one paused past its report): put the version back rather than strand its key.
    if keys.wrapped_under(db, version):
        save_keyring(key_file, keyring)
        raise KeyringError(f"a data key was wrapped under master key v{version} while it was being "
                           "retired; it was kept. Run `candor keys rotate`, then retire it again.")
    keys.reseal(db, retired)  # the escrow no longer holds the retired version
    return retired


def _escrow_then_save(db: Database, key_file: Path, keyring: Keyring) -> None:
    """Write a keyring with a version added: the committee's escrow (`storage.escrow`) holds it
    before the key file does, so no data key is ever wrapped under a version it cannot recover."""
    keys.reseal(db, keyring)
    save_keyring(key_file, keyring)
