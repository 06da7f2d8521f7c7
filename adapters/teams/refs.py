"""Stored Teams conversation references (the committee channel, people's 1:1 chats)."""

from __future__ import annotations

from botbuilder.schema import ConversationReference

from storage.clock import utcnow
from storage.db import Database
from storage.models import ConversationRef


def save_reference(db: Database, key: str, reference: ConversationReference) -> None:
    import json

    value = json.dumps(reference.serialize())
    with db.write() as session:
        row = session.get(ConversationRef, key)
        if row is None:
            session.add(ConversationRef(key=key, value=value, updated_at=utcnow()))
        elif row.value != value:
            row.value, row.updated_at = value, utcnow()
            session.add(row)


def load_reference(db: Database, key: str) -> ConversationReference | None:
    import json

    with db.read() as session:
        row = session.get(ConversationRef, key)
    if row is None:
        return None
    return ConversationReference().deserialize(json.loads(row.value))


def any_reference(db: Database, prefix: str) -> ConversationReference | None:
    """Any stored reference under a prefix (its service URL and tenant serve for new chats)."""
    import json

    from sqlmodel import col, select

    with db.read() as session:
        row = session.exec(select(ConversationRef).where(col(ConversationRef.key).startswith(prefix))).first()
    return None if row is None else ConversationReference().deserialize(json.loads(row.value))
