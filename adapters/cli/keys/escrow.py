"""The key ceremony at the command line: `candor keys split`, `keys recover`, `keys check`.

`split` makes the committee's recovery key, seals the keyring to it in the database and writes
its SLIP-39 shares; `recover` rebuilds a lost key file from a threshold of them; `check` is the
restore drill. Registered on `candor keys` in `adapters/cli/keys/__init__.py`. No share word,
private key or keyring byte is ever printed, logged or audited: audit rows carry counts.
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
from bot import keys
from storage import migrate
from storage.db import Database
from storage.escrow import (
    EscrowError,
    RecoveryPair,
    holds,
    open_keyring,
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


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


# --- split ----------------------------------------------------------------------------------


def keys_split(
    shares: int = typer.Option(..., "--shares", min=2, max=MAX_SHARES,
                               help="How many shares to make: one per committee member."),
    threshold: int = typer.Option(..., "--threshold", min=2, max=MAX_SHARES,
                                  help="How many shares recover the key (at least 2)."),
    directory: Path = typer.Option(..., "--out",
                                   help="A new or empty folder for share-1.txt ... share-N.txt."),
    passphrase_prompt: bool = typer.Option(False, "--passphrase-prompt",
                                           help="Also protect the shares with a SLIP-39 "
                                                "passphrase, asked here (kept apart from the "
                                                "shares)."),
) -> None:
    """Make the committee's recovery key: seal the master keyring to it in the database and
    split its private half into SLIP-39 shares, any THRESHOLD of which recover the keyring.
    Replaces an earlier split (its shares then open nothing). Give one share to each member.
    `keys rotate` and `keys retire` re-seal the escrow: the shares never change with the keyring."""
    if threshold > shares:
        raise fail(f"--threshold {threshold} is more than --shares {shares}: any THRESHOLD of the "
                   "SHARES recover the key")
    existing = sorted(directory.glob("share-*.txt")) if directory.is_dir() else []
    if existing:
        raise fail(f"{escape(str(directory))} already holds shares ({existing[0].name}): shares "
                   "of two splits must never be mixed. Use a new, empty folder; nothing was "
                   "changed")
    passphrase = ""
    if passphrase_prompt:
        passphrase = typer.prompt("SLIP-39 passphrase (printable ASCII)", hide_input=True,
                                  confirmation_prompt=True)
    with running() as candor:
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
        written = _write_shares(directory, mnemonics, threshold=threshold, day=today)
        try:
            earlier = keys.install_escrow(candor.db, candor.core, keyring=candor.keyring,
                                          public_key=pair.public, shares=shares,
                                          threshold=threshold, passphrase=bool(passphrase))
            replaced = _day(earlier) if earlier else None
        except BaseException:
            for path in written:  # shares of a key that is not the escrow must not be handed out
                path.unlink(missing_ok=True)
            raise
    _tell_the_operator(directory, shares=shares, threshold=threshold, passphrase=bool(passphrase),
                       replaced=replaced)


def _write_shares(directory: Path, mnemonics: list[str], *, threshold: int,
                  day: date) -> list[Path]:
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
                handle.write(share_file(mnemonic, threshold=threshold, day=day))
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise fail(f"could not write the shares in {escape(str(directory))}: {exc.strerror}; "
                   "nothing was changed") from None
    return written


def _tell_the_operator(directory: Path, *, shares: int, threshold: int, passphrase: bool,
                       replaced: str | None) -> None:
    folder = escape(str(directory))
    out.print(f"Wrote {shares} shares to {folder} (share-1.txt … share-{shares}.txt, mode 0600). "
              f"Any {threshold} of them recover the master keyring from the database; "
              f"{threshold - 1} or fewer reveal nothing.", highlight=False)
    steps = [
        "Give one share to each committee member (printed, or on their own encrypted storage). "
        "Keep no two shares together, and none beside the database backups.",
        "Delete the folder now: " + f"rm -r {folder}" + " (no share may stay on this machine).",
        "Record in the committee's minutes who holds which share number, and today's date.",
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
    if replaced:
        out.print(f"The split of {replaced} is replaced: its shares open nothing any more. Ask "
                  "their holders to destroy them.", highlight=False)


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
        escrow_problems = _report_escrow(escrow, candor.keyring)
        problems += escrow_problems
        keys.record_drill(candor.db, candor.core, opened=total, failed=sum(failed.values()),
                          escrow_holds=not escrow_problems)
    if problems:
        raise fail("the drill failed: " + "; ".join(problems))
    out.print("The drill passed: every data key opens, and the escrow recovers this keyring.",
              highlight=False)


def _report_escrow(escrow: RecoveryKey | None, keyring: Keyring) -> list[str]:
    if escrow is None:
        out.print("No recovery escrow: if the key file is lost, nothing can be read. Run "
                  "`candor keys split --shares N --threshold K --out DIR`.", highlight=False)
        return ["there is no recovery escrow"]
    age = (datetime.now(UTC) - escrow.split_at).days
    passphrase = " and the passphrase" if escrow.passphrase else ""
    out.print(f"Escrow: split on {_day(escrow.split_at)} ({age} days ago) into {escrow.shares} "
              f"shares; any {escrow.threshold}{passphrase} recover the keyring.", highlight=False)
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


def escrow_warning(candor: Candor) -> str | None:
    """What `candor serve` warns of at start: no escrow, or one that holds another keyring."""
    escrow = keys.current_escrow(candor.db)
    if escrow is None:
        return ("no recovery escrow: if the key file is lost, nothing in the database can be read. "
                "Run `candor keys split` and give the shares to the Audit Committee")
    if not holds(escrow, candor.keyring):
        return ("the recovery escrow holds another keyring than this server's: a recovery would "
                "not give this key. Run `candor keys check`, then `candor keys split`")
    return None
