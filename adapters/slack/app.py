"""Candor on Slack: a Bolt `AsyncApp` whose listeners translate Slack's payloads into the core's
events and render the core's replies. They decide nothing.

Bolt verifies every request's signature and timestamp (401 otherwise). Listeners acknowledge
first and work after (`SlackBridge.later`), except a modal submission, whose acknowledgement must
carry the field errors or the receipt (the receipt is shown in the modal, so it leaves no message
history).
What Slack shares with Teams (the core off the event loop, the notifier's wake, the e-mail
lookup of someone new) is adapters/bridge.py's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.bridge import Bridge
from adapters.slack import render
from bot.messages import (
    Actor,
    ChoiceClicked,
    Command,
    DirectMessage,
    Document,
    Form,
    FormErrors,
    FormSubmitted,
    Reply,
    Text,
)
from bot.service import Service
from bot.wording import refusals
from storage.vocabulary import Platform

log = logging.getLogger("candor.slack")

COMMANDS = ("/ethics", "/attest")
# How long a stopping server waits for work it acknowledged to Slack and has not finished.
SETTLE_SECONDS = 10.0
# member_joined_channel (scope groups:read for private channels): the bot invited back into the
# committee channel, so the notices it refused go now.
EVENTS = ("message.im", "app_home_opened", "member_joined_channel")


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from a failed call (never the payload)."""
    data = exc.response.data
    error = data.get("error") if isinstance(data, dict) else None
    return str(error or f"http_{exc.response.status_code}")


@dataclass
class SlackBridge:
    """What the listeners share: the way into the core, and the Web API client."""

    bridge: Bridge
    client: AsyncWebClient
    # Each person's DM with the bot, as conversations.open gave it (it does not change).
    dm_channels: dict[str, str] = field(default_factory=dict)
    # Work acknowledged to Slack and still running (kept so that it is not collected midway, and
    # so that a stopping server lets it finish).
    pending: set[asyncio.Task[None]] = field(default_factory=set)

    def later(self, work: Coroutine[Any, Any, None], body: dict[str, Any]) -> None:
        """Run `work` after Slack has its answer; a failure is told as a listener's would be."""

        async def guarded() -> None:
            try:
                await work
            except Exception as error:  # noqa: BLE001  told as Bolt tells a listener's
                await self.failed(error, body)

        task = asyncio.get_running_loop().create_task(guarded())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        """Let acknowledged work finish (a stopping server), for at most `timeout` seconds; what
        is still running then is cancelled (and said, by count), before the connections close
        under it. (A notice it wrote meanwhile waits in the outbox for the next start.)"""
        if not self.pending:
            return
        _done, running = await asyncio.wait(set(self.pending), timeout=timeout)
        if running:
            log.warning("stopping: %d Slack answers not finished in %g s, cancelled",
                        len(running), timeout)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def failed(self, error: Exception, body: dict[str, Any]) -> None:
        """A listener failed: logged by its type only (never the payload: it may carry a report,
        nor the message), and the person is told, in their DM, that it did not work."""
        if isinstance(error, BoltUnhandledRequestError):
            return
        log.error("Slack listener failed: %s", type(error).__name__)
        user = ((body.get("user") or {}).get("id") or body.get("user_id")
                or (body.get("event") or {}).get("user"))
        if isinstance(user, str):
            try:
                await self.dm(user, [Text(refusals.INTERNAL_ERROR)])
            except Exception as exc:  # noqa: BLE001  by type only: nothing raised here may escape
                # (asyncio or aiohttp would log its traceback, with the first failure's message)
                log.error("could not tell the user about the failure: %s", type(exc).__name__)

    async def actor(self, user_id: str) -> Actor:
        """The Slack user as the core knows them; the first time, matched by e-mail."""
        return await self.bridge.actor(user_id, lambda: self._email(user_id))

    async def _email(self, user_id: str) -> str | None:
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed: %s", slack_error(exc))
            return None
        email = ((info.get("user") or {}).get("profile") or {}).get("email")
        return str(email) if email else None

    async def dm(self, user_id: str, replies: list[Reply]) -> None:
        """Replies in the person's own direct-message conversation with the bot: the one Slack
        opens for this user, never a channel a payload names (a payload naming the committee's
        channel, or another person's DM, would otherwise be answered there). That chat keeps its
        history (exports, the Discovery API), so a document (a case, a receipt, a secret) is
        never posted there: one asked for by a typed command comes as a button that opens it in
        a window, any other is shown to the person only (ephemeral, not kept)."""
        if not replies:
            return
        channel = self.dm_channels.get(user_id)
        if channel is None:
            opened = await self.client.conversations_open(users=user_id)
            channel = self.dm_channels[user_id] = str(opened["channel"]["id"])
        for reply in replies:
            if isinstance(reply, Document) and reply.reopen is None:
                await self.client.chat_postEphemeral(channel=channel, user=user_id,
                                                     **render.message(reply))
            else:
                await self.client.chat_postMessage(channel=channel, **render.message(reply))

    async def show(self, user_id: str, replies: Sequence[Reply], *, trigger_id: str | None,
                   channel: str | None = None, in_channel: bool = False,
                   view_id: str | None = None) -> None:
        """Forms and documents open as modals; text goes to the DM, or privately (ephemeral)
        when the person clicked in a channel, or into a window when they clicked in one."""
        rest: list[Reply] = []
        for reply in replies:
            if isinstance(reply, Form | Document) and trigger_id:
                view = (render.form_view(reply) if isinstance(reply, Form)
                        else render.document_view(reply))
                if view_id:
                    await self.client.views_push(trigger_id=trigger_id, view=view)
                else:
                    await self.client.views_open(trigger_id=trigger_id, view=view)
                trigger_id = None  # a trigger opens one view
            else:
                rest.append(reply)
        if not rest:
            return
        if view_id:
            # Clicked in a window (a modal): the answer stays in a window. Posted to the DM, a
            # reporter's "your name is now shown on case X" would stay in their chat's history,
            # beside the case code.
            view = render.reply_view(rest)
            if trigger_id:
                await self.client.views_push(trigger_id=trigger_id, view=view)
            else:
                await self.client.views_update(view_id=view_id, view=view)
            return
        if in_channel and channel:
            for reply in rest:
                await self.client.chat_postEphemeral(channel=channel, user=user_id,
                                                     **render.message(reply))
        else:
            await self.dm(user_id, rest)


