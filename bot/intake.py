"""The report conversation: `(draft, input) -> (draft, replies)`, pure.

Steps: category, what happened, who is involved, committee members to keep away, when, evidence,
who already knows, named or anonymous, review, submit. Every step takes "back", "cancel" and
"help". The draft is a plain dict-able dataclass so the service can seal it in the database
between messages. The same fields arrive at once from the report form (bot/report_form.py), which
imports the draft, its limits and `check_text` from here, so both paths keep the same rules.
Pure: touches bot.actions, bot.messages and bot.wording, nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot import actions
from bot.messages import Choice, Choices, Reply, Style, Text
from bot.wording import refusals, reporting, typed
from storage.vocabulary import Category

PREFIX = actions.INTAKE_PREFIX


class Step(StrEnum):
    CATEGORY = "category"
    WHAT = "what"
    WHO = "who"
    EXCLUDE = "exclude"
    WHEN = "when"
    EVIDENCE = "evidence"
    KNOWN = "known"
    IDENTITY = "identity"
    REVIEW = "review"


ORDER = list(Step)


@dataclass(frozen=True)
class Limits:
    what: int = 4000
    who: int = 1000
    when: int = 500
    evidence: int = 2000
    known: int = 1000
    min_what: int = 10


LIMITS = Limits()

# The free-text steps: (field, limit attribute, required?)
_TEXT_STEPS: dict[Step, tuple[str, bool]] = {
    Step.WHAT: ("what", True),
    Step.WHO: ("who", False),
    Step.WHEN: ("when", False),
    Step.EVIDENCE: ("evidence", False),
    Step.KNOWN: ("known", False),
}


@dataclass(frozen=True)
class Member:
    """A committee member the reporter may keep away from the report."""

    person_id: int
    name: str


@dataclass(frozen=True)
class Draft:
    step: Step = Step.CATEGORY
    category: Category | None = None
    what: str | None = None
    who: str | None = None
    exclude: tuple[int, ...] = ()
    when: str | None = None
    evidence: str | None = None
    known: str | None = None
    anonymous: bool | None = None
    # Typed in a chat that keeps history (the officer chose that over the form): the bot's
    # messages then show no choice it could not take back (who is kept away), and choosing
    # "anonymously" says the chat itself links the messages to the account.
    chat: bool = False

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["exclude"] = list(self.exclude)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Draft:
        return cls(
            step=Step(doc["step"]),
            category=Category(doc["category"]) if doc.get("category") else None,
            what=doc.get("what"),
            who=doc.get("who"),
            exclude=tuple(int(x) for x in doc.get("exclude", ())),
            when=doc.get("when"),
            evidence=doc.get("evidence"),
            known=doc.get("known"),
            anonymous=doc.get("anonymous"),
            chat=bool(doc.get("chat", False)),
        )


@dataclass(frozen=True)
class Outcome:
    """What a step produced. `draft` is None when the conversation ended (cancel or submit)."""

    draft: Draft | None
    replies: list[Reply] = field(default_factory=list)
    submit: bool = False


# --- prompts ---------------------------------------------------------------------------------


def _nav(*, back: bool = True, skip: bool = False) -> list[Choice]:
    nav: list[Choice] = []
    if skip:
        nav.append(Choice(reporting.INTAKE_SKIP, PREFIX + "skip"))
    if back:
        nav.append(Choice(reporting.INTAKE_BACK, PREFIX + "back"))
    nav.append(Choice(reporting.INTAKE_CANCEL, PREFIX + "cancel", Style.DANGER))
    return nav


def prompt(draft: Draft, members: list[Member]) -> list[Reply]:
    """The question for the draft's current step."""
    step = draft.step
    if step is Step.CATEGORY:
        options = [Choice(c.label, PREFIX + "cat:" + c.value) for c in Category]
        return [Choices(reporting.INTAKE_CATEGORY, tuple(options + _nav(back=False)))]
    if step in _TEXT_STEPS:
        name, required = _TEXT_STEPS[step]
        limit = getattr(LIMITS, name)
        return [Choices(reporting.intake_question(name, limit), tuple(_nav(skip=not required)))]
    if step is Step.EXCLUDE:
        # In a chat that keeps history a tick beside a name would stay there: the count only.
        marked = set() if draft.chat else set(draft.exclude)
        options = [
            Choice(("✓ " if m.person_id in marked else "") + m.name, f"{PREFIX}excl:{m.person_id}")
            for m in members
        ]
        options.append(Choice(reporting.INTAKE_DONE, PREFIX + "excl:done", Style.PRIMARY))
        return [Choices(reporting.intake_exclude(len(draft.exclude)), tuple(options + _nav()))]
    if step is Step.IDENTITY:
        options = [
            Choice(reporting.INTAKE_NAMED, PREFIX + "id:named"),
            Choice(reporting.INTAKE_ANONYMOUS, PREFIX + "id:anonymous"),
        ]
        return [Choices(reporting.INTAKE_IDENTITY, tuple(options + _nav()))]
    return [review(draft, members)]


def review(draft: Draft, members: list[Member]) -> Choices:
    # Never what was typed: the review is a message, and a chat keeps its messages.
    names = [m.name for m in members if m.person_id in draft.exclude]
    summary = reporting.intake_summary(
        category=draft.category.label if draft.category else None, what=bool(draft.what),
        who=bool(draft.who), when=bool(draft.when), evidence=bool(draft.evidence),
        known=bool(draft.known), kept_away=names, chat=draft.chat, anonymous=bool(draft.anonymous),
    )
    options = (
        Choice(reporting.INTAKE_SUBMIT, PREFIX + "submit", Style.PRIMARY),
        Choice(reporting.INTAKE_BACK, PREFIX + "back"),
        Choice(reporting.INTAKE_CANCEL, PREFIX + "cancel", Style.DANGER),
    )
    return Choices(reporting.INTAKE_REVIEW, options, facts=summary)


