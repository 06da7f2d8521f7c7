"""Notes on a case: what a member allowed on a case (or, once the designations widen the case
gate, a person the committee designated on it) writes down while working it: interview
summaries, findings, next steps, and recommendations of an outcome.

Who may add a note is the case gate's one decision (`bot.access.db_case_for(..., action="note")`):
this module takes the case the gate returns and checks nothing more about the person. A note is
sealed whole (its text and whether it recommends), audited without its content, shown in the
case's details and file (`bot.views.case`, from `bot.views.working`) and never sent anywhere:
no channel notice, no direct message.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot import actions, fields
from bot.access import db_case_for
from bot.core import Core, actor_id
from bot.fields import FormReader
from bot.messages import Choice, FieldKind, Form, FormErrors, FormField, Reply, Text
from bot.reports import REPORT
from bot.views.working import KIND
from bot.wording import case_labels
from bot.wording import notes as wording
from storage.models import CaseNote, Person, Report, new_id
from storage.vocabulary import AuditAction, DesignationScope

NOTE_LIMIT = fields.NOTE  # a section of a case's details; Slack shows 3000 characters per section
ACTION = "note"  # what the case gate is asked


def choices(report: Report) -> tuple[Choice, ...]:
    """The Add note button on a case's details."""
    return (Choice(wording.ADD_NOTE_BUTTON, actions.NoteForm(report.id).encode()),)


def db_form(session: Session, core: Core, person: Person, report_id: str) -> list[Reply]:
    report = db_case_for(session, core, person, report_id, action=ACTION,
                          designee_may=DesignationScope.INVESTIGATE)
    yes_no = (Choice(case_labels.YES, "yes"), Choice(case_labels.NO, "no"))
    return [Form(actions.NoteSubmit(report.id).encode(), wording.note_title(report.code), (
        FormField("note", wording.NOTE_PROMPT, FieldKind.MULTILINE, max_length=NOTE_LIMIT),
        FormField("recommendation", wording.RECOMMENDATION_PROMPT, FieldKind.BOOLEAN,
                  options=yes_no, initial="no"),
    ), submit_label=wording.NOTE_SUBMIT)]


def db_submit(session: Session, core: Core, *, person: Person, report_id: str,
              values: dict[str, Any]) -> list[Reply]:
    """Check the form and record the note; what to fix is shown beside its field."""
    report = db_case_for(session, core, person, report_id, action=ACTION,
                          designee_may=DesignationScope.INVESTIGATE)
    form = FormReader(values)
    text = form.text("note", limit=NOTE_LIMIT)
    recommendation = form.yes_no("recommendation")
    if form.errors:
        return [FormErrors(actions.NoteSubmit(report.id).encode(), form.errors)]
    assert recommendation is not None
    db_add(session, core, author=person, report=report, text=text, recommendation=recommendation)
    return [Text(wording.note_added(report.code, recommendation=recommendation))]


def db_add(session: Session, core: Core, *, author: Person, report: Report, text: str,
           recommendation: bool) -> CaseNote:
    """Seal and record the note; the audit event names the note's row, never its content."""
    assert author.id is not None
    note_id = new_id()
    row = CaseNote(id=note_id, report_id=report.id, author_id=author.id, created_at=core.now(),
                   body=core.vault.seal(session, kind=KIND, record_id=note_id, new=True,
                                        data={"text": text, "recommendation": recommendation}))
    session.add(row)
    session.flush()
    core.audit_event(session, actor=actor_id(author), action=AuditAction.CASE_NOTE_ADDED,
                     record_kind=REPORT, record_id=report.id, detail={"note": note_id})
    return row
