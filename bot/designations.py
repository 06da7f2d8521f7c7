"""Designations (issue 22): a member allowed on a case brings in a person from the roster's
designees (outside counsel, forensic accountants, internal audit) to investigate it, or to
investigate and determine, until a date; renews it; ends it. The designation also ends when its
date passes (the sweep), when the case closes, and when the person is kept away from the case.

Every change is audited; the channel is told without content; the designee gets a content-free
direct message with an Open button. Why the committee designated them is sealed. Who may act on
the case under a designation is `bot.access`'s gate (`db_case_for(..., designee_may=...)`).

May touch: designations, their outbox notices and audit rows, through the caller's session; it
never commits. It imports no use-case module (committee, board, conflicts, followup and the sweep
call it).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import actions, fields, sanitize
from bot.access import db_case_for, db_designation_for, db_designees
from bot.core import CandorError, Core, FieldError, actor_id, db_excluded
from bot.delivery.outbox import db_enqueue, person_target
from bot.fields import FormReader
from bot.messages import (
    CHANNEL,
    Choice,
    FieldKind,
    Form,
    FormErrors,
    FormField,
    Notice,
    Reply,
    Text,
)
from bot.reports import REPORT
from bot.visibility import db_subject
from bot.wording import case_labels, casework, refusals
from bot.wording import designations as words
from storage.models import Designation, Determination, Person, Report, new_id
from storage.vocabulary import (
    AuditAction,
    CaseStatus,
    DesignationEnd,
    DesignationScope,
    RecordKind,
)

KIND = RecordKind.DESIGNATION
DEFAULT_DAYS = 90
LONGEST_DAYS = 365
WHY_LIMIT = fields.NOTE
SCOPES = tuple(Choice(s.label[0].upper() + s.label[1:], s.value) for s in DesignationScope)


def live_key(report_id: str, person_id: int) -> str:
    return f"{report_id}:{person_id}"


def scope_of(row: Designation) -> DesignationScope:
    return DesignationScope(row.scope)


# --- who may be designated ----------------------------------------------------------------------


def db_kept_away(session: Session, core: Core, report: Report) -> set[int]:
    """Who may not be designated on `report`: those it keeps away (the reporter's, the chair's
    exclusions) and anyone a determination on it names."""
    kept = set(db_excluded(session, core, report))
    for row in session.exec(select(Determination).where(Determination.report_id == report.id)):
        subject = db_subject(session, core, row)
        if subject is not None:
            kept.add(subject)
    return kept


def db_active(session: Session, report: Report | None = None) -> list[Designation]:
    """The designations not ended (perhaps past their date, until the sweep ends them)."""
    query = select(Designation).where(col(Designation.ended_at).is_(None))
    if report is not None:
        query = query.where(Designation.report_id == report.id)
    return list(session.exec(query.order_by(col(Designation.created_at))).all())


def db_candidates(session: Session, core: Core, report: Report) -> list[Person]:
    kept = db_kept_away(session, core, report)
    taken = {d.person_id for d in db_active(session, report)}
    return [p for p in db_designees(session) if p.id not in kept and p.id not in taken]


# --- the member's buttons and forms -------------------------------------------------------------


def db_member_choices(session: Session, report: Report) -> tuple[Choice, ...]:
    """What a member allowed on an open case is offered: Designate, and Renew and End for each
    designation in force."""
    if not report.status.is_open:
        return ()
    choices = [Choice(words.DESIGNATE_BUTTON, actions.DesignateForm(report.id).encode())]
    for row in db_active(session, report):
        person = session.get(Person, row.person_id)
        name = person.name if person else case_labels.UNKNOWN
        choices.append(Choice(words.renew_button(name), actions.RenewForm(row.id).encode()))
        choices.append(Choice(words.end_button(name), actions.EndForm(row.id).encode()))
    return tuple(choices)


def db_designee_choices(session: Session, core: Core, person: Person,
                        report: Report) -> tuple[Choice, ...]:
    """What a designee is offered in a case's view: ask the reporter; determine if designated to."""
    choices = [Choice(casework.ASK_BUTTON, actions.AskForm(report.id).encode())]
    if db_designation_for(session, core, person, report,
                          scope=DesignationScope.DETERMINE) is not None:
        choices.append(Choice(casework.DETERMINE_BUTTON, actions.DetermineForm(report.id).encode()))
    return tuple(choices)


def _until_field(core: Core, initial: date) -> FormField:
    return FormField("until", words.UNTIL_PROMPT, FieldKind.DATE, initial=initial.isoformat())


