"""A person's report draft typed in a chat: loaded, saved and dropped, sealed under a key of its
own, one per platform account (the row's key is a keyed hash of it, never the account id).

Lives here: `db_load` (a draft, or None and whether it had expired), `db_save` (None drops it),
`db_drop` (by row keys: the sweep's expired drafts). The draft's steps are `bot.intake`'s; the
lifetime rule is `bot.schedule.reminders.expired_drafts`. Used by `bot.commands`, `bot.filing`
and `bot.sweep`.
May touch: the `Conversation` table, the `DataKey` rows of drafts (read with a draft's row) and
the vault (seal, open, shred) through the caller's session; it never commits and writes no audit
row (a draft is nobody's record yet).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import intake
from bot.core import Core
from bot.messages import Actor
from bot.schedule import reminders
from bot.schedule.dues import DraftState
from storage.crypto import Vault, seal_record
from storage.db import ByTags
from storage.identities import PlatformAccount
from storage.models import Conversation, DataKey
from storage.vocabulary import RecordKind

KIND = RecordKind.DRAFT  # the record kind its data keys are filed under


class _Found(NamedTuple):
    """A draft's row as read, with its data key (None for either: shredded)."""

    key: str
    updated_at: datetime
    body: bytes
    version: int | None
    wrapped: bytes | None


# Every turn of a conversation reads and writes its draft: with Core statements built once (no
# ORM object), the row read with its data key in one query, as a person's id is
# (storage.identities). Nothing of a draft waits in the session's flush.
_ROWS = Conversation.__table__  # type: ignore[attr-defined]
_KEYS = DataKey.__table__  # type: ignore[attr-defined]
_BY_TAGS = ByTags(lambda match: (
    sa_select(_ROWS.c.key, _ROWS.c.updated_at, _ROWS.c.body, _KEYS.c.master_version,
              _KEYS.c.wrapped)
    .outerjoin(_KEYS, and_(_KEYS.c.record_kind == KIND, _KEYS.c.record_id == _ROWS.c.key))
    .where(match(_ROWS.c.key))))
_INSERT = insert(_ROWS)
_UPDATE = (update(_ROWS).where(_ROWS.c.key == bindparam("row"))
           .values(body=bindparam("sealed"), updated_at=bindparam("day")))
_DELETE = delete(_ROWS).where(_ROWS.c.key == bindparam("row"))


def _found(session: Session, core: Core, actor: Actor) -> _Found | None:
    # Under any index key the keyring holds: an index-key rotation re-tags drafts meanwhile
    # (`db_retag`), and one saved under the old key moves to the new one when saved again.
    tags = core.vault.tags("conversation", actor.platform.value, actor.user_id)
    rows = [_Found(*row) for row in session.connection().execute(*_BY_TAGS.given(tags))]
    return min(rows, key=lambda r: tags.index(r.key), default=None)


def db_load(session: Session, core: Core, actor: Actor) -> tuple[intake.Draft | None, bool]:
    """`actor`'s draft, or None; True beside None when it had expired (and was dropped now)."""
    found = _found(session, core, actor)
    if found is None:
        return None, False
    if reminders.expired_drafts([DraftState(found.key, found.updated_at)], core.now(),
                                core.schedule):
        _drop_key(session, core, found.key)
        return None, True
    data = core.vault.unseal_wrapped(found.version, found.wrapped, kind=KIND,
                                     record_id=found.key, blob=found.body)
    return intake.Draft.from_json(data["draft"]), False


def db_save(session: Session, core: Core, actor: Actor, draft: intake.Draft | None) -> None:
    """Keep `draft` as `actor`'s; None drops theirs."""
    key = core.vault.tag("conversation", actor.platform.value, actor.user_id)
    found = _found(session, core, actor)
    if found is not None and (draft is None or found.key != key):
        _drop_key(session, core, found.key)
        found = None
    if draft is None:
        return
    data = {"draft": draft.to_json()}
    if found is not None and found.version is not None and found.wrapped is not None:
        # its data key, read with the row: sealed again under it
        data_key = core.vault.unwrap(found.version, found.wrapped, kind=KIND, record_id=key)
        body = seal_record(data_key, data, kind=KIND, record_id=key)
    else:
        body = core.vault.seal(session, kind=KIND, record_id=key, data=data)
    # The plain time is the day only: a finer one would line up with the person's next steps.
    day = core.today_start()
    if found is not None and session.connection().execute(
            _UPDATE, {"row": key, "day": day, "sealed": body}).rowcount == 1:
        return
    if found is not None:
        # Dropped meanwhile by another unit (the sweep's, an expired draft's), its data key with
        # it: sealed again under a new key, and written anew.
        body = core.vault.seal(session, kind=KIND, record_id=key, data=data)
    session.connection().execute(_INSERT, {"key": key, "updated_at": day, "body": body})


def db_drop(session: Session, core: Core, keys: Iterable[str]) -> int:
    """Delete the drafts under these row keys, their data keys too; how many there were."""
    dropped = 0
    for key in keys:
        row = session.get(Conversation, key)
        if row is not None:
            _drop(session, core, row)
            dropped += 1
    return dropped


def _drop(session: Session, core: Core, row: Conversation) -> None:
    core.vault.shred(session, kind=RecordKind.DRAFT, record_id=row.key)
    session.delete(row)


def _drop_key(session: Session, core: Core, key: str) -> None:
    """`_drop`, for a row read with Core (no ORM object of it in the session)."""
    core.vault.shred(session, kind=KIND, record_id=key)
    session.connection().execute(_DELETE, {"row": key})


def db_retag(session: Session, vault: Vault, accounts: Iterable[PlatformAccount]) -> int:
    """Move these accounts' drafts tagged under another index key than the vault's to their tag
    under it (an index-key rotation; the account is not in the draft's body, so its identity
    names it). The tag is the body's record id: a draft is opened, shredded and sealed again;
    one already under the new tag wins. Returns how many moved."""
    moved = 0
    for account in accounts:
        key, *others = vault.tags("conversation", account.platform.value, account.platform_user_id)
        rows = session.exec(select(Conversation).where(col(Conversation.key).in_(others))).all()
        for row in rows:
            data = vault.unseal(session, kind=KIND, record_id=row.key, blob=row.body)
            day = row.updated_at
            vault.shred(session, kind=KIND, record_id=row.key)
            session.delete(row)
            session.flush()
            if session.get(Conversation, key) is None:
                session.add(Conversation(key=key, updated_at=day,
                                         body=vault.seal(session, kind=KIND, record_id=key,
                                                         data=data)))
                moved += 1
    return moved
