"""Candor on Microsoft Teams, on the Microsoft 365 Agents SDK: its CloudAdapter at
POST /api/messages on Candor's aiohttp server, and an AgentApplication whose routes hand
activities to the core and send its replies (`CandorTeamsBot`, `build_app`, `mount`). What an
activity means and what a reply becomes is adapters/teams/activities.py's.

With `MICROSOFT_APP_ID` set, every inbound request's JWT is validated (an unauthenticated or
unverifiable post gets 401); without one the adapter runs in local mode (the Emulator, tests; only
with `CANDOR_TEAMS_LOCAL=true`). When the bot is added to a team, the team's conversation
reference is stored; `CANDOR_TEAMS_CHANNEL` names the committee channel, any channel of that team.
People are matched to the roster by AAD object id, or once by the e-mail Teams' member lookup
gives. Forms also open as Teams dialogs through the SDK's task-module routes (`task/fetch`,
`task/submit`). Every import of the Teams SDK stays in this folder; what Teams shares with Slack
(the core off the event loop, the notifier's wake, the e-mail lookup) is adapters/bridge.py's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    InvokeResponse,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    ApplicationOptions,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from microsoft_agents.hosting.msteams import TeamsAgentExtension
from microsoft_teams.api.models.task_module import TaskModuleRequest, TaskModuleResponse

from adapters.bridge import Bridge
from adapters.teams import cards, dialogs
from adapters.teams.activities import (
    TEAMS,
    event_id_of,
    event_of,
    in_channel,
    outgoing,
    team_id_of,
    tenant_of,
    user_of,
    wants_status,
)
from adapters.teams.adapter import (
    Authenticator,
    KeysUnavailable,
    TeamsAdapter,
    Unauthenticated,
    build_adapter,
)
from adapters.teams.refs import CHANNEL, TEAM, USER, References
from adapters.teams.sender import CONNECTOR_ERRORS, open_personal_chat, patiently
from bot.messages import (
    Actor,
    ChoiceClicked,
    Command,
    FormSubmitted,
    Inbound,
    Keepable,
    Reply,
    Text,
)
from bot.service import Service
from bot.wording import following, refusals, windows
from storage.vocabulary import Platform

log = logging.getLogger("candor.teams")

COMMANDS = ("report", "status", "attest", "help")


async def _answer_invoke(context: TurnContext, body: Any, status: int = 200) -> None:
    await context.send_activity(Activity(type=ActivityTypes.invoke_response,
                                         value=InvokeResponse(status=status, body=body)))


class CandorTeamsBot:
    """What each route does. Outside local mode only Teams itself is heard: an Azure bot also
    answers other Bot Framework channels (Web Chat and Direct Line are on by default), whose tokens
    are as valid but whose client writes `from` and `channelData` as it likes. A person is their
    AAD object id, which Teams sets; an activity without one is ignored. With a tenant pinned
    (MICROSOFT_APP_TENANT_ID), activities from any other tenant are ignored, and only then is a
    new person matched to the roster by the e-mail Teams gives: in another tenant anyone can give
    themselves any address. Unpinned, people are matched by their AAD object id (the roster's
    teams_id) only. A person's 1:1 reference is stored only once the roster knows them."""

    def __init__(self, service: Service, refs: References, wake: Callable[[], None], *,
                 tenant_id: str | None = None, local: bool = False,
                 committee: str | None = None) -> None:
        self._bridge = Bridge(service, wake, platform=Platform.TEAMS, surface=cards.SURFACE)
        self._service = service
        self._refs = refs
        self._tenant = tenant_id or None
        self._local = local
        self._committee = committee or None  # CANDOR_TEAMS_CHANNEL

    async def _private(self, replies: list[Reply], actor: Actor) -> list[Reply | dict[str, Any]]:
        """The replies for a chat: what only a dialog may show is kept by the core for it."""
        def keep(reply: Keepable) -> str:
            return self._service.keep_view(actor, [reply])

        return await self._bridge.call(dialogs.in_chat, replies, keep=keep)

    async def admit(self, context: TurnContext, state: TurnState) -> bool:
        """Before any route: False ends the turn with nothing done. (No ids in these logs: they
        are a stranger's.)"""
        activity = context.activity
        if not self._local and str(activity.channel_id or "") != TEAMS:
            log.warning("activity from another Bot Framework channel ignored")
            return False
        if self._tenant is not None and tenant_of(activity) != self._tenant:
            log.warning("activity from another tenant ignored")
            return False
        if activity.type in (ActivityTypes.message, ActivityTypes.invoke) and not user_of(activity):
            log.warning("activity without an AAD object id ignored")
            return False
        return True

    async def _actor(self, context: TurnContext) -> Actor:
        """The sender as the core knows them. Someone not yet matched to the roster is looked up
        in Teams (GET .../members/{id}: their e-mail and UPN), so that the core can match them by
        e-mail once and store the match (only with a tenant pinned: see the class)."""
        lookup = None if self._tenant is None else (lambda: _directory_address(context))
        return await self._bridge.actor(user_of(context.activity), lookup)

    async def on_message(self, context: TurnContext, state: TurnState) -> None:
        activity = context.activity
        await self._remember_committee(activity)
        if in_channel(activity) and not activity.value:
            # in a channel only card buttons act (a committee member's click); chatter is ignored
            return
        actor = await self._actor(context)
        event = event_of(activity, actor)
        # A 1:1 chat's reference is stored only for someone the roster knows (matched by id, or by
        # Teams' e-mail as this message is handled): a stranger's chat never becomes where
        # questions and reminders for a member go.
        stored = not in_channel(activity) and await self._remember(activity, actor)
        replies = await self._bridge.handle(event) if event is not None else []
        if not in_channel(activity) and not stored:
            await self._remember(activity, actor)
        if event is None:
            return
        if wants_status(event):
            # A case is checked in a dialog: a code and a secret typed in the chat would stay there.
            replies = [reply for reply in replies if not isinstance(reply, Text)]
            shown: list[Reply | dict[str, Any]] = [
                dialogs.opener(following.STATUS_CHECK_OFFER,
                               {"candor_dialog": dialogs.STATUS_DIALOG})]
        else:
            shown = []
        if in_channel(activity):
            await self._send_privately(context, replies, actor)
        else:
            for reply in outgoing(shown + await self._private(replies, actor)):
                await patiently(partial(context.send_activity, reply))

    async def _remember_committee(self, activity: Activity) -> None:
        """An activity in the committee's channel (a click, a mention): its reference, under the
        channel's own name, is where alerts go and whose tenant new conversations take."""
        conversation = activity.conversation.id if activity.conversation else ""
        if (self._committee is None or not in_channel(activity)
                or (conversation or "").split(";")[0] != self._committee):
            return
        reference = activity.get_conversation_reference()
        reference.activity_id = None
        reference.conversation.id = self._committee  # the channel, not a message's thread
        await self._bridge.call(self._refs.save, CHANNEL, self._committee, reference)

    async def _remember(self, activity: Activity, actor: Actor) -> bool:
        if not await self._bridge.call(self._service.knows, actor):
            return False
        reference = activity.get_conversation_reference()
        await self._bridge.call(self._refs.save, USER, actor.user_id, reference)
        return True

    async def _send_privately(self, context: TurnContext, replies: list[Reply],
                              actor: Actor) -> None:
        """A click in the committee channel is answered in the member's 1:1 chat, never in the
        channel (details and refusals are private; a document opens from there in a dialog).
        Nothing to say (a click delivered twice), no chat."""
        if replies:
            await open_personal_chat(context, outgoing(await self._private(replies, actor)))

    async def on_card_action(self, context: TurnContext, state: TurnState) -> None:
        """An `adaptiveCard/action` invoke (a Universal Action click): answered privately, and the
        invoke with a message, as Teams documents it (its `value` is the message's text)."""
        event = event_of(context.activity, await self._actor(context))
        if event is None:
            await _answer_invoke(context, None, status=400)
            return
        replies = await self._bridge.handle(event)
        await self._send_privately(context, replies, event.actor)
        await _answer_invoke(context, {"statusCode": 200,
                                       "type": "application/vnd.microsoft.activity.message",
                                       "value": windows.SENT_PRIVATELY})

    async def on_task_fetch(self, context: TurnContext, state: TurnState,
                            request: TaskModuleRequest) -> TaskModuleResponse:
        """A dialog opened (`task/fetch`): the button's Candor value goes to the core as a click,
        and its answer is shown in the dialog (a form, or what the core says instead)."""
        data = dialogs.data_of(request)
        actor = await self._actor(context)
        if data.get("candor_dialog") == dialogs.STATUS_DIALOG:
            return dialogs.show([dialogs.status_form()])
        key = data.get(dialogs.VIEW)
        if isinstance(key, str):
            kept = await self._bridge.call(self._service.take_view, actor, key)
            return dialogs.show(kept) if kept is not None else dialogs.message(windows.VIEW_GONE)
        choice, _, _ = cards.submission(data)
        if choice is None:
            return dialogs.message(refusals.INTERNAL_ERROR)
        return dialogs.show(await self._bridge.handle(ChoiceClicked(actor, choice)))

    async def on_task_submit(self, context: TurnContext, state: TurnState,
                             request: TaskModuleRequest) -> TaskModuleResponse:
        """A dialog's form submitted (`task/submit`): the answer stays in the dialog, not in the
        chat's history (a receipt, or the form's errors)."""
        choice, form_id, fields = cards.submission(dialogs.data_of(request))
        actor = await self._actor(context)
        event: Inbound
        if form_id == dialogs.STATUS_FORM:
            words = [str(fields.get("code") or ""), str(fields.get("secret") or "")]
            event = Command(actor, "ethics",
                            " ".join(["status", *(w.strip() for w in words if w.strip())]))
        elif form_id is not None:
            event = FormSubmitted(actor, form_id, fields, event_id=event_id_of(context.activity))
        elif choice is not None:  # a button of a document shown in the dialog (answer, open)
            event = ChoiceClicked(actor, choice)
        else:
            return dialogs.message(refusals.INTERNAL_ERROR)
        return dialogs.show(await self._bridge.handle(event))

    async def on_members_added(self, context: TurnContext, state: TurnState) -> None:
        """Added to a team: its reference is stored, under the team and under the channel it was
        added in. Any channel of the team can then be posted to (CANDOR_TEAMS_CHANNEL): a proactive
        channel post is this reference with the channel's id as the conversation id."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        team_id = team_id_of(activity)
        if not any(m.id == bot_id for m in activity.members_added or []) or not team_id:
            return
        reference = activity.get_conversation_reference()
        reference.activity_id = None  # new posts, not replies in this event's thread
        channel_id = activity.conversation.id if activity.conversation else ""
        await self._bridge.call(self._refs.save, TEAM, team_id, reference)
        if channel_id:
            await self._bridge.call(self._refs.save, CHANNEL, channel_id, reference)
        if self._committee is not None and self._committee in (team_id, channel_id):
            # The committee's team (its General channel's id is the team's): stored under the
            # committee channel's name, so it never depends on which team was added last.
            committee = reference.model_copy(deep=True)
            committee.conversation.id = self._committee
            await self._bridge.call(self._refs.save, CHANNEL, self._committee, committee)
        # Ids only (not confidential): the operator finds the team here, and CANDOR_TEAMS_CHANNEL
        # may name this channel or any other channel of the team.
        log.info("added to team %s in channel %s; references stored", team_id, channel_id)
        # Added (again): the notices Teams refused while the bot was not there are due now.
        if count := await self._bridge.bot_is_back():
            log.info("%d blocked Teams notices due now", count)


async def _directory_address(context: TurnContext) -> str | None:
    """The sender's e-mail (or UPN) from Teams' member lookup; None when Teams does not say."""
    activity = context.activity
    user = activity.from_property
    # The SDK keys the turn's connector by its abstract base (as its own adapter does);
    # `_ServiceSet.get(key: type[T])` admits only concrete classes to mypy (python/mypy#4717).
    connector = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
    if (user is None or not user.id or activity.conversation is None
            or not isinstance(connector, TeamsConnectorClient)):
        return None
    conversation_id = activity.conversation.id
    try:
        member = await patiently(
            lambda: connector.get_conversation_member(conversation_id, user.id))
    except CONNECTOR_ERRORS as exc:
        # the type only: no identity
        log.warning("Teams member lookup failed: %s", type(exc).__name__)
        return None
    return getattr(member, "email", None) or getattr(member, "user_principal_name", None)


Handler = Callable[[TurnContext, TurnState], Awaitable[None]]


def _guarded(handler: Handler) -> Handler:
    """A route's failure goes to the adapter's turn-error handler (the type only in the log),
    never to the AgentApplication's own, which would log the exception's text."""

    async def route(context: TurnContext, state: TurnState) -> None:
        try:
            await handler(context, state)
        except Exception as exc:  # noqa: BLE001  handed on whole, logged by type only
            adapter = context.adapter
            if isinstance(adapter, TeamsAdapter) and adapter.on_turn_error is not None:
                await adapter.on_turn_error(context, exc)

    return route


def build_app(bot: CandorTeamsBot, adapter: TeamsAdapter) -> AgentApplication[TurnState]:
    """The AgentApplication and its routes, registered in one place. No typing indicator (it
    would be one more post per turn); no conversation state (Candor keeps its own, in its
    database)."""
    options = ApplicationOptions(storage=MemoryStorage(), start_typing_timer=False)
    app: AgentApplication[TurnState] = AgentApplication(options,
                                                        connection_manager=adapter.connections)
    app.before_turn(bot.admit)
    app.activity(ActivityTypes.message)(_guarded(bot.on_message))
    app.add_route(lambda context: context.activity.type == ActivityTypes.invoke
                  and context.activity.name == "adaptiveCard/action",
                  _guarded(bot.on_card_action), is_invoke=True)
    app.conversation_update("membersAdded")(_guarded(bot.on_members_added))
    # and its per-turn Teams client, closed
    teams: TeamsAgentExtension[TurnState] = TeamsAgentExtension(app)
    teams.task_modules.fetch(dialogs.VERB)(dialogs.guarded(bot.on_task_fetch))
    teams.task_modules.submit(dialogs.VERB)(dialogs.guarded(bot.on_task_submit))
    return app


def mount(app: web.Application, adapter: TeamsAdapter, agent: AgentApplication[TurnState],
          authenticator: Authenticator, path: str = "/api/messages") -> None:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        # A body over the server's limit (adapters/server.py) is refused with 413 as it is read.
        try:
            activity = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="not an activity")
        if not isinstance(activity, dict):
            return web.Response(status=400, text="not an activity")
        try:
            request["claims_identity"] = await authenticator.identity(request, activity)
        except Unauthenticated:
            return web.Response(status=401, text="unauthorized")
        except KeysUnavailable:
            return web.Response(status=503, text="try again later")
        try:
            response = await adapter.process(request, agent)
        except (ValueError, KeyError):
            return web.Response(status=400, text="not an activity")
        return response or web.Response(status=201)

    app.router.add_post(path, endpoint)


__all__ = ["CandorTeamsBot", "build_adapter", "build_app", "mount"]
