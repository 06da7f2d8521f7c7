"""The company's deadlines and the settings of its clocks: when the committee should acknowledge
a report (`acknowledge_by`), when the reporter is due word of receipt and feedback (EU Directive
2019/1937: `receipt_deadline`, `feedback_deadline`), when a waiver must be disclosed (Form 8-K:
`waiver_disclosure_deadline`), and `ScheduleSettings`, every clock with its default.

Pure: dates are local to `ScheduleSettings.timezone`; business days and local dates are
`bot.schedule.calendar`'s. The reminders (`bot.schedule.reminders`) count down to these dates,
`bot.core` shows them on a case and `bot.waivers` records a waiver's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.schedule.calendar import add_business_days, add_business_time, local_date
from storage.clock import as_utc


@dataclass(frozen=True)
class ScheduleSettings:
    """Every clock Candor keeps (deadlines, reminders, drafts, the anonymous delay), with its
    default, in one place."""

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
    # How many anonymous reports one person may file in a day (bot.filing counts them under a
    # keyed tag of the person and the day).
    anonymous_daily_limit: int = 5
    # How many members allowed on a case must agree to show a confidential reporter's name
    # (issue 24; never fewer than 2). Read here for the wording; the reveal rule counts to it.
    reveal_quorum: int = 2

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


def waiver_disclosure_deadline(granted_on: date, settings: ScheduleSettings = _DEFAULTS) -> date:
    """The last day to disclose a waiver: four US business days after the grant (Form 8-K)."""
    return add_business_days(granted_on, settings.waiver_disclosure_business_days)


def _add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day when it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + timedelta(days=day.day - 1),
               following - timedelta(days=1))
