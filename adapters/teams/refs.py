"""Stored Teams conversation references: the teams the bot was added to, the channels it was
added in (the committee's channel under its own name), people's 1:1 chats; and the reference that
posts to a given channel. They are sealed and found by keyed tags (`storage.references`, through
`bot.delivery.references`): a 1:1 chat's reference names its person.

A reference lends its service URL and tenant to a conversation that has none stored (another
channel of a team, a person's first 1:1 chat) only within one tenant: the committee channel's own
reference, or, with `MICROSOFT_APP_TENANT_ID` pinned, the latest of that tenant. Without a pinned
tenant the latest reference may be another organisation's that installed the app (a multi-tenant
bot), and nothing says which tenant is the company's, so nothing is borrowed."""

from __future__ import annotations

from dataclasses import dataclass

from microsoft_agents.activity import ConversationReference

from bot.delivery import references
from storage.crypto import Vault
from storage.db import Database

TEAM = "teams:team:"  # + the team id: the reference of the bot's installation in that team
CHANNEL = "teams:channel:"  # + a channel's conversation id
USER = "teams:user:"  # + a person's AAD object id: their 1:1 chat with the bot


def _reference(doc: dict[str, object] | None) -> ConversationReference | None:
    return None if doc is None else ConversationReference.model_validate(doc)


@dataclass(frozen=True)
class References:
    """The stored references, read and written in their own short units of work."""

    db: Database
    vault: Vault
    tenant: str | None = None  # MICROSOFT_APP_TENANT_ID: other tenants' activities are ignored

    def save(self, prefix: str, name: str, reference: ConversationReference) -> None:
        """Store where a conversation is reached (`prefix` is TEAM, CHANNEL or USER). The inbound
        activity's id is left out and the time kept is the day: the row changes only when the
        conversation or its service URL does, so it does not record when its person last wrote
        (which would line up with what they wrote)."""
        doc = reference.model_dump(mode="json", by_alias=True, exclude_none=True,
                                   exclude={"request_id"})
        doc.pop("activityId", None)
        references.save(self.db, self.vault, name=prefix + name, kind=prefix.rstrip(":"),
                        reference=doc)

    def load(self, prefix: str, name: str) -> ConversationReference | None:
        return _reference(references.load(self.db, self.vault, prefix + name))

    def latest(self, prefix: str | None = None) -> ConversationReference | None:
        """The latest stored reference of a kind (TEAM, ...), or of any, whatever its tenant."""
        return _reference(references.latest(self.db, self.vault,
                                            prefix.rstrip(":") if prefix else None))

    def _borrowed(self, prefix: str | None = None) -> ConversationReference | None:
        """The latest reference of the pinned tenant; None without one (see the module)."""
        if self.tenant is None:
            return None
        reference = self.latest(prefix)
        if reference is None or reference.conversation is None \
                or reference.conversation.tenant_id != self.tenant:
            return None
        return reference

    def home(self, committee: str | None) -> ConversationReference | None:
        """Whose service URL and tenant start a new conversation: the committee channel's stored
        reference (the company's tenant), else the pinned tenant's latest."""
        stored = self.load(CHANNEL, committee) if committee else None
        return stored if stored is not None else self._borrowed()

    def channel(self, channel_id: str) -> ConversationReference | None:
        """The reference that posts to a channel: the one stored for it, or else, with the tenant
        pinned, a team's reference with the channel's id as the conversation id (how Teams takes
        proactive posts to any channel of a team the bot is in). A team reference lends only its
        service URL, tenant and bot, which are the same for every team of the tenant; the
        conversation id alone says where the post goes. None until the bot has been added to a
        team (without a pinned tenant: to the committee's team, in the committee's channel)."""
        reference = self.load(CHANNEL, channel_id)
        if reference is not None:
            return reference
        reference = self._borrowed(TEAM)
        if reference is None or reference.conversation is None:
            return None
        reference.conversation.id = channel_id
        return reference
