"""Who leads a case: a committee member allowed on it takes the lead, hands it back, or takes it
over from another member; each is audited. The lead is shown in the case's details and file and
in the case lists (`db_lead_names`), and gets the case's deadline reminders by a direct message
that names no case (`deadline_nudge`, written by `bot.sweep` beside the channel's reminder).

Who leads at any moment is `bot.views.working`'s rule (an active member not kept away). Access
is the case gate's decision (`bot.access.db_case_for(..., action="lead")`); leading is for
committee members only, so a person the gate lets in otherwise (a designee) is refused here,
audited as the gate audits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from bot import actions
from bot.access import db_case_for
from bot.core import Core, actor_id, db_committee, db_exclusions, is_committee
from bot.messages import Choice, Notice, Reply, Text
from bot.reports import REPORT
from bot.views import working
from bot.wording import notes as wording
from storage.crypto import Vault
from storage.models import CaseLead, Person, Report
from storage.vocabulary import AuditAction


def choices(report: Report, member: Person, lead: Person | None) -> tuple[Choice, ...]:
    """The lead's button on a case's details, for `member`, while `lead` leads it."""
    if not is_committee(member):
        return ()
    if lead is not None and lead.id == member.id:
        return (Choice(wording.HAND_BACK_BUTTON, actions.HandBackLead(report.id).encode()),)
    label = wording.TAKE_OVER_BUTTON if lead is not None else wording.TAKE_LEAD_BUTTON
    return (Choice(label, actions.TakeLead(report.id).encode()),)


def db_choices(session: Session, core: Core, report: Report, member: Person) -> tuple[Choice, ...]:
    """The lead's button on a case's details, as it stands now."""
    return choices(report, member, working.db_lead(session, core, report))


def _db_case(session: Session, core: Core, member: Person, report_id: str) -> Report:
    report = db_case_for(session, core, member, report_id, action="lead")
    if not is_committee(member):
        raise core.refused(wording.LEAD_MEMBERS_ONLY, actor=actor_id(member),
                           action=AuditAction.CASE_REFUSED, record_kind=REPORT,
                           record_id=report.id, detail={"attempt": "lead"})
    return report


def db_take(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    """Take the lead, or take it over from the member who has it (audited, naming them by id)."""
    report = _db_case(session, core, member, report_id)
    current = working.db_lead(session, core, report)
    if current is not None and current.id == member.id:
        return [Text(wording.already_lead(report.code))]
    assert member.id is not None
    row = session.get(CaseLead, report.id) or CaseLead(report_id=report.id, person_id=member.id)
    row.person_id, row.since = member.id, core.now()
    session.add(row)
    detail = {"from": f"person:{current.id}"} if current is not None else None
    core.audit_event(session, actor=actor_id(member), action=AuditAction.CASE_LEAD_TAKEN,
                     record_kind=REPORT, record_id=report.id, detail=detail)
    return [Text(wording.lead_taken(report.code, over=current.name if current else None))]


def db_hand_back(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = _db_case(session, core, member, report_id)
    current = working.db_lead(session, core, report)
    if current is None or current.id != member.id:
        return [Text(wording.not_the_lead(report.code))]
    row = session.get(CaseLead, report.id)
    if row is not None:
        session.delete(row)
    core.audit_event(session, actor=actor_id(member), action=AuditAction.CASE_LEAD_RELEASED,
                     record_kind=REPORT, record_id=report.id)
    return [Text(wording.lead_handed_back(report.code))]


def db_leads(session: Session, core: Core, reports: Sequence[Report]) -> dict[str, int]:
    """Who leads each of these cases (those no one leads are left out), in one pass over the
    exclusions: what a list of cases needs."""
    return db_leads_of(session, core, [r.id for r in reports])


def db_leads_of(session: Session, core: Core, report_ids: Sequence[str]) -> dict[str, int]:
    """`db_leads` by the cases' ids: what the sweep, which reads no whole rows, needs."""
    members = {p.id for p in db_committee(session) if p.id is not None}
    wanted = set(report_ids)
    rows = [row for row in session.exec(select(CaseLead)).all() if row.report_id in wanted]
    excluded = db_exclusions(session, core, [row.report_id for row in rows])
    leads = {row.report_id: working.lead_of(row, excluded=excluded.get(row.report_id, set()),
                                            members=members)
             for row in rows}
    return {report_id: lead for report_id, lead in leads.items() if lead is not None}


def db_lead_names(session: Session, core: Core, reports: Sequence[Report]) -> dict[str, str]:
    """The name of each case's lead, for a list of cases."""
    leads = db_leads(session, core, reports)
    names = {p.id: p.name for p in db_committee(session)}
    return {report_id: names[lead] for report_id, lead in leads.items()}


def reminder_key(vault: Vault, key: str) -> str:
    """The outbox key of the lead's copy of a deadline reminder (`<kind>:<case>:<step>:lead:<id>`
    from the rule): the case stays in it, so retention drops the row with the case's other
    notices, and the lead becomes a keyed tag of the whole key, which names no one without the
    keyring and differs from case to case (no plain key says that one member leads two cases)."""
    head, marker, _lead = key.rpartition(":lead:")
    assert marker, key
    return f"{head}:lead:{vault.tag(_REMINDER_TAG, key)[:32]}"


_REMINDER_TAG = "lead-reminder"


def deadline_nudge(kind: str, report_id: str) -> Notice:
    """The lead's direct message about a deadline: it stays in their chat, so it names no case,
    category or date; its button opens the case, through the case gate, to whoever may."""
    return Notice(title=wording.lead_deadline_title(kind), text=wording.LEAD_DEADLINE_TEXT,
                  choices=(Choice(wording.OPEN_BUTTON, actions.ViewCase(report_id).encode()),))
