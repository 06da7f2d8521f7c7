"""Reminder and escalation rules: (state, now) -> what is due, pure.

A sweep may run at any time, any number of times, and may be missed for days. Each rule returns
every `Due` whose moment has come and that still matters at `now`; each `Due` carries a key unique
per (kind, subject, period, step), which the caller writes once (a unique key in the outbox), so
repeating a sweep is harmless. A rule with a cadence (reminders before a due date, weekly while
overdue, daily for a waiver) returns only its latest step, so an outage never ends in a flood.

Times of day are local to `ScheduleSettings.timezone`: day-based reminders fall due at
`reminder_hour` on their local date; business days skip weekends and US federal holidays.
The states read and the `Due`s returned are `bot.schedule.dues`'; the deadlines counted down to are
`bot.schedule.deadlines`'; `bot.sweep` runs the rules. Reads no clock and touches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.schedule.calendar import (
    add_business_days,
    add_business_time,
    business_days_between,
    is_business_day,
    local_date,
    require_aware,
)
from bot.schedule.deadlines import (
    ScheduleSettings,
    feedback_deadline,
    receipt_deadline,
    waiver_disclosure_deadline,
)
from bot.schedule.dues import (
    Audience,
    CommitteeMember,
    DraftState,
    Due,
    DueKind,
    Facts,
    OfficerState,
    OpenCase,
    Plan,
    WaiverState,
)
from bot.wording import case_labels, notices
from storage.clock import as_utc
from storage.vocabulary import Category

_DEFAULTS = ScheduleSettings()


# --- attestations ----------------------------------------------------------------------------


def attestation_dues(officers: Iterable[OfficerState], now: datetime,
                     settings: ScheduleSettings = _DEFAULTS) -> list[Due]:
    """Reminders to each officer who has not attested for their due date, and the escalation.

    The officer's steps are: N days before the due date for each N in
    `attestation_reminder_days` ("d-30" ... "d-0"), then every `attestation_overdue_every_days`
    after it ("w1", "w2", ...); only the latest step that has come is returned. Separately, once
    `attestation_escalate_after_days` have passed since the due date, the committee channel is
    told once, naming the officer and the days overdue.
    """
    require_aware(now)
    tz = settings.tz
    today = local_date(now, tz)
    dues: list[Due] = []
    for officer in officers:
        if officer.due is None:
            continue
        due = officer.due
        subject = str(officer.person_id)
        period = f"{officer.person_id}:{due.isoformat()}"
        step = _latest_attestation_step(due, now, settings)
        if step is not None:
            kind, label = step
            when = ((notices.FACT_DAYS_OVERDUE, str((today - due).days)) if today > due
                    else (notices.FACT_DAYS_LEFT, str((due - today).days)))
            dues.append(Due(f"{kind.value}:{period}:{label}", Audience.officer(officer.person_id),
                            subject, kind, ((notices.FACT_DUE, due.isoformat()), when)))
        escalate_on = due + timedelta(days=settings.attestation_escalate_after_days)
        if _has_come(escalate_on, now, settings):
            facts = ((case_labels.OFFICER, officer.name), (notices.FACT_DUE, due.isoformat()),
                     (notices.FACT_DAYS_OVERDUE, str((today - due).days)))
            dues.append(Due(f"{DueKind.ATTEST_ESCALATE.value}:{period}",
                            Audience.committee_channel(), subject, DueKind.ATTEST_ESCALATE, facts))
    return dues


def _latest_attestation_step(due: date, now: datetime,
                             settings: ScheduleSettings) -> tuple[DueKind, str] | None:
    every = settings.attestation_overdue_every_days
    today = local_date(now, settings.tz)
    week = (today - due).days // every
    if week >= 1 and not _has_come(due + timedelta(days=every * week), now, settings):
        week -= 1
    if week >= 1:
        return DueKind.ATTEST_OVERDUE, f"w{week}"
    for days in sorted(set(settings.attestation_reminder_days)):
        if _has_come(due - timedelta(days=days), now, settings):
            return DueKind.ATTEST_REMIND, f"d-{days}"
    return None


# --- reports ---------------------------------------------------------------------------------


def unacknowledged_dues(cases: Iterable[OpenCase], members: Sequence[CommitteeMember],
                        now: datetime, settings: ScheduleSettings = _DEFAULTS) -> list[Due]:
    """For a report nobody on the committee has acknowledged: business days after receipt, a
    reminder in the channel, then a direct message to the chair, then one to every member.

    Each is a different audience told once, so after an outage all that have come are returned.
    The chair is the roster's chair (the lowest id, should there be several). The chair's step and
    the members' are one notice each, and they reach every member, those a report keeps away
    included: their direct message names no case (bot.sanitize.unacked_nudge), and one missing
    from a member's chat would tell its readers whom the report keeps away.
    """
    require_aware(now)
    tz = settings.tz
    chairs = sorted(m.person_id for m in members if m.chair)
    dues: list[Due] = []
    for case in cases:
        if case.acknowledged_at is not None:
            continue
        received = as_utc(case.received_at)
        steps: list[tuple[int, str, Audience]] = [
            (settings.unacked_channel_after_business_days, "channel", Audience.committee_channel())]
        if chairs:
            steps.append((settings.unacked_chair_after_business_days, "chair",
                          Audience.members(chairs[:1])))
        steps.append((settings.unacked_members_after_business_days, "members",
                      Audience.members(m.person_id for m in members)))
        waiting: str | None = None
        for days, label, audience in steps:
            if add_business_time(received, days, tz) > now:
                continue
            waiting = waiting or str(_business_days_elapsed(received, now, tz))
            facts = _case_facts(case, tz) + ((notices.FACT_BUSINESS_DAYS_UNACKNOWLEDGED, waiting),)
            dues.append(Due(f"{DueKind.UNACKED.value}:{case.report_id}:{label}", audience,
                            case.report_id, DueKind.UNACKED, facts))
    return dues


def deadline_dues(cases: Iterable[OpenCase], now: datetime,
                  settings: ScheduleSettings = _DEFAULTS) -> list[Due]:
    """Committee reminders before the reporter's two clocks run out (EU Directive 2019/1937).

    Acknowledgement of receipt: due `receipt_ack_days` after receipt (the local date of that
    moment, as the case view shows it); met once the committee has acknowledged the report
    (`acknowledged_at`), which is what sends the reporter the acknowledgement. Feedback: due
    `feedback_months` calendar months after the local date of receipt; met by any feedback
    (`last_feedback_at`). Article 9 counts the three months from the acknowledgement, or from the
    end of the seven days; counting from receipt is earlier, so the stricter reading.

    Steps are N days before each deadline (`receipt_warning_days`, `feedback_warning_days`) at
    `reminder_hour`; only the latest that has come, and none once the deadline day has passed.
    Each goes to the committee channel and, when a member leads the case, to the lead by direct
    message too (the sweep words that one without the case); a new lead gets the step again.
    """
    require_aware(now)
    dues: list[Due] = []
    for case in cases:
        received = as_utc(case.received_at)
        if case.acknowledged_at is None:
            deadline = receipt_deadline(received, settings)
            dues += _deadline_due(case, DueKind.RECEIPT_DEADLINE, deadline,
                                  settings.receipt_warning_days, notices.FACT_ACKNOWLEDGE_BY,
                                  now, settings)
        if case.last_feedback_at is None:
            deadline = feedback_deadline(received, settings)
            dues += _deadline_due(case, DueKind.FEEDBACK_DEADLINE, deadline,
                                  settings.feedback_warning_days, notices.FACT_FEEDBACK_BY,
                                  now, settings)
    return dues


def _deadline_due(case: OpenCase, kind: DueKind, deadline: date, warnings: tuple[int, ...],
                  label: str, now: datetime, settings: ScheduleSettings) -> list[Due]:
    tz = settings.tz
    today = local_date(now, tz)
    received_on = local_date(as_utc(case.received_at), tz)
    if today > deadline:
        return []
    for days in sorted(set(warnings)):
        step = deadline - timedelta(days=days)
        if step >= received_on and _has_come(step, now, settings):
            facts = _case_facts(case, tz) + ((label, deadline.isoformat()),
                                             (notices.FACT_DAYS_LEFT, str((deadline - today).days)))
            key = f"{kind.value}:{case.report_id}:d-{days}"
            dues = [Due(key, Audience.committee_channel(), case.report_id, kind, facts)]
            if case.lead_id is not None:  # the lead, by direct message (issue 22)
                dues.append(Due(f"{key}:lead:{case.lead_id}", Audience.member(case.lead_id),
                                case.report_id, kind, facts))
            return dues
    return []


def _case_facts(case: OpenCase, tz: ZoneInfo) -> Facts:
    try:
        category = Category(case.category).label
    except ValueError:
        category = case.category
    received = local_date(as_utc(case.received_at), tz)
    return ((case_labels.CASE, case.code), (case_labels.CATEGORY, category),
            (case_labels.RECEIVED, received.isoformat()))


def _business_days_elapsed(received: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Whole business days of business time between receipt and now."""
    elapsed = business_days_between(local_date(received, tz), local_date(now, tz))
    while elapsed > 0 and add_business_time(received, elapsed, tz) > now:
        elapsed -= 1
    return elapsed


