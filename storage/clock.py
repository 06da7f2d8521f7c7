"""Time as storage keeps it: aware datetimes in UTC (SQLModel's UTCDateTime columns)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Any time as aware UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def start_of_day(moment: datetime, tz: tzinfo = UTC) -> datetime:
    """The start of `moment`'s day in `tz`, as UTC: what a plain column keeps of a moment that
    must not be known finer than its day (an anonymous report, a person's last message)."""
    local = as_utc(moment).astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
