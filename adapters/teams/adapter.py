"""botbuilder's CloudAdapter as Candor runs it: the Bot Framework's authentication (every inbound
token checked whenever an app id is set, and any token that cannot be checked refused as 401),
the bot's own app id for the calls it starts itself, and the turn-error handler.

Without an app id the adapter runs in the Bot Framework's local mode: nothing is authenticated.
The composition root allows that only when `CANDOR_TEAMS_LOCAL=true` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult

from bot import copy

log = logging.getLogger("candor.teams")


@dataclass(frozen=True)
class TeamsConfig:
    """What botbuilder's configuration-based authentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TENANTID: str
    APP_TYPE: str


class KeysUnavailable(Exception):
    """The Bot Framework's signing keys could not be fetched: the request may be genuine, so it is
    answered 503 (the Connector retries), not 401."""


class _Authentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's checks, unchanged; what they raise besides PermissionError (an unknown key id
    is an IndexError inside botbuilder, a malformed token a PyJWTError, an endorsement mismatch a
    bare Exception) is a token that could not be verified, hence unauthenticated as well."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except requests.RequestException as exc:
            log.error("the Bot Framework's signing keys could not be fetched: %s", type(exc).__name__)
            raise KeysUnavailable from None
        except Exception as exc:  # noqa: BLE001  refused below; the type only (the token is not logged)
            log.warning("inbound token refused: %s", type(exc).__name__)
            raise PermissionError("unauthorized") from None


class TeamsAdapter(CloudAdapter):
    """The CloudAdapter, knowing the bot's own app id: a conversation the bot starts (a member's
    private 1:1 chat) is created in its name, and botbuilder's credentials accept only that id."""

    def __init__(self, authentication: ConfigurationBotFrameworkAuthentication, *, app_id: str) -> None:
        super().__init__(authentication)
        self.app_id = app_id


def build_adapter(*, app_id: str | None, password: str | None, tenant_id: str | None) -> TeamsAdapter:
    tenant_id = tenant_id if app_id else None  # local mode has no credentials to pin (the bot still filters)
    config = TeamsConfig(APP_ID=app_id or "", APP_PASSWORD=password or "", APP_TENANTID=tenant_id or "",
                         APP_TYPE="SingleTenant" if tenant_id else "MultiTenant")
    if not app_id:
        log.warning("Teams runs in local mode (CANDOR_TEAMS_LOCAL): activities are NOT authenticated; "
                    "for the Bot Framework Emulator and tests only")
    adapter = TeamsAdapter(_Authentication(config), app_id=app_id or "")

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        # The type only: an exception's text may carry what a person typed.
        log.error("Teams turn failed: %s", type(error).__name__)
        conversation = context.activity.conversation
        if conversation is not None and conversation.conversation_type not in (None, "personal"):
            return  # never an error message in the committee channel, for all to see
        try:
            await context.send_activity(copy.internal_error())
        except Exception as exc:  # noqa: BLE001  the Connector may be the failure: the log says so
            log.error("could not tell the person the turn failed: %s", type(exc).__name__)

    adapter.on_turn_error = on_turn_error
    return adapter
