"""One sweep: read the state of the world at `now`, write what is due to the outbox.

The rules (`bot.schedule.reminders`) are pure; this module gathers their inputs from the database
(only the rows a rule can find due, by the bounds of `bot.schedule.horizons`: a sweep costs what
is due, not the size of the roster or of the case history) and turns their `Due`s into notices.
Each `Due` has a unique key, so a sweep run twice, or on two replicas at once, writes each notice
once. Abandoned drafts are deleted here too, and what has served its purpose (`bot.housekeeping`:
handled event ids, kept receipts and views, guess counters); anonymous reports held for their
delay (`bot.pending`) are recorded when due, before the rest.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from bot import (
    attestation,
    designations,
    drafts,
    housekeeping,
    lead,
    pending,
    retention,
    reveal,
    sanitize,
)
from bot.attesting import db_attested_periods
from bot.core import Core, db_committee, db_exclusions
from bot.delivery.outbox import db_enqueue, people_target, person_target, private_key
from bot.messages import CHANNEL
from bot.schedule.calendar import local_date
from bot.schedule.deadlines import ScheduleSettings
from bot.schedule.dues import (
    CommitteeMember,
    DraftState,
    Due,
    DueKind,
    OfficerState,
    OpenCase,
    Recipient,
    WaiverState,
)
from bot.schedule.horizons import Horizons, horizons
from bot.schedule.reminders import all_dues
from bot.wording import notices
from storage.db import Database
from storage.models import Conversation, Person, Report, Waiver
from storage.vocabulary import AuditAction, CaseStatus, PersonKind, RecordKind

log = logging.getLogger("candor.sweep")


@dataclass(frozen=True)
class SweepResult:
    written: int
    due: int
    drafts_deleted: int
    cases_shredded: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class Sweeper:
    db: Database
    core: Core
    settings: ScheduleSettings = field(default_factory=ScheduleSettings)
    retention_years: int = retention.DEFAULT_YEARS

    def run(self, now: datetime) -> SweepResult:
        # Anonymous reports held for their delay and due are recorded first, each in a transaction
        # of its own, by the real clock: a rehearsal in the future must not cut a delay short.
        pending.Recorder(self.db, self.core).run(min(now, self.core.now()))
        with self.db.write(alone=True) as session:  # long: the officers' events do not wait on it
            bounds = horizons(now, self.settings)
            officers = self._officers(session, now, bounds)
            members = [CommitteeMember(p.id, p.chair) for p in db_committee(session)
                       if p.id is not None]
            cases = self._cases(session, bounds)
            waivers = self._waivers(session)
            draft_states = [DraftState(key, updated_at) for key, updated_at in
                            session.exec(select(Conversation.key, Conversation.updated_at)).all()]
            dues, expired = all_dues(officers=officers, cases=cases, members=members,
                                     waivers=waivers, drafts=draft_states, now=now,
                                     settings=self.settings)
            written = 0
            kinds: Counter[str] = Counter()
            for due in dues:
                new = self._write(session, due, now)
                written += new
                if new:
                    kinds[due.kind.value] += 1
            drafts.db_drop(session, self.core, expired)
            # Never a future --now: shredding cannot be undone (`retention.judged_at`).
            shred_at = retention.judged_at(now, now=self.core.now())
            # issue 22: a designation past its last day ends; judged, like shredding, never by a
            # time the real clock has not reached (ending it cannot be undone either)
            designations.db_expire(session, replace(self.core, now=lambda: shred_at))
            shredded = [retention.db_shred(session, self.core, r, at=shred_at).code
                        for r in retention.db_due(session, shred_at, self.retention_years)]
            # Forgetting (handled event ids, kept receipts, guess counters) is judged by the real
            # clock too: a rehearsal in the future must not let a platform's retry in twice.
            forgotten = housekeeping.db_sweep(session, self.core, now=shred_at)
            # Requests to reveal a reporter lapse after seven days, by the real clock too: a
            # rehearsal in the future must not close a request its members may still answer.
            reveal.db_lapse_due(session, self.core, now=shred_at)
            if written or expired:
                self.core.audit.db_append(session, actor="system", action=AuditAction.SWEEP_RAN,
                                          record_kind=RecordKind.SWEEP,
                                          record_id=now.isoformat(timespec="minutes"),
                                          detail={"notices": written,
                                                  "drafts_deleted": len(expired)}, at=now)
        if shredded or any(forgotten.values()):
            # Shredded keys (a case's, a kept receipt's) are still in SQLite's WAL until this.
            self.db.checkpoint()
        log.info("sweep at %s wrote %d notices; housekeeping %s", now.isoformat(timespec="minutes"),
                 written, forgotten)
        return SweepResult(written, len(dues), len(expired), len(shredded), dict(kinds))

    # --- inputs -------------------------------------------------------------------------------

    def _officers(self, session: Session, now: datetime, bounds: Horizons) -> list[OfficerState]:
        # Only officers whose due date on record has come near enough for a step to be due
        # (`bot.schedule.horizons`), and only the columns judged by: not the whole roster.
        due_soon = (col(Person.kind) == PersonKind.OFFICER, col(Person.active) == True,  # noqa: E712
                    col(Person.attestation_due).is_not(None),
                    col(Person.attestation_due) <= bounds.officer_due_by)
        people = session.execute(columns(col(Person.id), col(Person.name),
                                         col(Person.attestation_due)).where(*due_soon)).all()
        periods = db_attested_periods(session, of=columns(col(Person.id)).where(*due_soon))
        states = []
        today = local_date(now, self.settings.tz)
        for person_id, name, attestation_due in people:
            assert person_id is not None
            # The period owed, never one already met: a due date set back by a re-import or
            # an edit does not silence the officer's reminders.
            owed = attestation.owed(attestation_due, periods.get(person_id, set()), today)
            states.append(OfficerState(person_id, name, owed.due if owed.scheduled else None))
        return states

    def _cases(self, session: Session, bounds: Horizons) -> list[OpenCase]:
        # Only the open cases a rule can find due (`bot.schedule.horizons`): not yet acknowledged
        # and received long enough ago, or without feedback and near their feedback deadline.
        # The columns judged by: never the sealed body.
        unacked = and_(col(Report.acknowledged_at).is_(None),
                       col(Report.received_at) < bounds.unacked_received_before)
        due_soon = [unacked]
        if (bounds.feedback_received_from is not None
                and bounds.feedback_received_before is not None):
            due_soon.append(and_(col(Report.last_feedback_at).is_(None),
                                 col(Report.received_at) >= bounds.feedback_received_from,
                                 col(Report.received_at) < bounds.feedback_received_before))
        reports = session.execute(
            columns(col(Report.id), col(Report.code), col(Report.category),
                    col(Report.received_at), col(Report.acknowledged_at),
                    col(Report.last_feedback_at))
            .where(col(Report.status) != CaseStatus.CLOSED, col(Report.shredded_at).is_(None),
                   or_(*due_soon))).all()
        excluded = db_exclusions(session, self.core, [r[0] for r in reports])
        leads = lead.db_leads_of(session, self.core, [r[0] for r in reports])  # issue 22
        return [OpenCase(report_id, code, category.value, received_at, acknowledged_at,
                         last_feedback_at, frozenset(excluded.get(report_id, set())),
                         leads.get(report_id))
                for report_id, code, category, received_at, acknowledged_at, last_feedback_at
                in reports]

    def _waivers(self, session: Session) -> list[WaiverState]:
        rows = session.exec(select(Waiver, Person.name)
                            .join(Person, Person.id == Waiver.person_id)  # type: ignore[arg-type]
                            .where(col(Waiver.disclosed_on).is_(None))).all()
        return [WaiverState(w.id, name, w.granted_on, w.disclosed_on) for w, name in rows]

    # --- output -------------------------------------------------------------------------------

    def _write(self, session: Session, due: Due, now: datetime) -> int:
        report_id = due.subject_id if due.kind in _CASE_KINDS else None
        waiver_id = due.subject_id if due.kind is DueKind.WAIVER_DISCLOSE else None
        notice = sanitize.reminder(notices.due_title(due.kind.value), due.facts,
                                   report_id=report_id,
                                   waiver_id=waiver_id)
        if due.kind is DueKind.UNACKED and not due.audience.channel:
            # A direct message stays in the member's chat: no case in it (sanitize.nudge).
            notice = sanitize.unacked_nudge()
        if due.kind in _DEADLINE_KINDS and not due.audience.channel:
            # The lead's copy stays in their chat: no case in it, an Open button (issue 22).
            notice = lead.deadline_nudge(due.kind.value, due.subject_id)
        key = due.key
        if due.audience.channel:
            target = CHANNEL
        elif due.audience.recipient is Recipient.MEMBERS:
            target = people_target(due.audience.person_ids)
        else:  # one person, whom the rule's key names: the key written is a keyed tag of it
            target = person_target(due.audience.person_id or 0)
            key = private_key(self.core.vault, due.key)
            if due.kind in _DEADLINE_KINDS:  # the lead's copy names its case, for retention
                key = lead.reminder_key(self.core.vault, due.key)
        return db_enqueue(session, self.core.vault, now=now, key=key, target=target,
                          notice=notice, platforms=self.core.platforms)



_CASE_KINDS = {DueKind.UNACKED, DueKind.RECEIPT_DEADLINE, DueKind.FEEDBACK_DEADLINE}
_DEADLINE_KINDS = {DueKind.RECEIPT_DEADLINE, DueKind.FEEDBACK_DEADLINE}
