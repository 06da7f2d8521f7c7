"""Where a platform reaches a conversation proactively: the `conversationref` rows, the only code
that reads or writes them.

A reference (the routing data an adapter gives as a JSON object: service URL, conversation,
tenant) is sealed, and found by a keyed tag of its name (the adapter's, like
"teams:user:<AAD id>"), since a person's 1:1 chat names its person. Plain are only its kind
("teams:user", never whose) and the day it last changed. A row is rewritten only when the
reference itself changes, never per message: a time rewritten as its person writes would line
up with what they wrote. Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.crypto import SealedOpenError, Vault
from storage.models import ConversationRef
from storage.vocabulary import RecordKind

KIND = RecordKind.REFERENCE  # the record kind its data keys are filed under


def name_tag(vault: Vault, name: str) -> str:
    return vault.tag("conversationref", name)


def name_tags(vault: Vault, name: str) -> list[str]:
    """The name's tags under every index key the keyring holds, the one rows are written under
    first."""
    return vault.tags("conversationref", name)


def document(name: str, reference: dict[str, Any]) -> dict[str, Any]:
    """The sealed body's content (the 0009 migration writes the same)."""
    return {"name": name, "reference": reference}


def db_save(session: Session, vault: Vault, *, name: str, kind: str, reference: dict[str, Any],
            day: datetime) -> bool:
    """Store a reference under its name, unless the one stored is the same; `day` is the start
    of today, the only time kept. Returns whether anything was written."""
    key = name_tag(vault, name)
    row = _row(session, vault, name)
    if row is not None and _open(session, vault, row) == reference:
        return False
    if row is not None and row.key != key:  # tagged under the index key being rotated away
        vault.shred(session, kind=KIND, record_id=row.key)
        session.delete(row)
        session.flush()
        row = None
    body = vault.seal(session, kind=KIND, record_id=key, data=document(name, reference))
    if row is None:
        session.add(ConversationRef(key=key, kind=kind, updated_at=day, body=body))
    else:
        row.kind, row.updated_at, row.body = kind, day, body
        session.add(row)
    return True


def db_load(session: Session, vault: Vault, name: str) -> dict[str, Any] | None:
    row = _row(session, vault, name)
    return None if row is None else _open(session, vault, row)


def _row(session: Session, vault: Vault, name: str) -> ConversationRef | None:
    # Under any index key the keyring holds: an index-key rotation re-tags rows meanwhile.
    tags = name_tags(vault, name)
    rows = session.exec(select(ConversationRef).where(col(ConversationRef.key).in_(tags))).all()
    return min(rows, key=lambda r: tags.index(r.key), default=None)


def db_latest(session: Session, vault: Vault, kind: str | None = None) -> dict[str, Any] | None:
    """The reference changed last (of a kind, or of any): one whose service URL and tenant serve
    for a conversation not stored yet."""
    query = select(ConversationRef)
    if kind is not None:
        query = query.where(ConversationRef.kind == kind)
    row = session.exec(query.order_by(col(ConversationRef.updated_at).desc()).limit(1)).first()
    return None if row is None else _open(session, vault, row)


def _open(session: Session, vault: Vault, row: ConversationRef) -> dict[str, Any]:
    reference = vault.unseal(session, kind=KIND, record_id=row.key, blob=row.body)["reference"]
    if not isinstance(reference, dict):
        raise SealedOpenError(f"{KIND} {row.key}: sealed content is not a reference")
    return reference


def db_retag_after(session: Session, vault: Vault, last_key: str, *,
                   limit: int) -> tuple[int, str | None]:
    """Re-tag the next `limit` rows after `last_key` (in key order) under the vault's index key
    (an index-key rotation): the name is in the sealed body, and the tag is the body's record
    id, so a row is opened, shredded and written again; its kind and day stay. Returns how many
    were re-tagged and the key to continue after (None: none is left)."""
    rows = session.exec(select(ConversationRef).where(col(ConversationRef.key) > last_key)
                        .order_by(col(ConversationRef.key)).limit(limit)).all()
    done = 0
    for row in rows:
        data = vault.unseal(session, kind=KIND, record_id=row.key, blob=row.body)
        name, key = str(data["name"]), name_tag(vault, str(data["name"]))
        if row.key == key:
            continue
        kind, day = row.kind, row.updated_at
        vault.shred(session, kind=KIND, record_id=row.key)
        session.delete(row)
        session.flush()
        session.add(ConversationRef(key=key, kind=kind, updated_at=day,
                                    body=vault.seal(session, kind=KIND, record_id=key,
                                                    data=document(name, data["reference"]))))
        done += 1
    return done, rows[-1].key if rows else None
