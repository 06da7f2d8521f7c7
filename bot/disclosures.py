"""What an officer tells the committee at attestation reaches it: a conflict of interest
disclosed, an exception to compliance, or a matter they know has not been reported.

The channel learns only that an attestation needs the committee (period, date, what kind of
answer); the officer's name, answers and words open privately, for committee members, and every
opening is audited. Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot import actions, pending, sanitize
from bot.attestation import QUESTIONS, Answers
from bot.core import CandorError, Core, actor_id, is_committee
from bot.delivery.outbox import db_enqueue, private_key
from bot.messages import CHANNEL, Choice, Document, Reply
from bot.schedule.calendar import local_date
from bot.visibility import NOTHING, KeptAway, db_kept_away
from bot.wording import attestations, case_labels, refusals
from storage.models import Attestation, Disclosure, Person
from storage.vocabulary import AuditAction, RecordKind

KIND = RecordKind.ATTESTATION


def needs(answers: Answers) -> tuple[str, ...]:
    """What in these answers the committee must look at (empty: a clean attestation)."""
    found = []
    if answers.disclosure and answers.no_conflict:
        found.append(attestations.ATTEST_NEEDS_DISCLOSURE)
    if not answers.no_conflict:
        found.append(attestations.ATTEST_NEEDS_CONFLICT)
    if not answers.complied:
        found.append(attestations.ATTEST_NEEDS_EXCEPTION)
    if not answers.no_unreported:
        found.append(attestations.ATTEST_NEEDS_UNREPORTED)
    return tuple(found)


def db_notify(session: Session, core: Core, attestation: Attestation, answers: Answers) -> None:
    """Tell the committee's channel, sanitized, when an attestation needs it.

    An officer who tells of an unreported matter is a reporter too: the notice says the day, not
    the moment, waits the random delay an anonymous alert waits (`bot.pending.delayed`), and its
    row's plain key and time name neither the attestation nor the minute, so that the channel's
    post cannot be lined up with the officer who attested just before it."""
    found = needs(answers)
    if not found:
        return
    view = Choice(attestations.VIEW_DISCLOSURE, actions.ViewDisclosure(attestation.id).encode())
    notice = sanitize.attestation_notice(period=attestation.period,
                                         attested_on=local_date(attestation.attested_at,
                                                                core.timezone),
                                         needs=found, choice=view)
    db_enqueue(session, core.vault, now=core.today_start(), not_before=pending.delayed(core),
               key=private_key(core.vault, f"attest-disclosure:{attestation.id}"),
               target=CHANNEL, notice=notice, platforms=core.platforms, fresh=True)


def db_view(session: Session, core: Core, member: Person, attestation_id: str) -> list[Reply]:
    """The attestation, privately, for a committee member; the opening is audited."""
    attestation = session.get(Attestation, attestation_id)
    if attestation is None:
        raise CandorError(refusals.NOT_UNDERSTOOD)
    if (not is_committee(member)
            or not db_kept_away(session, core, member).shows_officer(attestation.person_id)):
        raise core.refused(refusals.NOT_ALLOWED_RECORD if is_committee(member)
                           else refusals.COMMITTEE_ONLY, actor=actor_id(member),
                           action=AuditAction.ATTESTATION_REFUSED, record_kind=KIND,
                           record_id=attestation.id)
    officer = session.get(Person, attestation.person_id)
    answers = core.vault.unseal(session, kind=KIND, record_id=attestation.id, blob=attestation.body)
    sections: list[tuple[str, str]] = [
        (case_labels.OFFICER,
         attestations.attest_officer(officer.name, officer.role.label) if officer and officer.role
         else (officer.name if officer else case_labels.UNKNOWN)),
        (attestations.ATTEST_PERIOD_LABEL, attestation.period),
        (attestations.ATTEST_ATTESTED_LABEL, f"{attestation.attested_at:%Y-%m-%d %H:%M} UTC"),
    ]
    sections += [(label, attestations.attest_answer(answers.get(name)))
                 for name, label in QUESTIONS]
    for disclosure in session.exec(select(Disclosure)
                                   .where(Disclosure.attestation_id == attestation.id)
                                   .order_by(col(Disclosure.created_at))).all():
        text = core.vault.unseal(session, kind=RecordKind.DISCLOSURE, record_id=disclosure.id,
                               blob=disclosure.body)
        sections.append((attestations.ATTEST_DISCLOSED_LABEL,
                         sanitize.neutralise(str(text.get("text", "")))))
    core.audit_event(session, actor=actor_id(member), action=AuditAction.ATTESTATION_VIEWED,
                     record_kind=KIND, record_id=attestation.id)
    return [Document(attestations.attest_title(attestation.period), tuple(sections))]


def db_recent(session: Session, limit: int = 10, *,
              kept: KeptAway = NOTHING) -> list[tuple[Attestation, Person]]:
    """The latest attestations that carry a disclosure, with their officers (for App Home),
    but none of an officer the member is kept away from."""
    query = (select(Attestation, Person)
             .join(Disclosure, col(Disclosure.attestation_id) == col(Attestation.id))
             .join(Person, col(Person.id) == col(Attestation.person_id)))
    if kept.officers:
        query = query.where(col(Attestation.person_id).not_in(kept.officers))
    rows = session.exec(query.order_by(col(Attestation.attested_at).desc()).limit(limit)).all()
    return [(a, p) for a, p in rows]