def build_app(*, service: Service, token: str, signing_secret: str, api_url: str,
              wake: Callable[[], None] = lambda: None) -> tuple[AsyncApp, SlackBridge]:
    """The Bolt app, and what its listeners share (whose `settle` a stopping server awaits)."""
    # Answers to the person at hand (replies, modals) are not outbox notices: a rate limit or a
    # 5xx is retried here, in place, honouring Retry-After, before the answer is given up.
    client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=[
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=4),
        AsyncServerErrorRetryHandler(max_retry_count=4),
    ])
    # Bolt's own logger would take the root's level and, at DEBUG, log every response body (a
    # receipt's secret among them); this one sits under "slack_bolt", which never goes below INFO.
    # A listener runs before Slack gets its answer (process_before_response): the ones that
    # acknowledge first hand their work to `SlackBridge.later`. Bolt's default would run every
    # listener beside the answer and look for the acknowledgement every 10 ms, so a modal's
    # answer (the receipt) waited up to 10 ms more, and each look was a turn of the event loop
    # (issue 25: a tenth of the server's time with twenty forms at once). Named here: an unnamed
    # app takes its caller's file name from `inspect.stack()`, which reads the source of every
    # file on the stack into memory (about 0.7 MB kept, and a start about 50 ms slower).
    app = AsyncApp(name="candor", signing_secret=signing_secret, client=client,
                   logger=logging.getLogger("slack_bolt.candor"),
                   raise_error_for_unhandled_request=False, process_before_response=True)
    slack = SlackBridge(Bridge(service, wake, platform=Platform.SLACK, surface=render.SURFACE),
                        client)
    add_listeners(app, slack)
    return app, slack


