"""The notifier's Teams sender: proactive cards to the committee channel and to people's 1:1
chats, and edits in place. 429 (with Retry-After) and 5xx are `RetryLater`; 401/403/404 are
`Blocked` (the app removed from the team, credentials refused: kept and retried); other 4xx are
`Undeliverable`.

A bot cannot read a Teams conversation back through the Bot Connector, so `Ref.maybe_sent` cannot
be checked here: a card posted by a relay that died before recording it is posted again
(at-least-once). Reading it back would take Microsoft Graph with resource-specific consent
(ChannelMessage.Read.Group), which Candor does not ask for."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import ClientError, ClientResponseError
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from microsoft_agents.hosting.core import TurnContext

from adapters.senders import Blocked, Posted, Ref, RetryLater, Undeliverable
from adapters.teams import cards
from adapters.teams.adapter import CONNECTOR_AUDIENCE, TeamsAdapter
from adapters.teams.refs import USER, References
from bot.messages import Notice

T = TypeVar("T")

# What a call to the Connector raises when it did not get through: an HTTP error answer
# (aiohttp's ClientResponseError, with the status and headers), or no answer at all (a refused or
# broken connection: aiohttp's and the OS's own errors, and timeouts).
CONNECTOR_ERRORS = (ClientError, TimeoutError, OSError)


def card_activity(content: dict[str, object]) -> Activity:
    return Activity(type=ActivityTypes.message,
                    attachments=[Attachment(content_type=cards.CARD, content=content)])


def _card(notice: Notice) -> Activity:
    return card_activity(cards.notice_card(notice))


def _error(exc: Exception) -> Exception:
    if isinstance(exc, ClientResponseError):
        status = exc.status or 0
        if status == 429 or status >= 500:
            after = exc.headers.get("Retry-After") if exc.headers is not None else None
            try:
                retry_after = float(after) if after is not None else None
            except ValueError:
                retry_after = None
            return RetryLater(f"http_{status}", retry_after=retry_after)
        return blocked_or_undeliverable(status)
    return RetryLater(type(exc).__name__)


# The Connector's refusals that last until someone fixes the setup: credentials (401), the app
# removed from the team or the chat (403), a conversation it no longer knows (404).
BLOCKING_STATUSES = (401, 403, 404)


def blocked_or_undeliverable(status: int) -> Exception:
    """A 4xx from the Connector: `Blocked` when a person can fix it, `Undeliverable` otherwise."""
    if status in BLOCKING_STATUSES:
        return Blocked(f"http_{status}")
    return Undeliverable(f"http_{status}")


async def _in_turn(start: Callable[[Callable[[TurnContext], Awaitable[None]]], Awaitable[object]],
                   logic: Callable[[TurnContext], Awaitable[None]]) -> None:
    """Run `logic` in a turn the bot starts itself, and raise what it raised. The adapter would
    otherwise hand the error to its turn-error handler and return as if all had been sent."""
    raised: list[Exception] = []

    async def guarded(context: TurnContext) -> None:
        try:
            await logic(context)
        except Exception as exc:  # noqa: BLE001  re-raised below, outside the adapter's pipeline
            raised.append(exc)

    await start(guarded)
    if raised:
        raise raised[0]


async def _proactively(start: Callable[[Callable[[TurnContext], Awaitable[None]]],
                                       Awaitable[object]],
                       logic: Callable[[TurnContext], Awaitable[None]]) -> None:
    """An outbox delivery: what the Connector answered, as the notifier's
    RetryLater/Undeliverable."""
    try:
        await _in_turn(start, logic)
    except CONNECTOR_ERRORS as exc:
        raise _error(exc) from None


REPLY_TRIES = 5


async def patiently(call: Callable[[], Awaitable[T]]) -> T:
    """An answer to the person at hand (not an outbox notice): a 429 or a 5xx from the Connector,
    or a connection it refused or dropped, is retried in place, honouring Retry-After (at most
    10 s a wait), before it is given up."""
    for attempt in range(1, REPLY_TRIES + 1):
        try:
            return await call()
        except CONNECTOR_ERRORS as exc:
            error = _error(exc)
            if not isinstance(error, RetryLater) or attempt == REPLY_TRIES:
                raise
            await asyncio.sleep(min(error.retry_after or 0.5 * 2 ** (attempt - 1), 10.0))
    raise AssertionError("unreachable")


async def open_personal_chat(turn_context: TurnContext, activities: list[Activity]) -> None:
    """Send activities to the person behind this turn in their 1:1 chat with the bot. The chat is
    created in the bot's name: its app id (MICROSOFT_APP_ID), for which its tokens are fetched; the
    activity's recipient id ("28:<app id>") is the bot's Teams id, not its app id."""
    activity = turn_context.activity
    tenant = activity.conversation.tenant_id if activity.conversation else None
    user = activity.from_property or ChannelAccount()
    parameters = ConversationParameters(is_group=False, agent=activity.recipient,
                                        members=[ChannelAccount(id=user.id)], tenant_id=tenant)
    adapter = turn_context.adapter
    assert isinstance(adapter, TeamsAdapter)
    pending = list(activities)

    async def send(context: TurnContext) -> None:
        while pending:
            await context.send_activity(pending[0])
            pending.pop(0)

    # A retry opens the chat again (Teams answers with the same 1:1 chat) and sends what is left.
    await patiently(lambda: _in_turn(lambda guarded: adapter.create_conversation(
        adapter.app_id, str(activity.channel_id), activity.service_url, CONNECTOR_AUDIENCE,
        parameters, guarded), send))


class TeamsSender:
    def __init__(self, adapter: TeamsAdapter, refs: References, *, channel: str | None) -> None:
        self._adapter = adapter
        self._refs = refs
        self._channel = channel

    async def _continue(self, reference: ConversationReference,
                        logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        await _proactively(lambda guarded: self._adapter.continue_conversation(
            self._adapter.app_id, reference.get_continuation_activity(), guarded), logic)

    async def _send(self, reference: ConversationReference, notice: Notice) -> Posted:
        posted: list[str] = []

        async def logic(context: TurnContext) -> None:
            response = await context.send_activity(_card(notice))
            posted.append(response.id or "" if response else "")

        await self._continue(reference, logic)
        return Posted(channel=reference.conversation.id, message_id=posted[0] if posted else "")

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        if not self._channel:
            raise Blocked("no_committee_channel")
        reference = await asyncio.to_thread(self._refs.channel, self._channel)
        if reference is None:
            raise Blocked("bot_not_in_team")  # until the app is added to the committee's team
        return await self._send(reference, notice)

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        reference = await asyncio.to_thread(self._refs.load, USER, user_id)
        if reference is not None:
            return await self._send(reference, notice)
        template = await asyncio.to_thread(self._refs.home, self._channel)
        if template is None:
            raise RetryLater("no_service_url_yet")
        posted: list[Posted] = []

        async def logic(context: TurnContext) -> None:
            response = await context.send_activity(_card(notice))
            posted.append(Posted(context.activity.conversation.id,
                                 response.id or "" if response else ""))

        tenant = template.conversation.tenant_id if template.conversation else None
        parameters = ConversationParameters(is_group=False, agent=template.agent,
                                            members=[ChannelAccount(id=user_id)],
                                            tenant_id=tenant)
        await _proactively(lambda guarded: self._adapter.create_conversation(
            self._adapter.app_id, str(template.channel_id), template.service_url,
            CONNECTOR_AUDIENCE, parameters, guarded), logic)
        return posted[0]

    async def update(self, posted: Posted, notice: Notice) -> None:
        reference = await asyncio.to_thread(self._refs.channel, posted.channel)
        if reference is None:
            reference = await asyncio.to_thread(self._refs.home, self._channel)
            if reference is None:
                raise Undeliverable("no_reference")
        reference.conversation.id = posted.channel
        activity = _card(notice)
        activity.id = posted.message_id

        async def logic(context: TurnContext) -> None:
            await context.update_activity(activity)

        await self._continue(reference, logic)
