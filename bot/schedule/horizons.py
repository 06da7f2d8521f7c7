"""How far back a sweep must look: for each rule of `bot.schedule.reminders`, the bounds on a
row's stored dates outside which nothing about the row can be due at `now`.

The sweep reads only the rows inside these bounds (a WHERE on indexed date columns) and still
judges each with the rules, so the bounds need only be safe: wider than the rules, never
narrower. Every bound is therefore loosened by what a local date or a daylight-saving change can
move a moment (a day), and by the shortest a span of business days or months can be (a business
day is at least a calendar day; a month at least 28 days, at most 31). Pure, reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.schedule.calendar import local_date, require_aware
from bot.schedule.deadlines import ScheduleSettings

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Horizons:
    """The bounds at one `now`. A None window: the rule can fire for no row, whatever its
    dates."""

    officer_due_by: date | None  # an officer's due date on record after this: nothing due
    unacked_received_before: datetime  # unacknowledged and received at or after: nothing due
    feedback_received_from: datetime | None  # no feedback yet and received in [from, before)
    feedback_received_before: datetime | None


def horizons(now: datetime, settings: ScheduleSettings) -> Horizons:
    require_aware(now)
    today = local_date(now, settings.tz)
    return Horizons(_officer_due_by(today, settings), _unacked_before(now, today, settings),
                    *_feedback_window(today, settings))


def _officer_due_by(today: date, settings: ScheduleSettings) -> date:
    # The period owed is never earlier than the date on record (bot.attestation.owed), and each
    # step falls due on a local date at the reminder hour, so on or before `today`: a reminder
    # N days before, the first overdue step `every` days after, the escalation after its days.
    lead = max([*settings.attestation_reminder_days, -settings.attestation_overdue_every_days,
                -settings.attestation_escalate_after_days])
    return today + timedelta(days=lead)


def _unacked_before(now: datetime, today: date,
                    settings: ScheduleSettings) -> datetime:
    # The first unacknowledged step comes after n business days of business time: at least n
    # calendar days, less what a daylight-saving change takes (well under the day allowed).
    first = min(settings.unacked_channel_after_business_days,
                settings.unacked_chair_after_business_days,
                settings.unacked_members_after_business_days)
    bound = now - timedelta(days=first) + _DAY
    if settings.receipt_warning_days:
        # The receipt deadline's warnings: its earliest step has come by today.
        latest_received_on = (today - timedelta(days=settings.receipt_ack_days)
                              + timedelta(days=max(settings.receipt_warning_days)))
        bound = max(bound, _after_local_day(latest_received_on))
    return bound


def _feedback_window(today: date,
                     settings: ScheduleSettings) -> tuple[datetime | None, datetime | None]:
    if not settings.feedback_warning_days:
        return None, None
    months = settings.feedback_months
    # A step is N days before the deadline (received + months, at least 28 days a month) and has
    # come; none once the deadline (at most 31 days a month) has passed.
    latest = today + timedelta(days=max(settings.feedback_warning_days) - 28 * months)
    earliest = today - timedelta(days=31 * months)
    return _before_local_day(earliest), _after_local_day(latest)


def _after_local_day(day: date) -> datetime:
    """A moment after every moment whose local date (in any time zone) is `day`."""
    return datetime.combine(day + 2 * _DAY, time(0), tzinfo=UTC)


def _before_local_day(day: date) -> datetime:
    """A moment before every moment whose local date (in any time zone) is `day`."""
    return datetime.combine(day - _DAY, time(0), tzinfo=UTC)
