"""`candor keys`: the master keys (`rotate`, `retire`; the steps are in `rotation.py`; `rotate
--index-key` replaces the index key) and the committee's recovery escrow (`split`, `recover`,
`check`, in `escrow.py`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from adapters.cli.common import fail, out, running, settings
from adapters.cli.keys import escrow
from adapters.cli.keys.rotation import Lagging, Rotation, describe, retire
from storage.clock import utcnow
from storage.escrow import EscrowUnbound
from storage.keyring import Keyring, KeyringError

app = typer.Typer(help="The master keys that wrap every record's data key, and the committee's "
                       "recovery shares that rebuild them.", no_args_is_help=True)


@app.command("rotate")
def keys_rotate(
    batch: int = typer.Option(500, min=1, help="Data keys re-wrapped per transaction."),
    wait: float = typer.Option(120.0, "--wait", min=0,
                               help="Seconds to wait for running servers to load the new key."),
    index_key: bool = typer.Option(False, "--index-key",
                                   help="Rotate the index key (and the audit chain's key) "
                                        "instead of the master key, re-tagging every keyed row."),
) -> None:
    """Add a new master key version and re-wrap every data key under it, in short transactions
    (the service keeps running). Running servers load the new version first (they watch the
    key file): nothing is wrapped under it until each live server holds it, and nothing is
    re-wrapped until each wraps under it. If one does not within --wait seconds, the command
    stops (exit 1) and names it; run it again to continue. Bodies are not re-encrypted. The old
    version stays in the key file until you retire it.

    With --index-key, the index key that tags identities, references and reports (and keys the
    audit chain) is replaced the same way: servers load the new key and look rows up under both;
    the audit chain moves to the new key through a link both keys sign; once every server tags
    under the new key, every keyed row is re-tagged, then the old key is dropped (the audit keys
    of the chain's earlier segments stay in the key file, so `candor audit verify` still walks
    the whole chain). Run it again to continue after a stop."""
    key_file = _key_file(unless_from_environment="rotate the key file instead and update the "
                                                 "variable from it")
    with running() as candor:
        rotation = Rotation(candor.db, key_file, wait,
                            lambda line: out.print(line, highlight=False))
        if index_key:
            _rotate_index(rotation, candor.keyring, key_file, batch=batch)
            return
        if candor.keyring.index_rotating:
            raise fail("an index-key rotation is under way: run `candor keys rotate --index-key` "
                       "to finish it first")
        try:
            keyring = rotation.prepare(candor.keyring)
            keyring = rotation.promote(keyring)
            with Progress(console=out) as progress:
                task = progress.add_task(f"Re-wrapping under v{keyring.current}",
                                         total=rotation.behind(keyring.current))
                total = rotation.rewrap(keyring, batch=batch,
                                        advance=lambda n: progress.advance(task, n))
        except Lagging as late:
            raise fail(_lagging(late, key_file)) from None
        except EscrowUnbound as exc:
            raise fail(escrow.unbound(exc)) from None
    out.print(f"Master key v{keyring.current} is current; {total} data keys re-wrapped. "
              f"Back up {key_file}, then retire old versions with `candor keys retire`.")


def _rotate_index(rotation: Rotation, keyring: Keyring, key_file: Path, *, batch: int) -> None:
    try:
        with Progress(console=out) as progress:
            task = progress.add_task("Re-tagging under the new index key", total=None)
            _, total = rotation.rotate_index(keyring, batch=batch,
                                             advance=lambda n: progress.advance(task, n))
    except Lagging as late:
        raise fail(_lagging(late, key_file)) from None
    out.print(f"The index key is replaced; {total} rows re-tagged, the audit chain continues "
              f"under the new key. Back up {key_file}.")


def _key_file(*, unless_from_environment: str) -> Path:
    """The key file a command rewrites; refused, with what to do instead, when the keyring comes
    from CANDOR_MASTER_KEY."""
    configured = settings()
    if configured.master_key:
        raise fail(f"the keyring comes from CANDOR_MASTER_KEY: {unless_from_environment}")
    return configured.key_file


def _lagging(late: Lagging, key_file: Path) -> str:
    servers = "; ".join(describe(h, utcnow()) for h in late.holders)
    return (f"{len(late.holders)} running server(s) did not {late.wanted} {late.label} in "
            f"time: {servers}. Nothing was re-wrapped or re-tagged, and every server can still "
            f"open and find every record. Make sure each can read {key_file} (a server on another "
            "machine needs the file copied there; one using CANDOR_MASTER_KEY needs the variable "
            "updated and a restart), send it SIGHUP, then run `candor keys rotate` again to "
            "continue.")


@app.command("retire")
def keys_retire(version: int = typer.Argument(..., help="The master key version to remove.")
                ) -> None:
    """Remove an old master key version, once no data key is wrapped by it and no running
    server wraps new ones under it."""
    key_file = _key_file(unless_from_environment="retire the version in the keyring you keep, "
                                                 "update the variable from it and restart; no key "
                                                 "file was written")
    with running() as candor:
        try:
            retire(candor.db, key_file, candor.keyring, version)
        except EscrowUnbound as exc:
            raise fail(escrow.unbound(exc)) from None
        except KeyringError as exc:
            raise fail(str(exc)) from None
    out.print(f"Master key v{version} retired.")


# The escrow's commands, listed after rotate and retire.
app.command("split")(escrow.keys_split)
app.command("recover")(escrow.keys_recover)
app.command("check")(escrow.keys_check)
