"""The event pipeline adapters call, and the one route table. Each inbound event is one unit of
work: de-duplicated by its platform event id (`bot.once`), resolved to a roster person,
dispatched to its use case (a message or a command to `bot.commands`, a click or a form through
`_ROUTES`), committed, then answered. Adapters call `handle`, or `attempt` to run the slow
hashes an event needs in threads of their own (off the event loop either way: it does blocking
database work), and render the replies. Nothing here knows a platform's SDK.

May touch: it opens the unit of work and commits; everything it reads or writes is done by the
use-case modules (`bot.filing`, `bot.attesting`, `bot.committee`, ...) and views (`bot.views`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from sqlmodel import Session

from bot import (
    access,
    actions,
    attesting,
    board,
    commands,
    committee,
    conflicts,
    designations,
    designee_desk,
    designee_reveal,
    disclosures,
    filing,
    followup,
    fresh_secret,
    home,
    lead,
    notes,
    once,
    receipts,
    reporter_name,
    retention,
    reveal,
    waivers,
    written_notice,
)
from bot.core import CandorError, Core, FieldError, db_resolve, keep_refusal
from bot.delivery import outbox
from bot.delivery.relay import db_due_now
from bot.evidence import offers
from bot.messages import (
    Actor,
    ChoiceClicked,
    Command,
    DirectMessage,
    FormErrors,
    FormSubmitted,
    Inbound,
    Keepable,
    Reply,
    Text,
)
from bot.wording import refusals
from storage import identities
from storage.db import Database
from storage.keyring import CryptoError
from storage.models import Person
from storage.vocabulary import PersonKind, Platform, RevealPath

log = logging.getLogger("candor.service")

MAX_INBOUND_TEXT = 20_000  # anything longer is refused before it is parsed


class _Refused(Exception):
    """Roll the unit of work back and answer with these replies."""

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__("refused")
        self.replies = replies


# How many tries an event gets: each one after the first comes after a slow hash it asked for.
MOST_TRIES = 4


@dataclass
class Turn:
    """One event on its way through the pipeline, across the slow hashes it asks for: the
    secrets checked (verdicts by key) and made (secret, hash) so far (`Service.attempt`). Its
    repr shows the tries only: the rest holds secrets and what the person typed."""

    event: Inbound = field(repr=False)
    verdicts: dict[tuple[str | None, str], bool] = field(default_factory=dict, repr=False)
    made: list[tuple[str, str]] = field(default_factory=list, repr=False)
    tries: int = 0


@dataclass(frozen=True)
class SlowHash:
    """A secret's slow hash (scrypt) an event needs before it can be answered: `run` it outside
    any unit of work (it waits for one of the service's hashing slots), then try the event again."""

    run: Callable[[], None] = field(repr=False)  # bound to the secret


def _hash_slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(os.cpu_count() or 1)


@dataclass
class Service:
    db: Database
    core: Core
    # A secret's slow hash (scrypt, tens of milliseconds of a core each) runs one per core at
    # most: twenty anonymous reports at once queue here, each thread holding no transaction, and
    # leave the other cores and threads to everyone else's events.
    hashing: threading.BoundedSemaphore = field(default_factory=_hash_slots, compare=False,
                                                repr=False)
    # How many events have written a notice (`bot.delivery.outbox.WROTE`) in a unit of work
    # that has ended: an adapter wakes the notifier after an event that moved this, and only
    # then (most events, a DM turn among them, give it nothing to send).
    notices_written: int = field(default=0, compare=False)
    _counting: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    # --- entry points -----------------------------------------------------------------------

    def handle(self, event: Inbound) -> list[Reply]:
        """Handle one inbound event; a platform's retry of the same event id changes nothing.
        The slow hashes it needs run in this thread (a server's bridge runs them elsewhere,
        through `attempt`)."""
        turn = Turn(event)
        while isinstance(answer := self.attempt(turn), SlowHash):
            answer.run()
        return answer

    def attempt(self, turn: Turn) -> list[Reply] | SlowHash:
        """One try at `turn`'s event, in one unit of work: its replies, or the slow hash (a
        reporter's secret to check, or a new one to make) it needs first. The unit of work was
        rolled back; the caller runs the hash, holding no transaction (no SQLite write lock),
        then tries the same `turn` again, which now carries the hash's result."""
        turn.tries += 1
        try:
            return self._handle(turn.event, turn.verdicts, turn.made)
        except followup.SecretCheck as check:
            # (without its traceback, which holds the rolled-back unit's frames, until it runs)
            slow = SlowHash(partial(self._verify, turn, check.with_traceback(None)))
        except fresh_secret.SecretNeeded:
            slow = SlowHash(partial(self._make, turn))
        if turn.tries >= MOST_TRIES:  # no try would follow the hash
            log.error("an event needed more slow secret hashes than it can ask for")
            return [Text(refusals.INTERNAL_ERROR)]
        return slow

    def _verify(self, turn: Turn, check: followup.SecretCheck) -> None:
        with self.hashing:
            turn.verdicts[check.key] = check.verify(self.core.vault)

    def _make(self, turn: Turn) -> None:
        with self.hashing:
            turn.made.append(fresh_secret.make(self.core.vault))

    def _handle(self, event: Inbound, verdicts: dict[tuple[str | None, str], bool],
                made: list[tuple[str, str]]) -> list[Reply]:
        session: Session | None = None
        try:
            with self.db.write() as session:
                session.info[followup.VERDICTS] = verdicts
                session.info[fresh_secret.FRESH] = made
                if event.event_id and not once.db_first_time(session, self.core, event):
                    return []
                person = db_resolve(session, self.core, event.actor)
                if person is None:
                    if not isinstance(event, ChoiceClicked):
                        raise _Refused([Text(refusals.NOT_ON_ROSTER)])
                    # Someone off the roster clicked a case's button in the channel: refused, and
                    # the attempt goes to the audit log like any other refusal.
                    access.db_refuse_outsider(session, self.core, event.actor, event.value)
                    return [Text(refusals.NOT_ON_ROSTER)]
                return self._dispatch(session, person, event)
        except _Refused as refused:
            return refused.replies
        except CandorError as refusal:
            # Everything the use case wrote was rolled back with its unit of work; what the
            # refusal itself keeps (its audit entry, a failed guess) commits on its own.
            if keep_refusal(self.db, refusal).get(outbox.WROTE):
                self._count_notices()
            if isinstance(refusal, FieldError) and isinstance(event, FormSubmitted):
                return [FormErrors(event.form_id, {refusal.name: refusal.reply})]
            return [Text(refusal.reply)]
        except CryptoError as exc:
            log.error("sealed data did not open: %s", type(exc).__name__)
            return [Text(refusals.INTERNAL_ERROR)]
        finally:
            # Counted whether or not the unit committed: a wake too many costs one empty pass.
            if session is not None and session.info.get(outbox.WROTE):
                self._count_notices()

    def _count_notices(self) -> None:
        with self._counting:
            self.notices_written += 1

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
                return [Text(refusals.NOT_ON_ROSTER)]
            return [home.db_home(session, self.core, person)]

    # --- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, session: Session, person: Person, event: Inbound) -> list[Reply]:
        core = self.core
        if person.kind is PersonKind.DESIGNEE:  # issue 22: a designee has a few doors only
            return designee_desk.db_handle(session, core, person, event,
                                           lambda parsed: self._routed(session, person, event,
                                                                       parsed))
        if isinstance(event, DirectMessage):
            if len(event.text) > MAX_INBOUND_TEXT:
                return [Text(refusals.TEXT_TOO_LARGE)]
            return commands.db_message(session, core, person, event.actor, event.text)
        if isinstance(event, Command):
            if len(event.args) > MAX_INBOUND_TEXT:
                return [Text(refusals.TEXT_TOO_LARGE)]
            return commands.db_command(session, core, person, event.actor, event.name, event.args)
        parsed = (actions.parse(event.value) if isinstance(event, ChoiceClicked)
                  else actions.parse_form(event.form_id))
        return self._routed(session, person, event, parsed)

    def _routed(self, session: Session, person: Person, event: Inbound,
                parsed: object) -> list[Reply]:
        asked = _Asked(session, self.core, person, event.actor)
        if isinstance(event, FormSubmitted):
            asked = replace(asked, form_id=event.form_id, values=event.values)
        return _route(asked, parsed)


# --- the route table ---------------------------------------------------------------------------

_A = TypeVar("_A")


@dataclass(frozen=True)
class _Asked:
    """What a route is given beside its click or form: the unit of work, who asks, and a
    submitted form's id and fields."""

    session: Session
    core: Core
    person: Person
    actor: Actor
    form_id: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def usual(self) -> tuple[Session, Core, Person]:
        """What most use cases take first: the session, the core, the person asking."""
        return self.session, self.core, self.person

    def text(self, name: str) -> str:
        """A form's text field; empty when it is missing or no text."""
        value = self.values.get(name)
        return value if isinstance(value, str) else ""


_Route = Callable[[_Asked, Any], list[Reply]]


def _on(kind: type[_A], route: Callable[[_Asked, _A], list[Reply]]) -> tuple[type[Any], _Route]:
    """The route for the clicks or forms of `kind`: mypy checks `route` against `kind`."""
    return kind, route


# Every click (`actions.parse`) and every form (`actions.parse_form`) to its use case.
_ROUTES: dict[type[Any], _Route] = dict((
    _on(actions.IntakeStep, lambda r, a: commands.db_intake_step(*r.usual, r.actor, a.value)),
    _on(actions.Menu, lambda r, a: commands.db_menu(*r.usual, r.actor, a.item)),
    _on(actions.Cmd, lambda r, a: commands.db_command(*r.usual, r.actor, a.name, a.args)),
    _on(actions.Acknowledge, lambda r, a: committee.db_acknowledge(*r.usual, a.record_id)),
    _on(actions.ViewCase, lambda r, a: committee.db_view(*r.usual, a.record_id)),
    _on(actions.AskForm, lambda r, a: committee.db_ask_form(*r.usual, a.record_id)),
    _on(actions.MoveForm, lambda r, a: committee.db_move_form(*r.usual, a.report_id, a.to)),
    _on(actions.DetermineForm, lambda r, a: board.db_form(*r.usual, a.record_id)),
    _on(actions.ExcludeForm, lambda r, a: conflicts.db_form(*r.usual, a.record_id)),
    _on(actions.HoldForm, lambda r, a: retention.db_hold_form(*r.usual, a.record_id)),
    _on(actions.DiscloseForm, lambda r, a: waivers.db_disclose_form(*r.usual, a.record_id)),
    _on(actions.AnswerForm, lambda r, a: followup.answer_form(
        r.core, r.person, r.actor, a.record_id)),
    _on(actions.ViewDisclosure, lambda r, a: disclosures.db_view(*r.usual, a.record_id)),
    _on(actions.ReportAfterAttesting, lambda r, a: filing.db_offer(
        *r.usual, r.actor, history_kept=r.actor.surface.keeps_history)),
    _on(actions.ChatReport, lambda r, a: filing.db_start(*r.usual, r.actor, chat=True)),
    _on(actions.MyReports, lambda r, a: [home.db_my_reports(*r.usual)]),
    _on(actions.ReportForm, lambda r, a: filing.db_submit_form(
        *r.usual, r.actor, form_id=r.form_id, token=a.token, values=r.values)),
    _on(actions.AttestForm, lambda r, a: attesting.db_attest(*r.usual, r.form_id, r.values)),
    _on(actions.AskSubmit, lambda r, a: committee.db_ask(
        r.session, r.core, member=r.person, report_id=a.record_id, question=r.text("question"))),
    _on(actions.MoveSubmit, lambda r, a: committee.db_move(
        r.session, r.core, member=r.person, report_id=a.report_id, to=a.to,
        reason=r.text("reason"))),
    _on(actions.DetermineSubmit, lambda r, a: board.db_submit(
        r.session, r.core, member=r.person, report_id=a.record_id, values=r.values)),
    _on(actions.ExcludeSubmit, lambda r, a: conflicts.db_submit(
        r.session, r.core, member=r.person, report_id=a.record_id, chosen=r.values.get("member"))),
    _on(actions.HoldSubmit, lambda r, a: retention.db_hold_submit(
        r.session, r.core, member=r.person, report_id=a.record_id, reason=r.text("reason"))),
    _on(actions.WaiverSubmit, lambda r, a: waivers.db_submit(*r.usual, r.values)),
    _on(actions.DiscloseSubmit, lambda r, a: waivers.db_submit_disclosure(
        r.session, r.core, person=r.person, waiver_id=a.record_id, values=r.values)),
    _on(actions.AnswerSubmit, lambda r, a: followup.db_answer(
        r.session, r.core, person=r.person, actor=r.actor, token=a.record_id,
        answer=r.text("answer"))),
    # the written notice (issue 22)
    _on(actions.NoticeDeliveryForm, lambda r, a: written_notice.db_delivery_form(
        *r.usual, a.report_id, a.determination_id)),
    _on(actions.NoticeDeliverySubmit, lambda r, a: written_notice.db_record_delivery(
        r.session, r.core, member=r.person, report_id=a.report_id,
        determination_id=a.determination_id, values=r.values)),
    # issue 22's designations
    _on(actions.DesignateForm, lambda r, a: designations.db_form(*r.usual, a.record_id)),
    _on(actions.RenewForm, lambda r, a: designations.db_renew_form(*r.usual, a.record_id)),
    _on(actions.EndForm, lambda r, a: designations.db_end_form(*r.usual, a.record_id)),
    _on(actions.DesignateSubmit, lambda r, a: designations.db_submit(
        r.session, r.core, member=r.person, report_id=a.record_id, values=r.values)),
    _on(actions.RenewSubmit, lambda r, a: designations.db_renew_submit(
        r.session, r.core, member=r.person, designation_id=a.record_id, values=r.values)),
    _on(actions.EndSubmit, lambda r, a: designations.db_end_submit(
        r.session, r.core, member=r.person, designation_id=a.record_id, values=r.values)),
    # evidence files (issue 23)
    _on(actions.AddFiles, lambda r, a: offers.db_member_upload(*r.usual, a.record_id)),
    _on(actions.GetFile, lambda r, a: offers.db_member_download(*r.usual, a.record_id)),
    _on(actions.ReporterFiles, lambda r, a: offers.db_reporter_upload(
        *r.usual, r.actor, a.record_id)),
    # notes on a case and its lead (issue 22)
    _on(actions.NoteForm, lambda r, a: notes.db_form(*r.usual, a.record_id)),
    _on(actions.NoteSubmit, lambda r, a: notes.db_submit(
        r.session, r.core, person=r.person, report_id=a.record_id, values=r.values)),
    _on(actions.TakeLead, lambda r, a: lead.db_take(*r.usual, a.record_id)),
    _on(actions.HandBackLead, lambda r, a: lead.db_hand_back(*r.usual, a.record_id)),
    # confidential reporting (issue 24): the reporter shows their name, or names an anonymous report
    _on(actions.ShowNameForm, lambda r, a: reporter_name.db_show_form(*r.usual, a.record_id)),
    _on(actions.ShowNameSubmit, lambda r, a: reporter_name.db_show(
        *r.usual, report_id=a.record_id, values=r.values)),
    _on(actions.LinkNameForm, lambda r, a: reporter_name.link_form(
        r.core, r.person, r.actor, a.record_id)),
    _on(actions.LinkNameSubmit, lambda r, a: reporter_name.db_link(
        *r.usual, actor=r.actor, token=a.record_id, values=r.values)),
    # the quorum and consent reveal (issue 24)
    _on(actions.RevealAskForm, lambda r, a: reveal.db_ask_form(
        *r.usual, a.record_id, path=RevealPath.QUORUM)),
    _on(actions.ConsentAskForm, lambda r, a: reveal.db_ask_form(
        *r.usual, a.record_id, path=RevealPath.CONSENT)),
    _on(actions.RevealAskSubmit, lambda r, a: reveal.db_ask(
        r.session, r.core, member=r.person, report_id=a.record_id, reason=r.text("reason"),
        path=RevealPath.QUORUM)),
    _on(actions.ConsentAskSubmit, lambda r, a: reveal.db_ask(
        r.session, r.core, member=r.person, report_id=a.record_id, reason=r.text("reason"),
        path=RevealPath.CONSENT)),
    _on(actions.RevealOpen, lambda r, a: reveal.db_open(*r.usual, a.record_id)),
    _on(actions.RevealVoteSubmit, lambda r, a: reveal.db_vote(
        r.session, r.core, member=r.person, request_id=a.record_id, values=r.values)),
    _on(actions.ConsentAnswer, lambda r, a: reveal.db_consent_answer(
        *r.usual, a.request_id, yes=a.yes)),
    # issue 24: a member shows a confidential reporter's name to a designee
    _on(actions.RevealToForm, lambda r, a: designee_reveal.db_form(
        *r.usual, a.report_id, a.designation_id)),
    _on(actions.RevealToSubmit, lambda r, a: designee_reveal.db_submit(
        r.session, r.core, member=r.person, report_id=a.report_id,
        designation_id=a.designation_id, reason=r.text("reason"))),
))


def _route(asked: _Asked, action: object) -> list[Reply]:
    """The use case for a click or a form; one not understood (unknown, malformed) is said so."""
    route = _ROUTES.get(type(action))
    return [Text(refusals.NOT_UNDERSTOOD)] if route is None else route(asked, action)
