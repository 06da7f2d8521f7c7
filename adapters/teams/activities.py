"""What a Teams activity means to Candor, and the activities Candor's replies become.

Reads an activity: who sent it (`user_of`, by AAD object id only), the core event it carries
(`event_of`, `event_id_of`), where it was sent (`in_channel`, `tenant_of`, `team_id_of`) and whether
it asks for the status dialog (`wants_status`); writes `outgoing`, replies as message activities
and cards. Plain translation: no I/O, no core call (adapters/teams/app.py routes and sends).
"""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes

from adapters.teams import cards
from adapters.teams.sender import card_activity
from bot import actions
from bot.messages import Actor, ChoiceClicked, DirectMessage, FormSubmitted, Inbound, Reply, Text

TEAMS = "msteams"  # the Bot Framework channel id of Microsoft Teams


def user_of(activity: Activity) -> str:
    """The person behind an activity, by AAD object id only: an activity without one names nobody
    (its `from.id` is the channel's to choose; on Direct Line, the client's). An activity's own
    claims about the sender (`from.properties`) are never read: the e-mail comes only from Teams'
    member lookup."""
    user = activity.from_property
    return str((user.aad_object_id or "") if user is not None else "")


def outgoing(replies: list[Reply | dict[str, Any]]) -> list[Activity]:
    activities = []
    for reply in replies:
        if isinstance(reply, dict):
            activities.append(card_activity(reply))
            continue
        content = cards.reply_card(reply)
        if content is None:
            assert isinstance(reply, Text)
            activities.append(Activity(type=ActivityTypes.message, text=cards.breaks(reply.text)))
        else:
            activities.append(card_activity(content))
    return activities


def event_id_of(activity: Activity) -> str | None:
    """What makes an activity unique, for de-duplication: Teams numbers a conversation's messages
    by their time in milliseconds, so two people's messages may share an id; with the conversation
    they cannot. (The core keeps only a keyed hash of it: a chat id names its person.)"""
    conversation = activity.conversation.id if activity.conversation else None
    if not activity.id:
        return None
    return f"{conversation}/{activity.id}" if conversation else activity.id


def event_of(activity: Activity, actor: Actor) -> Inbound | None:
    """The core's event for a personal message or a card submit; None for anything else. (The
    AgentApplication has already taken the bot's own @mention out of the text.)"""
    value = activity.value
    event_id = event_id_of(activity)
    if value:
        choice, form_id, fields = cards.submission(value)
        if form_id:
            return FormSubmitted(actor, form_id, fields, event_id=event_id)
        if choice:
            return ChoiceClicked(actor, choice, event_id=event_id)
        return None
    text = (activity.text or "").strip()
    if not text:
        return None
    # Typed words go to the core as what they are, a message: it takes `status CODE`, `attest` and
    # `help` as commands, except mid-report, where "Status reports were altered..." is an answer.
    return DirectMessage(actor, text, event_id=event_id)


def wants_status(event: Inbound) -> bool:
    """`status` typed alone, or the menu's *Check a case*: answered with the status dialog."""
    if isinstance(event, ChoiceClicked):
        return event.value == actions.Menu("status").encode()
    if isinstance(event, DirectMessage):
        return " ".join(event.text.lower().split()) in {"status", "ethics status"}
    return False


def in_channel(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is not None and conversation.conversation_type not in (None, "personal")


def tenant_of(activity: Activity) -> str | None:
    """The Microsoft Entra tenant an activity comes from: its conversation's, as Teams sets it.
    Never `channelData.tenant`, which other Bot Framework channels let the client write."""
    conversation = activity.conversation
    return (str(conversation.tenant_id) if conversation is not None and conversation.tenant_id
            else None)


def _field(item: Any, name: str) -> Any:
    """A field of Teams' channel data, parsed (the SDK's Teams extension makes it a model) or
    not."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def team_id_of(activity: Activity) -> str | None:
    team_id = _field(_field(activity.channel_data, "team"), "id")
    return team_id if isinstance(team_id, str) and team_id else None
