"""The notifier's Slack sender: the committee channel, direct messages, edits in place.

Slack's own retry handlers are off: the outbox retries, so a notice survives a restart. A rate
limit (HTTP 429, `ratelimited`) or a 5xx is `RetryLater` with Slack's `Retry-After`; an error a
person must fix (the bot not in the channel, an archived channel, a revoked token) is `Blocked`
(kept and retried); an error retrying cannot fix (an unknown user) is `Undeliverable`.

Each post carries its outbox row's id as message metadata. When a relay died between posting and
recording the post, the row comes back `maybe_sent`, and the sender reads the conversation's
history since the row was written (`conversations.history`, scopes `groups:history` and
`im:history`) before posting: a post that landed is recorded, not sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.senders import Blocked, Posted, Ref, RetryLater, Undeliverable
from adapters.slack import render
from adapters.slack.app import slack_error
from bot.messages import Notice

# Refusals that last until someone fixes the setup (invites the bot back, replaces the token).
BLOCKING = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "not_authed",
}
_PERMANENT = {
    "user_not_found", "cannot_dm_bot", "message_not_found",
    "cant_update_message", "missing_scope", "no_permission", "restricted_action",
}


METADATA_EVENT = "candor_notice"
HISTORY_PAGES = 10  # up to 2,000 messages since the row was written
HISTORY_TRIES = 4  # each page, on a 5xx


class SlackSender:
    def __init__(self, client: AsyncWebClient, *, committee_channel: str | None) -> None:
        self._client = client
        self._channel = committee_channel
        self._dm_channels: dict[str, str] = {}  # user id -> their DM channel with the bot (stable)

    @property
    def client(self) -> AsyncWebClient:
        return self._client

    @classmethod
    def create(cls, *, token: str, api_url: str, committee_channel: str | None) -> SlackSender:
        client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=[])
        return cls(client, committee_channel=committee_channel)

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        if not self._channel:
            raise Blocked("no_committee_channel")
        return await self._post(self._channel, notice, ref)

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        if not user_id:
            raise Undeliverable("no_user")
        channel = self._dm_channels.get(user_id)
        if channel is None:
            opened = await self._call(self._client.conversations_open, users=user_id)
            channel = self._dm_channels[user_id] = opened["channel"]["id"]
        return await self._post(channel, notice, ref)

    async def update(self, posted: Posted, notice: Notice) -> None:
        await self._call(self._client.chat_update, channel=posted.channel, ts=posted.message_id,
                         **render.notice(notice))

    async def _post(self, channel: str, notice: Notice, ref: Ref) -> Posted:
        if ref.maybe_sent:
            earlier = await self._find(channel, ref)
            if earlier is not None:
                return earlier
        try:
            response = await self._call(self._client.chat_postMessage, channel=channel,
                                        metadata={"event_type": METADATA_EVENT,
                                                  "event_payload": {"outbox": ref.id}},
                                        **render.notice(notice))
        except RetryLater as exc:
            if exc.code == "ratelimited":
                raise  # refused before it was taken
            raise RetryLater(exc.code, retry_after=exc.retry_after, in_doubt=True) from None
        return Posted(channel=response["channel"], message_id=response["ts"])

    async def _find(self, channel: str, ref: Ref) -> Posted | None:
        """The post tagged with this outbox row, if an earlier try left one in the conversation."""
        cursor: str | None = None
        for _page in range(HISTORY_PAGES):
            args: dict[str, Any] = {"channel": channel,
                                    "oldest": f"{ref.since.timestamp() - 60:.6f}",
                                    "limit": 200, "include_all_metadata": True}
            if cursor:
                args["cursor"] = cursor
            response = await self._history_page(args)
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                if (metadata.get("event_type") == METADATA_EVENT
                        and (metadata.get("event_payload") or {}).get("outbox") == ref.id):
                    return Posted(channel=channel, message_id=message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not response.get("has_more") or not cursor:
                return None
        return None

    async def _history_page(self, args: dict[str, Any]) -> AsyncSlackResponse:
        """One page of history. Reading changes nothing, so a 5xx is retried here at once (a
        read-back of many pages would otherwise rarely get through a flaky API); a rate limit
        goes back to the notifier, which pauses the platform."""
        for attempt in range(HISTORY_TRIES):
            try:
                return await self._call(self._client.conversations_history, **args)
            except RetryLater as exc:
                if exc.code == "ratelimited" or attempt == HISTORY_TRIES - 1:
                    raise
                await asyncio.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    async def _call(self, method: Callable[..., Awaitable[AsyncSlackResponse]],
                    **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = slack_error(exc)
            if status == 429 or error == "ratelimited":
                raise RetryLater("ratelimited", retry_after=_retry_after(exc)) from None
            if status >= 500 or error in {"internal_error", "fatal_error", "service_unavailable",
                                          "request_timeout"}:
                raise RetryLater(error) from None
            if error in BLOCKING:
                raise Blocked(error) from None
            if error in _PERMANENT:
                raise Undeliverable(error) from None
            raise RetryLater(error) from None
        except (ClientError, TimeoutError, OSError) as exc:
            raise RetryLater(type(exc).__name__) from None


def _retry_after(exc: SlackApiError) -> float | None:
    value = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
