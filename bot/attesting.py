"""The annual attestation use case: the form an officer is offered, and the attestation recorded
(sealed, with any disclosure sealed apart and sent on to the committee by `bot.disclosures`).

Lives here: `db_form`, `db_attest`, and the attestation reads the homes and the sweep share
(`db_owed`, `db_last_attestation`, `db_attested_periods`). The conversation and due-date rules
are pure, in `bot.attestation`; a form's one-time token is `bot.once`'s. May touch:
`Attestation`, `Disclosure` and the officer's due date through the caller's session, the vault,
the audit log (`attestation.recorded`); it never commits (`bot.service` does).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from bot import actions, attestation, disclosures, once
from bot.core import Core, actor_id
from bot.messages import Choice, Choices, FormErrors, Reply, Text
from bot.schedule.calendar import shift_years
from bot.wording import attestations, menus, refusals
from storage.models import Attestation, Disclosure, Person, new_id
from storage.vocabulary import AuditAction, PersonKind, RecordKind


def db_form(session: Session, core: Core, person: Person) -> list[Reply]:
    """The attestation form for the period owed, or why there is none."""
    if person.kind is not PersonKind.OFFICER:
        return [Text(attestations.ATTEST_ONLY_OFFICERS)]
    today = core.today()
    owed = db_owed(session, person, today)
    last = db_last_attestation(session, person)
    if last is not None and not owed.is_open(today):
        return [Text(attestations.attest_already(last.period, f"{last.attested_at:%Y-%m-%d}",
                                         owed.opens_on.isoformat()))]
    return [attestation.form(core.policy, owed.period, once=once.form_token(core))]


def db_attest(session: Session, core: Core, person: Person, form_id: str,
              values: dict[str, Any]) -> list[Reply]:
    """Record the attestation form `form_id` sent with `values`: once per form, once a period."""
    if person.kind is not PersonKind.OFFICER:
        return [Text(attestations.ATTEST_ONLY_OFFICERS)]
    checked = attestation.validate(values)
    if isinstance(checked, dict):
        return [FormErrors(form_id, checked)]
    today = core.today()
    owed = db_owed(session, person, today)
    if not owed.is_open(today):  # attested meanwhile (another window, another device)
        return db_form(session, core, person)
    token = form_id.partition(":")[2]
    if token and once.form_expired(token, core.now()):
        return [Text(refusals.FORM_EXPIRED)]
    if token and not once.db_first_use(session, core, f"form:{token}"):
        # The same form sent again (a card clicked twice): one attestation, not next year's too.
        return [Text(refusals.ATTEST_FORM_ALREADY_SUBMITTED)]
    period = owed.period
    attestation_id = new_id()
    record = Attestation(
        id=attestation_id, person_id=person.id,  # type: ignore[arg-type]
        period=period, attested_at=core.now(), policy_hash=core.policy.version_hash,
        body=core.vault.seal(session, kind=RecordKind.ATTESTATION, record_id=attestation_id,
                             data=checked.to_json()),
    )
    session.add(record)
    session.flush()
    if checked.disclosure:
        disclosure_id = new_id()
        session.add(Disclosure(
            id=disclosure_id, person_id=person.id,  # type: ignore[arg-type]
            attestation_id=attestation_id, created_at=core.now(),
            body=core.vault.seal(session, kind=RecordKind.DISCLOSURE, record_id=disclosure_id,
                                 data={"text": checked.disclosure}),
        ))
    if owed.scheduled:
        person.attestation_due = shift_years(owed.due, 1)
        session.add(person)
    next_due = attestation.owed(person.attestation_due, {period}, today).due
    core.audit_event(session, actor=actor_id(person), action=AuditAction.ATTESTATION_RECORDED,
                     record_kind=RecordKind.ATTESTATION, record_id=attestation_id,
                     detail={"period": period, "disclosure": bool(checked.disclosure)})
    disclosures.db_notify(session, core, record, checked)
    replies: list[Reply] = [Text(attestations.attest_recorded(period, next_due.isoformat()))]
    if disclosures.needs(checked):
        replies.append(Text(attestations.ATTEST_GOES_TO_COMMITTEE))
    if not checked.no_unreported:
        again = Choice(menus.REPORT_BUTTON, actions.ReportAfterAttesting().encode())
        replies.append(Choices(attestations.ATTEST_OFFER_REPORT, (again,)))
    return replies


def db_owed(session: Session, person: Person, today: date) -> attestation.Owed:
    """The period `person` owes (or last met) as of `today`."""
    periods = set(session.exec(select(Attestation.period)
                               .where(Attestation.person_id == person.id)).all())
    return attestation.owed(person.attestation_due, periods, today)


def db_last_attestation(session: Session, person: Person) -> Attestation | None:
    return session.exec(select(Attestation).where(Attestation.person_id == person.id)
                        .order_by(col(Attestation.attested_at).desc())).first()


def db_attested_periods(session: Session, *,
                        of: Select[Any] | None = None) -> dict[int | None, set[str]]:
    """Every officer's attested periods, by person id, in one read (the roll); or only those of
    the people `of` selects the ids of (the sweep's officers near their due date)."""
    query = select(Attestation.person_id, Attestation.period)
    if of is not None:
        query = query.where(col(Attestation.person_id).in_(of))
    periods: dict[int | None, set[str]] = {}
    for person_id, period in session.exec(query).all():
        periods.setdefault(person_id, set()).add(period)
    return periods