def db_form(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="designate")
    _open_case(report)
    candidates = db_candidates(session, core, report)
    if not candidates:
        return [Text(words.NOBODY_TO_DESIGNATE)]
    return [Form(actions.DesignateSubmit(report.id).encode(), words.designate_title(report.code), (
        FormField("person", words.PERSON_PROMPT, FieldKind.SELECT,
                  options=tuple(Choice(_label(p), str(p.id)) for p in candidates)),
        FormField("scope", words.SCOPE_PROMPT, FieldKind.SELECT, options=SCOPES),
        _until_field(core, core.today() + timedelta(days=DEFAULT_DAYS)),
        FormField("why", words.WHY_PROMPT, FieldKind.MULTILINE, max_length=WHY_LIMIT),
    ), submit_label=words.DESIGNATE_SUBMIT, intro=words.DESIGNATE_INTRO)]


def _label(person: Person) -> str:
    return f"{person.name} ({person.affiliation})" if person.affiliation else person.name


def _open_case(report: Report) -> None:
    if not report.status.is_open:
        raise CandorError(refusals.CASE_NOT_FOUND)


def read_until(form: FormReader, today: date) -> date | None:
    """The designation's last day: a date, not in the past, at most a year from `today`."""
    value = form.values.get("until")
    try:
        day = date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        form.refuse("until", refusals.DATE_INVALID)
    elif day < today:
        form.refuse("until", words.UNTIL_IN_PAST)
    elif day > today + timedelta(days=LONGEST_DAYS):
        form.refuse("until", words.until_too_far(today + timedelta(days=LONGEST_DAYS)))
    else:
        return day
    return None


def db_submit(session: Session, core: Core, *, member: Person, report_id: str,
              values: dict[str, Any]) -> list[Reply]:
    """Check the form and record the designation; refusals beside their fields record nothing
    (a person not in the group, or kept away, is audited as a refused designation)."""
    report = db_case_for(session, core, member, report_id, action="designate")
    _open_case(report)
    form_id = actions.DesignateSubmit(report.id).encode()
    form = FormReader(values)
    designees = {p.id: p for p in db_designees(session) if p.id is not None}
    chosen = form.person("person", designees.keys(), missing=words.NOT_IN_GROUP)
    scope = form.one_of("scope", {s.value for s in DesignationScope},
                        missing=refusals.NOT_UNDERSTOOD)
    until = read_until(form, core.today())
    why = form.text("why", limit=WHY_LIMIT)
    if chosen is not None and chosen in db_kept_away(session, core, report):
        raise FieldError("person", words.KEPT_AWAY, keep=_refusal_kept(
            core, member, report, "kept_away"))
    if "person" in form.errors:
        raise FieldError("person", form.errors["person"], keep=_refusal_kept(
            core, member, report, "not_designee"))
    if form.errors:
        return [FormErrors(form_id, form.errors)]
    assert chosen is not None and scope is not None and until is not None
    person = designees[chosen]
    row = db_designate(session, core, by=member, report=report, person=person,
                       scope=DesignationScope(scope), until=until, why=why)
    if row is None:
        return [Text(words.ALREADY_DESIGNATED)]
    return [Text(words.designated(report.code, person.name, until))]


def _refusal_kept(core: Core, member: Person, report: Report, reason: str) -> Any:
    """The audit row a refused designation keeps (ids taken now: the rollback expires rows)."""
    actor, report_id = actor_id(member), report.id

    def keep(session: Session) -> None:
        core.audit_event(session, actor=actor, action=AuditAction.DESIGNATION_REFUSED,
                         record_kind=REPORT, record_id=report_id, detail={"reason": reason})
    return keep


def db_designate(session: Session, core: Core, *, by: Person, report: Report, person: Person,
                 scope: DesignationScope, until: date, why: str) -> Designation | None:
    """Record a designation and tell the channel and the designee; None when the person is
    designated on the case already (by another member at the same moment, too: `live` is
    unique, so the second insert fails inside its savepoint and changes nothing)."""
    assert person.id is not None
    key = live_key(report.id, person.id)
    if session.exec(select(Designation.id).where(Designation.live == key)).first() is not None:
        return None
    row_id = new_id()
    try:
        with session.begin_nested():
            row = Designation(
                id=row_id, report_id=report.id, person_id=person.id, scope=scope, until=until,
                by_id=by.id, created_at=core.now(), live=key,
                body=core.vault.seal(session, kind=KIND, record_id=row_id,
                                     data={"why": why, "renewals": []}, new=True))
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    core.audit_event(session, actor=actor_id(by), action=AuditAction.DESIGNATION_ADDED,
                     record_kind=REPORT, record_id=report.id,
                     detail={"designation": row_id, "person": person.id, "scope": scope.value,
                             "until": until.isoformat()})
    title = words.channel_designated(report.code, by.name, person.affiliation or "",
                                     until, determine=scope is DesignationScope.DETERMINE)
    _to_channel(session, core, report, key=f"designation:{row_id}:added", title=title)
    _to_designee(session, core, row, key=f"designation:{row_id}:added",
                 title=words.dm_designated(report.code), text=words.DM_DESIGNATED_TEXT,
                 report=report)
    return row


