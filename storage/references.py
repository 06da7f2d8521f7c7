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

KIND = "conversationref"  # the record kind its data keys are filed under


def name_tag(vault: Vault, name: str) -> str:
    return vault.tag("conversationref", name)


def document(name: str, reference: dict[str, Any]) -> dict[str, Any]:
    """The sealed body's content (the 0009 migration writes the same)."""
    return {"name": name, "reference": reference}


def db_save(session: Session, vault: Vault, *, name: str, kind: str, reference: dict[str, Any],
            day: datetime) -> bool:
    """Store a reference under its name, unless the one stored is the same; `day` is the start
    of today, the only time kept. Returns whether anything was written."""
    key = name_tag(vault, name)
    row = session.get(ConversationRef, key)
    if row is not None and _open(session, vault, row) == reference:
        return False
    body = vault.seal(session, kind=KIND, record_id=key, data=document(name, reference))
    if row is None:
        session.add(ConversationRef(key=key, kind=kind, updated_at=day, body=body))
    else:
        row.kind, row.updated_at, row.body = kind, day, body
        session.add(row)
    return True


def db_load(session: Session, vault: Vault, name: str) -> dict[str, Any] | None:
    row = session.get(ConversationRef, name_tag(vault, name))
    return None if row is None else _open(session, vault, row)


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
