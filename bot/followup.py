"""The reporter's side of a case after submission: its status, the committee's questions, and
the reporter's answers. What the status view shows is `bot/views/case.py`'s, worded as the
committee's views are.

A named reporter is recognised by the blind index of their roster id; an anonymous one by the
case code and the secret shown once. To answer, the reporter gets a short-lived token bound to
the case and to them (their roster id, or for an anonymous reporter their platform id, which is
used in the token's MAC and stored nowhere).
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, col, select

from bot import (
    actions,
    codes,
    confidential,
    designations,
    fields,
    pending,
    reporter_name,
    reveal,
    sanitize,
)
from bot.core import (
    REPORTER,
    CandorError,
    Core,
    FieldError,
    actor_id,
    db_report_by_code,
    required_text,
)
from bot.delivery.outbox import db_enqueue
from bot.fresh_secret import db_fresh_secret
from bot.messages import (
    CHANNEL,
    Actor,
    Choice,
    Document,
    FieldKind,
    Form,
    FormField,
    Reply,
    Style,
    Text,
)
from bot.reports import REPORT, reporter_tags
from bot.schedule.calendar import local_date
from bot.views import case as case_view
from bot.wording import case_labels, casework, following, refusals, reporting
from storage.crypto import Vault
from storage.db import upsert_insert
from storage.models import CaseMessage, GuessCount, Person, Report, new_id
from storage.vocabulary import AuditAction, MessageDirection, RecordKind

ANSWER_LIMIT = fields.STATEMENT
# An anonymous reporter's answer button works for a few hours (time to write with care); past
# that, they open the case again with code and secret. A named reporter's lasts two months.
ANONYMOUS_TOKEN_SECONDS = 4 * 3600
NAMED_TOKEN_SECONDS = 60 * 24 * 3600


def _mac(core: Core, report_id: str, expiry: int, who: tuple[str, ...]) -> str:
    return core.vault.tag("answer", report_id, str(expiry), *who)[:32]


def _macs(core: Core, report_id: str, expiry: int, who: tuple[str, ...]) -> list[str]:
    """`_mac` under every index key the keyring holds (the one tokens are issued under first)."""
    return [tag[:32] for tag in core.vault.tags("answer", report_id, str(expiry), *who)]


def answer_choice(core: Core, report: Report, *, person_id: int | None = None,
                  actor: Actor | None = None) -> Choice:
    """The "Answer the committee" button, carrying a token for this reporter and case."""
    who: tuple[str, ...]
    if person_id is not None:
        expiry, who = int(core.now().timestamp()) + NAMED_TOKEN_SECONDS, ("person", str(person_id))
    else:
        assert actor is not None
        expiry, who = (int(core.now().timestamp()) + ANONYMOUS_TOKEN_SECONDS,
                       ("actor", actor.platform.value, actor.user_id))
    token = f"{report.id}.{expiry}.{_mac(core, report.id, expiry, who)}"
    return Choice(following.ANSWER_THE_COMMITTEE, actions.AnswerForm(token).encode(),
                  Style.PRIMARY)


def check_token(core: Core, token: str, *, person: Person, actor: Actor,
                field: str | None = None) -> str:
    """The case id a valid token opens for this person, or a refusal (beside `field` when the
    token has only expired, so a form keeps what the reporter typed)."""
    try:
        report_id, expiry_text, mac = token.split(".")
        expiry = int(expiry_text)
    except ValueError:
        raise CandorError(refusals.CASE_NOT_FOUND) from None
    if expiry < core.now().timestamp():
        raise (FieldError(field, following.answer_window_closed(actor.surface)) if field
               else CandorError(following.answer_window_closed(actor.surface)))
    candidates: list[tuple[str, ...]] = [("actor", actor.platform.value, actor.user_id)]
    if person.id is not None:
        candidates.append(("person", str(person.id)))
    # Under every index key the keyring holds: a button issued before an index-key rotation
    # works until it ends (then the reporter opens the case again for a new one).
    macs = [mac for who in candidates for mac in _macs(core, report_id, expiry, who)]
    if not any(hmac.compare_digest(expected, mac) for expected in macs):
        raise CandorError(refusals.CASE_NOT_FOUND)
    return report_id


def db_reporter_case(session: Session, core: Core, person: Person, actor: Actor,
                     args: list[str]) -> Report | pending.Held:
    """The case a reporter may see: theirs by name, or by code and secret (an anonymous report
    accepted but not recorded yet is `pending.Held`).

    Guessing is limited per person and day (`PERSON_GUESSES`); every answer but a named
    reporter's own case costs one slow hash, against a stand-in when the code has none, so the
    time taken does not tell which codes exist; the hash is checked outside the unit of work
    (`db_secret_matches`)."""
    if not args:
        raise CandorError(following.status_usage(actor.surface))
    code = codes.format_code(args[0])
    report = db_report_by_code(session, code)
    if report is not None and report.shredded_at is not None:
        report = None
    if (report is not None and not report.anonymous and person.id is not None
            and report.reporter_tag in reporter_tags(core, person.id)):
        return report  # a named reporter's own case: nothing to guess, never paused
    if report is not None and confidential.db_is_own(session, core, report, person):
        return report  # a confidential reporter's own case (issue 24), found in its sealed record
    subject = _guess_subject(core, person)
    if _limited(session, core, subject):
        raise CandorError(following.STATUS_TOO_MANY_GUESSES)
    held = pending.db_held(session, core, code) if report is None else None
    stored = report.secret_hash if report is not None and report.anonymous else None
    if held is not None:
        stored = held.secret_hash or None
    if db_secret_matches(session, secret=codes.normalise("".join(args[1:])), stored=stored):
        if held is not None:
            return held
        assert report is not None
        return report
    # The failed guess is counted even though the request is refused (and rolled back).
    person_id = person.id
    raise CandorError(refusals.CASE_NOT_FOUND, keep=lambda kept: _count_failure(
        kept, core, person_id=person_id, subject=subject))


# --- the slow hash, outside the unit of work ----------------------------------------------------

VERDICTS = "candor_secret_verdicts"  # the session.info key the service puts verdicts under


class SecretCheck(Exception):
    """A reporter's secret must be checked against a slow hash before this event is answered.

    Raised inside the unit of work; the service rolls it back and hands its caller the slow hash
    to run (`bot.service.SlowHash`), which runs `verify` outside any transaction (on SQLite,
    scrypt would otherwise hold the write lock and stall every writer); the event is then tried
    again with the verdict in `session.info[VERDICTS]`. Never carries the secret in its message."""

    def __init__(self, *, secret: str, stored: str | None) -> None:
        super().__init__("a reporter's secret to check")
        self.secret, self.stored = secret, stored

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.stored, self.secret)

    def verify(self, vault: Vault) -> bool:
        # Without a real hash (no such code, a named case, no secret typed), scrypt runs anyway,
        # with the same cost, against random bytes: it cannot match.
        stored = self.stored or _stand_in_hash(vault.scrypt_log2_n)
        matched = Vault.verify_secret(self.secret, stored)
        return matched and self.stored is not None and bool(self.secret)


def db_secret_matches(session: Session, *, secret: str, stored: str | None) -> bool:
    """The verdict for this secret and stored hash, checked outside the unit of work."""
    verdicts: dict[tuple[str | None, str], bool] = session.info.get(VERDICTS, {})
    key = (stored, secret)
    if key not in verdicts:
        raise SecretCheck(secret=secret, stored=stored)
    return verdicts[key]


def _stand_in_hash(log2_n: int) -> str:
    salt, digest = (base64.b64encode(secrets.token_bytes(n)).decode() for n in (16, 32))
    return f"scrypt${log2_n}$8$1${salt}${digest}"


# --- limits on guessing --------------------------------------------------------------------------

# Failed checks allowed per person per day (the company's day), across every code they try. Only
# people on the roster get this far (anyone else is refused before any check), so the whole
# company guesses at most PERSON_GUESSES times its head count a day; against a secret of 100
# random bits (bot.codes) that is no chance at all, so no code is ever paused. A pause per code
# would let a few people who know a code (it is shown in the committee's channel) lock its
# anonymous reporter out, and a code counter written beside the person's would tell anyone with
# the key which code a person who mistyped was after. So nothing is counted per code, the
# person's counter is keyed and knows no time finer than the day, and the pause names nobody's
# case.
PERSON_GUESSES = 10


def _guess_subject(core: Core, person: Person) -> str:
    return core.vault.tag("guess", "person", str(person.id))


def _slot(core: Core) -> int:
    return core.today().toordinal()  # the day: no finer time of a failed check is kept


def _failures(session: Session, core: Core, subject: str) -> int:
    counts = session.exec(select(GuessCount.failures).where(
        GuessCount.subject == subject, GuessCount.slot == _slot(core))).all()
    return sum(counts)


def _limited(session: Session, core: Core, subject: str) -> bool:
    return _failures(session, core, subject) >= PERSON_GUESSES


def _count_failure(session: Session, core: Core, *, person_id: int | None, subject: str) -> None:
    """Count a failed check against the person; reaching the limit is audited (the person and
    the day: never the secret, the code typed or the moment)."""
    insert = upsert_insert(session.get_bind().dialect.name)
    statement = insert(GuessCount).values(subject=subject, slot=_slot(core), failures=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=["subject", "slot"], set_={"failures": GuessCount.failures + 1}))
    if _failures(session, core, subject) == PERSON_GUESSES:
        person = session.get(Person, person_id)
        assert person is not None
        core.audit_event(session, actor=actor_id(person), action=AuditAction.STATUS_GUESSES_LIMITED,
                         record_kind=RecordKind.PERSON, record_id=str(person_id),
                         detail={"failures": PERSON_GUESSES, "window": "day"},
                         at=core.today_start())


def db_forget_guesses(session: Session, core: Core, *, now: datetime) -> int:
    """Delete counters of days no limit looks at any more."""
    oldest = local_date(now, core.timezone).toordinal()
    rows = session.exec(select(GuessCount).where(col(GuessCount.slot) < oldest)).all()
    for row in rows:
        session.delete(row)
    return len(rows)


def db_replace_typed_secret(session: Session, core: Core, person: Person, actor: Actor,
                            args: list[str]) -> list[Reply]:
    """`status CODE SECRET` typed into a chat that keeps its history: the secret is exposed. The
    case is not shown there; a valid secret is replaced by a new one, shown only privately (a
    document: a window or an ephemeral answer), and the old one stops working. The audit log
    records the replacement, never a secret."""
    try:
        report = db_reporter_case(session, core, person, actor, args)
    except CandorError as refusal:
        if refusal.keep is not None:  # answered, not refused: what the refusal keeps, kept here
            refusal.keep(session)
        return [Text(following.secret_typed_not_shown(actor.surface))]
    if not report.anonymous:  # a named case needs no secret: what was typed opens nothing
        return [Text(following.secret_typed_not_shown(actor.surface))]
    secret, secret_hash = db_fresh_secret(session)
    if isinstance(report, pending.Held):  # not recorded yet: audited when it is
        pending.db_replace_secret(session, core, report, secret_hash=secret_hash)
    else:
        report.secret_hash = secret_hash
        session.add(report)
        core.audit_event(session, actor=REPORTER, action=AuditAction.CASE_SECRET_REPLACED,
                         record_kind=REPORT,
                         record_id=report.id, detail={"reason": "typed_in_chat"})
    shown = following.new_secret(report.code, secret, actor.surface)
    return [Text(following.secret_exposed(actor.surface)),
            Document(following.NEW_SECRET_TITLE, ((reporting.RECEIPT_HEADING, shown),))]


def db_status(session: Session, core: Core, person: Person, actor: Actor,
              args: list[str]) -> list[Reply]:
    from bot.evidence.offers import reporter_choice  # evidence files (issue 23); imports us
    report = db_reporter_case(session, core, person, actor, args)
    if isinstance(report, pending.Held):  # accepted, not recorded yet: no audit row may name it
        return [pending.status_view(report)]
    if report.confidential:
        # A confidential reporter's visit writes nothing either (issue 24): an audit row at its
        # moment, beside the case, would date their visit for whoever reads the log.
        answer = answer_choice(core, report, person_id=person.id)
        # evidence files (issue 23): "Add documents", bound like the answer button
        choices = [answer, reporter_choice(answer)]
        if not confidential.db_is_revealed(session, core, report):
            choices.append(reporter_name.show_choice(report))
        view = case_view.db_case_view(session, core, report, viewer=case_view.Viewer.REPORTER)
        shown = case_view.reporter_view(view, choices=tuple(choices))
        own = confidential.db_own_line(session, core, report)
        asked, answers = reveal.db_reporter_part(session, core, report)  # a consent request
        return [replace(shown, sections=(*shown.sections, *((own,) if own else ()), *asked),
                        choices=(*answers, *shown.choices))]
    if report.anonymous:
        # An anonymous reporter's visit writes nothing: a row written in their request, whatever
        # its time says, sits in the write order between rows with exact times (and next to the
        # traffic the platform shows of them). The visit is not audited.
        choice = answer_choice(core, report, actor=actor)
        view = case_view.db_case_view(session, core, report, viewer=case_view.Viewer.REPORTER)
        # issue 24: an anonymous reporter may put their name (sealed, or shown) on the report
        return [case_view.reporter_view(view, choices=(
            choice, reporter_choice(choice), reporter_name.link_choice(core, report, actor=actor)))]
    else:
        core.audit_event(session, actor=REPORTER, action=AuditAction.CASE_STATUS_VIEWED,
                         record_kind=REPORT, record_id=report.id)
        choice = answer_choice(core, report, person_id=person.id)
    view = case_view.db_case_view(session, core, report, viewer=case_view.Viewer.REPORTER)
    return [case_view.reporter_view(view, choices=(choice, reporter_choice(choice)))]


def answer_form(core: Core, person: Person, actor: Actor, token: str) -> list[Reply]:
    check_token(core, token, person=person, actor=actor)
    return [Form(actions.AnswerSubmit(token).encode(), following.ANSWER_THE_COMMITTEE, (
        FormField("answer", following.ANSWER_PROMPT, FieldKind.MULTILINE,
                  max_length=ANSWER_LIMIT),
    ), submit_label=following.ANSWER_SUBMIT)]


def db_answer(session: Session, core: Core, *, person: Person, actor: Actor, token: str,
              answer: str) -> list[Reply]:
    report_id = check_token(core, token, person=person, actor=actor, field="answer")
    report = session.get(Report, report_id)
    if report is None or report.shredded_at is not None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    answer = required_text("answer", answer, limit=ANSWER_LIMIT)
    hidden = report.anonymous or report.confidential  # dated by the day, held like the report
    if hidden and core.schedule.anonymous_delay_minutes > 0:
        # Held sealed and recorded later, like the report itself: this request writes nothing
        # of the case (its place in the write order would date the answer). See bot.pending.
        pending.db_hold_answer(session, core, report=report, answer=answer)
        return [Text(following.answer_held(report.code, core.schedule.anonymous_delay_minutes))]
    message_id = new_id()
    # With the delay off, an anonymous reporter's answer is still dated by its day.
    moment = core.today_start() if hidden else core.now()
    session.add(CaseMessage(
        id=message_id, report_id=report.id, direction=MessageDirection.ANSWER, author_id=None,
        created_at=moment,
        body=core.vault.seal(session, kind=RecordKind.CASE_MESSAGE, record_id=message_id,
                             data={"text": answer}),
    ))
    core.audit_event(session, actor=REPORTER, action=AuditAction.CASE_ANSWER, record_kind=REPORT,
                     record_id=report.id, detail={"message": message_id}, at=moment)
    db_enqueue(session, core.vault, now=moment, key=f"answer:{message_id}",
               target=CHANNEL,
               notice=sanitize.reminder(casework.answer_for_committee(report.code),
                                        ((case_labels.CASE, report.code),), report_id=report.id),
               platforms=core.platforms)
    designations.db_tell_designees(session, core, report, key=f"answer:{message_id}",
                                   moment=moment)  # issue 22
    return [Text(following.answer_recorded(report.code))]
