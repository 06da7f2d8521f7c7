"""The report use case: a report typed in the chat (a draft advanced turn by turn) or sent in
a form, then recorded (or held, when anonymous, for `bot.pending` to record later) with a receipt.

Lives here: `db_offer` (what typing "report" gets), `db_start`, `db_advance`,
`db_submit_form`, `receipt`, and the daily limit on one person's anonymous reports
(`db_forget_counts` for the sweep). The conversation's steps are `bot.intake`'s (pure), the form
`bot.report_form`'s, a draft's keeping `bot.drafts`', a form's one-time token `bot.once`'s.
May touch: drafts, one-time tokens, kept receipts, the daily counters and the report's rows
through the caller's session (`bot.reports.db_submit`, `bot.pending.db_hold`); it never
commits (`bot.service` does).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import actions, drafts, intake, once, pending, receipts, report_form
from bot.core import Core
from bot.evidence import offers
from bot.messages import Actor, Choice, Choices, Document, FormErrors, Reply, Text
from bot.report_content import BY_NAME
from bot.reports import db_submit as db_record
from bot.schedule.calendar import local_date
from bot.wording import confidential as confidential_words
from bot.wording import refusals, reporting, typed
from storage.db import upsert_insert
from storage.models import Person, ReportCount
from storage.vocabulary import PersonKind, ReporterMode

log = logging.getLogger("candor.filing")



def db_members(session: Session, person: Person) -> list[intake.Member]:
    """Whom `person` may name as kept away from their report: the committee, less themselves,
    and the people the committee may designate (issue 22), their organisation beside their name."""
    # One read of both (each by name, the columns only), split by kind: every report form asks.
    people = [p for p in session.connection().execute(_MEMBERS) if p.id != person.id]
    return ([intake.Member(p.id, p.name) for p in people if p.kind is PersonKind.COMMITTEE]
            + [intake.Member(p.id, reporting.designee_name(p.name, p.affiliation or ""),
                             designee=True)
               for p in people if p.kind is PersonKind.DESIGNEE])


_PEOPLE = Person.__table__  # type: ignore[attr-defined]
_MEMBERS = (sa_select(_PEOPLE.c.id, _PEOPLE.c.name, _PEOPLE.c.kind, _PEOPLE.c.affiliation)
            .where(_PEOPLE.c.kind.in_([PersonKind.COMMITTEE, PersonKind.DESIGNEE]),
                   _PEOPLE.c.active == True)  # noqa: E712
            .order_by(_PEOPLE.c.name))  # built once


def db_offer(session: Session, core: Core, person: Person, actor: Actor, *,
             history_kept: bool) -> list[Reply]:
    """`report` typed in a chat that keeps history: the form (a button opening it in a
    window) is the way; typing here instead only after a plain sentence and a choice."""
    if not history_kept:
        return db_start(session, core, person, actor)
    form = replace(report_form.form(db_members(session, person), once=secrets.token_urlsafe(12),
                                    quorum=core.schedule.reveal_quorum),
                   reopen=actions.Cmd("ethics", "report").encode())
    return [form, Choices(reporting.CHAT_REPORT_WARNING,
                          (Choice(reporting.CHAT_REPORT_CHOICE, actions.ChatReport().encode()),))]


def db_start(session: Session, core: Core, person: Person, actor: Actor, *,
             chat: bool = False) -> list[Reply]:
    outcome = intake.start(db_members(session, person), chat=chat,
                           quorum=core.schedule.reveal_quorum)
    drafts.db_save(session, core, actor, outcome.draft)
    return outcome.replies


def db_advance(session: Session, core: Core, person: Person, actor: Actor, draft: intake.Draft,
               text: str) -> list[Reply]:
    members = db_members(session, person)
    if (" ".join(text.lower().split()) in typed.START
            and draft.step not in BY_NAME):  # in a text step, "report" is an answer
        # "report" again, mid-report: the draft is kept and its question asked again.
        return [Text(reporting.INTAKE_IN_PROGRESS), *intake.prompt(draft, members)]
    outcome = intake.advance(draft, text, members)
    if outcome.submit and draft.anonymous and _db_at_daily_limit(session, core, person):
        return [Text(reporting.ANONYMOUS_DAILY_LIMIT)]  # the draft is kept, nothing is filed
    if outcome.submit:
        drafts.db_save(session, core, actor, None)
        return _db_submit(session, core, person, actor, draft)
    drafts.db_save(session, core, actor, outcome.draft)
    return outcome.replies


def db_submit_form(session: Session, core: Core, person: Person, actor: Actor, *, form_id: str,
                   token: str, values: dict[str, Any]) -> list[Reply]:
    """The report form `form_id` (one-time `token`, if any) sent with `values`."""
    # Whom the reporter may keep away is read only when the form keeps someone away (a check of
    # the names chosen, which nothing else in the form needs).
    members = db_members(session, person) if values.get("exclude") else []
    checked = report_form.validate_form(values, members)
    if isinstance(checked, dict):
        return [FormErrors(form_id, checked)]
    if token and once.form_expired(token, core.now()):
        return [FormErrors(form_id, {"what": refusals.FORM_EXPIRED})]
    if (checked.anonymous and not (token and once.db_used(session, core, f"form:{token}"))
            and _db_at_daily_limit(session, core, person)):
        # Refused before the token is spent: the same form, sent again with the name, files.
        return [FormErrors(form_id, {"anonymous": reporting.ANONYMOUS_DAILY_LIMIT})]
    if token and not once.db_first_use(session, core, f"form:{token}"):
        # The same form sent again (a Teams card stays on screen, and can be clicked twice;
        # a modal whose acknowledgement was lost is submitted again): its receipt, while
        # kept, else a plain "already submitted". Never a second report.
        kept = receipts.db_again(session, core, token=token, actor=actor)
        if kept is None:
            return [Text(refusals.FORM_ALREADY_SUBMITTED)]
        if kept.way is ReporterMode.CONFIDENTIAL:
            shown = confidential_receipt(kept.code, core)
        else:
            shown = receipt(kept.code, kept.secret, actor, core.schedule.anonymous_delay_minutes)
        return [replace(shown, sections=(*shown.sections, offers.receipt_again(core)))]
    return _db_submit(session, core, person, actor, checked, token=token or None)


def _db_submit(session: Session, core: Core, person: Person, actor: Actor, draft: intake.Draft,
               *, token: str | None = None) -> list[Reply]:
    if draft.anonymous:
        _db_count_anonymous(session, core, person)
    if (draft.anonymous or draft.confidential) and core.schedule.anonymous_delay_minutes > 0:
        # Held sealed and recorded later by the recorder: this transaction writes nothing keyed
        # to the person (a typed draft was deleted by `db_advance`; a form's leaves any other
        # draft of theirs alone). See bot.pending.
        held = pending.db_hold(session, core, draft=draft, person=person,
                               platform=actor.platform)
    else:
        held = db_record(session, core, draft=draft, person=person, platform=actor.platform)
        drafts.db_save(session, core, actor, None)
    if not (draft.anonymous or draft.confidential):
        # Named only: a log line's time would date an anonymous or confidential report (each
        # dated by its day) to the second.
        log.info("report recorded", extra={"report": held.report_id})
    if token:  # a form's one-time token: the receipt can be shown again on a repeat submit
        receipts.db_keep(session, core, token=token, actor=actor, code=held.code,
                         secret=held.secret,
                         way=(ReporterMode.CONFIDENTIAL if draft.confidential
                              else ReporterMode.ANONYMOUS if draft.anonymous
                              else ReporterMode.NAMED))
    shown = (confidential_receipt(held.code, core) if draft.confidential
             else receipt(held.code, held.secret, actor, core.schedule.anonymous_delay_minutes))
    # evidence files (issue 23): an upload link for this report, in the private receipt; an
    # anonymous or confidential reporter's files are scrubbed of the names in their details
    hidden = bool(draft.anonymous or draft.confidential)
    waiting = pending.db_held(session, core, held.code) if hidden else None
    documents = offers.db_receipt_section(
        session, core, report_id=held.report_id, code=held.code, anonymous=hidden,
        pending_id=waiting.pending_id if waiting is not None else None)
    return [replace(shown, sections=(*shown.sections, documents))]


def confidential_receipt(code: str, core: Core) -> Document:
    """A confidential report's receipt (issue 24): its code, and what confidential means."""
    return Document(reporting.RECEIPT_TITLE, (
        (reporting.RECEIPT_HEADING,
         confidential_words.receipt_confidential(code, core.schedule.reveal_quorum)),))


