"""A report's receipt, kept for a few minutes under its form's one-time token.

A modal's acknowledgement carries the receipt (the case code, and an anonymous reporter's secret,
shown once). When it reaches Slack late or not at all, the report exists but its reporter never
saw the secret; they submit the same form again. That repeat is recognised by the form's
one-time token, and this keeps the receipt to show it again, instead of "already submitted".

The row is keyed by a keyed hash of the token and sealed like any record; it names no person
(the token is a random value only the reporter's own form carries, so it is what proves them).
It is written in the transaction that records an anonymous report, so its plain time is the day
only; the moment it stops being shown is sealed inside it. After `KEEP` the sweep shreds it, and a
row the sweep has not reached yet is ignored.
Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.core import Core
from storage.clock import as_utc
from storage.models import FormReceipt

KIND = "form_receipt"
# Long enough for a reporter to see a failed submit and press it again; short enough that a
# secret does not wait in the database (even sealed) for anyone else.
KEEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Kept:
    code: str
    secret: str | None


def _key(core: Core, token: str) -> str:
    return core.vault.tag("form-receipt", token)


def db_keep(session: Session, core: Core, *, token: str, code: str, secret: str | None) -> None:
    """Keep the receipt of the report this form just filed."""
    key = _key(core, token)
    until = (core.now() + KEEP).isoformat()
    session.add(FormReceipt(id=key, created_at=core.today_start(),
                            body=core.vault.seal(session, kind=KIND, record_id=key,
                                                 data={"code": code, "secret": secret, "until": until})))


def _until(data: dict[str, object]) -> datetime:
    return as_utc(datetime.fromisoformat(str(data["until"])))


def db_again(session: Session, core: Core, *, token: str) -> Kept | None:
    """The receipt of the report this form filed, while it is kept."""
    key = _key(core, token)
    row = session.get(FormReceipt, key)
    if row is None:
        return None
    data = core.vault.open(session, kind=KIND, record_id=key, blob=row.body)
    if _until(data) < core.now():
        return None
    secret = data.get("secret")
    return Kept(str(data["code"]), secret if isinstance(secret, str) else None)


def db_purge(session: Session, core: Core, *, now: datetime) -> int:
    """Shred every receipt kept longer than `KEEP` (its data key, then the row). Only rows of the
    last two days are opened to read their time (a handful: one per form submitted)."""
    rows = session.exec(select(FormReceipt)).all()
    expired = [row for row in rows if as_utc(row.created_at) < now - timedelta(days=2)
               or _until(core.vault.open(session, kind=KIND, record_id=row.id, blob=row.body)) < now]
    for row in expired:
        core.vault.shred(session, kind=KIND, record_id=row.id)
        session.delete(row)
    return len(expired)
