"""Waivers of the Code: recording one, its public disclosure deadline, the disclosure, the register.

A US public company discloses a waiver for these officers within four business days (Form 8-K,
Item 5.05) or on its website. The register's facts (officer, who granted it, date, provision,
deadline, disclosure) are public once disclosed, so they are plain; the reason is sealed. The
sweep reminds from `Waiver.disclosure_due` until `disclosed_on` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from bot import actions, fields
from bot.access import db_officers
from bot.core import CandorError, Core, FieldError, actor_id, is_committee
from bot.fields import FormReader
from bot.messages import Choice, Document, FieldKind, Form, FormErrors, FormField, Reply, Text
from bot.sanitize import neutralise
from bot.schedule.deadlines import waiver_disclosure_deadline
from bot.visibility import db_kept_away
from bot.wording import governance, refusals
from storage.models import Person, Waiver, new_id
from storage.vocabulary import AuditAction, RecordKind

KIND = RecordKind.WAIVER
TEXT_LIMIT = fields.LINE
GROUNDS_LIMIT = fields.STATEMENT  # why the waiver was granted


@dataclass(frozen=True)
class Grant:
    """A validated waiver, before it is recorded."""

    officer_id: int
    granted_by: str
    granted_on: date
    provision: str
    reason: str


def validate(values: dict[str, Any], *, officer_ids: set[int],
             today: date) -> Grant | dict[str, str]:
    form = FormReader(values)
    officer = form.person("officer", officer_ids)
    # One-line register facts are tidied; the grounds keep their paragraphs.
    granted_by = form.text("granted_by", limit=TEXT_LIMIT, one_line=True,
                           missing=governance.WAIVER_GRANTED_BY_MISSING)
    provision = form.text("provision", limit=TEXT_LIMIT, one_line=True,
                          missing=governance.WAIVER_PROVISION_MISSING)
    reason = form.text("reason", limit=GROUNDS_LIMIT, missing=governance.WAIVER_REASON_MISSING)
    granted_on = form.date("granted_on", today=today)
    if form.errors:
        return form.errors
    assert officer is not None and granted_on is not None
    return Grant(officer, granted_by, granted_on, provision, reason)


def db_record(session: Session, core: Core, *, actor: str, grant: Grant,
              recorded_by: Person | None) -> Waiver:
    """Record the waiver with its disclosure deadline (reason sealed) and audit it."""
    waiver_id = new_id()
    row = Waiver(
        id=waiver_id, person_id=grant.officer_id, granted_by=grant.granted_by,
        granted_on=grant.granted_on, provision=grant.provision,
        disclosure_due=waiver_disclosure_deadline(grant.granted_on, core.schedule),
        recorded_by=recorded_by.id if recorded_by else None, created_at=core.now(),
        body=core.vault.seal(session, kind=KIND, record_id=waiver_id,
                             data={"reason": grant.reason}, new=True),
    )
    session.add(row)
    session.flush()
    core.audit_event(session, actor=actor, action=AuditAction.WAIVER_RECORDED, record_kind=KIND,
                     record_id=waiver_id,
                     detail={"officer": grant.officer_id, "due": row.disclosure_due.isoformat()})
    return row


def db_disclose(session: Session, core: Core, *, actor: str, waiver_id: str, ref: str,
                on: date) -> Waiver:
    """Record the public disclosure (a Form 8-K reference or a web address, and its date)."""
    row = session.get(Waiver, waiver_id)
    if row is None:
        raise CandorError(governance.WAIVER_NOT_FOUND)
    if row.disclosed_on is not None:
        raise CandorError(governance.waiver_already_disclosed(row.disclosed_on.isoformat()))
    ref = " ".join(ref.split())
    if not ref:
        raise FieldError("ref", governance.WAIVER_REF_MISSING)
    if len(ref) > TEXT_LIMIT:
        raise FieldError("ref", refusals.too_long(TEXT_LIMIT, len(ref)))
    if on < row.granted_on:
        raise FieldError("on", governance.WAIVER_DISCLOSED_BEFORE_GRANT)
    if on > core.today():  # a disclosure dated ahead would stop the reminders before it is made
        raise FieldError("on", refusals.DATE_IN_FUTURE)
    row.disclosed_on, row.disclosure_ref = on, ref
    session.add(row)
    core.audit_event(session, actor=actor, action=AuditAction.WAIVER_DISCLOSED, record_kind=KIND,
                     record_id=row.id,
                     detail={"on": on.isoformat(), "late": on > row.disclosure_due})
    return row


def db_waivers(session: Session) -> list[tuple[Waiver, Person]]:
    """Every waiver with its officer, newest grant first."""
    rows = session.exec(select(Waiver, Person)
                        .join(Person, Person.id == Waiver.person_id)  # type: ignore[arg-type]
                        .order_by(col(Waiver.granted_on).desc(),
                                  col(Waiver.created_at).desc())).all()
    return [(w, p) for w, p in rows]


def db_find(session: Session, prefix: str) -> Waiver | None:
    """A waiver by its id or an unambiguous prefix of it (the CLI shows the first 8 characters)."""
    prefix = prefix.strip().lower()
    if len(prefix) < 4:
        return None
    rows = session.exec(select(Waiver).where(col(Waiver.id).startswith(prefix))).all()
    return rows[0] if len(rows) == 1 else None


# --- chat ---------------------------------------------------------------------------------------


def _committee(person: Person) -> None:
    if not is_committee(person):
        raise CandorError(refusals.COMMITTEE_ONLY)


def db_form(session: Session, core: Core, person: Person) -> list[Reply]:
    _committee(person)
    officers = db_officers(session)
    labels = governance.WAIVER_LABELS
    return [Form(actions.WaiverSubmit().encode(), governance.WAIVER_TITLE, (
        FormField("officer", labels["officer"], FieldKind.SELECT,
                  options=tuple(Choice(p.name, str(p.id)) for p in officers)),
        FormField("granted_by", labels["granted_by"], max_length=TEXT_LIMIT),
        FormField("granted_on", labels["granted_on"], FieldKind.DATE,
                  initial=core.today().isoformat()),
        FormField("provision", labels["provision"], max_length=TEXT_LIMIT),
        FormField("reason", labels["reason"], FieldKind.MULTILINE, max_length=GROUNDS_LIMIT),
    ), submit_label=governance.WAIVER_SUBMIT)]


def db_submit(session: Session, core: Core, person: Person, values: dict[str, Any]) -> list[Reply]:
    _committee(person)
    officers = {p.id: p for p in db_officers(session) if p.id is not None}
    checked = validate(values, officer_ids=set(officers), today=core.today())
    if isinstance(checked, dict):
        return [FormErrors(actions.WaiverSubmit().encode(), checked)]
    row = db_record(session, core, actor=actor_id(person), grant=checked, recorded_by=person)
    return [Text(governance.waiver_recorded(officers[checked.officer_id].name,
                                            row.disclosure_due.isoformat()))]


def _shown(session: Session, core: Core, person: Person, row: Waiver) -> Waiver:
    """The waiver, unless the member is kept away from its officer (refused and audited)."""
    if not db_kept_away(session, core, person).shows_officer(row.person_id):
        raise core.refused(refusals.NOT_ALLOWED_RECORD, actor=actor_id(person),
                           action=AuditAction.WAIVER_REFUSED, record_kind=KIND, record_id=row.id)
    return row


def db_register_view(session: Session, core: Core, person: Person) -> list[Reply]:
    _committee(person)
    kept = db_kept_away(session, core, person)
    rows = [(w, p) for w, p in db_waivers(session) if kept.shows_officer(w.person_id)]
    if not rows:
        return [Text(governance.NO_WAIVERS)]
    sections = []
    for waiver, officer in rows:
        if waiver.disclosed_on:
            state = governance.waiver_disclosed_state(waiver.disclosed_on, waiver.disclosure_ref)
        else:
            state = governance.waiver_undisclosed_state(waiver.disclosure_due)
        # Register facts, typed by the committee: the whole line is neutralised, as it reads.
        sections.append((neutralise(governance.waiver_heading(officer.name, waiver.provision)),
                         neutralise(governance.waiver_line(waiver.granted_by, waiver.granted_on,
                                                           state))))
    choices = tuple(Choice(governance.record_disclosure_of(officer.name, waiver.granted_on),
                           actions.DiscloseForm(waiver.id).encode())
                    for waiver, officer in rows if waiver.disclosed_on is None)
    return [Document(governance.WAIVER_REGISTER_TITLE, tuple(sections), choices[:20])]


def db_disclose_form(session: Session, core: Core, person: Person, waiver_id: str) -> list[Reply]:
    _committee(person)
    row = session.get(Waiver, waiver_id)
    if row is None:
        raise CandorError(governance.WAIVER_NOT_FOUND)
    _shown(session, core, person, row)
    labels = governance.DISCLOSURE_LABELS
    # The channel's reminder names no officer (members kept away from them read it too): the
    # form, shown only to a member who may see the waiver, says whose it is.
    officer = session.get(Person, row.person_id)
    details = neutralise(governance.waiver_details(
        officer.name if officer else governance.THE_OFFICER, row.provision, row.granted_by,
        row.granted_on))
    return [Form(actions.DiscloseSubmit(row.id).encode(), governance.DISCLOSURE_TITLE, (
        FormField("ref", labels["ref"], max_length=TEXT_LIMIT),
        FormField("on", labels["on"], FieldKind.DATE, initial=core.today().isoformat()),
    ), submit_label=governance.RECORD_DISCLOSURE, intro=details)]


def db_submit_disclosure(session: Session, core: Core, *, person: Person, waiver_id: str,
                         values: dict[str, Any]) -> list[Reply]:
    _committee(person)
    existing = session.get(Waiver, waiver_id)
    if existing is not None:
        _shown(session, core, person, existing)
    form = FormReader(values)
    on = form.date("on", today=core.today())
    ref = form.text("ref", limit=TEXT_LIMIT, one_line=True, missing=governance.WAIVER_REF_MISSING)
    if form.errors or on is None:
        return [FormErrors(actions.DiscloseSubmit(waiver_id).encode(), form.errors)]
    row = db_disclose(session, core, actor=actor_id(person), waiver_id=waiver_id, ref=ref,
                      on=on)
    officer = session.get(Person, row.person_id)
    name = officer.name if officer else governance.THE_OFFICER
    return [Text(governance.waiver_disclosed(name, on.isoformat()))]
