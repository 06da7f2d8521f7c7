"""The core's neutral replies and notices as Block Kit, and view submissions back as values.

Every piece of user text goes into `plain_text` objects or through `escape`, so no mention
(`<!channel>`, `<@U…>`) or link can be smuggled into a message. Slack's limits are respected
(Slack refuses the whole message or view otherwise): 3000 characters per section, counted after
escaping, 2000 per field, 150 per header, 75 per button or option, 24 per modal title, 50 blocks
per message and 100 per view. What does not fit is shortened, never the buttons.
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
    Surface,
    Text,
    Window,
)
from bot.wording import windows

# What Slack is, for the core: a DM keeps its history (exports, the Discovery API); commands are
# slash commands; forms and documents open in modals, other private answers are ephemeral.
SURFACE = Surface(keeps_history=True, slash_commands=True, window=Window.MODAL)
ACTION_PREFIX = "candor:"
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
_ENTITY = 5  # the longest escape, "&amp;"


def escape(text: str) -> str:
    """Text safe inside mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _entity_safe(escaped: str, cut: int) -> int:
    """`cut` moved back, if it falls inside an escape like `&amp;`, to the escape's start."""
    amp = escaped.rfind("&", max(cut - _ENTITY + 1, 0), cut)
    return amp if amp != -1 and ";" not in escaped[amp:cut] else cut


def _chunks(text: str, limit: int) -> list[str]:
    """`text` escaped, in pieces of at most `limit` characters, split at a line or word break
    where one is near and never inside an escape."""
    escaped, pieces = escape(text), []
    while len(escaped) > limit:
        cut = _entity_safe(escaped, limit)
        near = max(cut - 200, 0)
        space = max(escaped.rfind("\n", near, cut), escaped.rfind(" ", near, cut))
        cut = space + 1 if space > 0 else cut
        pieces.append(escaped[:cut])
        escaped = escaped[cut:]
    return pieces + [escaped]


def _escaped_cut(text: str, limit: int) -> str:
    """`text` escaped and shortened to `limit` characters (with an ellipsis), escapes kept whole."""
    escaped = escape(text)
    return escaped if len(escaped) <= limit else escaped[: _entity_safe(escaped, limit - 1)] + "…"


def _plain(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit) or " ", "emoji": False}


def _sections(text: str) -> list[dict[str, Any]]:
    """Long text as several sections (Slack caps each at 3000 characters)."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c or " "}}
            for c in _chunks(text, SECTION_LIMIT)]


def _fit(content: list[dict[str, Any]], tail: list[dict[str, Any]],
         limit: int) -> list[dict[str, Any]]:
    """At most `limit` blocks: the content shortened (and said so) before any of `tail`, the
    buttons, is lost."""
    if len(content) + len(tail) <= limit:
        return content + tail
    note = {"type": "context", "elements": [{"type": "mrkdwn",
                                             "text": escape(windows.VIEW_SHORTENED)}]}
    return content[: max(limit - len(tail) - 1, 0)] + [note] + tail[:limit - 1]


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
        return {"text": _escaped_cut(reply.text, SECTION_LIMIT),
                "blocks": _fit(_sections(reply.text), [], MESSAGE_BLOCKS)}
    if isinstance(reply, Choices):
        return {"text": _escaped_cut(reply.text, SECTION_LIMIT),
                "blocks": _fit(_sections(reply.text), actions(reply.choices), MESSAGE_BLOCKS)}
    if isinstance(reply, Document) and reply.reopen is not None:
        # A document asked for in the chat: a button that opens it in a window, nothing of it here.
        title = _escaped_cut(reply.title, SECTION_LIMIT)
        opener = (Choice(windows.OPEN_DOCUMENT_LABEL, reply.reopen, Style.PRIMARY),)
        blocks = _sections(windows.document_opens_in_window(reply.title)) + actions(opener)
        return {"text": title, "blocks": blocks}
    if isinstance(reply, Document):
        return {"text": _escaped_cut(reply.title, SECTION_LIMIT),
                "blocks": _fit(_document_content(reply), actions(reply.choices), MESSAGE_BLOCKS)}
    if isinstance(reply, FormErrors):
        text = "\n".join(f"{k}: {v}" for k, v in reply.errors.items())
        return {"text": _escaped_cut(text, SECTION_LIMIT),
                "blocks": _fit(_sections(text), [], MESSAGE_BLOCKS)}
    # A form cannot live inside a message: offer a button that opens it in a window.
    title = _escaped_cut(reply.title, SECTION_LIMIT)
    if reply.reopen is None:
        return {"text": title, "blocks": _sections(reply.title)}
    opener = (Choice(windows.OPEN_FORM_LABEL, reply.reopen, Style.PRIMARY),)
    return {"text": title,
            "blocks": _sections(windows.form_opens_in_window(reply.title)) + actions(opener)}


def notice(n: Notice) -> dict[str, Any]:
    """A channel notice (or a direct message) for `chat.postMessage` / `chat.update`."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(n.title, 150)}]
    if n.text:
        blocks += _sections(n.text)
    for start in range(0, len(n.fields), 10):  # ten fields to a section
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn",
             "text": f"*{_escaped_cut(label, 200)}*\n{_escaped_cut(value, FIELD_LIMIT - 210)}"}
            for label, value in n.fields[start : start + 10]
        ]})
    return {"text": _escaped_cut(n.title, SECTION_LIMIT),
            "blocks": _fit(blocks, actions(n.choices), MESSAGE_BLOCKS)}


