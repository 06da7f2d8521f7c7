"""Reminder and escalation rules: (state, now) -> what is due, pure.

A sweep may run at any time, any number of times, and may be missed for days. Each rule returns
every `Due` whose moment has come and that still matters at `now`; each `Due` carries a key unique
per (kind, subject, period, step), which the caller writes once (a unique key in the outbox), so
repeating a sweep is harmless. A rule with a cadence (reminders before a due date, weekly while
overdue, daily for a waiver) returns only its latest step, so an outage never ends in a flood.

Times of day are local to `ScheduleSettings.timezone`: day-based reminders fall due at
`reminder_hour` on their local date; business days skip weekends and US federal holidays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.calendar import (
    add_business_days,
    add_business_time,
    business_days_between,
    is_business_day,
    local_date,
)
from storage.clock import as_utc
from storage.vocabulary import Category


@dataclass(frozen=True)
class ScheduleSettings:
    """Every clock the scheduler keeps, with its default, in one place."""

    timezone: str = "UTC"
    reminder_hour: int = 9  # day-based reminders fall due at this local hour, not at midnight
    attestation_reminder_days: tuple[int, ...] = (30, 7, 1, 0)  # days before due; 0 = on the day
    attestation_overdue_every_days: int = 7  # then weekly while overdue
    attestation_escalate_after_days: int = 14  # sanitized escalation to the committee channel
    unacked_channel_after_business_days: int = 1
    unacked_chair_after_business_days: int = 2
    unacked_members_after_business_days: int = 3
    receipt_ack_days: int = 7  # EU Whistleblowing Directive: acknowledge receipt within 7 days
    feedback_months: int = 3  # and give feedback within 3 months
    receipt_warning_days: tuple[int, ...] = (2,)  # committee reminders N days before each deadline
    feedback_warning_days: tuple[int, ...] = (14, 3)
    waiver_disclosure_business_days: int = 4  # Form 8-K, Item 5.05
    draft_ttl_hours: int = 24
    # An anonymous report's channel alert waits a random delay, uniform between 0 and this many
    # minutes (0: none), so its time does not point at the person who was using Candor then.
    anonymous_delay_minutes: int = 0

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        if not 0 <= self.anonymous_delay_minutes <= 24 * 60:
            raise ValueError("anonymous_delay_minutes is 0 to 1440")
        if not 0 <= self.reminder_hour <= 23:
            raise ValueError("reminder_hour is an hour of the day, 0 to 23")
        counts = (self.attestation_reminder_days + self.receipt_warning_days
                  + self.feedback_warning_days)
        if any(days < 0 for days in counts):
            raise ValueError("reminders are counted in days before a deadline, 0 or more")
        positive = (self.attestation_overdue_every_days, self.receipt_ack_days,
                    self.feedback_months, self.draft_ttl_hours)
        if any(value < 1 for value in positive):
            raise ValueError("cadences, deadlines and the draft lifetime must be positive")
        if any(value < 0 for value in (
                self.attestation_escalate_after_days, self.unacked_channel_after_business_days,
                self.unacked_chair_after_business_days, self.unacked_members_after_business_days,
                self.waiver_disclosure_business_days)):
            raise ValueError("thresholds are counted in days, 0 or more")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_DEFAULTS = ScheduleSettings()


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerState:
    person_id: int
    name: str
    due: date | None  # the next attestation due and not yet made; None when none is scheduled


@dataclass(frozen=True)
class OpenCase:
    report_id: str
    code: str
    category: str
    received_at: datetime
    acknowledged_at: datetime | None  # the committee's acknowledgement, sent on to the reporter
    last_feedback_at: datetime | None
    excluded_member_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class WaiverState:
    waiver_id: str
    person_name: str
    granted_on: date
    disclosed_on: date | None


@dataclass(frozen=True)
class CommitteeMember:
    person_id: int
    chair: bool


@dataclass(frozen=True)
class DraftState:
    key: str
    updated_at: datetime


# --- outputs ---------------------------------------------------------------------------------


class DueKind(StrEnum):
    """What a notice is; the value is also the first part of its key."""

    ATTEST_REMIND = "attest-remind"
    ATTEST_OVERDUE = "attest-overdue"
    ATTEST_ESCALATE = "attest-escalate"
    UNACKED = "unacked"
    RECEIPT_DEADLINE = "receipt-deadline"
    FEEDBACK_DEADLINE = "feedback-deadline"
    WAIVER_DISCLOSE = "waiver-disclose"


class Recipient(StrEnum):
    CHANNEL = "channel"  # the private committee channel
    CHAIR = "chair"  # the committee chair, by direct message
    MEMBER = "member"  # one committee member, by direct message
    OFFICER = "officer"  # one Senior Financial Officer, by direct message


@dataclass(frozen=True)
class Audience:
    """Who reads a notice: the committee channel, or one person (with their roster id)."""

    recipient: Recipient
    person_id: int | None = None

    def __post_init__(self) -> None:
        if (self.recipient is Recipient.CHANNEL) != (self.person_id is None):
            raise ValueError("the channel has no person id; every other audience has one")

    @property
    def channel(self) -> bool:
        return self.recipient is Recipient.CHANNEL

    @classmethod
    def committee_channel(cls) -> Audience:
        return cls(Recipient.CHANNEL)

    @classmethod
    def chair(cls, person_id: int) -> Audience:
        return cls(Recipient.CHAIR, person_id)

    @classmethod
    def member(cls, person_id: int) -> Audience:
        return cls(Recipient.MEMBER, person_id)

    @classmethod
    def officer(cls, person_id: int) -> Audience:
        return cls(Recipient.OFFICER, person_id)


Facts = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Due:
    """One notice whose moment has come. `facts` are never confidential (no report content)."""

    key: str
    audience: Audience
    subject_id: str
    kind: DueKind
    facts: Facts = field(default=())


class Plan(NamedTuple):
    """What one sweep must do: the notices due, and the drafts to delete."""

    dues: list[Due]
    expired_drafts: list[str]


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
    _require_aware(now)
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
            when = (("Days overdue", str((today - due).days)) if today > due
                    else ("Days left", str((due - today).days)))
            dues.append(Due(f"{kind.value}:{period}:{label}", Audience.officer(officer.person_id),
                            subject, kind, (("Due", due.isoformat()), when)))
        escalate_on = due + timedelta(days=settings.attestation_escalate_after_days)
        if _has_come(escalate_on, now, settings):
            facts = (("Officer", officer.name), ("Due", due.isoformat()),
                     ("Days overdue", str((today - due).days)))
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
    A member named in the report (`excluded_member_ids`) gets no direct message, the chair
    included. The chair is the roster's chair (the lowest id, should there be several).
    """
    _require_aware(now)
    tz = settings.tz
    chairs = sorted(m.person_id for m in members if m.chair)
    dues: list[Due] = []
    for case in cases:
        if case.acknowledged_at is not None:
            continue
        received = as_utc(case.received_at)
        steps: list[tuple[int, str, Audience]] = [
            (settings.unacked_channel_after_business_days, "channel", Audience.committee_channel())]
        if chairs and chairs[0] not in case.excluded_member_ids:
            steps.append((settings.unacked_chair_after_business_days, "chair",
                          Audience.chair(chairs[0])))
        steps += [(settings.unacked_members_after_business_days, f"member:{m.person_id}",
                   Audience.member(m.person_id))
                  for m in members if m.person_id not in case.excluded_member_ids]
        waiting: str | None = None
        for days, label, audience in steps:
            if add_business_time(received, days, tz) > now:
                continue
            waiting = waiting or str(_business_days_elapsed(received, now, tz))
            facts = _case_facts(case, tz) + (("Business days unacknowledged", waiting),)
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
    """
    _require_aware(now)
    dues: list[Due] = []
    for case in cases:
        received = as_utc(case.received_at)
        if case.acknowledged_at is None:
            deadline = receipt_deadline(received, settings)
            dues += _deadline_due(case, DueKind.RECEIPT_DEADLINE, deadline,
                                  settings.receipt_warning_days, "Acknowledge receipt by",
                                  now, settings)
        if case.last_feedback_at is None:
            deadline = feedback_deadline(received, settings)
            dues += _deadline_due(case, DueKind.FEEDBACK_DEADLINE, deadline,
                                  settings.feedback_warning_days, "Give feedback by",
                                  now, settings)
    return dues


def acknowledge_by(received_at: datetime, settings: ScheduleSettings = _DEFAULTS) -> date:
    """The local date by which the committee should acknowledge a report (the channel
    reminder's moment: `unacked_channel_after_business_days` of business time after receipt)."""
    moment = add_business_time(as_utc(received_at), settings.unacked_channel_after_business_days,
                               settings.tz)
    return local_date(moment, settings.tz)


def receipt_deadline(received_at: datetime, settings: ScheduleSettings = _DEFAULTS) -> date:
    """The local date by which the reporter must be told of receipt: calendar days after the
    local date of receipt (not 24-hour days, which a daylight-saving change would shift a day)."""
    received_on = local_date(as_utc(received_at), settings.tz)
    return received_on + timedelta(days=settings.receipt_ack_days)


def feedback_deadline(received_at: datetime, settings: ScheduleSettings = _DEFAULTS) -> date:
    """The local date by which the reporter is due feedback (calendar months after receipt)."""
    return _add_months(local_date(as_utc(received_at), settings.tz), settings.feedback_months)


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
                                             ("Days left", str((deadline - today).days)))
            return [Due(f"{kind.value}:{case.report_id}:d-{days}", Audience.committee_channel(),
                        case.report_id, kind, facts)]
    return []


