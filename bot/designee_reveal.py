"""Showing a confidential reporter's name to a person the committee designated on the case
(issue 24, designations): "Designees do not see the name unless a member reveals it to them as
part of a designation (audited, reporter told)."

A designee reads "Confidential reporter" (`bot.views.case`) until a member allowed on the case,
once the name is shown to the committee, shows it to them: a button per designation in force on
the case, a form with the reason (required), then `confidential.db_reveal(how=DESIGNATION,
shown_to="person:<id>")`, which seals the showing (how, why, by whom, to whom, when) in the
reporter's identity record, audits it and tells the reporter, content-free; their private view
names the person who learned their name, and why. A designation that ends stops the case opening
for its person at all (`bot.access.db_case_for`), so the name goes with it; a showing counts only
under the designation it was made under (`db_since`): designated again later, the person starts
sealed, and a member may show it to them again.

Refused, audited: the name not shown to the committee, a person not designated in force on this
case, a forged value (a designation of another case); members kept away, designees and outsiders
are refused by the case gate (audited there).
Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import actions, confidential, fields
from bot.access import db_case_for, db_designation_for
from bot.core import CandorError, Core, actor_id, required_text
from bot.designations import db_active
from bot.messages import Choice, FieldKind, Form, FormField, Reply, Text
from bot.reports import REPORT
from bot.wording import case_labels
from bot.wording import designee_reveal as words
from bot.wording import reveal as reveal_words
from storage.models import Designation, Person, Report
from storage.vocabulary import AuditAction, PersonKind, RevealHow

REASON_LIMIT = fields.NOTE
_ACTION = "reveal-designee"


def _name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else case_labels.UNKNOWN


# --- the case view ----------------------------------------------------------------------------


def db_since(session: Session, core: Core, person: Person, report: Report) -> datetime | None:
    """When the designation in force that lets `person` (a designee) on the case was made: only
    a showing since then counts (a person designated again after one ended starts sealed)."""
    if person.kind is not PersonKind.DESIGNEE:
        return None
    row = db_designation_for(session, core, person, report)
    return row.created_at if row is not None else None



def db_choices(session: Session, core: Core, report: Report) -> tuple[Choice, ...]:
    """For a member allowed on the case (the caller checked): "Show the reporter's name to
    <designee>" for each designation in force, once the name is shown to the committee and while
    it is not shown to that person."""
    sealed = confidential.db_sealed(session, core, report)
    if sealed is None or sealed.shown() is None:
        return ()
    choices = []
    for row in db_active(session, report):
        person = session.get(Person, row.person_id)
        if (person is None or person.id is None
                or db_designation_for(session, core, person, report) is None
                or sealed.shown(confidential.person_audience(person.id),
                                since=row.created_at) is not None):
            continue
        choices.append(Choice(words.show_button(person.name),
                              actions.RevealToForm(report.id, row.id).encode()))
    return tuple(choices)


def db_section(session: Session, core: Core, report: Report) -> tuple[str, str] | None:
    """The members' details: to whom of the designated persons the name was shown, when, by
    whom (the reasons stay in the reporter's record and their own view)."""
    sealed = confidential.db_sealed(session, core, report)
    if sealed is None:
        return None
    lines = []
    for shown in sealed.reveals:
        if shown.how is not RevealHow.DESIGNATION or not shown.shown_to.startswith(
                confidential.PERSON):
            continue
        to = shown.shown_to.removeprefix(confidential.PERSON)
        by = shown.by.removeprefix(confidential.PERSON)
        lines.append(words.shown_line(_name(session, int(to) if to.isdigit() else None),
                                      shown.at, _name(session, int(by) if by.isdigit() else None)))
    return (words.SHOWN_HEADING, "\n".join(lines)) if lines else None


# --- the member's form ------------------------------------------------------------------------


def _db_check(session: Session, core: Core, member: Person, report_id: str,
              designation_id: str) -> tuple[Report, Person]:
    """The case and the designee, when `member` may show the name to them now; else a refusal
    (audited: the case gate audits members kept away, designees and outsiders)."""
    report = db_case_for(session, core, member, report_id, action=_ACTION)
    if not report.confidential:
        raise CandorError(reveal_words.NOT_CONFIDENTIAL)
    row = session.get(Designation, designation_id)
    designee = session.get(Person, row.person_id) if row is not None else None

    def refused(reply: str, attempt: str) -> CandorError:
        return core.refused(reply, actor=actor_id(member), action=AuditAction.REVEAL_REFUSED,
                            record_kind=REPORT, record_id=report.id,
                            detail={"attempt": attempt, "designation": designation_id[:40]})

    if (row is None or designee is None or row.report_id != report.id
            or db_designation_for(session, core, designee, report) is None):
        raise refused(words.NOT_DESIGNATED, "designee-not-designated")
    if not confidential.db_is_revealed(session, core, report):
        raise refused(words.NOT_SHOWN_TO_COMMITTEE, "designee-not-shown")
    return report, designee


def _already(session: Session, core: Core, report: Report, designee: Person) -> bool:
    """Whether the name is shown to `designee` under their designation in force."""
    sealed = confidential.db_sealed(session, core, report)
    assert designee.id is not None
    return (sealed is not None and sealed.shown(confidential.person_audience(designee.id),
                                                since=db_since(session, core, designee,
                                                               report)) is not None)


def db_form(session: Session, core: Core, member: Person, report_id: str,
            designation_id: str) -> list[Reply]:
    report, designee = _db_check(session, core, member, report_id, designation_id)
    if _already(session, core, report, designee):
        return [Text(words.already_shown(designee.name))]
    return [Form(actions.RevealToSubmit(report.id, designation_id).encode(),
                 words.form_title(report.code), (
        FormField("reason", words.REASON_PROMPT, FieldKind.MULTILINE, max_length=REASON_LIMIT),
    ), submit_label=words.SUBMIT, intro=words.form_intro(designee.name,
                                                          designee.affiliation or ""))]


def db_submit(session: Session, core: Core, *, member: Person, report_id: str,
              designation_id: str, reason: str) -> list[Reply]:
    """Show the name to the designee: sealed, audited (who, to whom), the reporter told."""
    report, designee = _db_check(session, core, member, report_id, designation_id)
    reason = required_text("reason", reason, limit=REASON_LIMIT)
    if _already(session, core, report, designee):
        return [Text(words.already_shown(designee.name))]
    assert designee.id is not None
    confidential.db_reveal(session, core, report, how=RevealHow.DESIGNATION, reason=reason,
                           by=actor_id(member),
                           shown_to=confidential.person_audience(designee.id),
                           since=db_since(session, core, designee, report))
    return [Text(words.shown(report.code, designee.name))]