# --- the machine -----------------------------------------------------------------------------


def start(members: list[Member], *, chat: bool = False) -> Outcome:
    draft = Draft(chat=chat)
    return Outcome(draft, [Text(reporting.INTAKE_WELCOME), *prompt(draft, members)])


def _next(step: Step, members: list[Member]) -> Step:
    nxt = ORDER[ORDER.index(step) + 1]
    if nxt is Step.EXCLUDE and not members:
        nxt = Step.WHEN
    return nxt


def _previous(step: Step, members: list[Member]) -> Step:
    prev = ORDER[max(ORDER.index(step) - 1, 0)]
    if prev is Step.EXCLUDE and not members:
        prev = Step.WHO
    return prev


def advance(draft: Draft, text: str, members: list[Member]) -> Outcome:
    """Apply one input (typed text or a clicked choice's value) to the draft."""
    raw = text.strip()
    word = raw.lower()
    if raw.startswith(PREFIX):
        word = raw[len(PREFIX) :]
    if word == typed.CANCEL:
        return Outcome(None, [Text(reporting.INTAKE_CANCELLED)])
    if word == typed.HELP:
        return Outcome(draft, [Text(reporting.intake_help(draft.step.value)),
                                *prompt(draft, members)])
    if word == typed.BACK:
        if draft.step is Step.CATEGORY:
            return Outcome(draft, prompt(draft, members))
        moved = replace(draft, step=_previous(draft.step, members))
        return Outcome(moved, prompt(moved, members))

    step = draft.step
    if step is Step.CATEGORY:
        category = category_of(word)
        if category is None:
            return Outcome(draft, [Text(refusals.NOT_UNDERSTOOD), *prompt(draft, members)])
        return _moved(replace(draft, category=category), members)

    if step in _TEXT_STEPS:
        name, required = _TEXT_STEPS[step]
        if name == "known" and word in typed.NOBODY_ELSE:
            # an answer, not a skip
            return _moved(_with(draft, name, reporting.NO_ONE_ELSE_KNOWS), members)
        if word == typed.SKIP or (not required and word in typed.SKIPPED):
            if required:
                return Outcome(draft, [Text(refusals.REQUIRED_FIELD), *prompt(draft, members)])
            return _moved(_with(draft, name, None), members)
        if raw.startswith(PREFIX):  # a stale button from another step
            return Outcome(draft, [Text(refusals.NOT_UNDERSTOOD), *prompt(draft, members)])
        problem = check_text(name, raw)
        if problem:
            return Outcome(draft, [Text(problem), *prompt(draft, members)])
        return _moved(_with(draft, name, raw), members)

    if step is Step.EXCLUDE:
        if word == "excl:done" or word in typed.DONE:
            return _moved(draft, members)
        if word.startswith("excl:"):
            try:
                pid = int(word[5:])
            except ValueError:
                pid = -1
            if pid in {m.person_id for m in members}:
                chosen = set(draft.exclude) ^ {pid}
                if chosen >= {m.person_id for m in members}:
                    return Outcome(draft, [Text(reporting.EXCLUDE_NOT_EVERYONE),
                                           *prompt(draft, members)])
                updated = replace(draft, exclude=tuple(sorted(chosen)))
                return Outcome(updated, prompt(updated, members))
        return Outcome(draft, [Text(refusals.NOT_UNDERSTOOD), *prompt(draft, members)])

    if step is Step.IDENTITY:
        if word == "id:named" or word in typed.NAMED:
            return _moved(replace(draft, anonymous=False), members)
        if word == "id:anonymous" or word in typed.ANONYMOUS:
            picked = _moved(replace(draft, anonymous=True), members)
            if draft.chat:
                return Outcome(picked.draft, [Text(reporting.INTAKE_ANONYMOUS_IN_CHAT),
                                              *picked.replies])
            return picked
        return Outcome(draft, [Text(refusals.NOT_UNDERSTOOD), *prompt(draft, members)])

    # REVIEW
    if word in typed.SUBMIT:
        return Outcome(None, [], submit=True)
    return Outcome(draft, [Text(refusals.NOT_UNDERSTOOD), *prompt(draft, members)])


def _with(draft: Draft, name: str, value: str | None) -> Draft:
    changes: dict[str, Any] = {name: value}
    return replace(draft, **changes)


def _moved(draft: Draft, members: list[Member]) -> Outcome:
    moved = replace(draft, step=_next(draft.step, members))
    return Outcome(moved, prompt(moved, members))


# --- shared with the form path (bot/report_form.py) ------------------------------------------


def check_text(name: str, text: str) -> str | None:
    """The problem with a field's text, or None. Shared by the chat and the form paths."""
    limit = getattr(LIMITS, name)
    if len(text) > limit:
        return refusals.too_long(limit, len(text))
    if name == "what" and len(text.strip()) < LIMITS.min_what:
        return reporting.TOO_SHORT_WHAT
    if "\x00" in text:
        return refusals.UNREADABLE_TEXT
    return None


def category_of(word: str) -> Category | None:
    """The category a typed word, a number or a choice's value names, or None."""
    if word.startswith("cat:"):
        word = word[4:]
    for number, category in enumerate(Category, start=1):
        if word in {category.value, category.label.lower(), str(number)}:
            return category
    return None
