"""The core's neutral replies and notices as Adaptive Cards (schema 1.5), and card submissions
back as the core's values.

User text goes into TextBlocks with its markdown and angle brackets neutralised, so no `<at>`
mention or link can be smuggled in. A button carries `{"candor": value}`; a form's submit
carries `{"candor_form": form_id}` with the inputs' values beside it.
"""

from __future__ import annotations

import re
from typing import Any

from bot.messages import (
    CASE_CHECK,
    Choice,
    Choices,
    Document,
    FieldKind,
    Form,
    FormErrors,
    Notice,
    Reply,
    Style,
    Surface,
    Text,
    Window,
)
from bot.wording import menus

# What Teams is, for the core: a 1:1 chat keeps its history (Purview eDiscovery searches it); the
# chat takes commands as words alone; forms, documents and the case check open in dialogs.
SURFACE = Surface(keeps_history=True, slash_commands=False, window=Window.DIALOG,
                  history_searched=True, strong="**")
CARD = "application/vnd.microsoft.card.adaptive"
_LINK = re.compile(r"\]\(")
# Teams shows at most six actions side by side and drops the rest without a word; long button
# titles are cut short in a row well before that. Up to this many choices make one row of
# buttons; a longer list (the report categories) is one button a row, each in its own ActionSet.
ROW = 5
# Teams cuts a button's title well before this many characters; a choice longer than it is
# offered in a list (an expanded ChoiceSet, whole titles) with a Continue button instead.
BUTTON_TITLE = 30
PICK = "candor_pick"  # the id of that list: a card submit carries the pick under it
_LONE_NEWLINE = re.compile(r"(?<!\n)\n(?!\n)")
DIALOG_VERB = "candor"  # the SDK's task-module routes match a dialog's `data.verb`
STATUS_DIALOG = "teams:status"  # a button's `candor_dialog`: opens the case check's form


def escape(text: str) -> str:
    """Text for a TextBlock: no `<at>` mention, no tag, no markdown link can form (the core has
    already neutralised user text; this holds for anything else too)."""
    text = text.replace("<", "\u2039").replace(">", "\u203a")
    return _LINK.sub("]\u200b(", text)


def breaks(text: str) -> str:
    """A TextBlock's markdown joins lines a single newline separates: each line its own."""
    return _LONE_NEWLINE.sub("\n\n", text)


def _block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": breaks(escape(text)), "wrap": True, **extra}


