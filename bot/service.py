"""The use cases adapters call. Each inbound event is one unit of work: de-duplicated by its
platform event id, resolved to a roster person, dispatched, committed, then answered.

Adapters call `handle` (off the event loop: it does blocking database work) and render the
replies. Nothing here knows a platform's SDK.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import (
    attestation,
    board,
    committee,
    conflicts,
    disclosures,
    followup,
    housekeeping,
    intake,
    pending,
    receipts,
    retention,
    schedule,
    visibility,
    waivers,
)
from bot.codes import format_code
from bot.core import (
    CandorError,
    Core,
    FieldError,
    actor_id,
    db_committee,
    db_exclusions,
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
from bot.wording import attesting, following, menus, refusals, reporting
from storage import identities
from storage.crypto import CryptoError
from storage.db import Database
from storage.models import (
    Attestation,
    Conversation,
    Disclosure,
    InboundEvent,
    Person,
    Report,
    new_id,
)
from storage.vocabulary import CaseStatus, PersonKind, Platform

log = logging.getLogger("candor.service")

MAX_INBOUND_TEXT = 20_000  # anything longer is refused before it is parsed
_START_WORDS = {"report", "i have a concern", "concern", "new report", "report a concern"}
CHAT_REPORT = "chatreport:start"  # the officer chose to type the report in the chat anyway


class _Duplicate(Exception):
    """A concurrent delivery of the same event id committed first."""


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
                if event.event_id and not _first_time(session, event, self.core):
                    return []
                person = db_resolve(session, self.core, event.actor)
                if person is None:
                    if not isinstance(event, ChoiceClicked):
                        raise _Refused([Text(refusals.not_on_roster())])
                    # Someone off the roster clicked a case's button in the channel: refused, and
                    # the attempt goes to the audit log like any other refusal.
                    committee.db_refuse_outsider(session, self.core, event.actor, event.value)
                    return [Text(refusals.not_on_roster())]
                try:
                    return self._dispatch(session, person, event)
                except CandorError as refusal:
                    # Refusals may have audited themselves (a member kept away): keep that.
                    return [Text(refusal.reply)]
        except _Refused as refused:
            return refused.replies
        except _Duplicate:
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
                return [self._committee_home(session, person)]
            return [self._officer_home(session, person)]

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
        draft, expired = self._load_draft(session, actor)
        if draft is not None:
            return self._advance(session, person, actor, draft, text)
        words = text.strip().split()
        first = words[0].lower().lstrip("/") if words else ""
        notes: list[Reply] = [Text(reporting.intake_draft_expired())] if expired else []
        if " ".join(w.lower() for w in words) in _START_WORDS:
            return notes + self._report_offer(session, person, actor)
        if first in {"ethics", "status", "attest", "help", "cases", "open", "waiver", "waivers"}:
            name = "attest" if first == "attest" else "ethics"
            args = " ".join(words[1:]) if first in {"ethics", "attest"} else " ".join(words)
            typed = args.split()
            if (actor.surface.keeps_history and name == "ethics" and len(typed) > 2
                    and typed[0].lower() == "status"):
                # A secret typed into a chat message stays in the chat's history: it is spent.
                return notes + followup.db_replace_typed_secret(session, self.core, person, actor, typed[1:])
            return notes + _reopenable(self._command(session, person, actor, name, args), name, args)
        return notes + [self._menu(person)]

    def _command(self, session: Session, person: Person, actor: Actor, name: str, args: str) -> list[Reply]:
        if name == "attest":
            return self._attest_form(session, person)
        words = args.split()
        sub = words[0].lower() if words else "help"
        rest = words[1:]
        if sub == "report":
            # Each form carries a one-time token: submitting the same form twice files one report.
            return [intake.form(self._members(session, person), once=self._form_token())]
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
                raise CandorError(following.status_usage(actor.surface))
            report = db_report_by_code(session, format_code(rest[0]))
            if report is None:
                raise CandorError(refusals.case_not_found())
            return committee.db_view(session, self.core, person, report.id)
        return [Text(menus.help_text(committee=is_committee(person), surface=actor.surface))]

    def _choice(self, session: Session, person: Person, actor: Actor, value: str) -> list[Reply]:
        if value.startswith(intake.PREFIX):
            draft, _expired = self._load_draft(session, actor)
            if draft is None:
                return [Text(reporting.intake_draft_expired()), self._menu(person)]
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
        return [Text(refusals.not_understood())]

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
            if rest and housekeeping.form_expired(rest, self.core.now()):
                return [FormErrors(form_id, {"what": refusals.form_expired()})]
            if rest and not _first_use(session, self.core, f"form:{rest}"):
                # The same form sent again (a Teams card stays on screen, and can be clicked twice;
                # a modal whose acknowledgement was lost is submitted again): its receipt, while
                # kept, else a plain "already submitted". Never a second report.
                kept = receipts.db_again(session, self.core, token=rest)
                if kept is None:
                    return [Text(refusals.form_already_submitted())]
                return [self._receipt(kept.code, kept.secret, actor, self.core.schedule.anonymous_delay_minutes)]
            return self._submit(session, person, actor, checked, once=rest or None)
        if verb == attestation.FORM_ID:
            return self._attest(session, person, form_id, values)
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
        return [Text(refusals.not_understood())]

    def _form_token(self) -> str:
        """A form's one-time token: submitting the same form twice files once."""
        return housekeeping.form_token(self.core.now(), secrets.token_urlsafe(12))

    # --- menu and home ----------------------------------------------------------------------

    def _menu(self, person: Person) -> Choices:
        choices = [Choice("Report a concern", "menu:report"), Choice("Check a case", "menu:status")]
        if person.kind is PersonKind.OFFICER:
            choices.insert(1, Choice("Annual attestation", "menu:attest"))
            return Choices(menus.menu_officer(), tuple(choices + [Choice("Help", "menu:help")]))
        choices.insert(0, Choice("Open cases", "menu:cases"))
        return Choices(menus.menu_committee(), tuple(choices + [Choice("Help", "menu:help")]))

    def _officer_home(self, session: Session, person: Person) -> Document:
        today = self.core.today()
        owed = _owed(session, person, today)
        last = _last_attestation(session, person)
        if last is not None and not owed.is_open(today):
            status = attesting.attest_home_done(last.period, f"{last.attested_at:%Y-%m-%d}",
                                                owed.opens_on.isoformat())
        elif owed.scheduled:
            status = attesting.attest_home_due(owed.period, owed.due.isoformat(),
                                               overdue=owed.due < today)
        else:
            status = attesting.attest_home_unscheduled()
        sections = [("Annual attestation", status)]
        cases = db_reports_of(session, self.core, person)
        sections.append(("Your named reports", "\n".join(
            f"{r.code}: {r.status.label} (received {r.received_at:%Y-%m-%d})" for r in cases
        ) or "None. Anonymous reports are not listed: use their code and secret."))
        return Document("Candor", tuple(sections), (Choice("Report a concern", "menu:report"),
                                                    Choice("Annual attestation", "menu:attest")))

    def _committee_home(self, session: Session, person: Person) -> Document:
        today = self.core.today()
        reports = session.exec(select(Report).where(Report.status != CaseStatus.CLOSED,
                                                    col(Report.shredded_at).is_(None))
                               .order_by(col(Report.received_at))).all()
        excluded = db_exclusions(session, self.core, [r.id for r in reports])
        visible = [r for r in reports if person.id not in excluded.get(r.id, set())]
        open_lines = [f"{r.code}: {r.status.label}, {r.category.label}" for r in visible]
        overdue = [f"{r.code}: not acknowledged (due {self.core.acknowledge_by(r)})"
                   for r in visible if r.status is CaseStatus.RECEIVED and self.core.acknowledge_by(r) < today]
        overdue += [f"{r.code}: no feedback to the reporter (due {self.core.feedback_due(r)})"
                    for r in visible if r.last_feedback_at is None and self.core.feedback_due(r) < today]
        officers = session.exec(select(Person).where(Person.kind == PersonKind.OFFICER,
                                                     Person.active == True)  # noqa: E712
                                .order_by(col(Person.name))).all()
        periods: dict[int | None, set[str]] = {}
        for person_id, period in session.exec(select(Attestation.person_id, Attestation.period)).all():
            periods.setdefault(person_id, set()).add(period)
        roll = []
        for officer in officers:
            owed = attestation.owed(officer.attestation_due, periods.get(officer.id, set()), today)
            if not owed.is_open(today):
                roll.append(f"{officer.name}: attested for {int(owed.period) - 1}; next due {owed.due}")
            elif owed.scheduled and owed.due < today:
                roll.append(f"{officer.name}: OVERDUE since {owed.due} (for {owed.period})")
            else:
                roll.append(f"{officer.name}: due {owed.due if owed.scheduled else 'not scheduled'}")
        kept = visibility.db_kept_away(session, self.core, person)
        undisclosed = [f"{p.name}: {w.provision} (disclose by {w.disclosure_due})"
                       for w, p in waivers.db_register(session)
                       if w.disclosed_on is None and kept.shows_officer(w.person_id)]
        disclosed = disclosures.db_recent(session, limit=5, kept=kept)
        return Document("Audit Committee", (
            ("Open cases", "\n".join(open_lines) or "None."),
            ("Overdue", "\n".join(overdue) or "Nothing is overdue."),
            ("Attestation roll", "\n".join(roll) or "No officers on the roster."),
            ("Disclosed at attestation", "\n".join(
                f"{p.name}: {a.period}, {a.attested_at:%Y-%m-%d}" for a, p in disclosed) or "None."),
            ("Waivers to disclose", "\n".join(undisclosed) or "None. /ethics waivers shows the register."),
        ), tuple(Choice(f"Open {r.code}", f"case:view:{r.id}") for r in visible[:10])
           + tuple(Choice(f"Attestation: {p.name} {a.period}", disclosures.VIEW + a.id) for a, p in disclosed))

    # --- intake -----------------------------------------------------------------------------

    def _members(self, session: Session, person: Person) -> list[intake.Member]:
        return [intake.Member(p.id, p.name) for p in db_committee(session)
                if p.id is not None and p.id != person.id]

    def _conversation_key(self, actor: Actor) -> str:
        return self.core.vault.tag("conversation", actor.platform.value, actor.user_id)

    def _load_draft(self, session: Session, actor: Actor) -> tuple[intake.Draft | None, bool]:
        row = session.get(Conversation, self._conversation_key(actor))
        if row is None:
            return None, False
        if schedule.expired_drafts([schedule.DraftState(row.key, row.updated_at)], self.core.now(),
                                   self.core.schedule):
            self._drop_draft(session, row)
            return None, True
        data = self.core.vault.open(session, kind="conversation", record_id=row.key, blob=row.body)
        return intake.Draft.from_json(data["draft"]), False

    def _drop_draft(self, session: Session, row: Conversation) -> None:
        self.core.vault.shred(session, kind="conversation", record_id=row.key)
        session.delete(row)

    def _save_draft(self, session: Session, actor: Actor, draft: intake.Draft | None) -> None:
        key = self._conversation_key(actor)
        row = session.get(Conversation, key)
        if draft is None:
            if row is not None:
                self._drop_draft(session, row)
            return
        body = self.core.vault.seal(session, kind="conversation", record_id=key, data={"draft": draft.to_json()})
        # The plain time is the day only: a finer one would line up with the person's next steps.
        if row is None:
            session.add(Conversation(key=key, updated_at=self.core.today_start(), body=body))
        else:
            row.body, row.updated_at = body, self.core.today_start()
            session.add(row)

    def _report_offer(self, session: Session, person: Person, actor: Actor) -> list[Reply]:
        """`report` typed in a chat that keeps history: the form (a button opening it in a
        window) is the way; typing here instead only after a plain sentence and a choice. (A
        chat keeps history as its adapter declares: `Surface.keeps_history`.)"""
        if not actor.surface.keeps_history:
            return self._start_intake(session, person, actor)
        form = replace(intake.form(self._members(session, person), once=secrets.token_urlsafe(12)),
                       reopen="cmd:ethics:report")
        return [form, Choices(reporting.chat_report_warning(),
                              (Choice(reporting.chat_report_choice(), CHAT_REPORT),))]

    def _my_reports(self, session: Session, person: Person) -> Document:
        """A named reporter's cases, each opening its status (questions and answers) privately."""
        cases = db_reports_of(session, self.core, person)
        listing = ("\n".join(f"{r.code}: {r.status.label}" for r in cases)
                   or following.no_named_reports())
        return Document(following.my_reports_title(), ((following.my_reports_heading(), listing),),
                        tuple(Choice(f"Open {r.code}", f"cmd:ethics:status {r.code}") for r in cases[-10:]))

    def _start_intake(self, session: Session, person: Person, actor: Actor, *, chat: bool = False) -> list[Reply]:
        outcome = intake.start(self._members(session, person), chat=chat)
        self._save_draft(session, actor, outcome.draft)
        return outcome.replies

    def _advance(self, session: Session, person: Person, actor: Actor, draft: intake.Draft, text: str) -> list[Reply]:
        members = self._members(session, person)
        if " ".join(text.lower().split()) in _START_WORDS and draft.step not in {intake.Step.WHAT,
                                                                                  intake.Step.WHO}:
            # "report" again, mid-report: the draft is kept and its question asked again.
            return [Text(reporting.intake_in_progress()), *intake.prompt(draft, members)]
        outcome = intake.advance(draft, text, members)
        if outcome.submit:
            self._save_draft(session, actor, None)
            return self._submit(session, person, actor, draft)
        self._save_draft(session, actor, outcome.draft)
        return outcome.replies

    def _submit(self, session: Session, person: Person, actor: Actor, draft: intake.Draft, *,
                once: str | None = None) -> list[Reply]:
        if draft.anonymous and self.core.schedule.anonymous_delay_minutes > 0:
            # Held sealed and recorded later by the recorder: this transaction writes nothing keyed
            # to the person (a typed draft was deleted by `_advance`; a form's leaves any other
            # draft of theirs alone). See bot.pending.
            receipt = pending.db_hold(session, self.core, draft=draft, person=person, platform=actor.platform)
        else:
            receipt = db_submit(session, self.core, draft=draft, person=person, platform=actor.platform)
            self._save_draft(session, actor, None)
        if not receipt.secret:  # a log line's time would date an anonymous report to the second
            log.info("report recorded", extra={"report": receipt.report_id})
        if once:  # a form's one-time token: the receipt can be shown again on a repeat submit
            receipts.db_keep(session, self.core, token=once, code=receipt.code, secret=receipt.secret)
        return [self._receipt(receipt.code, receipt.secret, actor, self.core.schedule.anonymous_delay_minutes)]

    @staticmethod
    def _receipt(code: str, secret: str | None, actor: Actor, delay_minutes: int) -> Document:
        """A receipt is a private document: a window or an ephemeral answer, never a chat message."""
        if secret:
            text = reporting.receipt_anonymous(code, secret, actor.surface, delay_minutes=delay_minutes)
        else:
            text = reporting.receipt_named(code, actor.surface)
        return Document(reporting.receipt_title(), ((reporting.receipt_heading(), text),))

    # --- attestation ------------------------------------------------------------------------

    def _attest_form(self, session: Session, person: Person) -> list[Reply]:
        if person.kind is not PersonKind.OFFICER:
            return [Text(attesting.attest_only_officers())]
        today = self.core.today()
        owed = _owed(session, person, today)
        last = _last_attestation(session, person)
        if last is not None and not owed.is_open(today):
            return [Text(attesting.attest_already(last.period, f"{last.attested_at:%Y-%m-%d}",
                                             owed.opens_on.isoformat()))]
        return [attestation.form(self.core.policy, owed.period, once=self._form_token())]

    def _attest(self, session: Session, person: Person, form_id: str, values: dict[str, Any]) -> list[Reply]:
        if person.kind is not PersonKind.OFFICER:
            return [Text(attesting.attest_only_officers())]
        checked = attestation.validate(values)
        if isinstance(checked, dict):
            return [FormErrors(form_id, checked)]
        today = self.core.today()
        owed = _owed(session, person, today)
        if not owed.is_open(today):  # attested meanwhile (another window, another device)
            return self._attest_form(session, person)
        token = form_id.partition(":")[2]
        if token and housekeeping.form_expired(token, self.core.now()):
            return [Text(refusals.form_expired())]
        if token and not _first_use(session, self.core, f"form:{token}"):
            # The same form sent again (a card clicked twice): one attestation, not next year's too.
            return [Text(refusals.attest_form_already_submitted())]
        period = owed.period
        attestation_id = new_id()
        record = Attestation(
            id=attestation_id, person_id=person.id, period=period, attested_at=self.core.now(),  # type: ignore[arg-type]
            policy_hash=self.core.policy.version_hash,
            body=self.core.vault.seal(session, kind="attestation", record_id=attestation_id,
                                      data=checked.to_json()),
        )
        session.add(record)
        session.flush()
        if checked.disclosure:
            disclosure_id = new_id()
            session.add(Disclosure(
                id=disclosure_id, person_id=person.id, attestation_id=attestation_id,  # type: ignore[arg-type]
                created_at=self.core.now(),
                body=self.core.vault.seal(session, kind="disclosure", record_id=disclosure_id,
                                          data={"text": checked.disclosure}),
            ))
        if owed.scheduled:
            person.attestation_due = attestation.shift_years(owed.due, 1)
            session.add(person)
        next_due = attestation.owed(person.attestation_due, {period}, today).due
        self.core.audit_event(session, actor=actor_id(person), action="attestation.recorded",
                              record_kind="attestation", record_id=attestation_id,
                              detail={"period": period, "disclosure": bool(checked.disclosure)})
        disclosures.db_notify(session, self.core, record, checked)
        replies: list[Reply] = [Text(attesting.attest_recorded(period, next_due.isoformat()))]
        if disclosures.needs(checked):
            replies.append(Text(attesting.attest_goes_to_committee()))
        if not checked.no_unreported:
            replies.append(Choices(attesting.attest_offer_report(), (Choice("Report a concern",
                                                                            "attest:report"),)))
        return replies

    # --- housekeeping -----------------------------------------------------------------------

    def db_expire_drafts(self, session: Session) -> int:
        """Delete drafts untouched for the draft lifetime (their data keys too)."""
        cutoff = self.core.now() - self.core.draft_ttl - timedelta(days=1)  # plain times are days
        rows = session.exec(select(Conversation).where(col(Conversation.updated_at) <= cutoff)).all()
        for row in rows:
            self._drop_draft(session, row)
        return len(rows)


