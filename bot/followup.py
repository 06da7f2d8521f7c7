"""The reporter's side of a case after submission: its status, the committee's questions, and
the reporter's answers.

A named reporter is recognised by the blind index of their roster id; an anonymous one by the
case code and the secret shown once. To answer, the reporter gets a short-lived token bound to
the case and to them (their roster id, or for an anonymous reporter their platform id, which is
used in the token's MAC and stored nowhere).
"""

from __future__ import annotations

import time

from sqlmodel import Session, col, select

from bot import codes, copy, sanitize
from bot.core import REPORTER, CandorError, Core, FieldError, db_report_by_code
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
from bot.outbox import db_enqueue
from bot.reports import REPORT, reporter_tag
from storage.models import CaseMessage, Person, Report, new_id
from storage.vocabulary import MessageDirection

ANSWER_LIMIT = 4000
# An anonymous reporter's answer button works for a few hours (time to write with care); past
# that, they open the case again with code and secret. A named reporter's lasts two months.
ANONYMOUS_TOKEN_SECONDS = 4 * 3600
NAMED_TOKEN_SECONDS = 60 * 24 * 3600
MY_REPORTS = "reporter:cases"  # a named reporter's cases, opened from a notice without details


def _mac(core: Core, report_id: str, expiry: int, who: tuple[str, ...]) -> str:
    return core.vault.tag("answer", report_id, str(expiry), *who)[:32]


def answer_choice(core: Core, report: Report, *, person_id: int | None = None,
                  actor: Actor | None = None) -> Choice:
    """The "Answer the committee" button, carrying a token for this reporter and case."""
    who: tuple[str, ...]
    if person_id is not None:
        expiry, who = int(time.time()) + NAMED_TOKEN_SECONDS, ("person", str(person_id))
    else:
        assert actor is not None
        expiry, who = int(time.time()) + ANONYMOUS_TOKEN_SECONDS, ("actor", actor.platform.value, actor.user_id)
    token = f"{report.id}.{expiry}.{_mac(core, report.id, expiry, who)}"
    return Choice("Answer the committee", f"answer:{token}", Style.PRIMARY)


def check_token(core: Core, token: str, *, person: Person, actor: Actor, field: str | None = None) -> str:
    """The case id a valid token opens for this person, or a refusal (beside `field` when the
    token has only expired, so a form keeps what the reporter typed)."""
    try:
        report_id, expiry_text, mac = token.split(".")
        expiry = int(expiry_text)
    except ValueError:
        raise CandorError(copy.case_not_found()) from None
    if expiry < time.time():
        raise (FieldError(field, copy.answer_window_closed(actor.platform)) if field
               else CandorError(copy.answer_window_closed(actor.platform)))
    candidates: list[tuple[str, ...]] = [("actor", actor.platform.value, actor.user_id)]
    if person.id is not None:
        candidates.append(("person", str(person.id)))
    if not any(_mac(core, report_id, expiry, who) == mac for who in candidates):
        raise CandorError(copy.case_not_found())
    return report_id


def db_reporter_case(session: Session, core: Core, person: Person, actor: Actor, args: list[str]) -> Report:
    """The case a reporter may see: theirs by name, or by code and secret."""
    if not args:
        raise CandorError(copy.status_usage(actor.platform))
    report = db_report_by_code(session, codes.format_code(args[0]))
    if report is None or report.shredded_at is not None:
        raise CandorError(copy.case_not_found())
    if report.anonymous:
        secret = codes.normalise("".join(args[1:]))
        if not secret or not report.secret_hash or not core.vault.verify_secret(secret, report.secret_hash):
            raise CandorError(copy.case_not_found())
    elif person.id is None or report.reporter_tag != reporter_tag(core, person.id):
        raise CandorError(copy.case_not_found())
    return report