# --- waivers ---------------------------------------------------------------------------------


def waiver_dues(waivers: Iterable[WaiverState], now: datetime,
                settings: ScheduleSettings = _DEFAULTS) -> list[Due]:
    """A reminder in the committee channel, naming no officer, every business day, from the grant
    (or the next business day) at `reminder_hour`, until the disclosure is recorded; past the
    deadline it keeps coming, with the business days overdue. The key carries the step's local
    date; only the latest step that has come is returned.
    """
    require_aware(now)
    tz = settings.tz
    today = local_date(now, tz)
    latest = today if is_business_day(today) else add_business_days(today, -1)
    if not _has_come(latest, now, settings):
        latest = add_business_days(latest, -1)
    dues: list[Due] = []
    for waiver in waivers:
        if waiver.disclosed_on is not None:
            continue
        if latest < add_business_days(waiver.granted_on, 0):
            continue
        deadline = waiver_disclosure_deadline(waiver.granted_on, settings)
        when = ((notices.FACT_BUSINESS_DAYS_OVERDUE, str(business_days_between(deadline, today)))
                if today > deadline
                else (notices.FACT_BUSINESS_DAYS_LEFT, str(business_days_between(today, deadline))))
        # No officer: members kept away from them read the channel too. Whose waiver it is shows
        # in the form its button opens, to a member who may see it.
        facts = ((notices.FACT_GRANTED, waiver.granted_on.isoformat()),
                 (notices.FACT_DISCLOSE_BY, deadline.isoformat()), when)
        dues.append(Due(f"{DueKind.WAIVER_DISCLOSE.value}:{waiver.waiver_id}:{latest.isoformat()}",
                        Audience.committee_channel(), waiver.waiver_id, DueKind.WAIVER_DISCLOSE,
                        facts))
    return dues


