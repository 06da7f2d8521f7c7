"""A reporter's own choices about their name (issue 24): a confidential reporter shows it to the
committee ("Show my name to the committee", confirmed in a form, then `confidential.db_reveal`
with `RevealHow.REPORTER`); an anonymous reporter puts it on their report, confidential or shown,
after the plain warning that this links their account to the case from then on.

The anonymous path is reached only from the status view opened with code and secret: its button
carries a short-lived token bound to the case and to the account that opened it (a keyed tag of
both; the account is stored nowhere), as the answer button is (`bot.followup`).
Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlmodel import Session

from bot import actions, confidential
from bot.core import REPORTER, CandorError, Core, FieldError, actor_id
from bot.fields import FormReader
from bot.messages import Actor, Choice, FieldKind, Form, FormField, Reply, Style, Text
from bot.report_content import ReportContent
from bot.reports import REPORT, db_content, named_reporter, reporter_tag
from bot.wording import confidential as words
from bot.wording import refusals
from storage.models import Person, Report
from storage.vocabulary import AuditAction, ReporterMode, RevealHow

# As long as an anonymous reporter's answer button: time to read the warning and decide.
LINK_TOKEN_SECONDS = 4 * 3600


# --- a confidential reporter shows their name ----------------------------------------------


def show_choice(report: Report) -> Choice:
    return Choice(words.SHOW_MY_NAME, actions.ShowNameForm(report.id).encode())


def _db_own(session: Session, core: Core, person: Person, report_id: str,
            attempt: str) -> Report:
    """The confidential case `person` made, or a refusal (audited when the case exists)."""
    report = session.get(Report, report_id)
    if report is None or report.shredded_at is not None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    if not confidential.db_is_own(session, core, report, person):
        raise core.refused(words.NOT_CONFIDENTIAL, actor=actor_id(person),
                           action=AuditAction.CASE_REFUSED, record_kind=REPORT,
                           record_id=report.id, detail={"attempt": attempt})
    return report


def db_show_form(session: Session, core: Core, person: Person, report_id: str) -> list[Reply]:
    report = _db_own(session, core, person, report_id, "show_name")
    if confidential.db_is_revealed(session, core, report):
        return [Text(words.ALREADY_SHOWN)]
    return [Form(actions.ShowNameSubmit(report.id).encode(), words.SHOW_MY_NAME_TITLE, (
        FormField("confirm", words.SHOW_MY_NAME_FIELD, FieldKind.BOOLEAN),
    ), submit_label=words.SHOW_MY_NAME_SUBMIT, intro=words.SHOW_MY_NAME_CONFIRM)]


def db_show(session: Session, core: Core, person: Person, *, report_id: str,
            values: dict[str, Any]) -> list[Reply]:
    report = _db_own(session, core, person, report_id, "show_name")
    form = FormReader(values)
    if form.yes_no("confirm") is not True:
        raise FieldError("confirm", words.CONFIRM_REQUIRED)
    if confidential.db_is_revealed(session, core, report):
        return [Text(words.ALREADY_SHOWN)]
    # dated by the day: the minute of the reporter's own act would line up with their visit
    confidential.db_reveal(session, core, report, how=RevealHow.REPORTER, reason=None,
                           by=REPORTER, at=core.today_start())
    return [Text(words.NAME_NOW_SHOWN)]


# --- an anonymous reporter puts their name on the report ------------------------------------


def _mac(core: Core, report_id: str, expiry: int, actor: Actor, *, all_keys: bool) -> list[str]:
    parts = ("name-report", report_id, str(expiry), actor.platform.value, actor.user_id)
    if all_keys:
        return [tag[:32] for tag in core.vault.tags(*parts)]
    return [core.vault.tag(*parts)[:32]]


def link_choice(core: Core, report: Report, *, actor: Actor) -> Choice:
    """The "Put my name on this report" button, for the account that opened the case."""
    expiry = int(core.now().timestamp()) + LINK_TOKEN_SECONDS
    token = f"{report.id}.{expiry}.{_mac(core, report.id, expiry, actor, all_keys=False)[0]}"
    return Choice(words.ADD_MY_NAME, actions.LinkNameForm(token).encode(), Style.DEFAULT)


def _check(core: Core, token: str, actor: Actor) -> str:
    try:
        report_id, expiry_text, mac = token.split(".")
        expiry = int(expiry_text)
    except ValueError:
        raise CandorError(refusals.CASE_NOT_FOUND) from None
    if expiry < core.now().timestamp():
        raise CandorError(words.ADD_MY_NAME_EXPIRED)
    if not any(hmac.compare_digest(m, mac)
               for m in _mac(core, report_id, expiry, actor, all_keys=True)):
        raise CandorError(refusals.CASE_NOT_FOUND)
    return report_id


LINK_OPTIONS = (Choice(words.CONFIDENTIAL_CHOICE, ReporterMode.CONFIDENTIAL.value),
                Choice(words.NAMED_CHOICE, ReporterMode.NAMED.value))


def link_form(core: Core, person: Person, actor: Actor, token: str) -> list[Reply]:
    _check(core, token, actor)
    return [Form(actions.LinkNameSubmit(token).encode(), words.ADD_MY_NAME_TITLE, (
        FormField("identity", words.ADD_MY_NAME_CHOICE, FieldKind.BOOLEAN, options=LINK_OPTIONS),
    ), submit_label=words.ADD_MY_NAME_SUBMIT, intro=words.ADD_MY_NAME_WARNING)]


def db_link(session: Session, core: Core, person: Person, *, actor: Actor, token: str,
            values: dict[str, Any]) -> list[Reply]:
    """Link the account to the anonymous case: confidential (sealed apart) or named. The secret
    stops working (the reporter follows it under My reports); audited without the person."""
    report = session.get(Report, _check(core, token, actor))
    if report is None or report.shredded_at is not None or not report.anonymous:
        raise CandorError(refusals.CASE_NOT_FOUND)
    chosen = FormReader(values).one_of("identity", {o.value for o in LINK_OPTIONS},
                                       missing=words.CHOOSE_NAMED_OR_CONFIDENTIAL)
    if chosen is None or person.id is None:
        raise FieldError("identity", words.CHOOSE_NAMED_OR_CONFIDENTIAL)
    mode = ReporterMode(chosen)
    report.anonymous = False
    report.secret_hash = None
    if mode is ReporterMode.CONFIDENTIAL:
        report.confidential = True
        confidential.db_seal(session, core, report_id=report.id,
                             reporter=named_reporter(person, actor.platform))
    else:
        content = db_content(session, core, report)
        named = ReportContent(content.texts, named_reporter(person, actor.platform),
                              content.holds)
        report.body = core.vault.seal(session, kind=REPORT, record_id=report.id,
                                      data=named.to_json())
        report.reporter_tag = reporter_tag(core, person.id)
    session.add(report)
    # Still confidential, the case is dated by its day in every plain row, this one too: its
    # moment would line up with the reporter's visit, seen on the platform.
    core.audit_event(session, actor=REPORTER, action=AuditAction.REPORTER_NAMED,
                     record_kind=REPORT, record_id=report.id, detail={"to": mode.value},
                     at=core.today_start() if mode is ReporterMode.CONFIDENTIAL else None)
    return [Text(words.ADD_MY_NAME_DONE_CONFIDENTIAL if mode is ReporterMode.CONFIDENTIAL
                 else words.ADD_MY_NAME_DONE_NAMED)]