def _row(session: Session, designation_id: str) -> Designation:
    row = session.get(Designation, designation_id)
    if row is None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    return row


def db_renew_form(session: Session, core: Core, member: Person, designation_id: str) -> list[Reply]:
    row = _row(session, designation_id)
    report = db_case_for(session, core, member, row.report_id, action="designate")
    _still_on(row, report)
    initial = max(row.until, core.today()) + timedelta(days=DEFAULT_DAYS)
    initial = min(initial, core.today() + timedelta(days=LONGEST_DAYS))
    return [Form(actions.RenewSubmit(row.id).encode(), words.renew_title(report.code), (
        _until_field(core, initial),
        FormField("why", words.WHY_PROMPT, FieldKind.MULTILINE, max_length=WHY_LIMIT),
    ), submit_label=words.RENEW_SUBMIT)]


def _still_on(row: Designation, report: Report) -> None:
    if row.ended_at is not None or not report.status.is_open:
        raise CandorError(words.NOT_AN_ACTIVE_DESIGNATION)


def db_renew_submit(session: Session, core: Core, *, member: Person, designation_id: str,
                    values: dict[str, Any]) -> list[Reply]:
    row = _row(session, designation_id)
    report = db_case_for(session, core, member, row.report_id, action="designate")
    _still_on(row, report)
    form = FormReader(values)
    until = read_until(form, core.today())
    why = form.text("why", limit=WHY_LIMIT)
    if form.errors:
        return [FormErrors(actions.RenewSubmit(row.id).encode(), form.errors)]
    assert until is not None
    sealed = core.vault.unseal(session, kind=KIND, record_id=row.id, blob=row.body)
    sealed["renewals"] = [*sealed.get("renewals", []),
                          {"why": why, "by": member.id, "until": until.isoformat(),
                           "at": core.now().isoformat()}]
    before = row.until
    row.until = until
    row.body = core.vault.seal(session, kind=KIND, record_id=row.id, data=sealed)
    session.add(row)
    core.audit_event(session, actor=actor_id(member), action=AuditAction.DESIGNATION_RENEWED,
                     record_kind=REPORT, record_id=report.id,
                     detail={"designation": row.id, "from": before.isoformat(),
                             "until": until.isoformat()})
    person = session.get(Person, row.person_id)
    affiliation = (person.affiliation if person else None) or ""
    stamp = f"{core.now():%Y%m%d%H%M%S}"
    _to_channel(session, core, report, key=f"designation:{row.id}:renewed:{stamp}",
                title=words.channel_renewed(report.code, member.name, affiliation, until))
    _to_designee(session, core, row, key=f"designation:{row.id}:renewed:{stamp}",
                 title=words.dm_renewed(report.code, until), text=words.DM_DESIGNATED_TEXT,
                 report=report)
    return [Text(words.renewed(report.code, person.name if person else "", until))]


def db_end_form(session: Session, core: Core, member: Person, designation_id: str) -> list[Reply]:
    row = _row(session, designation_id)
    report = db_case_for(session, core, member, row.report_id, action="designate")
    _still_on(row, report)
    return [Form(actions.EndSubmit(row.id).encode(), words.end_title(report.code), (
        FormField("why", words.END_WHY_PROMPT, FieldKind.MULTILINE, max_length=WHY_LIMIT),
    ), submit_label=words.END_SUBMIT)]


def db_end_submit(session: Session, core: Core, *, member: Person, designation_id: str,
                  values: dict[str, Any]) -> list[Reply]:
    row = _row(session, designation_id)
    report = db_case_for(session, core, member, row.report_id, action="designate")
    _still_on(row, report)
    form = FormReader(values)
    why = form.text("why", limit=WHY_LIMIT)
    if form.errors:
        return [FormErrors(actions.EndSubmit(row.id).encode(), form.errors)]
    db_end(session, core, row, report=report, reason=DesignationEnd.ENDED, by=member, why=why)
    person = session.get(Person, row.person_id)
    return [Text(words.ended(report.code, person.name if person else ""))]


# --- ending ------------------------------------------------------------------------------------


