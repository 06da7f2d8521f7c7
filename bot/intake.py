"""The report conversation: `(draft, input) -> (draft, replies)`, pure.

Steps: category, what happened, who is involved, committee members to keep away, when, evidence,
who already knows, named or anonymous, review, submit. Every step takes "back", "cancel" and
"help". The draft is a plain dict-able dataclass so the service can seal it in the database
between messages. The text steps, their order, limits and checks are the table of
bot/report_content.py, which the report form (bot/report_form.py) reads too, so both paths keep
the same rules. Pure: touches bot.actions, bot.messages, bot.report_content and bot.wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot import actions
from bot.messages import Choice, Choices, Reply, Style, Text
from bot.report_content import BY_NAME, FIELDS, KEEP_AWAY_AFTER, check_text
from bot.wording import confidential, refusals, reporting, typed
from storage.vocabulary import Category

PREFIX = actions.INTAKE_PREFIX


class Step:
    """The steps that are not one of the report's text fields; a text field's step is its name
    (`bot.report_content.FIELDS`)."""

    CATEGORY = "category"
    EXCLUDE = "exclude"
    IDENTITY = "identity"
    REVIEW = "review"


def _order() -> tuple[str, ...]:
    names = [f.name for f in FIELDS]
    after = names.index(KEEP_AWAY_AFTER) + 1
    return (Step.CATEGORY, *names[:after], Step.EXCLUDE, *names[after:], Step.IDENTITY,
            Step.REVIEW)


ORDER = _order()


@dataclass(frozen=True)
class Member:
    """A committee member the reporter may keep away from the report."""

    person_id: int
    name: str


@dataclass(frozen=True)
class Draft:
    step: str = Step.CATEGORY
    category: Category | None = None
    texts: Mapping[str, str | None] = field(default_factory=dict)  # by field name
    exclude: tuple[int, ...] = ()
    anonymous: bool | None = None
    # Typed in a chat that keeps history (the officer chose that over the form): the bot's
    # messages then show no choice it could not take back (who is kept away), and choosing
    # "anonymously" says the chat itself links the messages to the account.
    chat: bool = False
    # Confidential (issue 24): named to Candor, sealed from the committee; `anonymous` is False.
    confidential: bool = False
    # How many members must agree to show a confidential reporter's name (CANDOR_REVEAL_QUORUM),
    # for the identity question's words; set when the conversation starts.
    quorum: int = 2

    def __post_init__(self) -> None:
        # every field of the table, None when not given (so two drafts compare by their answers)
        object.__setattr__(self, "texts", {f.name: self.texts.get(f.name) for f in FIELDS})

    def text(self, name: str) -> str | None:
        return self.texts.get(name)

    def with_text(self, name: str, value: str | None) -> Draft:
        return replace(self, texts={**self.texts, name: value})

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "category": self.category.value if self.category else None,
                **{f.name: self.texts.get(f.name) for f in FIELDS},
                "exclude": list(self.exclude), "anonymous": self.anonymous, "chat": self.chat,
                "confidential": self.confidential, "quorum": self.quorum}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Draft:
        step = str(doc.get("step"))
        return cls(
            step=step if step in ORDER else Step.CATEGORY,
            category=Category(doc["category"]) if doc.get("category") else None,
            texts={f.name: doc[f.name] for f in FIELDS if isinstance(doc.get(f.name), str)},
            exclude=tuple(int(x) for x in doc.get("exclude", ())),
            anonymous=doc.get("anonymous"),
            chat=bool(doc.get("chat", False)),
            confidential=bool(doc.get("confidential", False)),
            quorum=int(doc.get("quorum", 2)),
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
    if step == Step.CATEGORY:
        options = [Choice(c.label, PREFIX + "cat:" + c.value) for c in Category]
        return [Choices(reporting.INTAKE_CATEGORY, tuple(options + _nav(back=False)))]
    if step in BY_NAME:
        spec = BY_NAME[step]
        question = reporting.intake_question(spec.words, limit=spec.limit, required=spec.required)
        return [Choices(question, tuple(_nav(skip=not spec.required)))]
    if step == Step.EXCLUDE:
        # In a chat that keeps history a tick beside a name would stay there: the count only.
        marked = set() if draft.chat else set(draft.exclude)
        options = [
            Choice(("✓ " if m.person_id in marked else "") + m.name, f"{PREFIX}excl:{m.person_id}")
            for m in members
        ]
        options.append(Choice(reporting.INTAKE_DONE, PREFIX + "excl:done", Style.PRIMARY))
        return [Choices(reporting.intake_exclude(len(draft.exclude)), tuple(options + _nav()))]
    if step == Step.IDENTITY:
        options = [
            Choice(reporting.INTAKE_NAMED, PREFIX + "id:named"),
            Choice(confidential.INTAKE_CONFIDENTIAL, PREFIX + "id:confidential"),
            Choice(reporting.INTAKE_ANONYMOUS, PREFIX + "id:anonymous"),
        ]
        return [Choices(confidential.identity_question(draft.quorum), tuple(options + _nav()))]
    return [review(draft, members)]


def review(draft: Draft, members: list[Member]) -> Choices:
    # Never what was typed: the review is a message, and a chat keeps its messages.
    names = [m.name for m in members if m.person_id in draft.exclude]
    summary = reporting.intake_summary(
        category=draft.category.label if draft.category else None,
        given=[(f.words, bool(draft.text(f.name))) for f in FIELDS],
        kept_away=names, chat=draft.chat, anonymous=bool(draft.anonymous),
        confidential=draft.confidential,
    )
    options = (
        Choice(reporting.INTAKE_SUBMIT, PREFIX + "submit", Style.PRIMARY),
        Choice(reporting.INTAKE_BACK, PREFIX + "back"),
        Choice(reporting.INTAKE_CANCEL, PREFIX + "cancel", Style.DANGER),
    )
    return Choices(reporting.INTAKE_REVIEW, options, facts=summary)


# --- the machine -----------------------------------------------------------------------------


def start(members: list[Member], *, chat: bool = False, quorum: int = 2) -> Outcome:
    draft = Draft(chat=chat, quorum=quorum)
    return Outcome(draft, [Text(reporting.INTAKE_WELCOME), *prompt(draft, members)])


def _next(step: str, members: list[Member]) -> str:
    nxt = ORDER[ORDER.index(step) + 1]
    if nxt == Step.EXCLUDE and not members:  # nobody to keep away: the step is passed by
        nxt = ORDER[ORDER.index(nxt) + 1]
    return nxt


def _previous(step: str, members: list[Member]) -> str:
    prev = ORDER[max(ORDER.index(step) - 1, 0)]
    if prev == Step.EXCLUDE and not members:
        prev = ORDER[ORDER.index(prev) - 1]
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
        required = draft.step == Step.CATEGORY or (draft.step in BY_NAME
                                                   and BY_NAME[draft.step].required)
        return Outcome(draft, [Text(reporting.intake_help(skippable=not required)),
                                *prompt(draft, members)])
    if word == typed.BACK:
        if draft.step == Step.CATEGORY:
            return Outcome(draft, prompt(draft, members))
        moved = replace(draft, step=_previous(draft.step, members))
        return Outcome(moved, prompt(moved, members))

    step = draft.step
    if step == Step.CATEGORY:
        category = category_of(word)
        if category is None:
            return Outcome(draft, [Text(refusals.NOT_UNDERSTOOD), *prompt(draft, members)])
        return _moved(replace(draft, category=category), members)

    if step in BY_NAME:
        name, required = step, BY_NAME[step].required
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

    if step == Step.EXCLUDE:
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

    if step == Step.IDENTITY:
        if word == "id:named" or word in typed.NAMED:
            return _moved(replace(draft, anonymous=False, confidential=False), members)
        if word == "id:confidential" or word in confidential.TYPED_CONFIDENTIAL:
            return _moved(replace(draft, anonymous=False, confidential=True), members)
        if word == "id:anonymous" or word in typed.ANONYMOUS:
            picked = _moved(replace(draft, anonymous=True, confidential=False), members)
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
    return draft.with_text(name, value)


def _moved(draft: Draft, members: list[Member]) -> Outcome:
    moved = replace(draft, step=_next(draft.step, members))
    return Outcome(moved, prompt(moved, members))


# --- shared with the form path (bot/report_form.py) ------------------------------------------


def category_of(word: str) -> Category | None:
    """The category a typed word, a number or a choice's value names, or None."""
    if word.startswith("cat:"):
        word = word[4:]
    for number, category in enumerate(Category, start=1):
        if word in {category.value, category.label.lower(), str(number)}:
            return category
    return None
