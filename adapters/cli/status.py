"""`candor status`: one screen for the operator: what waits for the committee and why, what to do
about each error, the schema, the key file, the key escrow's age, anonymous reports held past
their delay (`candor notify retry`, in notify.py, makes what a platform refused due again once it
is fixed).

It needs no master key: `bot.admin.status` reads plain columns (counts, times, error codes). Only
whether held anonymous reports are past their delay is sealed (bot.pending); it is read when the
key is at hand, and the screen says it cannot tell otherwise.
"""

from __future__ import annotations

import stat
from datetime import datetime

from adapters.cli.common import out, settings
from adapters.settings import Settings
from bot import admin
from bot.wording import notices
from storage.clock import as_utc, utcnow
from storage.crypto import Vault
from storage.db import Database
from storage.escrow import recovery_fingerprint
from storage.keyring import KeyringError, load_keyring


def _minutes(now: datetime, since: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


def _key_line(configured: Settings) -> str:
    if configured.master_key is not None and configured.master_key.get_secret_value():
        return "from CANDOR_MASTER_KEY (the environment)"
    path = configured.key_file
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return f"{path}: missing (restore it from your backup)"
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror})"
    warning = "" if mode & 0o077 == 0 else f": others can read it, run `chmod 600 {path}`"
    return f"{path}, mode {mode:04o}{warning}"


def _files_line(configured: Settings) -> str:
    """Whether the evidence upload and download pages are offered (issue 23)."""
    if configured.public_url is None:
        return ("off: no upload or download is offered. Set CANDOR_PUBLIC_URL to the https:// "
                "address browsers reach `candor serve` at to turn them on")
    return (f"on at {configured.public_url}/files/ (a file up to {configured.file_max_mb} MB, a "
            f"case up to {configured.case_files_max_mb} MB)")


def _escrow_line(seen: admin.Status, now: datetime) -> str:
    """The committee's recovery escrow: whether it is bound to the key file, its age, and whether
    rotations followed the split."""
    escrow = seen.escrow
    if escrow is None:
        return "none: run `candor keys split` (without it, a lost key file loses everything)"
    split = as_utc(escrow.split_at)
    line = (f"split {split:%Y-%m-%d} ({(now - split).days} days ago), {escrow.threshold} of "
            f"{escrow.shares} shares, recovery key {recovery_fingerprint(escrow.public_key)}")
    if seen.escrow_fault:
        line = (f"[bold red]NOT BOUND to the key file[/] ({seen.escrow_fault}): its public key "
                "may not be the committee's; rotations will refuse to seal to it. Run `candor "
                "keys check`, then `candor keys split`. " + line)
    elif not seen.escrow_checked:
        line += "; cannot tell without the master key whether it is bound to it"
    if escrow.reseals:
        line += (f"; re-sealed {escrow.reseals} time(s) since, last "
                 f"{as_utc(escrow.sealed_at):%Y-%m-%d}")
    return line


def _vault(configured: Settings) -> Vault | None:
    """The keyring, when this machine holds it: only to read when held anonymous reports are due."""
    env_value = configured.master_key.get_secret_value() if configured.master_key else None
    try:
        return Vault(load_keyring(key_file=configured.key_file, env_value=env_value,
                                  warn=lambda _text: None))
    except KeyringError:
        return None


def _unrecorded_line(count: int | None) -> str:
    """Anonymous reports held for their delay and past it by minutes: a count, never a time."""
    if count is None:
        return "cannot tell without the master key whether any is held past its delay"
    if not count:
        return "none held past its delay"
    return (f"[bold red]{count} held past their delay, not recorded[/] (so not alerted): "
            "`candor serve` records them; check that it runs and its log")


def status() -> None:
    """One screen for the operator: whether the committee's notices get through (what waits, by
    platform, why, and what to do about it), the schema version, the key file's mode, the key
    escrow's age, and how many anonymous reports are held past their delay unrecorded."""
    configured = settings()
    now = utcnow()
    db = Database.from_url(configured.database_url)
    try:
        seen = admin.status(db, now=now, vault=_vault(configured))
    finally:
        db.dispose()
    schema = f"{seen.schema} (up to date)" if seen.current else \
        f"{seen.schema or 'empty'}, not {seen.head}: run `candor db upgrade`"
    problems = seen.problems(now=now, stale_minutes=configured.alert_stale_minutes)
    ok = not problems and seen.current
    out.print(f"Candor status at {now:%Y-%m-%d %H:%M} UTC", highlight=False)
    out.print("  Committee alerts  " + ("[green]ok[/]" if ok else "[bold red]NOT OK[/]"),
              highlight=False)
    for name, value in problems.items():
        out.print(f"                    {name}: {value}", highlight=False)
    out.print(f"  Schema            {schema}", highlight=False)
    out.print(f"  Key file          {_key_line(configured)}", highlight=False)
    out.print(f"  Evidence files    {_files_line(configured)}", highlight=False)
    if seen.current:
        out.print(f"  Key escrow        {_escrow_line(seen, now)}", highlight=False)
        out.print(f"  Anonymous reports {_unrecorded_line(seen.unrecorded)}", highlight=False)
    for outage in seen.outages:
        told = (f"operators e-mailed {as_utc(outage.emailed_at):%H:%M} UTC" if outage.emailed_at
                else ("operators not e-mailed yet" if configured.smtp_url
                      else "no e-mail: CANDOR_SMTP_URL is unset"))
        out.print(f"  {outage.platform.label} channel blocked since "
                  f"{as_utc(outage.started_at):%Y-%m-%d %H:%M} UTC "
                  f"({outage.cause}); {told}", highlight=False)
    if not seen.waiting:
        out.print("No notice is waiting: everything due has been delivered.")
        return
    out.print("Notices due, not delivered (platform, kind: how many, for how long, the last error)")
    for w in sorted(seen.waiting, key=lambda w: (w.platform.value, w.oldest_due)):
        why = (w.reason + (" (blocked)" if w.blocked else "")) if w.reason else "not tried yet"
        fix = (notices.delivery_fix(w.reason) if w.reason
               else "`candor serve` sends it: check that it runs.")
        out.print(f"  {w.platform.label}, {w.kind}: {w.count}, "
                  f"for {_minutes(now, w.oldest_due)}; {why}",
                  highlight=False)
        out.print(f"      fix: {fix}", highlight=False)