def _facts(facts: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {"type": "FactSet",
            "facts": [{"title": escape(a), "value": escape(b)} for a, b in facts]}


def _choices(reply: Choices) -> dict[str, Any]:
    """Choices as a card: buttons; long titles as a list picked with Continue, beside the
    buttons of the short ones (Back, Cancel), which send no pick."""
    body = [_block(reply.prompt)] + ([_facts(reply.facts)] if reply.facts else [])
    listed = tuple(c for c in reply.choices if len(c.label) > BUTTON_TITLE and c.window is None)
    if not listed:
        return card(body, _actions(reply.choices))
    body.append({"type": "Input.ChoiceSet", "id": PICK, "style": "expanded", "isRequired": True,
                 "errorMessage": menus.PICK_ONE,
                 "choices": [{"title": escape(c.label), "value": c.value} for c in listed]})
    pick = {"type": "Action.Submit", "title": menus.CONTINUE_BUTTON, "style": "positive",
            "data": {}}
    buttons = _actions(tuple(c for c in reply.choices if c not in listed))
    return card(body, [pick] + [{**b, "associatedInputs": "none"} for b in buttons])


def _actions(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    actions = []
    for choice in choices:
        data: dict[str, Any] = {"candor": choice.value}
        if choice.window is not None:
            # A choice that leads to a window opens it at once as a dialog (`task/fetch`): what
            # the core names, or the case check, which is this adapter's own dialog.
            opens = ({"candor_dialog": STATUS_DIALOG} if choice.window == CASE_CHECK
                     else {"candor": choice.window})
            data = {"msteams": {"type": "task/fetch"}, "verb": DIALOG_VERB, **opens}
        action: dict[str, Any] = {"type": "Action.Submit", "title": choice.label[:80], "data": data}
        if choice.style is Style.PRIMARY:
            action["style"] = "positive"
        elif choice.style is Style.DANGER:
            action["style"] = "destructive"
        actions.append(action)
    return actions


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"type": "AdaptiveCard",
                               "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                               "version": "1.5", "body": body}
    if actions and len(actions) > ROW:
        content["body"] = body + [{"type": "ActionSet", "actions": [action]} for action in actions]
    elif actions:
        content["actions"] = actions
    return content


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD, "content": content}


def reply_card(reply: Reply) -> dict[str, Any] | None:
    """A reply as a card, or None when plain text says it all."""
    if isinstance(reply, Text):
        return None
    if isinstance(reply, Choices):
        return _choices(reply)
    if isinstance(reply, Document):
        body = [_block(reply.title, weight="Bolder", size="Medium")]
        for heading, text in reply.sections:
            body += [_block(heading, weight="Bolder", spacing="Medium"), _block(text)]
        return card(body, _actions(reply.choices))
    if isinstance(reply, Form):
        return form_card(reply)
    return errors_card(reply)


def form_card(form: Form) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_block(form.title, weight="Bolder", size="Medium")]
    if form.intro:
        body.append(_block(form.intro, isSubtle=True))
    for f in form.fields:
        field: dict[str, Any] = {"id": f.name, "label": f.label, "isRequired": f.required,
                                 "errorMessage": f"{f.label}: required" if f.required else None}
        if f.kind in {FieldKind.TEXT, FieldKind.MULTILINE}:
            field.update(type="Input.Text", isMultiline=f.kind is FieldKind.MULTILINE)
            if f.max_length:
                field["maxLength"] = f.max_length
        elif f.kind in {FieldKind.SELECT, FieldKind.MULTISELECT}:
            field.update(type="Input.ChoiceSet", style="compact",
                         isMultiSelect=f.kind is FieldKind.MULTISELECT,
                         choices=[{"title": o.label, "value": o.value} for o in f.options])
        elif f.kind is FieldKind.BOOLEAN:
            field.update(type="Input.ChoiceSet", style="expanded",
                         choices=[{"title": o.label, "value": o.value} for o in f.options]
                         or [{"title": "Yes", "value": "yes"}, {"title": "No", "value": "no"}])
        else:
            field.update(type="Input.Date")
        if f.hint:
            field["placeholder"] = f.hint
        body.append({k: v for k, v in field.items() if v is not None})
    submit = {"type": "Action.Submit", "title": form.submit_label,
              "data": {"candor_form": form.form_id}}
    return card(body, [submit])


def errors_card(errors: FormErrors) -> dict[str, Any]:
    """Teams has no per-field errors for a card submit: the problems, listed, nothing
    recorded."""
    body = [_block("Please correct these and submit again; nothing was recorded.", weight="Bolder")]
    body += [_block(f"{name}: {problem}", color="Attention")
             for name, problem in errors.errors.items()]
    return card(body)


def notice_card(notice: Notice) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_block(notice.title, weight="Bolder", size="Medium")]
    if notice.text:
        body.append(_block(notice.text))
    if notice.fields:
        body.append(_facts(notice.fields))
    return card(body, _actions(notice.choices))


def submission(value: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    """A card submit (a message's `value`, or an `adaptiveCard/action` invoke's value) as
    (choice value, form id, field values)."""
    if not isinstance(value, dict):
        return None, None, {}
    if isinstance(value.get("action"), dict):  # adaptiveCard/action invoke
        data = value["action"].get("data")
        value = data if isinstance(data, dict) else {}
    choice = value.get("candor", value.get(PICK))
    form_id = value.get("candor_form")
    fields = {k: v for k, v in value.items() if k not in {"candor", "candor_form", PICK}}
    for key, item in list(fields.items()):
        if isinstance(item, str) and "," in item and key == "exclude":
            fields[key] = [part for part in item.split(",") if part]
    return (choice if isinstance(choice, str) else None,
            form_id if isinstance(form_id, str) else None, fields)
