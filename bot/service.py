"""The use cases adapters call. Each inbound event is one unit of work: de-duplicated by its
platform event id, resolved to a roster person, dispatched, committed, then answered.

Adapters call `handle` (off the event loop: it does blocking database work) and render the
replies. Nothing here knows a platform's SDK.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from bot import (
    attestation,
    attesting,
    board,
    committee,
    conflicts,
    copy,
    disclosures,
    drafts,
    followup,
    intake,
    once,
    pending,
    receipts,
    retention,
    waivers,
)
from bot.codes import format_code
from bot.core import (
    CandorError,
    Core,
    FieldError,
    db_committee,
    db_report_by_code,
    db_resolve,
    is_committee,
)
from bot.messages import (
    Actor,
    Choice,
    ChoiceClicked,
    Choices,
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
from bot.reports import db_reports_of, db_submit
from bot.views import home
from storage import identities
from storage.crypto import CryptoError
from storage.db import Database
from storage.models import Person
from storage.vocabulary import Platform

log = logging.getLogger("candor.service")

MAX_INBOUND_TEXT = 20_000  # anything longer is refused before it is parsed
_START_WORDS = {"report", "i have a concern", "concern", "new report", "report a concern"}
# Platforms whose chat keeps what is typed and sent in it (Slack: exports and the Discovery API;
# Teams: Purview eDiscovery collects 1:1 chats): there a report is made in a form, case content is
# shown in a window (a Slack modal, a Teams dialog) or privately, and a secret typed into the chat
# is treated as exposed. The console keeps nothing.
_HISTORY_KEPT = frozenset({Platform.SLACK, Platform.TEAMS})
CHAT_REPORT = "chatreport:start"  # the officer chose to type the report in the chat anyway


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
        return [Text(copy.internal_error())]

    def _handle(self, event: Inbound, verdicts: dict[tuple[str | None, str], bool]) -> list[Reply]:
        try:
            with self.db.write() as session:
                session.info[followup.VERDICTS] = verdicts
                if event.event_id and not once.db_first_time(session, self.core, event):
                    return []
                person = db_resolve(session, self.core, event.actor)
                if person is None:
                    if not isinstance(event, ChoiceClicked):
                        raise _Refused([Text(copy.not_on_roster())])
                    # Someone off the roster clicked a case's button in the channel: refused, and
                    # the attempt goes to the audit log like any other refusal.
                    committee.db_refuse_outsider(session, self.core, event.actor, event.value)
                    return [Text(copy.not_on_roster())]
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
            return [Text(copy.internal_error())]

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
                return [Text(copy.not_on_roster())]
            if is_committee(person):
                return [home.db_committee_home(session, self.core, person)]
            return [home.db_officer_home(session, self.core, person)]

    # --- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, session: Session, person: Person, event: Inbound) -> list[Reply]:
        if isinstance(event, DirectMessage):
            if len(event.text) > MAX_INBOUND_TEXT:
                return [Text(copy.text_too_large())]
            return self._message(session, person, event.actor, event.text)
        if isinstance(event, Command):
            if len(event.args) > MAX_INBOUND_TEXT:
                return [Text(copy.text_too_large())]
            return self._command(session, person, event.actor, event.name, event.args)
        if isinstance(event, ChoiceClicked):
            return self._choice(session, person, event.actor, event.value)
        return self._form(session, person, event.actor, event.form_id, event.values)

    def _message(self, session: Session, person: Person, actor: Actor, text: str) -> list[Reply]:
        draft, expired = drafts.db_load(session, self.core, actor)
        if draft is not None:
            return self._advance(session, person, actor, draft, text)
        words = text.strip().split()
        first = words[0].lower().lstrip("/") if words else ""
        notes: list[Reply] = [Text(copy.intake_draft_expired())] if expired else []
        if " ".join(w.lower() for w in words) in _START_WORDS:
            return notes + self._report_offer(session, person, actor)
        if first in {"ethics", "status", "attest", "help", "cases", "open", "waiver", "waivers"}:
            name = "attest" if first == "attest" else "ethics"
            args = " ".join(words[1:]) if first in {"ethics", "attest"} else " ".join(words)
            typed = args.split()
            if (actor.platform in _HISTORY_KEPT and name == "ethics" and len(typed) > 2
                    and typed[0].lower() == "status"):
                # A secret typed into a chat message stays in the chat's history: it is spent.
                return notes + followup.db_replace_typed_secret(session, self.core, person, actor, typed[1:])
            return notes + _reopenable(self._command(session, person, actor, name, args), name, args)
        return notes + [home.menu(person)]

    def _command(self, session: Session, person: Person, actor: Actor, name: str, args: str) -> list[Reply]:
        if name == "attest":
            return attesting.db_form(session, self.core, person)
        words = args.split()
        sub = words[0].lower() if words else "help"
        rest = words[1:]
        if sub == "report":
            # Each form carries a one-time token: submitting the same form twice files one report.
            return [intake.form(self._members(session, person), once=once.form_token(self.core))]
        if sub == "status":
            return followup.db_status(session, self.core, person, actor, rest)
        if sub == "cases":
            return committee.db_cases(session, self.core, person)
        if sub == "waiver":
            return waivers.form(session, self.core, person)
        if sub == "waivers":
            return waivers.register(session, self.core, person)
        if sub == "open":
            if not rest:
                raise CandorError(copy.status_usage(actor.platform))
            report = db_report_by_code(session, format_code(rest[0]))
            if report is None:
                raise CandorError(copy.case_not_found())
            return committee.db_view(session, self.core, person, report.id)
        return [Text(copy.help_text(committee=is_committee(person), platform=actor.platform))]

    def _choice(self, session: Session, person: Person, actor: Actor, value: str) -> list[Reply]:
        if value.startswith(intake.PREFIX):
            draft, _expired = drafts.db_load(session, self.core, actor)
            if draft is None:
                return [Text(copy.intake_draft_expired()), home.menu(person)]
            return self._advance(session, person, actor, draft, value)
        verb, _, rest = value.partition(":")
        if verb == "menu":
            return self._message(session, person, actor, {"report": "report", "attest": "attest",
                                                          "status": "status", "cases": "cases"}.get(rest, "help"))
        if verb == "case":
            action, _, arg = rest.partition(":")
            if action == "ack":
                return committee.db_acknowledge(session, self.core, person, arg)
            if action == "view":
                return committee.db_view(session, self.core, person, arg)
            if action == "ask":
                return committee.ask_form(session, self.core, person, arg)
            if action == "move":
                report_id, _, to = arg.partition(":")
                return committee.move_form(session, self.core, person, report_id, to)
            if action == "determine":
                return board.form(session, self.core, person, arg)
            if action == "exclude":
                return conflicts.form(session, self.core, person, arg)
            if action == "hold":
                return retention.hold_form(session, self.core, person, arg)
        if verb == "waiver" and rest.startswith("disclose:"):
            return waivers.disclose_form(session, self.core, person, rest.partition(":")[2])
        if verb == "answer":
            return followup.answer_form(self.core, person, actor, rest)
        if value.startswith(disclosures.VIEW):
            return disclosures.db_view(session, self.core, person, value.removeprefix(disclosures.VIEW))
        if verb == "attest" and rest == "report":
            return self._report_offer(session, person, actor)
        if value == CHAT_REPORT:
            return self._start_intake(session, person, actor, chat=True)
        if value == followup.MY_REPORTS:
            return [self._my_reports(session, person)]
        if verb == "cmd":
            name, _, args = rest.partition(":")
            if name in {"ethics", "attest"}:
                return self._command(session, person, actor, name, args)
        return [Text(copy.not_understood())]

    def _form(self, session: Session, person: Person, actor: Actor, form_id: str,
              values: dict[str, Any]) -> list[Reply]:
        try:
            return self._form_fields(session, person, actor, form_id, values)
        except FieldError as refusal:
            return [FormErrors(form_id, {refusal.name: refusal.reply})]

    def _form_fields(self, session: Session, person: Person, actor: Actor, form_id: str,
                     values: dict[str, Any]) -> list[Reply]:
        verb, _, rest = form_id.partition(":")
        if verb == intake.FORM_ID:
            members = self._members(session, person)
            checked = intake.validate_form(values, members)
            if isinstance(checked, dict):
                return [FormErrors(form_id, checked)]
            if rest and once.form_expired(rest, self.core.now()):
                return [FormErrors(form_id, {"what": copy.form_expired()})]
            if rest and not once.db_first_use(session, self.core, f"form:{rest}"):
                # The same form sent again (a Teams card stays on screen, and can be clicked twice;
                # a modal whose acknowledgement was lost is submitted again): its receipt, while
                # kept, else a plain "already submitted". Never a second report.
                kept = receipts.db_again(session, self.core, token=rest)
                if kept is None:
                    return [Text(copy.form_already_submitted())]
                return [self._receipt(kept.code, kept.secret, actor, self.core.schedule.anonymous_delay_minutes)]
            return self._submit(session, person, actor, checked, token=rest or None)
        if verb == attestation.FORM_ID:
            return attesting.db_attest(session, self.core, person, form_id, values)
        if verb == "ask":
            return committee.db_ask(session, self.core, person, rest, _text(values, "question"))
        if verb == "move":
            report_id, _, to = rest.partition(":")
            return committee.db_move(session, self.core, person, report_id, to, _text(values, "reason"))
        if verb == board.FORM_PREFIX:
            return board.db_submit(session, self.core, person, rest, values)
        if verb == conflicts.FORM_PREFIX:
            return conflicts.db_submit(session, self.core, person, rest, values.get("member"))
        if verb == retention.FORM_PREFIX:
            return retention.db_hold_submit(session, self.core, person, rest, _text(values, "reason"))
        if form_id == waivers.FORM_ID:
            return waivers.db_submit(session, self.core, person, values)
        if verb == waivers.DISCLOSE_PREFIX:
            return waivers.db_submit_disclosure(session, self.core, person, rest, values)
        if verb == "answer":
            return followup.db_answer(session, self.core, person, actor, rest, _text(values, "answer"))
        return [Text(copy.not_understood())]

    # --- intake -----------------------------------------------------------------------------

    def _members(self, session: Session, person: Person) -> list[intake.Member]:
        return [intake.Member(p.id, p.name) for p in db_committee(session)
                if p.id is not None and p.id != person.id]

    def _report_offer(self, session: Session, person: Person, actor: Actor) -> list[Reply]:
        """`report` typed in a chat that keeps history: the form (a button opening it in a
        window) is the way; typing here instead only after a plain sentence and a choice."""
        if actor.platform not in _HISTORY_KEPT:
            return self._start_intake(session, person, actor)
        form = replace(intake.form(self._members(session, person), once=secrets.token_urlsafe(12)),
                       reopen="cmd:ethics:report")
        return [form, Choices(copy.chat_report_warning(), (Choice(copy.chat_report_choice(), CHAT_REPORT),))]

    def _my_reports(self, session: Session, person: Person) -> Document:
        """A named reporter's cases, each opening its status (questions and answers) privately."""
        cases = db_reports_of(session, self.core, person)
        listing = "\n".join(f"{r.code}: {r.status.label}" for r in cases) or copy.no_named_reports()
        return Document(copy.my_reports_title(), ((copy.my_reports_heading(), listing),),
                        tuple(Choice(f"Open {r.code}", f"cmd:ethics:status {r.code}") for r in cases[-10:]))

    def _start_intake(self, session: Session, person: Person, actor: Actor, *, chat: bool = False) -> list[Reply]:
        outcome = intake.start(self._members(session, person), chat=chat)
        drafts.db_save(session, self.core, actor, outcome.draft)
        return outcome.replies

    def _advance(self, session: Session, person: Person, actor: Actor, draft: intake.Draft, text: str) -> list[Reply]:
        members = self._members(session, person)
        if " ".join(text.lower().split()) in _START_WORDS and draft.step not in {intake.Step.WHAT,
                                                                                  intake.Step.WHO}:
            # "report" again, mid-report: the draft is kept and its question asked again.
            return [Text(copy.intake_in_progress()), *intake.prompt(draft, members)]
        outcome = intake.advance(draft, text, members)
        if outcome.submit:
            drafts.db_save(session, self.core, actor, None)
            return self._submit(session, person, actor, draft)
        drafts.db_save(session, self.core, actor, outcome.draft)
        return outcome.replies

    def _submit(self, session: Session, person: Person, actor: Actor, draft: intake.Draft, *,
                token: str | None = None) -> list[Reply]:
        if draft.anonymous and self.core.schedule.anonymous_delay_minutes > 0:
            # Held sealed and recorded later by the recorder: this transaction writes nothing keyed
            # to the person (a typed draft was deleted by `_advance`; a form's leaves any other
            # draft of theirs alone). See bot.pending.
            receipt = pending.db_hold(session, self.core, draft=draft, person=person, platform=actor.platform)
        else:
            receipt = db_submit(session, self.core, draft=draft, person=person, platform=actor.platform)
            drafts.db_save(session, self.core, actor, None)
        if not receipt.secret:  # a log line's time would date an anonymous report to the second
            log.info("report recorded", extra={"report": receipt.report_id})
        if token:  # a form's one-time token: the receipt can be shown again on a repeat submit
            receipts.db_keep(session, self.core, token=token, code=receipt.code, secret=receipt.secret)
        return [self._receipt(receipt.code, receipt.secret, actor, self.core.schedule.anonymous_delay_minutes)]

    @staticmethod
    def _receipt(code: str, secret: str | None, actor: Actor, delay_minutes: int) -> Document:
        """A receipt is a private document: a window or an ephemeral answer, never a chat message."""
        if secret:
            text = copy.receipt_anonymous(code, secret, actor.platform, delay_minutes=delay_minutes)
        else:
            text = copy.receipt_named(code, actor.platform)
        return Document(copy.receipt_title(), ((copy.receipt_heading(), text),))


def _reopenable(replies: list[Reply], name: str, args: str) -> list[Reply]:
    """Forms and documents asked for by a typed command carry the click that asks again, for an
    adapter that shows neither inside a message (Slack opens them in a window from a button)."""
    if len(args) > 100:
        return replies
    return [replace(r, reopen=f"cmd:{name}:{args}") if isinstance(r, Form | Document) else r for r in replies]


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""
