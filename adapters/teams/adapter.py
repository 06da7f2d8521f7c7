"""The Microsoft 365 Agents SDK's CloudAdapter as Candor runs it: Candor's settings mapped onto the
SDK's connection settings, every inbound token checked by the SDK's validator whenever an app id
is set (anything that cannot be verified is refused as 401), the bot's own app id for the calls it
starts itself, and the turn-error handler.

Without an app id the adapter runs in local mode: nothing is authenticated, inbound or outbound.
The composition root allows that only when `CANDOR_TEAMS_LOCAL=true` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from jwt import PyJWKClientConnectionError, PyJWTError
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    ClaimsIdentity,
    JwtTokenValidator,
    TurnContext,
)
from microsoft_agents.hosting.core.authorization import AuthTypes

from bot.wording import refusals

log = logging.getLogger("candor.teams")

# The issuer of the tokens the Bot Connector sends a bot (Teams included); the SDK adds Microsoft's
# own first-party issuers to whatever is configured.
CONNECTOR_ISSUER = "https://api.botframework.com"
# The audience of the bot's own tokens for the Connector.
CONNECTOR_AUDIENCE = "https://api.botframework.com"


class KeysUnavailable(Exception):
    """The Bot Framework's signing keys could not be fetched: the request may be genuine, so it is
    answered 503 (the Connector retries), not 401."""


class Unauthenticated(Exception):
    """The request's token is missing or could not be verified: 401, and nothing is done."""


class _LocalIdentity(ClaimsIdentity):
    """Local mode's identity for the turns the bot starts itself: its calls carry no token (the
    SDK gives the anonymous token provider only to an identity without claims, and opening a chat
    adds the service URL as a claim)."""

    @property
    def allow_anonymous(self) -> bool:
        return True


class TeamsAdapter(CloudAdapter):
    """The CloudAdapter, knowing the bot's own app id: a conversation the bot starts (a member's
    private 1:1 chat) is created in its name, and its tokens are fetched for that id."""

    def __init__(self, connections: MsalConnectionManager, *, app_id: str) -> None:
        super().__init__(connection_manager=connections)
        self.app_id = app_id
        self.connections = connections

    def create_claims_identity(self, agent_app_id: str = "") -> ClaimsIdentity:
        if not self.app_id:
            return _LocalIdentity()
        return super().create_claims_identity(agent_app_id)


@dataclass(frozen=True)
class Authenticator:
    """Who may post to /api/messages: with an app id, a request whose bearer token the SDK's
    validator accepts (signed by a key the Bot Framework publishes, for this app id as audience,
    from the Connector's issuer, not expired) and whose `serviceurl` claim is the activity's
    service URL (a token for one Connector cannot direct the bot's answers to another host).
    Without one (local mode), anyone."""

    config: AgentAuthConfiguration | None

    async def identity(self, request: web.Request, activity: dict[str, object]) -> ClaimsIdentity:
        if self.config is None:
            return ClaimsIdentity()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
            raise Unauthenticated
        try:
            identity = await JwtTokenValidator(self.config).validate_token(token)
        except PyJWKClientConnectionError:
            log.error("the Bot Framework's signing keys could not be fetched")
            raise KeysUnavailable from None
        except (PyJWTError, ValueError, KeyError) as exc:
            # the type only, never the token
            log.warning("inbound token refused: %s", type(exc).__name__)
            raise Unauthenticated from None
        claimed = identity.get_claim_value("serviceurl")
        if not isinstance(claimed, str) or claimed != activity.get("serviceUrl"):
            log.warning("inbound token refused: its service URL is not the activity's")
            raise Unauthenticated
        return identity


def auth_config(*, app_id: str | None, password: str | None,
                tenant_id: str | None) -> AgentAuthConfiguration:
    """Candor's settings as the SDK's connection settings: MICROSOFT_APP_ID is the client id (and
    the only accepted token audience), MICROSOFT_APP_PASSWORD its client secret,
    MICROSOFT_APP_TENANT_ID the tenant of a single-tenant bot (else the Bot Framework's own)."""
    return AgentAuthConfiguration(
        auth_type=AuthTypes.client_secret, client_id=app_id or None, client_secret=password or None,
        tenant_id=tenant_id or "botframework.com", connection_name="SERVICE_CONNECTION",
        issuers=[CONNECTOR_ISSUER], validate_issuer=True, anonymous_allowed=not app_id)


def build_adapter(*, app_id: str | None, password: str | None,
                  tenant_id: str | None) -> tuple[TeamsAdapter, Authenticator]:
    # local mode has no credentials to pin (the bot still filters)
    tenant_id = tenant_id if app_id else None
    config = auth_config(app_id=app_id, password=password, tenant_id=tenant_id)
    if not app_id:
        log.warning("Teams runs in local mode (CANDOR_TEAMS_LOCAL): activities are NOT "
                    "authenticated; for the Bot Framework Emulator and tests only")
    connections = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
    adapter = TeamsAdapter(connections, app_id=app_id or "")

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        # The type only: an exception's text may carry what a person typed.
        log.error("Teams turn failed: %s", type(error).__name__)
        if _in_channel(context.activity):
            return  # never an error message in the committee channel, for all to see
        try:
            await context.send_activity(refusals.INTERNAL_ERROR)
        except Exception as exc:  # noqa: BLE001  the Connector may be the failure: the log says so
            log.error("could not tell the person the turn failed: %s", type(exc).__name__)

    adapter.on_turn_error = on_turn_error
    return adapter, Authenticator(config if app_id else None)


def _in_channel(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is not None and conversation.conversation_type not in (None, "personal")
