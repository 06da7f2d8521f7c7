"""The core's neutral replies and notices as Block Kit, and view submissions back as values.

Every piece of user text goes into `plain_text` objects or through `escape`, so no mention
(`<!channel>`, `<@U…>`) or link can be smuggled into a message. Slack's limits are respected:
3000 characters per section, 150 per header, 75 per button or option, 24 per modal title,
100 blocks per view.
"""

from __future__ import annotations

from typing import Any

from bot.messages import (
    Choice,
    Choices,
    Document,
    FieldKind,
    Form,
    FormErrors,
    Notice,
    Reply,
    Style,
    Text,
)

ACTION_PREFIX = "candor:"
MAX_BLOCKS = 100
SECTION_LIMIT = 3000


def escape(text: str) -> str:
    """Text safe inside mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit) or " ", "emoji": False}


def _sections(text: str) -> list[dict[str, Any]]:
    """Long text as several sections (Slack caps each at 3000 characters)."""
    chunks = [text[i : i + SECTION_LIMIT - 10] for i in range(0, len(text), SECTION_LIMIT - 10)] or [""]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": escape(c) or " "}} for c in chunks]


def _button(choice: Choice, index: int) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": _plain(choice.label, 75),
                              "action_id": f"{ACTION_PREFIX}{index}", "value": choice.value[:2000]}
    if choice.style is not Style.DEFAULT:
        button["style"] = choice.style.value
    return button


def actions(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    """Buttons, 25 to an actions block (Slack's limit)."""
    blocks = []
    for start in range(0, len(choices), 25):
        chunk = choices[start : start + 25]
        blocks.append({"type": "actions", "block_id": f"choices-{start}",
                       "elements": [_button(c, start + i) for i, c in enumerate(chunk)]})
    return blocks


def message(reply: Reply) -> dict[str, Any]:
    """A reply as `chat.postMessage` arguments (text fallback and blocks)."""
    if isinstance(reply, Text):
        return {"text": escape(reply.text), "blocks": _sections(reply.text)}
    if isinstance(reply, Choices):
        return {"text": escape(reply.prompt), "blocks": _sections(reply.prompt) + actions(reply.choices)}
    if isinstance(reply, Document):
        blocks = _document_blocks(reply)
        return {"text": escape(reply.title), "blocks": blocks[:MAX_BLOCKS]}
    if isinstance(reply, FormErrors):
        text = "\n".join(f"{k}: {v}" for k, v in reply.errors.items())
        return {"text": escape(text), "blocks": _sections(text)}
    return {"text": escape(reply.title), "blocks": _sections(reply.title)}


def notice(n: Notice) -> dict[str, Any]:
    """A channel notice (or a direct message) for `chat.postMessage` / `chat.update`."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(n.title, 150)}]
    if n.text:
        blocks += _sections(n.text)
    for start in range(0, len(n.fields), 10):  # ten fields to a section
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"[:2000]}
            for label, value in n.fields[start : start + 10]
        ]})
    blocks += actions(n.choices)
    return {"text": escape(n.title), "blocks": blocks[:MAX_BLOCKS]}


def _document_blocks(doc: Document) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for heading, body in doc.sections:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(heading)}*"}})
        blocks += _sections(body)
    blocks += actions(doc.choices)
    return blocks


def modal(title: str, blocks: list[dict[str, Any]], *, callback_id: str = "candor:view",
          submit: str | None = None, private_metadata: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id[:255],
                            "title": _plain(title, 24), "close": _plain("Close", 24),
                            "blocks": blocks[:MAX_BLOCKS], "private_metadata": private_metadata[:3000]}
    if submit:
        view["submit"] = _plain(submit, 24)
    return view


def document_view(doc: Document) -> dict[str, Any]:
    return modal(doc.title, _document_blocks(doc))


def reply_view(replies: list[Reply], title: str = "Candor") -> dict[str, Any]:
    """Replies shown in a modal (a receipt shown once leaves no message history)."""
    blocks: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Document):
            blocks += _document_blocks(reply)
        elif isinstance(reply, Form):
            continue
        else:
            blocks += message(reply)["blocks"]
    return modal(title, blocks or _sections(" "))


def form_view(form: Form) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks += _sections(form.intro)[: MAX_BLOCKS - len(form.fields) - 1]
    for f in form.fields:
        element: dict[str, Any]
        if f.kind in {FieldKind.TEXT, FieldKind.MULTILINE}:
            element = {"type": "plain_text_input", "action_id": "value",
                       "multiline": f.kind is FieldKind.MULTILINE}
            if f.max_length:
                element["max_length"] = min(f.max_length, 3000)
            if f.initial:
                element["initial_value"] = f.initial
        elif f.kind is FieldKind.SELECT:
            element = {"type": "static_select", "action_id": "value",
                       "options": [_option(o) for o in f.options[:100]]}
        elif f.kind is FieldKind.MULTISELECT:
            element = {"type": "multi_static_select", "action_id": "value",
                       "options": [_option(o) for o in f.options[:100]]}
        elif f.kind is FieldKind.BOOLEAN:
            element = {"type": "radio_buttons", "action_id": "value",
                       "options": [_option(Choice("Yes", "yes")), _option(Choice("No", "no"))]}
        else:
            element = {"type": "datepicker", "action_id": "value"}
        block: dict[str, Any] = {"type": "input", "block_id": f.name, "label": _plain(f.label, 2000),
                                 "element": element, "optional": not f.required}
        if f.hint:
            block["hint"] = _plain(f.hint, 2000)
        blocks.append(block)
    return modal(form.title, blocks, callback_id=form.form_id, submit=form.submit_label)


def _option(choice: Choice) -> dict[str, Any]:
    return {"text": _plain(choice.label, 75), "value": choice.value[:150]}


def home_view(replies: list[Reply]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Document):
            blocks.append({"type": "header", "text": _plain(reply.title, 150)})
            blocks += _document_blocks(reply)
        else:
            blocks += message(reply)["blocks"]
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def form_errors(errors: FormErrors) -> dict[str, Any]:
    """Field errors for a view_submission's acknowledgement (block ids are field names)."""
    return {"response_action": "errors", "errors": {k: v[:150] for k, v in errors.errors.items()}}


def form_values(state: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` as {field name: value}: text, a choice, choices, a date."""
    values: dict[str, Any] = {}
    for block_id, elements in (state or {}).items():
        if not isinstance(elements, dict):
            continue
        for element in elements.values():
            if not isinstance(element, dict):
                continue
            kind = element.get("type")
            if kind == "plain_text_input":
                values[block_id] = element.get("value")
            elif kind in {"static_select", "radio_buttons"}:
                selected = element.get("selected_option") or {}
                values[block_id] = selected.get("value") if isinstance(selected, dict) else None
            elif kind == "multi_static_select":
                values[block_id] = [o.get("value") for o in element.get("selected_options") or []
                                    if isinstance(o, dict)]
            elif kind == "datepicker":
                values[block_id] = element.get("selected_date")
    return values
