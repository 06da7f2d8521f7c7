"""The commands and what a person types: `/ethics SUB` and `/attest`, a chat message's words read
as one of them (or as the start of a typed report, or a request for the menu), and the buttons
that stand for typing (the menu's items, the typed report's steps).

Lives here: `db_message` (a direct message), `db_command` (a command, typed or a button's
`actions.Cmd`), `db_menu` (a menu item clicked) and `db_intake_step` (a typed report's button).
`bot.service` routes to them. May touch: only through the use cases it calls (and the person's
draft, `bot.drafts`; a case looked up by its code), in the caller's session; it never commits.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bot import (
    actions,
    attesting,
    committee,
    drafts,
    filing,
    followup,
    home,
    once,
    report_form,
    waivers,
)
from bot.codes import format_code
from bot.core import CandorError, Core, db_report_by_code, is_committee
from bot.messages import Actor, Document, Form, Reply, Text
from bot.wording import following, menus, refusals, reporting
from bot.wording import typed as words_typed
from storage.models import Person


def db_message(session: Session, core: Core, person: Person, actor: Actor,
               text: str) -> list[Reply]:
    draft, expired = drafts.db_load(session, core, actor)
    if draft is not None:
        return filing.db_advance(session, core, person, actor, draft, text)
    words = text.strip().split()
    first = words[0].lower().lstrip("/") if words else ""
    notes: list[Reply] = [Text(reporting.INTAKE_DRAFT_EXPIRED)] if expired else []
    if " ".join(w.lower() for w in words) in words_typed.START:
        return notes + filing.db_offer(session, core, person, actor,
                                     history_kept=actor.surface.keeps_history)
    if first in {"ethics", "status", "attest", "help", "cases", "open", "waiver", "waivers"}:
        name = "attest" if first == "attest" else "ethics"
        args = " ".join(words[1:]) if first in {"ethics", "attest"} else " ".join(words)
        typed = args.split()
        if (actor.surface.keeps_history and name == "ethics" and len(typed) > 2
                and typed[0].lower() == "status"):
            # A secret typed into a chat message stays in the chat's history: it is spent.
            return notes + followup.db_replace_typed_secret(session, core, person, actor,
                                                            typed[1:])
        replies = db_command(session, core, person, actor, name, args)
        return notes + _reopenable(replies, name, args)
    return notes + [home.menu(person)]


def db_command(session: Session, core: Core, person: Person, actor: Actor, name: str,
               args: str) -> list[Reply]:
    if name == "attest":
        return attesting.db_form(session, core, person)
    words = args.split()
    sub = words[0].lower() if words else "help"
    rest = words[1:]
    if sub == "report":
        # Each form carries a one-time token: submitting the same form twice files one report.
        members = filing.db_members(session, person)
        return [report_form.form(members, once=once.form_token(core),
                                 quorum=core.schedule.reveal_quorum)]
    if sub == "status":
        return followup.db_status(session, core, person, actor, rest)
    if sub == "cases":
        return committee.db_cases(session, core, person)
    if sub == "waiver":
        return waivers.db_form(session, core, person)
    if sub == "waivers":
        return waivers.db_register_view(session, core, person)
    if sub == "open":
        if not rest:
            raise CandorError(following.status_usage(actor.surface))
        report = db_report_by_code(session, format_code(rest[0]))
        if report is None:
            # Someone outside the committee gets the answer a case would give them (and that
            # refusal is audited): whether a code exists is not theirs to learn.
            raise CandorError(refusals.CASE_NOT_FOUND if is_committee(person)
                              else refusals.COMMITTEE_ONLY)
        return committee.db_view(session, core, person, report.id)
    return [Text(menus.help_text(committee=is_committee(person), surface=actor.surface))]


def db_menu(session: Session, core: Core, person: Person, actor: Actor,
            item: str) -> list[Reply]:
    """A menu item clicked: its word, as if typed (an item unknown here is `help`)."""
    typed = item if item in {"report", "attest", "status", "cases"} else "help"
    return db_message(session, core, person, actor, typed)


def db_intake_step(session: Session, core: Core, person: Person, actor: Actor,
                   text: str) -> list[Reply]:
    """A button of the typed report's conversation: the draft advanced as if `text` were typed."""
    draft, _expired = drafts.db_load(session, core, actor)
    if draft is None:
        return [Text(reporting.INTAKE_DRAFT_EXPIRED), home.menu(person)]
    return filing.db_advance(session, core, person, actor, draft, text)


def _reopenable(replies: list[Reply], name: str, args: str) -> list[Reply]:
    """Forms and documents asked for by a typed command carry the click that asks again, for an
    adapter that shows neither inside a message (Slack opens them in a window from a button)."""
    if len(args) > 100:
        return replies
    reopen = actions.Cmd(name, args).encode()
    return [replace(r, reopen=reopen) if isinstance(r, Form | Document) else r for r in replies]