def _case_facts(case: OpenCase, tz: ZoneInfo) -> Facts:
    try:
        category = Category(case.category).label
    except ValueError:
        category = case.category
    received = local_date(as_utc(case.received_at), tz)
    return (("Case", case.code), ("Category", category), ("Received", received.isoformat()))


def _business_days_elapsed(received: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Whole business days of business time between receipt and now."""
    elapsed = business_days_between(local_date(received, tz), local_date(now, tz))
    while elapsed > 0 and add_business_time(received, elapsed, tz) > now:
        elapsed -= 1
    return elapsed


# --- waivers ---------------------------------------------------------------------------------


def waiver_disclosure_deadline(granted_on: date, settings: ScheduleSettings = _DEFAULTS) -> date:
    """The last day to disclose a waiver: four US business days after the grant (Form 8-K)."""
    return add_business_days(granted_on, settings.waiver_disclosure_business_days)


def waiver_dues(waivers: Iterable[WaiverState], now: datetime,
                settings: ScheduleSettings = _DEFAULTS) -> list[Due]:
    """A reminder in the committee channel every business day, from the grant (or the next
    business day) at `reminder_hour`, until the disclosure is recorded; past the deadline it
    keeps coming, with the business days overdue. The key carries the step's local date; only
    the latest step that has come is returned.
    """
    _require_aware(now)
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
        when = (("Business days overdue", str(business_days_between(deadline, today)))
                if today > deadline
                else ("Business days left", str(business_days_between(today, deadline))))
        facts = (("Officer", waiver.person_name), ("Granted", waiver.granted_on.isoformat()),
                 ("Disclose by", deadline.isoformat()), when)
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
    _require_aware(now)
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


def _add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day when it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + timedelta(days=day.day - 1),
               following - timedelta(days=1))


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be an aware datetime")