def add_listeners(app: AsyncApp, slack: SlackBridge) -> None:
    """Attach every listener. Nothing is registered at import. Bolt tries them in the order
    they are registered, each one's matchers asked in turn: a modal's submission (the report
    form) first, then a direct message, the requests that come most and are waited on."""

    @app.view(re.compile(".*"))
    async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = (body.get("user") or {}).get("id", "")
        actor = await slack.actor(user)
        values = render.form_values((view.get("state") or {}).get("values") or {})
        event = FormSubmitted(actor, view.get("callback_id", ""), values)
        replies = await slack.bridge.handle(event)
        errors = next((r for r in replies if isinstance(r, FormErrors)), None)
        if errors is not None:
            await ack(**render.form_errors(errors))
            return
        forms = [r for r in replies if isinstance(r, Form)]
        if forms:
            await ack(response_action="update", view=render.form_view(forms[0]))
            return
        await ack(response_action="update",
                  view=render.reply_view(replies or [Text(refusals.NOT_UNDERSTOOD)]))

    @app.event("message")
    async def direct_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Only a person's own new message in the bot's Messages tab: no edits, deletions,
        # bot posts or other subtypes.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user, text = event.get("user"), event.get("text")
        if not isinstance(user, str) or not isinstance(text, str):
            return

        async def answer(user: str, text: str) -> None:
            actor = await slack.actor(user)
            message = DirectMessage(actor, text, event_id=body.get("event_id"))
            replies = await slack.bridge.handle(message)
            await slack.dm(user, replies)

        slack.later(answer(user, text), body)

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], body: dict[str, Any]) -> None:
        user = event.get("user")
        if not isinstance(user, str) or event.get("tab", "home") != "home":
            return

        async def publish(user: str) -> None:
            actor = await slack.actor(user)
            replies = await slack.bridge.call(slack.bridge.service.home, actor)
            await slack.client.views_publish(user_id=user, view=render.home_view(replies))

        slack.later(publish(user), body)

    @app.event("member_joined_channel")
    async def joined(event: dict[str, Any], body: dict[str, Any],
                     context: AsyncBoltContext) -> None:
        slack.later(bot_joined_channel(slack, event, bot_user_id=context.bot_user_id), body)

    async def command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond,
                      name: str) -> None:
        await ack()

        async def answer() -> None:
            user = body.get("user_id", "")
            actor = await slack.actor(user)
            replies = await slack.bridge.handle(Command(actor, name, body.get("text") or ""))
            views = [r for r in replies if isinstance(r, Form | Document)]
            await slack.show(user, views, trigger_id=body.get("trigger_id"))
            for reply in replies:
                if not isinstance(reply, Form | Document):
                    await respond(response_type="ephemeral", **render.message(reply))

        slack.later(answer(), body)

    @app.command("/ethics")
    async def ethics(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await command(ack, body, respond, "ethics")

    @app.command("/attest")
    async def attest(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await command(ack, body, respond, "attest")

    @app.action(re.compile(f"^{render.ACTION_PREFIX}"))
    async def clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        value = action.get("value")
        if not isinstance(value, str):
            return

        async def answer() -> None:
            actor = await slack.actor(user)
            replies = await slack.bridge.handle(ChoiceClicked(actor, value))
            channel = (body.get("channel") or {}).get("id")
            in_channel = bool(channel) and not str(channel).startswith("D")
            # Only a click inside an open modal may push a view onto it; App Home clicks open one.
            view = body.get("view") or {}
            in_modal = view.get("type") == "modal"
            await slack.show(user, replies, trigger_id=body.get("trigger_id"), channel=channel,
                             in_channel=in_channel,
                             view_id=view.get("id") if in_modal else None)

        slack.later(answer(), body)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        await slack.failed(error, body)


async def bot_joined_channel(slack: SlackBridge, event: dict[str, Any], *,
                             bot_user_id: str | None) -> None:
    """Someone joined a channel: when it is the bot (invited back into the committee channel),
    the notices Slack refused are due now. Anyone else joining changes nothing."""
    if not bot_user_id or event.get("user") != bot_user_id:
        return
    count = await slack.bridge.bot_is_back()
    log.info("bot joined channel %s; %d blocked notices due now", event.get("channel"), count)


def mount(app: web.Application, bolt: AsyncApp, path: str = "/slack/events") -> None:
    """Serve the Bolt app at POST `path` in the shared aiohttp application."""

    async def endpoint(request: web.Request) -> web.Response:
        # A body over the server's limit (adapters/server.py) is refused with 413 as it is read.
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    app.router.add_post(path, endpoint)


def keep_alive(app: web.Application, clients: list[AsyncWebClient],
               settle: Callable[[], Awaitable[None]] | None = None) -> None:
    """While the server runs, the Web API clients share one HTTP session, so connections to
    Slack are kept alive: one TLS handshake, not one per call (slack_sdk opens a session for each
    call of a client that has none). Registered before the server's jobs, it closes after them,
    once `settle` has let the work acknowledged to Slack finish."""

    async def session(_app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=max(client.timeout for client in clients))
        async with aiohttp.ClientSession(timeout=timeout) as shared:
            for client in clients:
                client.session = shared
            yield
            if settle is not None:
                await settle()
            for client in clients:
                client.session = None

    app.cleanup_ctx.append(session)
