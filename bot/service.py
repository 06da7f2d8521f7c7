"""The event pipeline adapters call, and the one route table. Each inbound event is one unit of
work: de-duplicated by its platform event id (`bot.once`), resolved to a roster person,
dispatched to its use case (`_command`, `_choice`, `_form_fields`: the routes), committed, then
answered. Adapters call `handle` (off the event loop: it does blocking database work) and render
the replies. Nothing here knows a platform's SDK.

May touch: it opens the unit of work and commits; everything it reads or writes is done by the
use-case modules (`bot.filing`, `bot.attesting`, `bot.committee`, ...) and views (`bot.views`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from bot import (
    access,
    actions,
    attesting,
    board,
    committee,
    conflicts,
    disclosures,
    drafts,
    filing,
    followup,
    once,
    receipts,
    report_form,
    retention,
    waivers,
)
from bot.codes import format_code
from bot.core import (
    CandorError,
    Core,
    FieldError,
    db_report_by_code,
    db_resolve,
    is_committee,
)
from bot.messages import (
    Actor,
    ChoiceClicked,
    Command,
    DirectMessage,
    Document,
    Form,
    FormErrors,
    Inbound,
    Keepable,
    Reply,
    Text,
)
from bot.relay import db_due_now
from bot.views import home
from bot.wording import following, menus, refusals, reporting
from storage import identities
from storage.db import Database
from storage.keyring import CryptoError
from storage.models import Person
from storage.vocabulary import Platform

log = logging.getLogger("candor.service")

MAX_INBOUND_TEXT = 20_000  # anything longer is refused before it is parsed


class _Refused(Exception):
    """Roll the unit of work back and answer with these replies."""

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__("refused")
        self.replies = replies


@dataclass
class Service:
    db: Database
    core: Core

    # --- entry points -----------------------------------------------------------------------

    def handle(self, event: Inbound) -> list[Reply]:
        """Handle one inbound event; a platform's retry of the same event id changes nothing."""
        verdicts: dict[tuple[str | None, str], bool] = {}
        for _ in range(3):
            try:
                return self._handle(event, verdicts)
            except followup.SecretCheck as check:
                # A reporter's secret: the unit of work was rolled back, the slow hash runs here,
                # holding no transaction (no SQLite write lock), and the event is handled again.
                verdicts[check.key] = check.verify(self.core.vault)
        log.error("a status check needed more secret checks than it can ask for")
        return [Text(refusals.internal_error())]

    def _handle(self, event: Inbound, verdicts: dict[tuple[str | None, str], bool]) -> list[Reply]:
        try:
            with self.db.write() as session:
                session.info[followup.VERDICTS] = verdicts
                if event.event_id and not once.db_first_time(session, self.core, event):
                    return []
                person = db_resolve(session, self.core, event.actor)
                if person is None:
                    if not isinstance(event, ChoiceClicked):
                        raise _Refused([Text(refusals.not_on_roster())])
                    # Someone off the roster clicked a case's button in the channel: refused, and
                    # the attempt goes to the audit log like any other refusal.
                    access.db_refuse_outsider(session, self.core, event.actor, event.value)
                    return [Text(refusals.not_on_roster())]
                try:
                    return self._dispatch(session, person, event)
                except CandorError as refusal:
                    # Refusals may have audited themselves (a member kept away): keep that.
                    return [Text(refusal.reply)]
        except _Refused as refused:
            return refused.replies
        except once.Duplicate:
            log.info("duplicate event ignored: %s", event.event_id)
            return []
        except CryptoError as exc:
            log.error("sealed data did not open: %s", type(exc).__name__)
            return [Text(refusals.internal_error())]

    def retry_blocked(self, platform: Platform | None = None) -> int:
        """The platform says the bot is back (added to the channel or the team again), or an
        operator fixed the setup: the notices it refused are due now. Returns how many."""
        with self.db.write() as session:
            return db_due_now(session, platform=platform, now=self.core.now())

    def knows(self, actor: Actor) -> bool:
        with self.db.read() as session:
            return identities.db_known(session, self.core.vault, actor.platform, actor.user_id)

    def keep_view(self, actor: Actor, replies: list[Keepable]) -> str:
        """Keep a form or a document for `actor`'s window (a Teams dialog) to open once, within
        ten minutes, on any server or after a restart: the one-time key its button carries."""
        with self.db.write() as session:
            return receipts.db_keep_view(session, self.core, actor=actor, replies=replies)

    def take_view(self, actor: Actor, key: str) -> list[Reply] | None:
        """What was kept under `key` for `actor`, handed out once; None when it was taken
        already, waited too long, or was kept for someone else (then it stays for them)."""
        with self.db.write() as session:
            taken = receipts.db_take_view(session, self.core, actor=actor, key=key)
        return None if taken is None else list(taken)

    def home(self, actor: Actor) -> list[Reply]:
        """The App Home / personal tab: an officer's attestation and cases, or the committee's
        open cases, overdue items and attestation roll."""
        with self.db.write() as session:
            person = db_resolve(session, self.core, actor)
            if person is None:
                return [Text(refusals.not_on_roster())]
            if is_committee(person):
                return [home.db_committee_home(session, self.core, person)]
            return [home.db_officer_home(session, self.core, person)]

    # --- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, session: Session, person: Person, event: Inbound) -> list[Reply]:
        if isinstance(event, DirectMessage):
            if len(event.text) > MAX_INBOUND_TEXT:
                return [Text(refusals.text_too_large())]
            return self._message(session, person, event.actor, event.text)
        if isinstance(event, Command):
            if len(event.args) > MAX_INBOUND_TEXT:
                return [Text(refusals.text_too_large())]
            return self._command(session, person, event.actor, event.name, event.args)
        if isinstance(event, ChoiceClicked):
            return self._choice(session, person, event.actor, event.value)
        return self._form(session, person, event.actor, event.form_id, event.values)

    def _message(self, session: Session, person: Person, actor: Actor, text: str) -> list[Reply]:
        draft, expired = drafts.db_load(session, self.core, actor)
        if draft is not None:
            return filing.db_advance(session, self.core, person, actor, draft, text)
        words = text.strip().split()
        first = words[0].lower().lstrip("/") if words else ""
        notes: list[Reply] = [Text(reporting.intake_draft_expired())] if expired else []
        if " ".join(w.lower() for w in words) in filing.START_WORDS:
            return notes + filing.db_offer(session, self.core, person, actor,
                                         history_kept=actor.surface.keeps_history)
        if first in {"ethics", "status", "attest", "help", "cases", "open", "waiver", "waivers"}:
            name = "attest" if first == "attest" else "ethics"
            args = " ".join(words[1:]) if first in {"ethics", "attest"} else " ".join(words)
            typed = args.split()
            if (actor.surface.keeps_history and name == "ethics" and len(typed) > 2
                    and typed[0].lower() == "status"):
                # A secret typed into a chat message stays in the chat's history: it is spent.
                return notes + followup.db_replace_typed_secret(session, self.core, person, actor,
                                                                typed[1:])
            replies = self._command(session, person, actor, name, args)
            return notes + _reopenable(replies, name, args)
        return notes + [home.menu(person)]

    def _command(self, session: Session, person: Person, actor: Actor, name: str,
                 args: str) -> list[Reply]:
        if name == "attest":
            return attesting.db_form(session, self.core, person)
        words = args.split()
        sub = words[0].lower() if words else "help"
        rest = words[1:]
        if sub == "report":
            # Each form carries a one-time token: submitting the same form twice files one report.
            members = filing.db_members(session, person)
            return [report_form.form(members, once=once.form_token(self.core))]
        if sub == "status":
            return followup.db_status(session, self.core, person, actor, rest)
        if sub == "cases":
            return committee.db_cases(session, self.core, person)
        if sub == "waiver":
            return waivers.db_form(session, self.core, person)
        if sub == "waivers":
            return waivers.db_register_view(session, self.core, person)
        if sub == "open":
            if not rest:
                raise CandorError(following.status_usage(actor.surface))
            report = db_report_by_code(session, format_code(rest[0]))
            if report is None:
                raise CandorError(refusals.case_not_found())
            return committee.db_view(session, self.core, person, report.id)
        return [Text(menus.help_text(committee=is_committee(person), surface=actor.surface))]

    def _choice(self, session: Session, person: Person, actor: Actor, value: str) -> list[Reply]:
        core, click = self.core, actions.parse(value)
        match click:
            case actions.IntakeStep(text):
                draft, _expired = drafts.db_load(session, core, actor)
                if draft is None:
                    return [Text(reporting.intake_draft_expired()), home.menu(person)]
                return filing.db_advance(session, core, person, actor, draft, text)
            case actions.Menu(item):
                typed = item if item in {"report", "attest", "status", "cases"} else "help"
                return self._message(session, person, actor, typed)
            case actions.Acknowledge(report_id):
                return committee.db_acknowledge(session, core, person, report_id)
            case actions.ViewCase(report_id):
                return committee.db_view(session, core, person, report_id)
            case actions.AskForm(report_id):
                return committee.db_ask_form(session, core, person, report_id)
            case actions.MoveForm(report_id, to):
                return committee.db_move_form(session, core, person, report_id, to)
            case actions.DetermineForm(report_id):
                return board.db_form(session, core, person, report_id)
            case actions.ExcludeForm(report_id):
                return conflicts.db_form(session, core, person, report_id)
            case actions.HoldForm(report_id):
                return retention.db_hold_form(session, core, person, report_id)
            case actions.DiscloseForm(waiver_id):
                return waivers.db_disclose_form(session, core, person, waiver_id)
            case actions.AnswerForm(token):
                return followup.answer_form(core, person, actor, token)
            case actions.ViewDisclosure(attestation_id):
                return disclosures.db_view(session, core, person, attestation_id)
            case actions.ReportAfterAttesting():
                return filing.db_offer(session, core, person, actor,
                                       history_kept=actor.surface.keeps_history)
            case actions.ChatReport():
                return filing.db_start(session, core, person, actor, chat=True)
            case actions.MyReports():
                return [home.db_my_reports(session, core, person)]
            case actions.Cmd(name, args):
                return self._command(session, person, actor, name, args)
        return [Text(refusals.not_understood())]

    def _form(self, session: Session, person: Person, actor: Actor, form_id: str,
              values: dict[str, Any]) -> list[Reply]:
        try:
            return self._form_fields(session, person, actor, form_id, values)
        except FieldError as refusal:
            return [FormErrors(form_id, {refusal.name: refusal.reply})]

    def _form_fields(self, session: Session, person: Person, actor: Actor, form_id: str,
                     values: dict[str, Any]) -> list[Reply]:
        core = self.core
        match actions.parse_form(form_id):
            case actions.ReportForm(token):
                return filing.db_submit_form(session, core, person, actor, form_id=form_id,
                                             token=token, values=values)
            case actions.AttestForm():
                return attesting.db_attest(session, core, person, form_id, values)
            case actions.AskSubmit(report_id):
                return committee.db_ask(session, core, member=person, report_id=report_id,
                                        question=_text(values, "question"))
            case actions.MoveSubmit(report_id, to):
                return committee.db_move(session, core, member=person, report_id=report_id,
                                         to=to, reason=_text(values, "reason"))
            case actions.DetermineSubmit(report_id):
                return board.db_submit(session, core, member=person, report_id=report_id,
                                       values=values)
            case actions.ExcludeSubmit(report_id):
                return conflicts.db_submit(session, core, member=person, report_id=report_id,
                                           chosen=values.get("member"))
            case actions.HoldSubmit(report_id):
                return retention.db_hold_submit(session, core, member=person, report_id=report_id,
                                                reason=_text(values, "reason"))
            case actions.WaiverSubmit():
                return waivers.db_submit(session, core, person, values)
            case actions.DiscloseSubmit(waiver_id):
                return waivers.db_submit_disclosure(session, core, person=person,
                                                   waiver_id=waiver_id, values=values)
            case actions.AnswerSubmit(token):
                return followup.db_answer(session, core, person=person, actor=actor, token=token,
                                          answer=_text(values, "answer"))
        return [Text(refusals.not_understood())]


def _reopenable(replies: list[Reply], name: str, args: str) -> list[Reply]:
    """Forms and documents asked for by a typed command carry the click that asks again, for an
    adapter that shows neither inside a message (Slack opens them in a window from a button)."""
    if len(args) > 100:
        return replies
    reopen = actions.Cmd(name, args).encode()
    return [replace(r, reopen=reopen) if isinstance(r, Form | Document) else r for r in replies]


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""