# --- drafts and the whole sweep --------------------------------------------------------------


def expired_drafts(drafts: Iterable[DraftState], now: datetime,
                   settings: ScheduleSettings = _DEFAULTS) -> list[str]:
    """The keys of drafts untouched for `draft_ttl_hours` or more. A draft's plain time is the
    day of its last change (a finer time would line up with what its writer did next), so a
    draft goes when the lifetime has passed since the end of that day."""
    require_aware(now)
    ttl = timedelta(hours=settings.draft_ttl_hours)
    return [d.key for d in drafts if as_utc(d.updated_at) + timedelta(days=1) + ttl <= now]


def all_dues(*, officers: Iterable[OfficerState], cases: Sequence[OpenCase],
             members: Sequence[CommitteeMember], waivers: Iterable[WaiverState],
             drafts: Iterable[DraftState], now: datetime,
             settings: ScheduleSettings = _DEFAULTS) -> Plan:
    """Every rule at `now`: the notices due (attestations, reports, deadlines, waivers) and the
    drafts to delete."""
    dues = (attestation_dues(officers, now, settings)
            + unacknowledged_dues(cases, members, now, settings)
            + deadline_dues(cases, now, settings)
            + waiver_dues(waivers, now, settings))
    return Plan(dues, expired_drafts(drafts, now, settings))


# --- helpers ---------------------------------------------------------------------------------


def _has_come(day: date, now: datetime, settings: ScheduleSettings) -> bool:
    """Whether the reminder hour of a local date has come at `now` (an hour that daylight saving
    skips comes with the first moment after the gap)."""
    local = now.astimezone(settings.tz)
    return (local.date(), local.hour) >= (day, settings.reminder_hour)

