"""The key ceremony at the command line: `candor keys split`, `keys recover`, `keys check`.

`split` makes the committee's recovery key, seals the keyring to it in the database and writes
its SLIP-39 shares; `recover` rebuilds a lost key file from a threshold of them; `check` is the
restore drill. A split that replaces an earlier one rotates the master key through `rotation.py`,
so that the old shares open nothing written after it. Registered on `candor keys` in
`adapters/cli/keys/__init__.py`. No share word, private key or keyring byte is ever logged or
audited (audit rows carry counts); share words are printed only by `split --one-at-a-time`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from adapters.bootstrap import Candor
from adapters.cli.common import err, fail, out, running, settings
from adapters.cli.keys.rotation import Lagging, Rotation, describe
from bot import keys
from storage import migrate
from storage.clock import utcnow
from storage.db import Database
from storage.escrow import (
    EscrowError,
    EscrowUnbound,
    RecoveryPair,
    bound,
    holds,
    open_keyring,
    recovery_fingerprint,
)
from storage.keyring import CryptoError, Keyring, KeyringError, save_keyring
from storage.models import RecoveryKey
from storage.shares import (
    MAX_SHARES,
    GivenShare,
    ShareError,
    combine,
    share_file,
    split,
    words_of_file,
)

REWRAP_BATCH = 500  # data keys re-wrapped per transaction by a split's rotation (as `rotate`)


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def unbound(exc: EscrowUnbound) -> str:
    """What `keys rotate`, `retire` and `check` say of an escrow that does not verify."""
    return (f"{exc}. Nothing was sealed to it, and nothing was changed. Compare the recovery key "
            "fingerprint `candor keys check` shows with the one on the committee's shares, then "
            "make a new split (`candor keys split`): it rotates the master key, so that whatever "
            "holds the key now in the database opens nothing written after it")


# --- split ----------------------------------------------------------------------------------


def keys_split(
    shares: int = typer.Option(..., "--shares", min=2, max=MAX_SHARES,
                               help="How many shares to make: one per committee member."),
    threshold: int = typer.Option(..., "--threshold", min=2, max=MAX_SHARES,
                                  help="How many shares recover the key (at least 2)."),
    directory: Path | None = typer.Option(None, "--out",
                                          help="A new or empty folder for share-1.txt ... "
                                               "share-N.txt."),
    one_at_a_time: bool = typer.Option(False, "--one-at-a-time",
                                       help="Write nothing: show each share on this terminal "
                                            "to its member alone, then clear the screen."),
    passphrase_prompt: bool = typer.Option(False, "--passphrase-prompt",
                                           help="Also protect the shares with a SLIP-39 "
                                                "passphrase, asked here (kept apart from the "
                                                "shares)."),
    wait: float = typer.Option(120.0, "--wait", min=0,
                               help="Replacing a split: seconds to wait for running servers to "
                                    "load the new master key."),
) -> None:
    """Make the committee's recovery key: seal the master keyring to it in the database and
    split its private half into SLIP-39 shares, any THRESHOLD of which recover the keyring.
    Give one share to each member: written to --out, or shown one at a time (--one-at-a-time).
    Replacing an earlier split also rotates the master key, so that the old shares, even with a
    backup, open nothing written after the new split (backups from before keep what they held).
    `keys rotate` and `keys retire` re-seal the escrow: the shares never change with the keyring."""
    if threshold > shares:
        raise fail(f"--threshold {threshold} is more than --shares {shares}: any THRESHOLD of the "
                   "SHARES recover the key")
    if (directory is not None) == one_at_a_time:
        raise fail("give either --out DIR (share files) or --one-at-a-time (shown on this "
                   "terminal, nothing written); nothing was changed")
    existing = sorted(directory.glob("share-*.txt")) if directory and directory.is_dir() else []
    if existing:
        raise fail(f"{escape(str(directory))} already holds shares ({existing[0].name}): shares "
                   "of two splits must never be mixed. Use a new, empty folder; nothing was "
                   "changed")
    passphrase = ""
    if passphrase_prompt:
        passphrase = typer.prompt("SLIP-39 passphrase (printable ASCII)", hide_input=True,
                                  confirmation_prompt=True)
    with running() as candor:
        key_file = _replacing(candor)
        pair = RecoveryPair.generate()
        try:
            mnemonics = split(pair.private, shares=shares, threshold=threshold,
                              passphrase=passphrase)
            # A ceremony checks its shares before handing them out: two sets rebuild the key.
            for chosen in (mnemonics[:threshold], mnemonics[-threshold:]):
                given = [GivenShare(f"share {i}", tuple(m.split())) for i, m in enumerate(chosen)]
                if RecoveryPair.from_private(combine(given, passphrase=passphrase).secret) != pair:
                    raise fail("the shares made do not rebuild the key; nothing was changed")
        except ShareError as exc:
            raise fail(f"{exc}; nothing was changed") from None
        today = datetime.now(UTC).date()
        recovery_key = recovery_fingerprint(pair.public)
        if directory is not None:
            written = _write_shares(directory, mnemonics, threshold=threshold, day=today,
                                    recovery_key=recovery_key)
            holders: list[str] = []
        else:
            written, holders = [], _show_shares(mnemonics, threshold=threshold, day=today,
                                                recovery_key=recovery_key)
        try:
            earlier = keys.install_escrow(candor.db, candor.core, keyring=candor.keyring,
                                          public_key=pair.public, shares=shares,
                                          threshold=threshold, passphrase=bool(passphrase))
            replaced = _day(earlier) if earlier else None
        except BaseException:
            for path in written:  # shares of a key that is not the escrow must not be handed out
                path.unlink(missing_ok=True)
            if holders:
                err.print("The shares shown are not in force: ask their holders to destroy them.",
                          highlight=False)
            raise
        _tell_the_operator(directory, holders, shares=shares, threshold=threshold,
                           passphrase=bool(passphrase), recovery_key=recovery_key)
        if key_file is not None:
            _cut_off(candor, key_file, replaced=replaced or "", wait=wait)


def _replacing(candor: Candor) -> Path | None:
    """The key file to rotate when this split replaces an earlier one (None: the first split).
    Refused, before anything changes, when the keyring comes from CANDOR_MASTER_KEY: the
    rotation that cuts the old shares off rewrites the key file."""
    if keys.current_escrow(candor.db) is None:
        return None
    configured = settings()
    if configured.master_key:
        raise fail("a new split replaces the earlier one and rotates the master key, so that the "
                   "old shares open nothing written after it; the keyring comes from "
                   "CANDOR_MASTER_KEY, which Candor cannot rewrite. Run it with CANDOR_KEY_FILE "
                   "(the keyring you keep, in a file), then update the variable from the file; "
                   "nothing was changed")
    return configured.key_file


def _cut_off(candor: Candor, key_file: Path, *, replaced: str, wait: float) -> None:
    """Rotate the master key after a split replaced an earlier one, through the rotation of
    `keys rotate` (stage, wait for live servers, promote, re-wrap): the earlier escrow, in any
    backup, holds no version that wraps what is written from now on. A rotation an earlier
    command left unfinished is finished first: its version may be in the earlier escrow."""
    rotation = Rotation(candor.db, key_file, wait, lambda line: out.print(line, highlight=False))
    keyring = candor.keyring
    try:
        for _step in range(2):
            unfinished = keyring.newest != keyring.current or rotation.behind(keyring.current)
            keyring = rotation.promote(rotation.prepare(keyring))
            rotation.rewrap(keyring, batch=REWRAP_BATCH, advance=lambda _count: None)
            if not unfinished:
                break
    except Lagging as late:
        servers = "; ".join(describe(h, utcnow()) for h in late.holders)
        raise fail(f"the new split is in force, but the master key rotation that cuts the split "
                   f"of {replaced} off stopped: {len(late.holders)} running server(s) did not "
                   f"{late.wanted} {late.label} in time: {servers}. Until it "
                   "finishes, the old shares with a backup still open what is written. Let each "
                   f"server read {escape(str(key_file))} (SIGHUP), then run `candor keys rotate` "
                   "to finish it") from None
    older = sorted(v for v in keyring.versions if v != keyring.current)
    out.print(f"Master key v{keyring.current} is now current and every data key is re-wrapped "
              f"under it: the shares of the split of {replaced}, even with a database backup, open "
              "nothing written after this split. Backups from before keep what they held: the "
              "old shares with one of them open what it holds. Ask the old shares' holders to "
              "destroy them.", highlight=False)
    if older:
        retire = "; ".join(f"`candor keys retire {v}`" for v in older)
        out.print(f"Back up {escape(str(key_file))}, then retire the old master key version"
                  f"{'s' if len(older) > 1 else ''}: {retire}.", highlight=False)


def _show_shares(mnemonics: list[str], *, threshold: int, day: date,
                 recovery_key: str) -> list[str]:
    """Each share on this terminal, to one member at a time: their name asked, the share shown
    once they are alone at the screen, the screen (and its scrollback) cleared once they have
    written it down. Nothing is written to disk. Returns who holds which share, in order."""
    holders: list[str] = []
    total = len(mnemonics)
    for number, mnemonic in enumerate(mnemonics, start=1):
        name = typer.prompt(f"Share {number} of {total}: the committee member who receives it")
        typer.prompt(f"{name.strip()}, alone at the screen: press Enter to see share {number}",
                     default="", show_default=False)
        out.print(f"Share {number} of {total}, for {escape(name.strip())} (any {threshold} "
                  f"recover the key). Write it down on paper, word by word:", highlight=False)
        out.print(share_file(mnemonic, threshold=threshold, day=day, recovery_key=recovery_key),
                  highlight=False, markup=False)
        typer.prompt("Press Enter once it is written down and checked: the screen is cleared",
                     default="", show_default=False)
        _clear_screen()
        holders.append(name.strip())
    return holders


def _clear_screen() -> None:
    # Rich clears only a terminal it recognises; the codes are written whatever stdout is, and
    # ESC[3J drops the scrollback too, so a share does not stay a scroll away.
    out.file.write("\x1b[H\x1b[2J\x1b[3J")
    out.file.flush()


def _write_shares(directory: Path, mnemonics: list[str], *, threshold: int, day: date,
                  recovery_key: str) -> list[Path]:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"could not make {escape(str(directory))}: {exc.strerror}; "
                   "nothing was changed") from None
    written: list[Path] = []
    try:
        for number, mnemonic in enumerate(mnemonics, start=1):
            path = directory / f"share-{number}.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            written.append(path)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(share_file(mnemonic, threshold=threshold, day=day,
                                        recovery_key=recovery_key))
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise fail(f"could not write the shares in {escape(str(directory))}: {exc.strerror}; "
                   "nothing was changed") from None
    return written


def _tell_the_operator(directory: Path | None, holders: list[str], *, shares: int, threshold: int,
                       passphrase: bool, recovery_key: str) -> None:
    if directory is not None:
        folder = escape(str(directory))
        out.print(f"Wrote {shares} shares to {folder} (share-1.txt … share-{shares}.txt, mode "
                  f"0600). Any {threshold} of them recover the master keyring from the database; "
                  f"{threshold - 1} or fewer reveal nothing.", highlight=False)
        steps = [
            "Give one share to each committee member (printed, or on their own encrypted "
            "storage). Keep no two shares together, and none beside the database backups.",
            "Delete the folder now: " + f"rm -r {folder}" + " (no share may stay on this machine).",
            "Record in the committee's minutes who holds which share number, today's date and "
            f"the recovery key's fingerprint {recovery_key}.",
        ]
    else:
        out.print(f"Showed {shares} shares, one to each member; nothing was written to disk. Any "
                  f"{threshold} of them recover the master keyring from the database; "
                  f"{threshold - 1} or fewer reveal nothing.", highlight=False)
        steps = [
            "Each member keeps their paper apart from the others' and from the database backups.",
            "Record in the committee's minutes who holds which share number ("
            + escape("; ".join(f"{n}: {name}" for n, name in enumerate(holders, start=1)))
            + f"), today's date and the recovery key's fingerprint {recovery_key}.",
        ]
    if passphrase:
        steps.insert(1, "Keep the passphrase apart from the shares (the chair's safe, say): "
                        "without it the shares recover nothing.")
    out.print("Now:", highlight=False)
    for number, step in enumerate(steps, start=1):
        out.print(f"  {number}. {step}", highlight=False)
    out.print("The escrow follows every `candor keys rotate` and `candor keys retire` by itself: "
              "the shares need no change. If the key file is lost: `candor keys recover`.",
              highlight=False)


# --- recover --------------------------------------------------------------------------------


def keys_recover(
    share_files: list[Path] = typer.Argument(None, metavar="SHARE",
                                             help="Share files (share-1.txt ...); none, or -, "
                                                  "reads word lists from standard input, one "
                                                  "share per line.",
                                             show_default=False),
) -> None:
    """Rebuild the master keyring from a threshold of the committee's shares and the escrow in
    the database, and write it to CANDOR_KEY_FILE (mode 0600). Never overwrites a key file;
    on any refusal nothing is written and nothing changes."""
    configured = settings()
    key_file = configured.key_file
    if key_file.exists():
        raise fail(f"{escape(str(key_file))} exists: recovery never overwrites a key file. If "
                   "it is damaged or the wrong one, move it aside (keep it) and run this again; "
                   "nothing was written")
    given = _read_shares(share_files or [])
    db = Database.from_url(configured.database_url)
    try:
        if migrate.current_revision(db) != migrate.head_revision():
            raise fail("the database schema is not up to date: run `candor db upgrade` first; "
                       "nothing was written")
        escrow, earlier = keys.escrows(db)
        if escrow is None or escrow.sealed_keyring is None:
            raise fail("this database holds no recovery escrow (no `candor keys split` was made in "
                       "it): the shares cannot help, restore the key file from a backup. Check "
                       "CANDOR_DATABASE_URL; nothing was written")
        passphrase = ""
        if escrow.passphrase:
            passphrase = typer.prompt("The split's SLIP-39 passphrase", hide_input=True, err=True)
        keyring = _open_escrow(given, escrow, earlier, passphrase)
        try:
            keys.check_opens(db, keyring)
        except KeyringError:
            raise fail("the keyring in the escrow does not open this database's data keys (a "
                       "master key version in use is missing from it): the shares cannot help, "
                       "restore the key file from a backup; nothing was written") from None
        try:
            save_keyring(key_file, keyring, create=True)
        except FileExistsError:
            raise fail(f"{escape(str(key_file))} appeared meanwhile: nothing was written") from None
        except OSError as exc:
            raise fail(f"could not write {escape(str(key_file))}: {exc.strerror}; "
                       "nothing was written") from None
        keys.record_recovery(db, keyring, escrow)
    finally:
        db.dispose()
    if not bound(escrow, keyring):
        # The keyring opens this database's data keys, so it is the one lost; but the escrow's
        # row was changed outside Candor (or split before escrows were bound): no reseal trusts it.
        out.print("Warning: the escrow's row is not bound to the keyring recovered (it was changed "
                  "outside Candor, or split before escrows were bound): `candor keys rotate` and "
                  "`retire` will refuse until a new split.", highlight=False)
    versions = ", ".join(f"v{v}" for v in sorted(keyring.versions))
    out.print(f"Recovered the master keyring ({versions}; v{keyring.current} current) to "
              f"{escape(str(key_file))} (mode 0600).", highlight=False)
    if configured.master_key:
        out.print("CANDOR_MASTER_KEY is set and is read before the key file: put the recovered "
                  "file's content in it, or unset it.", highlight=False)
    out.print("Now: 1. back the key file up to your secrets store; 2. run `candor keys check`; "
              "3. start Candor; 4. the shares used were brought together: make a new split "
              "(`candor keys split`) and ask their holders to destroy the old ones.",
              highlight=False)


def _read_shares(paths: list[Path]) -> list[GivenShare]:
    given: list[GivenShare] = []
    if not paths or paths == [Path("-")]:
        if sys.stdin.isatty():
            err.print("Type or paste one share per line; end with Ctrl-D.", highlight=False)
        for number, line in enumerate(sys.stdin, start=1):
            words = words_of_file(line)
            if words:
                given.append(GivenShare(f"line {number} of standard input", words))
        if not given:
            raise fail("no share was given: name share files, or give word lists on standard "
                       "input, one per line; nothing was written")
        return given
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise fail(f"{escape(str(path))}: {exc.strerror}; nothing was written") from None
        except UnicodeDecodeError:
            raise fail(f"{escape(str(path))}: not a share file (not text); "
                       "nothing was written") from None
        given.append(GivenShare(path.name if len({p.name for p in paths}) == len(paths)
                                else str(path),
                                words_of_file(text)))
    return given


def _open_escrow(given: list[GivenShare], escrow: RecoveryKey, earlier: list[RecoveryKey],
                 passphrase: str) -> Keyring:
    try:
        combined = combine(given, passphrase=passphrase, total=escrow.shares)
        pair = RecoveryPair.from_private(combined.secret)
    except CryptoError as exc:
        raise fail(f"{escape(str(exc))}; nothing was written") from None
    if pair.public != escrow.public_key:
        for old in earlier:
            if old.public_key == pair.public:
                raise fail(f"these shares are from the split of {_day(old.split_at)}, replaced on "
                           f"{_day(old.replaced_at or old.split_at)}: they open nothing any "
                           f"more. Use shares of the split of {_day(escrow.split_at)}; nothing "
                           f"was written")
        why = ("the passphrase is wrong, or " if escrow.passphrase else "")
        raise fail(f"the shares fit together but are not this database's recovery key: {why}they "
                   "are from another Candor database's split. Check CANDOR_DATABASE_URL; nothing "
                   "was written")
    assert escrow.sealed_keyring is not None
    try:
        return open_keyring(escrow.sealed_keyring, pair=pair)
    except EscrowError as exc:
        raise fail(f"{exc}; nothing was written") from None


# --- check ----------------------------------------------------------------------------------


def keys_check() -> None:
    """The restore drill: open every data key with the keyring at hand, count them by kind, and
    say whether the recovery escrow holds this keyring and how old its split is. Exits non-zero
    on any failure."""
    with running() as candor:
        opened, failed = keys.open_every_data_key(candor.db, candor.core.vault)
        escrow = keys.current_escrow(candor.db)
        try:
            keys.bound_escrow(candor.db, candor.keyring)
            fault = None
        except EscrowUnbound as exc:
            fault = exc
        problems = [f"{count} {kind} data keys do not open"
                    for kind, count in sorted(failed.items())]
        table = Table("Kind", "Data keys", "Open")
        for kind in sorted(set(opened) | set(failed)):
            table.add_row(kind, str(opened[kind] + failed[kind]), str(opened[kind]))
        out.print(table)
        total = sum(opened.values())
        out.print(f"{total} data keys open with the keyring at hand (master keys "
                  f"{', '.join(f'v{v}' for v in sorted(candor.keyring.versions))}; "
                  f"v{candor.keyring.current} current).",
                  highlight=False)
        escrow_problems = _report_escrow(escrow, candor.keyring, fault)
        problems += escrow_problems
        keys.record_drill(candor.db, candor.core, opened=total, failed=sum(failed.values()),
                          escrow_holds=not escrow_problems)
    if problems:
        raise fail("the drill failed: " + "; ".join(problems))
    out.print("The drill passed: every data key opens, and the escrow recovers this keyring.",
              highlight=False)


def _report_escrow(escrow: RecoveryKey | None, keyring: Keyring,
                   fault: EscrowUnbound | None) -> list[str]:
    if escrow is None:
        out.print("No recovery escrow: if the key file is lost, nothing can be read. Run "
                  "`candor keys split --shares N --threshold K --out DIR`.", highlight=False)
        return ["there is no recovery escrow"]
    age = (datetime.now(UTC) - escrow.split_at).days
    passphrase = " and the passphrase" if escrow.passphrase else ""
    out.print(f"Escrow: split on {_day(escrow.split_at)} ({age} days ago) into {escrow.shares} "
              f"shares; any {escrow.threshold}{passphrase} recover the keyring.", highlight=False)
    out.print(f"Recovery key fingerprint: {recovery_fingerprint(escrow.public_key)} (each share "
              "shows it: compare them).", highlight=False)
    if fault is not None:
        out.print(unbound(fault) + ".", highlight=False)
        return [f"the recovery escrow split on {_day(escrow.split_at)} is not bound to this "
                "keyring: its public key may not be the committee's"]
    if escrow.reseals:
        out.print(f"The keyring was rotated since the split ({escrow.reseals} time"
                  f"{'s' if escrow.reseals != 1 else ''}, last sealed {_day(escrow.sealed_at)}): "
                  "the escrow followed, the shares need no change.", highlight=False)
    else:
        out.print("The keyring was not rotated since the split.", highlight=False)
    if not holds(escrow, keyring):
        out.print(f"The escrow holds another keyring (master keys {escrow.versions}) than the one "
                  "at hand: a recovery would not give this key file. Make a new split.",
                  highlight=False)
        return ["the escrow does not hold the keyring at hand"]
    return []

