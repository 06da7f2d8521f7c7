"""Stored Teams conversation references: the teams the bot was added to, the channels it was
added in, people's 1:1 chats; and the reference that posts to a given channel."""

from __future__ import annotations

import json

from microsoft_agents.activity import ConversationReference
from sqlmodel import col, select

from storage.clock import start_of_day, utcnow
from storage.db import Database
from storage.models import ConversationRef

TEAM = "teams:team:"  # + the team id: the reference of the bot's installation in that team
CHANNEL = "teams:channel:"  # + a channel's conversation id
USER = "teams:user:"  # + a person's AAD object id: their 1:1 chat with the bot


def save_reference(db: Database, key: str, reference: ConversationReference) -> None:
    """Store where a conversation is reached. The inbound activity's id is left out and the time
    kept is the day: the row changes only when the conversation or its service URL does, so it
    does not record when its person last wrote (which would line up with what they wrote)."""
    doc = reference.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"request_id"})
    doc.pop("activityId", None)
    value = json.dumps(doc, sort_keys=True)
    with db.write() as session:
        row = session.get(ConversationRef, key)
        if row is None:
            session.add(ConversationRef(key=key, value=value, updated_at=start_of_day(utcnow())))
        elif row.value != value:
            row.value, row.updated_at = value, start_of_day(utcnow())
            session.add(row)


def load_reference(db: Database, key: str) -> ConversationReference | None:
    with db.read() as session:
        row = session.get(ConversationRef, key)
    if row is None:
        return None
    return ConversationReference.model_validate(json.loads(row.value))


def any_reference(db: Database, prefix: str) -> ConversationReference | None:
    """The latest stored reference under a prefix (its service URL and tenant serve for new
    conversations)."""
    with db.read() as session:
        row = session.exec(select(ConversationRef).where(col(ConversationRef.key).startswith(prefix))
                           .order_by(col(ConversationRef.updated_at).desc())).first()
    return None if row is None else ConversationReference.model_validate(json.loads(row.value))


def channel_reference(db: Database, channel_id: str) -> ConversationReference | None:
    """The reference that posts to a channel: the one stored for it, or else a team's reference
    with the channel's id as the conversation id (how Teams takes proactive posts to any channel
    of a team the bot is in). A team reference lends only its service URL, tenant and bot, which
    are the same for every team of the tenant; the conversation id alone says where the post goes.
    None until the bot has been added to a team."""
    reference = load_reference(db, CHANNEL + channel_id)
    if reference is not None:
        return reference
    reference = any_reference(db, TEAM)
    if reference is None or reference.conversation is None:
        return None
    reference.conversation.id = channel_id
    return reference
