"""The neutral message model: what adapters hand the core, and what the core answers.

Inbound events are few: a direct message, a command with arguments, a choice clicked, a form
submitted. Replies are text, choices, a form, form errors, or a private document. Channel
notices and their updates are `Notice`s; they never travel as replies, only through the outbox.
Adapters render these in their own way (Block Kit, Adaptive Cards, plain text) and decide nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from storage.vocabulary import Platform

# --- who is speaking ---------------------------------------------------------------------------


class Window(StrEnum):
    """Where forms, documents and secrets open, away from the chat."""

    MODAL = "modal"  # a window a button opens; elsewhere, answers only the person sees
    DIALOG = "dialog"  # a dialog over the chat, which also checks a case (*Check a case*)


@dataclass(frozen=True)
class Surface:
    """Where a person talks to Candor, as their adapter declares it: what the core must know to
    keep a chat's history clean and to word its sentences, without naming a platform. The
    default is a surface that keeps nothing (the console)."""

    keeps_history: bool = False  # the chat keeps what is typed and sent in it (exports, search)
    slash_commands: bool = True  # commands are typed `/ethics WORDS`; otherwise the words alone
    window: Window | None = None
    history_searched: bool = False  # the organisation searches the history; otherwise exports it
    strong: str = "*"  # the markup around bold text (Slack's mrkdwn `*`; Teams' markdown `**`)

    def bold(self, text: str) -> str:
        return f"{self.strong}{text}{self.strong}"


@dataclass(frozen=True)
class Actor:
    """A person as a platform knows them. `email` is filled when the adapter knows it (a Slack
    `users.info` lookup, a Teams UPN), so an unknown id can be matched to the roster once.
    `surface` is where they are (not part of who they are)."""

    platform: Platform
    user_id: str
    email: str | None = None
    surface: Surface = field(default=Surface(), compare=False)


# --- inbound -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectMessage:
    actor: Actor
    text: str
    event_id: str | None = None  # the platform's event or activity id, for de-duplication


@dataclass(frozen=True)
class Command:
    """`/ethics report`, `/ethics status CODE SECRET`, `/attest`, or Teams' typed commands."""

    actor: Actor
    name: str  # "ethics" or "attest"
    args: str = ""
    event_id: str | None = None


@dataclass(frozen=True)
class ChoiceClicked:
    """A button. `value` is what the core put in the `Choice`; adapters pass it back untouched."""

    actor: Actor
    value: str
    event_id: str | None = None


@dataclass(frozen=True)
class FormSubmitted:
    actor: Actor
    form_id: str
    values: dict[str, Any]
    event_id: str | None = None


Inbound = DirectMessage | Command | ChoiceClicked | FormSubmitted


# --- outbound ----------------------------------------------------------------------------------