def _first_time(session: Session, event: Inbound, core: Core) -> bool:
    return _first_use(session, core, f"{event.actor.platform.value}:{event.event_id}")


def _first_use(session: Session, core: Core, key: str) -> bool:
    """Record `key` as seen; False when it was (a platform's retry, a form sent twice). Only a
    keyed hash of the key is stored: a platform's id may name a person's conversation."""
    key = core.vault.tag("inbound", key)
    if session.get(InboundEvent, key) is not None:
        return False
    # The day only: a form's token is spent in the very transaction that records a report.
    session.add(InboundEvent(id=key, received_at=core.today_start()))
    try:
        session.flush()
    except IntegrityError:
        raise _Duplicate from None
    return True


def _owed(session: Session, person: Person, today: date) -> attestation.Owed:
    periods = set(session.exec(select(Attestation.period).where(Attestation.person_id == person.id)).all())
    return attestation.owed(person.attestation_due, periods, today)


def _last_attestation(session: Session, person: Person) -> Attestation | None:
    return session.exec(select(Attestation).where(Attestation.person_id == person.id)
                        .order_by(col(Attestation.attested_at).desc())).first()


def _reopenable(replies: list[Reply], name: str, args: str) -> list[Reply]:
    """Forms and documents asked for by a typed command carry the click that asks again, for an
    adapter that shows neither inside a message (Slack opens them in a window from a button)."""
    if len(args) > 100:
        return replies
    return [replace(r, reopen=f"cmd:{name}:{args}") if isinstance(r, Form | Document) else r for r in replies]


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""
