"""What a platform must offer the notifier: post a notice, edit a posted one.

A sender raises `RetryLater` for a rate limit or a temporary failure (with the platform's
`Retry-After` when it gave one), `Blocked` for a refusal that lasts until a person fixes something
(the bot removed from the channel, a revoked token, an archived channel: the notice is kept and
retried), and `Undeliverable` for a failure that retrying cannot fix (a person unknown to the
platform). Error texts are platform error codes, never payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.messages import Notice


class RetryLater(Exception):
    """Try again later. `in_doubt`: the platform may have taken the post all the same (a 5xx or
    a dropped connection after the request went out), so the next try looks first."""

    def __init__(self, code: str, *, retry_after: float | None = None,
                 in_doubt: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after
        self.in_doubt = in_doubt


class Blocked(Exception):
    """The platform refuses until a person fixes something: keep the notice, retry it on the
    backoff, and at once when the platform works again."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Undeliverable(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Posted:
    """Where a notice landed, so a later update can edit the same message."""

    channel: str  # Slack channel id / Teams conversation id
    message_id: str  # Slack ts / Teams activity id


@dataclass(frozen=True)
class Ref:
    """Which outbox row a post carries. A sender that can read back what it posted tags each post
    with `id` and, when `maybe_sent` (an earlier try's relay died between posting and recording
    it), looks for that tag since `since` before posting again: the notice lands once."""

    id: str  # the outbox row's opaque id; no content
    since: datetime  # when the row was written (UTC)
    maybe_sent: bool = False


class Sender(Protocol):
    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        """Post to the committee channel configured for this platform."""
        ...

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        """Send a direct message to a person by their platform user id."""
        ...

    async def update(self, posted: Posted, notice: Notice) -> None:
        """Replace an earlier posted notice in place."""
        ...
