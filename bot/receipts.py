"""What the core answered that cannot be asked for again, kept sealed for a few minutes.

Two things are kept, in the same table (`FormReceipt`), each row under a keyed hash of a random
value, sealed like any record, its plain time the day only (a row may be written beside an
anonymous report) and the moment it stops being shown sealed inside it:

- **A form's receipt**, under a keyed hash of the form's one-time token and the person who
  submitted it. A modal's acknowledgement carries the receipt (the case code, and an anonymous
  reporter's secret, shown once). When it reaches Slack late or not at all, the report exists but
  its reporter never saw the secret; they submit the same form again. That repeat is recognised by
  the token, and the receipt is shown again instead of "already submitted", to the same person
  only: a token can leave its form (a Teams card's data, a shared screen), and someone else holding
  it must not get the code and the secret. The row names no person (the hash binds them in, as a
  kept view's does). Kept `KEEP`.
- **A kept view**: a form or a document an adapter shows later, in a window its chat's button
  opens (a Teams dialog), because its chat keeps history: a receipt, a new secret, a case's
  details. `db_keep_view` returns a one-time key for the button; the row's id is a keyed hash of
  that key and the person it was for, so it opens for them only, and no column or sealed field
  names them (even with the keyring, the row says whose it is only to someone holding the key
  from their card). It opens once: `db_take_view` shreds it as it hands it out; anyone else finds
  nothing and leaves it where it is. Kept `VIEW_KEEP`. Being in the database, not in one server's
  memory, it opens on any replica and after a restart.

After its time the sweep shreds a row (`db_purge`), and a row the sweep has not reached yet is
ignored. Every row is sealed under one record kind, so neither the sweep nor anyone reading the
data-key table tells a receipt from a view. Functions named `db_*` take the caller's session and
never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.core import Core
from bot.messages import Actor, Keepable, keepable_from_json, keepable_to_json
from storage.clock import as_utc
from storage.models import FormReceipt
from storage.vocabulary import RecordKind, ReporterMode

KIND = RecordKind.FORM_RECEIPT
# Long enough for a reporter to see a failed submit and press it again; short enough that a
# secret does not wait in the database (even sealed) for anyone else.
KEEP = timedelta(minutes=15)
# Long enough to press the button under the card that says a window is waiting; no longer.
VIEW_KEEP = timedelta(minutes=10)
_KEY_CHARS = 64  # a view's key is 24 characters; anything much longer is not one


@dataclass(frozen=True)
class Kept:
    code: str
    secret: str | None
    way: ReporterMode = ReporterMode.NAMED  # how the reporter chose to report (issue 24)


def _key(core: Core, token: str, actor: Actor) -> str:
    return core.vault.tag("form-receipt", token, actor.platform.value, actor.user_id)


def _seal(session: Session, core: Core, key: str, data: dict[str, object]) -> FormReceipt:
    # A new key each time (a form token spent in this very transaction, or a random view key):
    # no data key can exist for it yet, so none is looked up.
    return FormReceipt(id=key, created_at=core.today_start(),
                       body=core.vault.seal(session, kind=KIND, record_id=key, data=data,
                                            new=True))


def db_keep(session: Session, core: Core, *, token: str, actor: Actor, code: str,
            secret: str | None, way: ReporterMode | None = None) -> None:
    """Keep the receipt of the report this form just filed, for `actor` who filed it, with the
    way they chose (a repeat shows the receipt of that way)."""
    until = (core.now() + KEEP).isoformat()
    way = way or (ReporterMode.ANONYMOUS if secret else ReporterMode.NAMED)
    session.add(_seal(session, core, _key(core, token, actor),
                      {"code": code, "secret": secret, "until": until, "way": way.value}))


def _until(data: dict[str, object]) -> datetime:
    return as_utc(datetime.fromisoformat(str(data["until"])))


def db_again(session: Session, core: Core, *, token: str, actor: Actor) -> Kept | None:
    """The receipt of the report this form filed, while it is kept, when `actor` filed it
    (anyone else finds nothing)."""
    key = _key(core, token, actor)
    row = session.get(FormReceipt, key)
    if row is None:
        return None
    data = core.vault.unseal(session, kind=KIND, record_id=key, blob=row.body)
    if _until(data) < core.now() or "code" not in data:
        return None
    secret = data.get("secret")
    secret = secret if isinstance(secret, str) else None
    try:
        way = ReporterMode(str(data["way"]))
    except (KeyError, ValueError):  # kept before the way was: a secret says anonymous
        way = ReporterMode.ANONYMOUS if secret else ReporterMode.NAMED
    return Kept(str(data["code"]), secret, way)


# --- kept views -------------------------------------------------------------------------------


def _view_key(core: Core, key: str, actor: Actor) -> str:
    # The person is bound into the row's id, and stored nowhere else: another person's id for the
    # same key finds no row, and even with the keyring the database does not say whose a row is
    # (that takes the random key, which only the person's own card carries).
    return core.vault.tag("kept-view", key, actor.platform.value, actor.user_id)


def db_keep_view(session: Session, core: Core, *, actor: Actor, replies: list[Keepable]) -> str:
    """Keep these for `actor`'s window to open once; the one-time key its button carries."""
    key = secrets.token_urlsafe(18)
    until = (core.now() + VIEW_KEEP).isoformat()
    session.add(_seal(session, core, _view_key(core, key, actor), {
        "until": until, "replies": [keepable_to_json(r) for r in replies]}))
    return key


def db_take_view(session: Session, core: Core, *, actor: Actor, key: str) -> list[Keepable] | None:
    """What was kept under `key` for `actor`, handed out once: the row is shredded as it is taken.
    None when it is gone, past its time, or kept for someone else (whose row is not even found,
    and stays). The row is locked first, so two windows opened at once with one key see it once
    (PostgreSQL; SQLite's writes queue anyway)."""
    if not key or len(key) > _KEY_CHARS:
        return None
    record_id = _view_key(core, key, actor)
    row = session.exec(select(FormReceipt).where(FormReceipt.id == record_id)
                       .with_for_update()).first()
    if row is None:
        return None
    data = core.vault.unseal(session, kind=KIND, record_id=record_id, blob=row.body)
    if "replies" not in data or _until(data) < core.now():
        return None
    replies = [keepable_from_json(doc) for doc in data["replies"]]
    core.vault.shred(session, kind=KIND, record_id=record_id)
    session.delete(row)
    return replies


def db_purge(session: Session, core: Core, *, now: datetime) -> int:
    """Shred every receipt and view past its time (its data key, then the row). Only rows of the
    last two days are opened to read their time (a handful: one per form submitted or window
    waiting)."""
    rows = session.exec(select(FormReceipt)).all()
    expired = [row for row in rows if as_utc(row.created_at) < now - timedelta(days=2)
               or _until(core.vault.unseal(session, kind=KIND, record_id=row.id,
                                         blob=row.body)) < now]
    for row in expired:
        core.vault.shred(session, kind=KIND, record_id=row.id)
        session.delete(row)
    return len(expired)
