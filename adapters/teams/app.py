"""Candor on Microsoft Teams: botbuilder's CloudAdapter on aiohttp at POST /api/messages, and an
activity handler that translates activities into the core's events and renders its replies.

With `MICROSOFT_APP_ID` set, every inbound request's JWT is validated by the Bot Framework
(an unauthenticated or unverifiable post gets 401); without one the adapter runs in the Bot
Framework's local mode (the Emulator, tests; only with `CANDOR_TEAMS_LOCAL=true`). When the bot is
added to a team, the team's conversation reference is stored; `CANDOR_TEAMS_CHANNEL` names the
committee channel, any channel of that team. People are matched to the roster by AAD object id,
or once by the e-mail Teams' member lookup gives. Every import of the Teams SDK stays in this
folder.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
    ChannelAccount,
)

from adapters.teams import cards
from adapters.teams.adapter import KeysUnavailable, build_adapter
from adapters.teams.refs import CHANNEL, TEAM, USER, save_reference
from adapters.teams.sender import CONNECTOR_ERRORS, open_personal_chat, patiently
from bot import copy
from bot.messages import (
    Actor,
    ChoiceClicked,
    DirectMessage,
    FormSubmitted,
    Inbound,
    Reply,
    Text,
)
from bot.service import Service
from storage.db import Database
from storage.vocabulary import Platform

log = logging.getLogger("candor.teams")

COMMANDS = ("report", "status", "attest", "help")


def actor_of(activity: Activity, *, email: str | None = None) -> Actor:
    """The person behind an activity, by AAD object id (by Teams id where there is none). An
    activity's own claims about the sender (`from.properties`) are never read: the e-mail comes
    only from Teams' member lookup."""
    user = activity.from_property or ChannelAccount()
    user_id = getattr(user, "aad_object_id", None) or user.id or ""
    return Actor(Platform.TEAMS, str(user_id), email=email)


def outgoing(replies: list[Reply]) -> list[Activity]:
    activities = []
    for reply in replies:
        content = cards.reply_card(reply)
        if content is None:
            assert isinstance(reply, Text)
            activities.append(MessageFactory.text(reply.text))
        else:
            activities.append(MessageFactory.attachment(Attachment(content_type=cards.CARD, content=content)))
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
    """The core's event for a personal message or a card submit; None for anything else."""
    value = activity.value
    event_id = event_id_of(activity)
    if value:
        choice, form_id, fields = cards.submission(value)
        if form_id:
            return FormSubmitted(actor, form_id, fields, event_id=event_id)
        if choice:
            return ChoiceClicked(actor, choice, event_id=event_id)
        return None
    text = TurnContext.remove_recipient_mention(activity) if activity.entities else (activity.text or "")
    text = (text or "").strip()
    if not text:
        return None
    # Typed words go to the core as what they are, a message: it takes `status CODE`, `attest` and
    # `help` as commands, except mid-report, where "Status reports were altered..." is an answer.
    return DirectMessage(actor, text, event_id=event_id)


