"""Teams dialogs (task modules) on the SDK's own routes: what `task/fetch` and `task/submit`
answer. A button opens a dialog with `{"msteams": {"type": "task/fetch"}, "verb": VERB,
"candor": value}`; the core's answer to that value (a form, or what it says instead) is shown in
the dialog; a form submitted there is answered there too, so a receipt never lands in the chat's
history.

What the core answered in the chat that cannot be asked for again (a receipt, a new secret, a
member's case details) waits for its dialog in the core's kept views (`Service.keep_view`,
`bot.receipts`): sealed in the database, for the person it was for, ten minutes, one opening. The
chat's card carries only the view's one-time key (`VIEW`), so the dialog opens on any replica and
after a restart, and never for anyone else.
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
from bot.messages import Document, FieldKind, Form, FormField, Keepable, Reply, Text
from bot.wording import following, refusals, windows

log = logging.getLogger("candor.teams")

VERB = cards.DIALOG_VERB
_ROUTING = ("verb", "msteams")  # what Teams and the routes read; never a form's field


STATUS_FORM = "teams:status"  # the adapter's own form: a case's code and secret, typed in a dialog
STATUS_DIALOG = cards.STATUS_DIALOG
VIEW = "candor_view"  # a button's one-time key to what the core kept for it (`Service.take_view`)


def status_form() -> Form:
    """Where an anonymous reporter types their code and secret in Teams: a dialog, whose
    contents Teams does not keep in the chat (the core's `status CODE SECRET` command)."""
    return Form(STATUS_FORM, following.STATUS_FORM_TITLE, (
        FormField("code", following.STATUS_FORM_CODE, FieldKind.TEXT, max_length=40),
        FormField("secret", following.STATUS_FORM_SECRET, FieldKind.TEXT, required=False,
                  max_length=80),
    ), submit_label=following.STATUS_FORM_SUBMIT)


def opener(title: str, data: dict[str, Any]) -> dict[str, Any]:
    """A small chat card whose one button opens a dialog: the card itself says nothing private."""
    action = {"type": "Action.Submit", "title": windows.OPEN_IN_DIALOG,
              "data": {"msteams": {"type": "task/fetch"}, "verb": VERB, **data}}
    return cards.card([{"type": "TextBlock", "text": cards.escape(title), "wrap": True}], [action])


def in_chat(replies: list[Reply], *,
            keep: Callable[[Keepable], str]) -> list[Reply | dict[str, Any]]:
    """The core's replies for a personal chat, which Teams keeps (Purview collects it): a form or
    a document becomes a card with a button opening it in a dialog (what it asks the core again,
    else the key `keep` gives it); the rest stays as it is. `keep` writes to the database: call
    this off the event loop."""
    out: list[Reply | dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Form | Document):
            if reply.reopen is not None:
                data: dict[str, Any] = {"candor": reply.reopen}
            else:
                data = {VIEW: keep(reply)}
            out.append(opener(reply.title, data))
        else:
            out.append(reply)
    return out


def data_of(request: TaskModuleRequest) -> dict[str, Any]:
    """A dialog's data without the routing keys: what the card's action and inputs carried."""
    data = request.data if isinstance(request.data, dict) else {}
    return {key: value for key, value in data.items() if key not in _ROUTING}


def _in_dialog(content: dict[str, Any]) -> dict[str, Any]:
    """Every button of a dialog's card comes back as task/submit, answered in the dialog."""
    actions = list(content.get("actions", []))
    actions += [a for item in content.get("body", []) if item.get("type") == "ActionSet"
                for a in item["actions"]]
    for action in actions:
        action["data"] = {**action["data"], "verb": VERB}
    return content


def _dialog_form(form: Form) -> dict[str, Any]:
    return _in_dialog(cards.form_card(form))


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
    actions: list[dict[str, Any]] = []
    for reply in replies:
        content = cards.reply_card(reply)
        if content is None:
            assert isinstance(reply, Text)
            body.append({"type": "TextBlock", "text": cards.escape(reply.text), "wrap": True})
        else:
            body += [item for item in content.get("body", []) if item.get("type") != "ActionSet"]
            actions += content.get("actions", [])
            actions += [a for item in content.get("body", []) if item.get("type") == "ActionSet"
                        for a in item["actions"]]
    if not body:
        return message(windows.SENT_PRIVATELY)
    return _continue("Candor", _in_dialog(cards.card(body, actions)))


TaskHandler = Callable[[TurnContext, TurnState, TaskModuleRequest], Awaitable[TaskModuleResponse]]


def guarded(handler: TaskHandler) -> TaskHandler:
    """A dialog whose turn failed says so (the type only in the log, never the exception's text,
    which may carry what a person typed)."""

    async def route(context: TurnContext, state: TurnState,
                    request: TaskModuleRequest) -> TaskModuleResponse:
        try:
            return await handler(context, state, request)
        except Exception as exc:  # noqa: BLE001  answered politely, logged by type only
            log.error("Teams dialog failed: %s", type(exc).__name__)
            return message(refusals.INTERNAL_ERROR)

    return route