class Style(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Choice:
    label: str
    value: str
    style: Style = Style.DEFAULT
    # A choice that leads to a window (a form, the case check) says what that window shows: the
    # click it asks the core for, or `CASE_CHECK`. An adapter that opens a window straight from a
    # button (a Teams dialog) opens it at once, so reaching it writes nothing into the chat; the
    # others send `value` as an ordinary click. None: a click answered where it was made.
    window: str | None = None


CASE_CHECK = "case-check"  # a `Choice.window`: the adapter's own window for a code and a secret


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choices:
    prompt: str
    choices: tuple[Choice, ...]
    # (label, value) lines under the prompt (the typed report's review): a Teams FactSet, lines
    # elsewhere. A card's single line breaks do not break in Teams, so facts are never joined.
    facts: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        """The prompt and its facts as lines, for a surface that breaks lines as written."""
        return "\n".join([self.prompt, *(f"{label}: {value}" for label, value in self.facts)])


class FieldKind(StrEnum):
    TEXT = "text"  # one line
    MULTILINE = "multiline"
    SELECT = "select"  # one of `options`
    MULTISELECT = "multiselect"  # any of `options`
    BOOLEAN = "boolean"  # a yes/no question; value "yes" or "no" (or one of its few `options`)
    DATE = "date"  # ISO date


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    max_length: int | None = None
    options: tuple[Choice, ...] = ()
    hint: str | None = None
    initial: str | None = None


@dataclass(frozen=True)
class Form:
    """A form the adapter shows at once (a Slack modal, a Teams card, console prompts)."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"
    intro: str | None = None  # text shown above the fields (the Code, at attestation)
    # A choice value that brings this form back: an adapter that cannot show a form inside a
    # message (a Slack DM) offers it as a button that opens the form in a window.
    reopen: str | None = None


@dataclass(frozen=True)
class FormErrors:
    """A form submission refused: field name -> what to fix. Nothing was recorded."""

    form_id: str
    errors: dict[str, str]


@dataclass(frozen=True)
class Document:
    """A private view for one person (a case's details): title and (heading, text) sections.
    Adapters show it only to the person who asked (a modal, a 1:1 card, the console)."""

    title: str
    sections: tuple[tuple[str, str], ...]
    choices: tuple[Choice, ...] = ()
    # A choice value that shows this document again. Asked for by a typed command, an adapter
    # whose chat keeps history (Slack) offers it as a button opening the document in a window,
    # never as a message. Without it, such an adapter shows the document privately (ephemeral).
    reopen: str | None = None


Reply = Text | Choices | Form | FormErrors | Document
Keepable = Form | Document  # what an adapter may keep for a dialog to open later (`bot.receipts`)


def _choice_json(choice: Choice) -> dict[str, Any]:
    window = {} if choice.window is None else {"window": choice.window}
    return {"label": choice.label, "value": choice.value, "style": choice.style.value, **window}


def _choice(doc: dict[str, Any]) -> Choice:
    return Choice(str(doc["label"]), str(doc["value"]), Style(doc.get("style", "default")),
                  _optional(doc.get("window")))


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def keepable_to_json(reply: Keepable) -> dict[str, Any]:
    """A form or a document as JSON, to be sealed and shown later exactly as it was."""
    if isinstance(reply, Document):
        return {"type": "document", "title": reply.title,
                "sections": [list(s) for s in reply.sections],
                "choices": [_choice_json(c) for c in reply.choices], "reopen": reply.reopen}
    return {"type": "form", "form_id": reply.form_id, "title": reply.title,
            "submit_label": reply.submit_label,
            "intro": reply.intro, "reopen": reply.reopen, "fields": [
                {"name": f.name, "label": f.label, "kind": f.kind.value, "required": f.required,
                 "max_length": f.max_length, "options": [_choice_json(c) for c in f.options],
                 "hint": f.hint, "initial": f.initial} for f in reply.fields]}


def keepable_from_json(doc: dict[str, Any]) -> Keepable:
    """The form or document `keepable_to_json` wrote; ValueError for anything else."""
    if doc.get("type") == "document":
        return Document(title=str(doc["title"]),
                        sections=tuple((str(a), str(b)) for a, b in doc["sections"]),
                        choices=tuple(_choice(c) for c in doc["choices"]),
                        reopen=_optional(doc["reopen"]))
    if doc.get("type") == "form":
        return Form(form_id=str(doc["form_id"]), title=str(doc["title"]),
                    submit_label=str(doc["submit_label"]),
                    intro=_optional(doc["intro"]), reopen=_optional(doc["reopen"]), fields=tuple(
                        FormField(name=str(f["name"]), label=str(f["label"]),
                                  kind=FieldKind(f["kind"]),
                                  required=bool(f["required"]),
                                  max_length=(None if f["max_length"] is None
                                              else int(f["max_length"])),
                                  options=tuple(_choice(c) for c in f["options"]),
                                  hint=_optional(f["hint"]), initial=_optional(f["initial"]))
                        for f in doc["fields"]))
    raise ValueError("not a kept form or document")


# --- notices (through the outbox) ------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A message posted to the committee channel or sent to a person by direct message.

    Channel notices come only from `bot.sanitize`. `fields` are (label, value) pairs."""

    title: str
    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    choices: tuple[Choice, ...] = ()

    def to_json(self) -> dict[str, Any]:
        # By hand, not `asdict` (which deep-copies every field, the choices too, to drop them).
        return {"title": self.title, "text": self.text,
                "fields": self.fields,
                "choices": tuple(_choice_json(c) for c in self.choices)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Notice:
        return cls(
            title=doc["title"],
            text=doc.get("text", ""),
            fields=tuple((str(a), str(b)) for a, b in doc.get("fields", ())),
            choices=tuple(_choice(c) for c in doc.get("choices", ())),
        )

    def plain_text(self) -> str:
        """Everything a reader of the notice sees, as one string (for logs-free tests)."""
        parts = [self.title, self.text, *(f"{a}: {b}" for a, b in self.fields)]
        parts += [c.label for c in self.choices]
        return "\n".join(p for p in parts if p)


CHANNEL = "channel"


@dataclass(frozen=True)
class Delivery:
    """What the notifier relays for one outbox row: to the committee channel, or to a person
    (a person id, resolved to their platform user id at delivery), or an edit of an earlier
    delivered notice."""

    # CHANNEL, "person:<id>", or "people:<id>,<id>..." (bot.delivery.outbox.people_target)
    target: str
    notice: Notice

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "notice": self.notice.to_json()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Delivery:
        return cls(target=str(doc["target"]), notice=Notice.from_json(doc["notice"]))

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)