def db_replace_typed_secret(session: Session, core: Core, person: Person, actor: Actor,
                            args: list[str]) -> list[Reply]:
    """`status CODE SECRET` typed into a chat that keeps its history: the secret is exposed. The
    case is not shown there; a valid secret is replaced by a new one, shown only privately (a
    document: a window or an ephemeral answer), and the old one stops working. The audit log
    records the replacement, never a secret."""
    try:
        report = db_reporter_case(session, core, person, actor, args)
    except CandorError:
        return [Text(copy.secret_typed_not_shown(actor.platform))]
    if not report.anonymous:  # a named case needs no secret: what was typed opens nothing
        return [Text(copy.secret_typed_not_shown(actor.platform))]
    secret = codes.new_secret()
    report.secret_hash = core.vault.hash_secret(codes.normalise(secret))
    session.add(report)
    core.audit_event(session, actor=REPORTER, action="case.secret_replaced", record_kind=REPORT,
                     record_id=report.id, detail={"reason": "typed_in_chat"})
    return [Text(copy.secret_exposed(actor.platform)),
            Document(copy.new_secret_title(), ((copy.receipt_heading(),
                                                copy.new_secret(report.code, secret, actor.platform)),))]


def db_status(session: Session, core: Core, person: Person, actor: Actor, args: list[str]) -> list[Reply]:
    report = db_reporter_case(session, core, person, actor, args)
    core.audit_event(session, actor=REPORTER, action="case.status_viewed", record_kind=REPORT,
                     record_id=report.id)
    sections: list[tuple[str, str]] = [
        ("Status", report.status.label),
        # An anonymous report is dated by its day only (its moment could point at its reporter).
        ("Received", report.received_at.strftime("%Y-%m-%d" if report.anonymous else "%Y-%m-%d %H:%M UTC")),
    ]
    if report.acknowledged_at:
        sections.append(("Acknowledged by the committee", report.acknowledged_at.strftime("%Y-%m-%d")))
    messages = session.exec(select(CaseMessage).where(CaseMessage.report_id == report.id)
                            .order_by(col(CaseMessage.created_at))).all()
    for message in messages:
        text = core.vault.open(session, kind="case_message", record_id=message.id, blob=message.body)
        heading = f"{message.direction.label}, {message.created_at:%Y-%m-%d %H:%M}"
        sections.append((heading, sanitize.neutralise(str(text.get("text", "")))))
    if not messages:
        sections.append(("Questions", "The committee has not asked anything yet."))
    if report.anonymous:
        choice = answer_choice(core, report, actor=actor)
    else:
        choice = answer_choice(core, report, person_id=person.id)
    return [Document(title=f"Case {report.code}", sections=tuple(sections), choices=(choice,))]


def answer_form(core: Core, person: Person, actor: Actor, token: str) -> list[Reply]:
    check_token(core, token, person=person, actor=actor)
    return [Form(f"answer:{token}", "Answer the committee", (
        FormField("answer", copy.answer_prompt(), FieldKind.MULTILINE, max_length=ANSWER_LIMIT),
    ), submit_label="Send answer")]


def db_answer(session: Session, core: Core, person: Person, actor: Actor, token: str, answer: str) -> list[Reply]:
    report_id = check_token(core, token, person=person, actor=actor, field="answer")
    report = session.get(Report, report_id)
    if report is None or report.shredded_at is not None:
        raise CandorError(copy.case_not_found())
    answer = answer.strip()
    if not answer:
        raise FieldError("answer", copy.required_field())
    if len(answer) > ANSWER_LIMIT:
        raise FieldError("answer", copy.too_long(ANSWER_LIMIT, len(answer)))
    message_id = new_id()
    session.add(CaseMessage(
        id=message_id, report_id=report.id, direction=MessageDirection.ANSWER, author_id=None,
        created_at=core.now(),
        body=core.vault.seal(session, kind="case_message", record_id=message_id, data={"text": answer}),
    ))
    core.audit_event(session, actor=REPORTER, action="case.answer", record_kind=REPORT,
                     record_id=report.id, detail={"message": message_id})
    db_enqueue(session, core.vault, now=core.now(), key=f"answer:{message_id}", target=CHANNEL,
               notice=sanitize.reminder(copy.answer_for_committee(report.code), (("Case", report.code),),
                                        report_id=report.id),
               platforms=core.platforms)
    return [Text(copy.answer_recorded(report.code))]