def _document_content(doc: Document) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for heading, body in doc.sections:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": f"*{_escaped_cut(heading, 2000)}*"}})
        blocks += _sections(body)
    return blocks


def modal(title: str, blocks: list[dict[str, Any]], *, callback_id: str = "candor:view",
          submit: str | None = None, private_metadata: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id[:255],
                            "title": _plain(title, 24), "close": _plain("Close", 24),
                            "blocks": blocks[:VIEW_BLOCKS],
                            "private_metadata": private_metadata[:3000]}
    if submit:
        view["submit"] = _plain(submit, 24)
    return view


def document_view(doc: Document) -> dict[str, Any]:
    return modal(doc.title, _fit(_document_content(doc), actions(doc.choices), VIEW_BLOCKS))


def reply_view(replies: list[Reply], title: str = "Candor") -> dict[str, Any]:
    """Replies shown in a modal (a receipt shown once leaves no message history)."""
    content: list[dict[str, Any]] = []
    buttons: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Document):
            content += _document_content(reply)
            buttons += actions(reply.choices)
        elif isinstance(reply, Choices):
            content += _sections(reply.text)
            buttons += actions(reply.choices)
        elif not isinstance(reply, Form):
            content += message(reply)["blocks"]
    return modal(title, _fit(content, buttons, VIEW_BLOCKS) or _sections(" "))


def form_view(form: Form) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks += _fit(_sections(form.intro), [], VIEW_BLOCKS - len(form.fields))
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
                       "options": [_option(o) for o in f.options]
                       or [_option(Choice("Yes", "yes")), _option(Choice("No", "no"))]}
        else:
            element = {"type": "datepicker", "action_id": "value"}
        block: dict[str, Any] = {"type": "input", "block_id": f.name,
                                 "label": _plain(f.label, 2000),
                                 "element": element, "optional": not f.required}
        if f.hint:
            block["hint"] = _plain(f.hint, 2000)
        blocks.append(block)
    return modal(form.title, blocks, callback_id=form.form_id, submit=form.submit_label)


def _option(choice: Choice) -> dict[str, Any]:
    return {"text": _plain(choice.label, 75), "value": choice.value[:150]}


def home_view(replies: list[Reply]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    buttons: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Document):
            content.append({"type": "header", "text": _plain(reply.title, 150)})
            content += _document_content(reply)
            buttons += actions(reply.choices)
        elif isinstance(reply, Choices):
            content += _sections(reply.text)
            buttons += actions(reply.choices)
        else:
            content += message(reply)["blocks"]
    return {"type": "home", "blocks": _fit(content, buttons, VIEW_BLOCKS)}


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
