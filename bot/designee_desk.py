"""What a designated person (issue 22) meets in Candor: a few doors, and everything else answered
as for someone outside the committee.

A designee's event never reaches the officer's or the committee's paths: a message or a command
is read here (`cases`, `open CODE`, `help`; anything else gets the menu or a refusal), a click or
a form goes on to the route table only when its use case passes the case gate
(`bot.access.db_case_for`), which lets a designee in only under a designation in force
(`PASS_THROUGH`); the rest (a report, an attestation, a reporter's answer, ...) is refused here.
The designee's home lists their designated cases.

May touch: reads through the caller's session; a refused case click is audited as an outsider's
(`case.refused`). It never commits.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot import actions, committee
from bot.access import db_designated_cases, db_designation_for
from bot.codes import format_code
from bot.core import CandorError, Core, db_report_by_code
from bot.messages import (
    Choice,
    ChoiceClicked,
    Choices,
    Command,
    DirectMessage,
    Document,
    Inbound,
    Reply,
    Surface,
    Text,
)
from bot.wording import casework, menus, refusals
from bot.wording import designations as words
from storage.models import Person, Report
from storage.vocabulary import DesignationScope

# Clicks and forms whose use case checks the case gate (or the committee) itself: a designee
# passes only where a designation lets them (open, ask, determine; a note, once notes exist), and
# is refused, audited, as an outsider everywhere else.
PASS_THROUGH: tuple[type, ...] = (
    actions.ViewCase, actions.AskForm, actions.AskSubmit, actions.DetermineForm,
    actions.DetermineSubmit, actions.Acknowledge, actions.MoveForm, actions.MoveSubmit,
    actions.ExcludeForm, actions.ExcludeSubmit, actions.HoldForm, actions.HoldSubmit,
    actions.DesignateForm, actions.DesignateSubmit, actions.RenewForm, actions.RenewSubmit,
    actions.EndForm, actions.EndSubmit, actions.DiscloseForm, actions.DiscloseSubmit,
    actions.ViewDisclosure, actions.WaiverSubmit,
    actions.AddFiles, actions.GetFile,  # evidence files: the case gate lets an investigator in
    actions.NoteForm, actions.NoteSubmit,  # notes: likewise
    actions.RevealToForm, actions.RevealToSubmit,  # issue 24: refused, audited, by the case gate
)

_MY_CASES = Choice(words.MY_CASES, actions.Menu("cases").encode())
_HELP = Choice(menus.HELP_BUTTON, actions.Menu("help").encode())


def db_handle(session: Session, core: Core, person: Person, event: Inbound,
              route: Callable[[object], list[Reply]]) -> list[Reply]:
    """A designee's event: answered here, or handed to `route` with its parsed action."""
    if isinstance(event, DirectMessage):
        words_typed = event.text.strip().split()
        first = words_typed[0].lower().lstrip("/") if words_typed else ""
        if first == "ethics":
            return db_command(session, core, person, event.actor.surface, " ".join(words_typed[1:]))
        if first in {"cases", "open", "help"}:
            return db_command(session, core, person, event.actor.surface, " ".join(words_typed))
        return [menu()]
    if isinstance(event, Command):
        if event.name != "ethics":
            return [Text(words.NOT_FOR_DESIGNEES)]
        return db_command(session, core, person, event.actor.surface, event.args)
    parsed = (actions.parse(event.value) if isinstance(event, ChoiceClicked)
              else actions.parse_form(event.form_id))
    if isinstance(parsed, actions.Menu):
        item = parsed.item if parsed.item in {"cases"} else "help"
        return db_command(session, core, person, event.actor.surface, item)
    if isinstance(parsed, actions.Cmd):
        if parsed.name != "ethics":
            return [Text(words.NOT_FOR_DESIGNEES)]
        return db_command(session, core, person, event.actor.surface, parsed.args)
    if isinstance(parsed, PASS_THROUGH):
        return route(parsed)
    if parsed is None:
        return [Text(refusals.NOT_UNDERSTOOD)]
    return [Text(words.NOT_FOR_DESIGNEES)]


def db_command(session: Session, core: Core, person: Person, surface: Surface,
               args: str) -> list[Reply]:
    """`/ethics cases`, `/ethics open CODE`, help; every other subcommand is not theirs."""
    typed = args.split()
    sub = typed[0].lower() if typed else "help"
    if sub == "cases":
        return [db_cases(session, core, person)]
    if sub == "open":
        report = db_report_by_code(session, format_code(typed[1])) if len(typed) > 1 else None
        if report is None:
            raise CandorError(refusals.COMMITTEE_ONLY)
        return committee.db_view(session, core, person, report.id)
    if sub == "help":
        return [Text(words.help_text(surface)), menu()]
    return [Text(words.NOT_FOR_DESIGNEES)]


def menu() -> Choices:
    return Choices(words.MENU, (_MY_CASES, _HELP))


def db_cases(session: Session, core: Core, person: Person) -> Document:
    """The cases `person` is designated on, each with its Open button."""
    cases = db_designated_cases(session, core, person)
    lines = [_line(session, core, person, r) for r in cases]
    return Document(words.MY_CASES, ((words.MY_CASES, "\n".join(lines)
                                      or words.NO_DESIGNATED_CASES),),
                    tuple(Choice(casework.open_case(r.code), actions.ViewCase(r.id).encode())
                          for r in cases[:20]))


def db_home(session: Session, core: Core, person: Person) -> Document:
    """A designee's App Home or personal tab: their designated cases only."""
    listing = db_cases(session, core, person)
    return Document(words.HOME_TITLE, listing.sections, listing.choices[:10])


def _line(session: Session, core: Core, person: Person, report: Report) -> str:
    row = db_designation_for(session, core, person, report)
    assert row is not None
    return words.designated_line(report.code, report.status.label,
                                 DesignationScope(row.scope).label, row.until)
