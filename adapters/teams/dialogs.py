"""Teams dialogs (task modules) on the SDK's own routes: what `task/fetch` and `task/submit`
answer. A button opens a dialog with `{"msteams": {"type": "task/fetch"}, "verb": VERB,
"candor": value}`; the core's answer to that value (a form, or what it says instead) is shown in
the dialog; a form submitted there is answered there too, so a receipt never lands in the chat's
history.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from microsoft_agents.hosting.core import TurnContext, TurnState
from microsoft_teams.api.models import Attachment
from microsoft_teams.api.models.task_module import (
    CardTaskModuleTaskInfo,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleRequest,
    TaskModuleResponse,
)

from adapters.teams import cards
from bot import copy
from bot.messages import Form, Reply, Text

log = logging.getLogger("candor.teams")

VERB = "candor"  # the SDK's task-module routes match a dialog's `data.verb`
_ROUTING = ("verb", "msteams")  # what Teams and the routes read; never a form's field


def data_of(request: TaskModuleRequest) -> dict[str, Any]:
    """A dialog's data without the routing keys: what the card's action and inputs carried."""
    data = request.data if isinstance(request.data, dict) else {}
    return {key: value for key, value in data.items() if key not in _ROUTING}


def _dialog_form(form: Form) -> dict[str, Any]:
    content = cards.form_card(form)
    for action in content.get("actions", []):
        action["data"] = {**action["data"], "verb": VERB}  # its submit comes back as task/submit
    return content


def _continue(title: str, content: dict[str, Any]) -> TaskModuleResponse:
    card = Attachment(content_type=cards.CARD, content=content)
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=CardTaskModuleTaskInfo(
        title=title[:80], card=card)))


def message(text: str) -> TaskModuleResponse:
    """A dialog that only says something (Teams shows it and closes)."""
    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))


def show(replies: list[Reply]) -> TaskModuleResponse:
    """The core's replies as one dialog: a form as the form; anything else as one card."""
    for reply in replies:
        if isinstance(reply, Form):
            return _continue(reply.title, _dialog_form(reply))
    body: list[dict[str, Any]] = []
    for reply in replies:
        content = cards.reply_card(reply)
        if content is None:
            assert isinstance(reply, Text)
            body.append({"type": "TextBlock", "text": cards.escape(reply.text), "wrap": True})
        else:
            body += content.get("body", [])
    if not body:
        return message(copy.sent_privately())
    return _continue("Candor", cards.card(body))


TaskHandler = Callable[[TurnContext, TurnState, TaskModuleRequest], Awaitable[TaskModuleResponse]]


def guarded(handler: TaskHandler) -> TaskHandler:
    """A dialog whose turn failed says so (the type only in the log, never the exception's text,
    which may carry what a person typed)."""

    async def route(context: TurnContext, state: TurnState, request: TaskModuleRequest) -> TaskModuleResponse:
        try:
            return await handler(context, state, request)
        except Exception as exc:  # noqa: BLE001  answered politely, logged by type only
            log.error("Teams dialog failed: %s", type(exc).__name__)
            return message(copy.internal_error())

    return route