def db_end(session: Session, core: Core, row: Designation, *, report: Report,
           reason: DesignationEnd, by: Person | None, why: str | None = None,
           actor: str | None = None, kept_away: bool = False) -> None:
    """End a designation: from now on nothing of the case opens for its person. Audited; the
    channel and the designee are told, without content. `kept_away`: it ended because the person
    was kept away from the case, which is sealed (as the exclusion itself is): the plain row, the
    audit and the channel say only that it ended."""
    if row.ended_at is not None:
        return
    row.ended_at = core.now()
    row.ended_by = by.id if by else None
    row.end_reason = reason.value
    row.live = None
    if why or kept_away:
        sealed = core.vault.unseal(session, kind=KIND, record_id=row.id, blob=row.body)
        row.body = core.vault.seal(session, kind=KIND, record_id=row.id, data={
            **sealed, **({"ended_why": why} if why else {}),
            **({"kept_away": True} if kept_away else {})})
    session.add(row)
    session.flush()
    core.audit_event(session, actor=actor or (actor_id(by) if by else "system"),
                     action=AuditAction.DESIGNATION_ENDED, record_kind=REPORT, record_id=report.id,
                     detail={"designation": row.id, "reason": reason.value})
    person = session.get(Person, row.person_id)
    affiliation = (person.affiliation if person else None) or ""
    _to_channel(session, core, report, key=f"designation:{row.id}:ended",
                title=words.channel_ended(report.code, affiliation, reason.label))
    _to_designee(session, core, row, key=f"designation:{row.id}:ended",
                 title=words.dm_ended(report.code), text=words.DM_ENDED_TEXT, report=None)


def db_end_for_case(session: Session, core: Core, report: Report, *, by: Person | None) -> int:
    """The case closed: every designation on it ends."""
    rows = db_active(session, report)
    for row in rows:
        db_end(session, core, row, report=report, reason=DesignationEnd.CASE_CLOSED, by=by)
    return len(rows)


def db_end_kept_away(session: Session, core: Core, report: Report, *, by: Person | None) -> int:
    """Someone was kept away from the case (an exclusion, a determination naming them): their
    designation on it ends."""
    kept = db_kept_away(session, core, report)
    ended = 0
    for row in db_active(session, report):
        if row.person_id in kept:
            db_end(session, core, row, report=report, reason=DesignationEnd.ENDED, by=by,
                   kept_away=True)
            ended += 1
    return ended


def db_expire(session: Session, core: Core) -> int:
    """The sweep: designations whose last day has passed end (and closed cases' ones)."""
    today = core.today()
    ended = 0
    # Only those to end, each with its case, in one read (not every designation in force, each
    # with a read of its case, at every sweep).
    due = session.exec(select(Designation, Report)
                       .join(Report, col(Report.id) == col(Designation.report_id))
                       .where(col(Designation.ended_at).is_(None),
                              or_(col(Designation.until) < today,
                                  col(Report.status) == CaseStatus.CLOSED))
                       .order_by(col(Designation.created_at))).all()
    for row, report in due:
        if row.until < today:
            db_end(session, core, row, report=report, reason=DesignationEnd.EXPIRED, by=None)
            ended += 1
        elif not report.status.is_open:
            db_end(session, core, row, report=report, reason=DesignationEnd.CASE_CLOSED, by=None)
            ended += 1
    return ended


# --- notices -----------------------------------------------------------------------------------


def _to_channel(session: Session, core: Core, report: Report, *, key: str, title: str) -> None:
    db_enqueue(session, core.vault, now=core.now(), key=key, target=CHANNEL,
               notice=sanitize.reminder(title, ((case_labels.CASE, report.code),),
                                        report_id=report.id),
               platforms=core.platforms)


def _to_designee(session: Session, core: Core, row: Designation, *, key: str, title: str,
                 text: str, report: Report | None) -> None:
    """A direct message that stays in the designee's chat: the case's code and that there is
    news, never what; an Open button while the case opens for them."""
    choices = ((Choice(words.OPEN_BUTTON, actions.ViewCase(report.id).encode()),)
               if report is not None else ())
    db_enqueue(session, core.vault, now=core.now(), key=f"{key}:dm",
               target=person_target(row.person_id),
               notice=Notice(title=title, text=text, choices=choices), platforms=core.platforms)


def db_tell_designees(session: Session, core: Core, report: Report, *, key: str,
                      moment: Any = None) -> None:
    """Each person designated on the case hears that there is news (the reporter answered),
    without content, with an Open button."""
    for row in db_active(session, report):
        if row.until < core.today():
            continue
        db_enqueue(session, core.vault, now=moment or core.now(),
                   key=f"designation:{row.id}:{key}", target=person_target(row.person_id),
                   notice=Notice(title=words.dm_news(report.code), text=words.DM_NEWS_TEXT,
                                 choices=(Choice(words.OPEN_BUTTON,
                                                 actions.ViewCase(report.id).encode()),)),
                   platforms=core.platforms)
