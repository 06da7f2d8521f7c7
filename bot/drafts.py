"""A person's report draft typed in a chat: loaded, saved and dropped, sealed under a key of its
own, one per platform account (the row's key is a keyed hash of it, never the account id).

Lives here: `db_load` (a draft, or None and whether it had expired), `db_save` (None drops it),
`db_drop` (by row keys: the sweep's expired drafts). The draft's steps are `bot.intake`'s; the
lifetime rule is `bot.schedule.reminders.expired_drafts`. Used by `bot.commands`, `bot.filing`
and `bot.sweep`.
May touch: the `Conversation` table and the vault (seal, open, shred) through the caller's
session; it never commits and writes no audit row (a draft is nobody's record yet).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot import intake
from bot.core import Core
from bot.messages import Actor
from bot.schedule import reminders
from bot.schedule.dues import DraftState
from storage.crypto import Vault
from storage.identities import PlatformAccount
from storage.models import Conversation
from storage.vocabulary import RecordKind

KIND = RecordKind.DRAFT  # the record kind its data keys are filed under


def _key(core: Core, actor: Actor) -> str:
    return core.vault.tag("conversation", actor.platform.value, actor.user_id)


# Built once (every turn of a conversation reads it).
_BY_TAGS = select(Conversation).where(col(Conversation.key).in_(bindparam("tags", expanding=True)))


def _row(session: Session, core: Core, actor: Actor) -> Conversation | None:
    # Under any index key the keyring holds: an index-key rotation re-tags drafts meanwhile
    # (`db_retag`), and one saved under the old key moves to the new one when saved again.
    tags = core.vault.tags("conversation", actor.platform.value, actor.user_id)
    rows = session.exec(_BY_TAGS, params={"tags": tags}).all()
    return min(rows, key=lambda r: tags.index(r.key), default=None)


def db_load(session: Session, core: Core, actor: Actor) -> tuple[intake.Draft | None, bool]:
    """`actor`'s draft, or None; True beside None when it had expired (and was dropped now)."""
    row = _row(session, core, actor)
    if row is None:
        return None, False
    if reminders.expired_drafts([DraftState(row.key, row.updated_at)], core.now(),
                                core.schedule):
        _drop(session, core, row)
        return None, True
    data = core.vault.unseal(session, kind=RecordKind.DRAFT, record_id=row.key, blob=row.body)
    return intake.Draft.from_json(data["draft"]), False


def db_save(session: Session, core: Core, actor: Actor, draft: intake.Draft | None) -> None:
    """Keep `draft` as `actor`'s; None drops theirs."""
    key = _key(core, actor)
    row = _row(session, core, actor)
    if row is not None and (draft is None or row.key != key):
        _drop(session, core, row)
        session.flush()
        row = None
    if draft is None:
        return
    body = core.vault.seal(session, kind=RecordKind.DRAFT, record_id=key,
                           data={"draft": draft.to_json()})
    # The plain time is the day only: a finer one would line up with the person's next steps.
    if row is None:
        session.add(Conversation(key=key, updated_at=core.today_start(), body=body))
    else:
        row.body, row.updated_at = body, core.today_start()
        session.add(row)


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
