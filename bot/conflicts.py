"""Conflict routing added by the chair: keep a committee member away from a case.

A reporter names members at intake (`bot.reports`); the chair can add one later. Either way the
exclusion is an `Exclusion` row whose member list is sealed, so `db_excluded` keeps the member
from the details, the committee listing, direct messages, escalations and exports alike. Who was
excluded is seen only by the chair; the audit log records that an exclusion was added, never whom.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import actions, designations
from bot.access import db_chair_case, db_designees
from bot.core import Core, actor_id, db_committee, db_excluded
from bot.messages import Choice, FieldKind, Form, FormErrors, FormField, Reply, Text
from bot.reports import REPORT
from bot.wording import casework, refusals
from storage.models import Exclusion, Person, Report, new_id
from storage.vocabulary import AuditAction, RecordKind


def _candidates(session: Session, core: Core, member: Person, report: Report) -> list[Person]:
    excluded = db_excluded(session, core, report)
    # issue 22: the people the committee may designate can be kept away too
    people = db_committee(session) + db_designees(session)
    return [p for p in people if p.id != member.id and p.id not in excluded]


def db_form(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = db_chair_case(session, core, member, report_id, action="exclude")
    candidates = _candidates(session, core, member, report)
    if not candidates:
        return [Text(casework.EXCLUSION_NOBODY_LEFT)]
    return [Form(actions.ExcludeSubmit(report.id).encode(), casework.exclusion_title(report.code), (
        FormField("member", casework.EXCLUSION_PROMPT, FieldKind.SELECT,
                  options=tuple(Choice(p.name, str(p.id)) for p in candidates)),
    ), submit_label=casework.EXCLUSION_SUBMIT)]


def db_submit(session: Session, core: Core, *, member: Person, report_id: str,
              chosen: object) -> list[Reply]:
    report = db_chair_case(session, core, member, report_id, action="exclude")
    allowed = {p.id for p in _candidates(session, core, member, report)}
    member_id = int(chosen) if isinstance(chosen, str) and chosen.isdigit() else None
    if member_id is None or member_id not in allowed:
        return [FormErrors(actions.ExcludeSubmit(report.id).encode(),
                           {"member": refusals.NOT_UNDERSTOOD})]
    db_add(session, core, by=member, report=report, member_id=member_id)
    return [Text(casework.exclusion_added(report.code))]


def db_add(session: Session, core: Core, *, by: Person, report: Report,
           member_id: int) -> Exclusion:
    """Seal and record the exclusion; the audit event names the exclusion row, not the member."""
    exclusion_id = new_id()
    row = Exclusion(id=exclusion_id, report_id=report.id, created_at=core.now(),
                    body=core.vault.seal(session, kind=RecordKind.EXCLUSION, record_id=exclusion_id,
                                         data={"members": [member_id], "by": "chair"}, new=True))
    session.add(row)
    session.flush()
    core.audit_event(session, actor=actor_id(by), action=AuditAction.CASE_EXCLUSION_ADDED,
                     record_kind=REPORT, record_id=report.id, detail={"exclusion": exclusion_id})
    designations.db_end_kept_away(session, core, report, by=by)  # issue 22
    return row