# --- the daily limit on anonymous reports --------------------------------------------------------
# Counted per person and day under a keyed tag of both, in a row that holds no report id and no
# time but the day: without the key it names no one; with it, it tells how many anonymous reports
# someone filed that day, never which. A new day is a new tag, so days are not linked.


def _count_subject(core: Core, person: Person) -> str:
    return core.vault.tag("anonymous-daily", str(person.id), core.today().isoformat())


def _db_at_daily_limit(session: Session, core: Core, person: Person) -> bool:
    row = session.get(ReportCount, _count_subject(core, person))
    return row is not None and row.reports >= core.schedule.anonymous_daily_limit


def _db_count_anonymous(session: Session, core: Core, person: Person) -> None:
    # One statement: two reports of one person at the same moment both count (a read, then an
    # insert, would let the second fail on the first's new row, on PostgreSQL).
    table = ReportCount.__table__  # type: ignore[attr-defined]
    session.execute(upsert_insert(session.get_bind().dialect.name)(table)
                    .values(subject=_count_subject(core, person), day=core.today(), reports=1)
                    .on_conflict_do_update(index_elements=[table.c.subject],
                                           set_={"reports": table.c.reports + 1}))


def db_forget_counts(session: Session, core: Core, *, now: datetime) -> int:
    """Delete the daily counters of days before `now`'s."""
    today = local_date(now, core.timezone)
    rows = session.exec(select(ReportCount).where(col(ReportCount.day) < today)).all()
    for row in rows:
        session.delete(row)
    return len(rows)


def receipt(code: str, secret: str | None, actor: Actor, delay_minutes: int) -> Document:
    """A receipt is a private document: a window or an ephemeral answer, never a chat message."""
    if secret:
        text = reporting.receipt_anonymous(code, secret, actor.surface, delay_minutes=delay_minutes)
    else:
        text = reporting.receipt_named(code, actor.surface)
    return Document(reporting.RECEIPT_TITLE, ((reporting.RECEIPT_HEADING, text),))
