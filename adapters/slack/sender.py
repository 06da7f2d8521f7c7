"""The notifier's Slack sender: the committee channel, direct messages, edits in place.

Slack's own retry handlers are off: the outbox retries, so a notice survives a restart. A rate
limit (HTTP 429, `ratelimited`) or a 5xx is `RetryLater` with Slack's `Retry-After`; an error
retrying cannot fix (unknown channel, revoked token) is `Undeliverable`.
"""

from __future__ import annotations

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.senders import Posted, RetryLater, Undeliverable
from adapters.slack import render
from adapters.slack.app import slack_error
from bot.messages import Notice

_PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "not_authed", "user_not_found", "cannot_dm_bot", "message_not_found",
    "cant_update_message", "missing_scope", "no_permission", "restricted_action",
}


class SlackSender:
    def __init__(self, client: AsyncWebClient, *, committee_channel: str | None) -> None:
        self._client = client
        self._channel = committee_channel

    @classmethod
    def create(cls, *, token: str, api_url: str, committee_channel: str | None) -> SlackSender:
        client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=[])
        return cls(client, committee_channel=committee_channel)

    async def post_to_channel(self, notice: Notice) -> Posted:
        if not self._channel:
            raise Undeliverable("no_committee_channel")
        return await self._post(self._channel, notice)

    async def post_to_user(self, user_id: str, notice: Notice) -> Posted:
        if not user_id:
            raise Undeliverable("no_user")
        opened = await self._call(self._client.conversations_open, users=user_id)
        return await self._post(opened["channel"]["id"], notice)

    async def update(self, posted: Posted, notice: Notice) -> None:
        await self._call(self._client.chat_update, channel=posted.channel, ts=posted.message_id,
                         **render.notice(notice))

    async def _post(self, channel: str, notice: Notice) -> Posted:
        response = await self._call(self._client.chat_postMessage, channel=channel, **render.notice(notice))
        return Posted(channel=response["channel"], message_id=response["ts"])

    async def _call(self, method, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = slack_error(exc)
            if status == 429 or error == "ratelimited":
                raise RetryLater("ratelimited", retry_after=_retry_after(exc)) from None
            if status >= 500 or error in {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}:
                raise RetryLater(error) from None
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
