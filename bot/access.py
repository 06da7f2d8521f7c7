"""Who may see and act on what: the case gate every case use case passes (`db_case_for`), the
chair's gate on top of it (`db_chair_case`), the audit of an outsider's click on a case button
(`db_refuse_outsider`), and the two lists the views and forms start from (`db_open_cases`,
`db_officers`). The committee and who is kept away from a case are `bot.core`'s
(`db_committee`, `db_excluded`, `db_exclusions`); which people and items a member is kept away
from in listings is `bot.visibility`'s.

May touch: reads the roster, reports and exclusions through the caller's session, and writes
one kind of row: the audit of a refusal (`case.refused`). It never commits. It sits below the
use cases (committee, board, conflicts, retention, records) and imports none of them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from bot import actions
from bot.core import CandorError, Core, actor_id, db_active, db_excluded, is_committee
from bot.messages import Actor
from bot.reports import REPORT
from bot.wording import refusals
from storage.models import Designation, Person, Report
from storage.vocabulary import AuditAction, CaseStatus, DesignationScope, PersonKind


def db_case_for(session: Session, core: Core, member: Person, report_id: str, *, action: str,
                operator: str | None = None,
                designee_may: DesignationScope | None = None) -> Report:
    """The case, if this member may act on it; otherwise a refusal (audited when it is a
    committee member kept away from the case, or someone outside the committee). `operator` is
    who acted at the command line in the member's name (audited beside them).

    `designee_may` lets a designated person through too, on a case they hold a designation on
    that is still in force, when its scope covers this one: INVESTIGATE (open, ask, add a note:
    any designation) or DETERMINE (record the determination). Anyone else is an outsider."""
    report = session.get(Report, report_id)
    if report is None or report.shredded_at is not None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    if (member.kind is PersonKind.DESIGNEE and designee_may is not None
            and db_designation_for(session, core, member, report, scope=designee_may) is not None):
        return report
    if not is_committee(member) or member.id in db_excluded(session, core, report):
        detail = {"attempt": action, **({"operator": operator} if operator else {})}
        raise core.refused(refusals.NOT_ALLOWED_CASE if is_committee(member)
                           else refusals.COMMITTEE_ONLY, actor=actor_id(member),
                           action=AuditAction.CASE_REFUSED, record_kind=REPORT, record_id=report.id,
                           detail=detail)
    return report


def _in_force(core: Core, person: Person) -> tuple[Any, ...]:
    """`person`'s designations in force, joined to their cases: not ended, the last day not
    past, the case neither closed nor shredded (the one place this rule is written)."""
    return (Designation.person_id == person.id, col(Designation.ended_at).is_(None),
            col(Designation.until) >= core.today(), Report.status != CaseStatus.CLOSED,
            col(Report.shredded_at).is_(None))


def db_designation_for(
        session: Session, core: Core, person: Person, report: Report, *,
        scope: DesignationScope = DesignationScope.INVESTIGATE) -> Designation | None:
    """The designation in force that lets `person` act on `report` within `scope`: not ended, its
    last day not past, the case open and not keeping them away."""
    if person.id is None:
        return None
    row = session.exec(select(Designation)
                       .join(Report, col(Designation.report_id) == col(Report.id))
                       .where(Designation.report_id == report.id, *_in_force(core, person))).first()
    if row is None:
        return None
    if scope is DesignationScope.DETERMINE and row.scope != DesignationScope.DETERMINE:
        return None
    if person.id in db_excluded(session, core, report):
        return None
    return row


def db_designated_cases(session: Session, core: Core, person: Person) -> list[Report]:
    """The open cases `person` holds a designation in force on, oldest first."""
    if person.id is None:
        return []
    # One read of the designations in force and their cases, then whom each case keeps away.
    cases = session.exec(select(Report)
                         .join(Designation, col(Designation.report_id) == col(Report.id))
                         .where(*_in_force(core, person))
                         .order_by(col(Report.received_at))).all()
    return [r for r in cases if person.id not in db_excluded(session, core, r)]


def db_chair_case(session: Session, core: Core, member: Person, report_id: str, *,
                  action: str) -> Report:
    """The case, if the member passes the case gate and is the chair (a refusal is audited)."""
    report = db_case_for(session, core, member, report_id, action=action)
    if not member.chair:
        raise core.refused(refusals.CHAIR_ONLY, actor=actor_id(member),
                           action=AuditAction.CASE_REFUSED,
                           record_kind=REPORT, record_id=report.id, detail={"attempt": action})
    return report


def db_refuse_outsider(session: Session, core: Core, actor: Actor, value: str) -> None:
    """Audit a case button clicked by someone who is not on the roster (the report, if the
    value names one, is the record; the platform id is the actor)."""
    target = actions.case_target(value)
    report = session.get(Report, target[1]) if target else None
    if target is None or report is None:
        return
    core.audit_event(session, actor=f"outsider:{actor.platform.value}:{actor.user_id[:64]}",
                     action=AuditAction.CASE_REFUSED, record_kind=REPORT, record_id=report.id,
                     detail={"attempt": target[0][:32]})


def db_open_cases(session: Session) -> list[Report]:
    """Every case not closed nor shredded, oldest first (the caller leaves out those kept away)."""
    return list(session.exec(select(Report).where(Report.status != CaseStatus.CLOSED,
                                                  col(Report.shredded_at).is_(None))
                             .order_by(col(Report.received_at))).all())


def db_officers(session: Session) -> list[Person]:
    """The active officers, by name."""
    return list(session.exec(select(Person).where(Person.kind == PersonKind.OFFICER,
                                                  Person.active == True)  # noqa: E712
                             .order_by(col(Person.name))).all())


def db_designees(session: Session) -> list[Person]:
    """The active people the committee may designate (issue 22), by name."""
    return db_active(session, PersonKind.DESIGNEE)