def _in_channel(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is not None and conversation.conversation_type not in (None, "personal")


def tenant_of(activity: Activity) -> str | None:
    """The Microsoft Entra tenant an activity comes from (Teams puts it in both places)."""
    conversation = activity.conversation
    if conversation is not None and getattr(conversation, "tenant_id", None):
        return str(conversation.tenant_id)
    tenant = (activity.channel_data or {}).get("tenant") if isinstance(activity.channel_data, dict) else None
    return str(tenant["id"]) if isinstance(tenant, dict) and tenant.get("id") else None


class _MessageResponse(AdaptiveCardInvokeResponse):
    """An `adaptiveCard/action` answer that shows a message: Teams wants its `value` to be the
    message's text, a string (botbuilder's model types `value` as an object, which refuses one)."""

    _attribute_map = {**AdaptiveCardInvokeResponse._attribute_map, "value": {"key": "value", "type": "str"}}


class CandorTeamsBot(TeamsActivityHandler):
    """With a tenant pinned (MICROSOFT_APP_TENANT_ID), activities from any other tenant are
    ignored, and only then is a new person matched to the roster by the e-mail Teams gives: in
    another tenant anyone can give themselves any address. Unpinned, people are matched by their
    AAD object id (the roster's teams_id) only."""

    def __init__(self, service: Service, db: Database, wake: Callable[[], None], *,
                 tenant_id: str | None = None) -> None:
        super().__init__()
        self._service = service
        self._db = db
        self._wake = wake
        self._tenant = tenant_id or None

    async def on_turn(self, turn_context: TurnContext) -> None:
        if self._tenant is not None and tenant_of(turn_context.activity) != self._tenant:
            log.warning("activity from another tenant ignored")  # no ids: they are the stranger's
            return
        await super().on_turn(turn_context)

    async def _handle(self, event: Inbound) -> list[Reply]:
        replies = await asyncio.to_thread(self._service.handle, event)
        self._wake()
        return replies

    async def _actor(self, turn_context: TurnContext) -> Actor:
        """The sender as the core knows them. Someone not yet matched to the roster is looked up
        in Teams (GET .../members/{id}: their e-mail and UPN), so that the core can match them by
        e-mail once and store the match."""
        actor = actor_of(turn_context.activity)
        if self._tenant is None or not actor.user_id or await asyncio.to_thread(self._service.knows, actor):
            return actor
        return actor_of(turn_context.activity, email=await _directory_address(turn_context))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if _in_channel(activity) and not activity.value:
            return  # in a channel only card buttons act (a committee member's click); chatter is ignored
        actor = await self._actor(turn_context)
        if not _in_channel(activity):
            reference = TurnContext.get_conversation_reference(activity)
            await asyncio.to_thread(save_reference, self._db, USER + actor.user_id, reference)
        event = event_of(activity, actor)
        if event is None:
            return
        replies = await self._handle(event)
        if _in_channel(activity):
            await self._send_privately(turn_context, replies)
        else:
            for reply in outgoing(replies):
                await patiently(lambda reply=reply: turn_context.send_activity(reply))  # type: ignore[misc]

    async def _send_privately(self, turn_context: TurnContext, replies: list[Reply]) -> None:
        """A click in the committee channel is answered in the member's 1:1 chat, never in the
        channel (details and refusals are private). Nothing to say (a click delivered twice), no chat."""
        if replies:
            await open_personal_chat(turn_context, outgoing(replies))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        event = event_of(activity, await self._actor(turn_context))
        if event is None:
            return InvokeResponse(status=400)
        replies = await self._handle(event)
        await self._send_privately(turn_context, replies)
        return InvokeResponse(status=200, body=_MessageResponse(
            status_code=200, type="application/vnd.microsoft.activity.message", value=copy.sent_privately()))

    async def on_teams_members_added(self, teams_members_added: Any, team_info: Any,
                                     turn_context: TurnContext) -> None:
        """Added to a team: its reference is stored, under the team and under the channel it was
        added in. Any channel of the team can then be posted to (CANDOR_TEAMS_CHANNEL): a proactive
        channel post is this reference with the channel's id as the conversation id."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if not any(m.id == bot_id for m in teams_members_added) or team_info is None or not team_info.id:
            return
        reference = TurnContext.get_conversation_reference(activity)
        reference.activity_id = None  # new posts, not replies in this event's thread
        channel_id = activity.conversation.id if activity.conversation else ""
        await asyncio.to_thread(save_reference, self._db, TEAM + team_info.id, reference)
        if channel_id:
            await asyncio.to_thread(save_reference, self._db, CHANNEL + channel_id, reference)
        # Ids only (not confidential): the operator finds the team here, and CANDOR_TEAMS_CHANNEL
        # may name this channel or any other channel of the team.
        log.info("added to team %s in channel %s; references stored", team_info.id, channel_id)
        await bot_added_back(self._service, self._wake)


async def bot_added_back(service: Service, wake: Callable[[], None]) -> None:
    """The bot was added to a team (again): the notices Teams refused while it was not there are
    due now, not at the end of their backoff. SDK-free, so it moves with the adapter as it is."""
    count = await asyncio.to_thread(service.retry_blocked, Platform.TEAMS)
    if count:
        log.info("%d blocked Teams notices due now", count)
    wake()


async def _directory_address(turn_context: TurnContext) -> str | None:
    """The sender's e-mail (or UPN) from Teams' member lookup; None when Teams does not say."""
    user = turn_context.activity.from_property
    if user is None or not user.id:
        return None
    try:
        member = await patiently(lambda: TeamsInfo.get_member(turn_context, user.id))
    except CONNECTOR_ERRORS as exc:
        log.warning("Teams member lookup failed: %s", type(exc).__name__)  # the type only: no identity
        return None
    return getattr(member, "email", None) or getattr(member, "user_principal_name", None)


def mount(app: web.Application, adapter: CloudAdapter, bot: CandorTeamsBot, path: str = "/api/messages") -> None:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        if request.content_length and request.content_length > 1_000_000:
            return web.Response(status=413, text="payload too large")
        try:
            response = await adapter.process(request, bot)
        except KeysUnavailable:
            return web.Response(status=503, text="try again later")
        except (ValueError, json.JSONDecodeError, KeyError):
            return web.Response(status=400, text="not an activity")
        return response or web.Response(status=201)

    app.router.add_post(path, endpoint)


__all__ = ["ActivityTypes", "CandorTeamsBot", "build_adapter", "mount"]
