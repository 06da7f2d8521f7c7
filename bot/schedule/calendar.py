"""Business days and local dates: US federal holidays, business-day arithmetic, time zones.

Pure and explicit: no clock is read and no time zone is assumed. A "business day" is a weekday
that is not a US federal holiday as observed (the day off federal offices take), which is also
how the SEC counts the four business days for a Form 8-K.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

_MONDAY, _THURSDAY, _FRIDAY, _SATURDAY, _SUNDAY = 0, 3, 4, 5, 6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (0 = Monday) of a month; n = -1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A fixed-date holiday on Saturday is observed on Friday, on Sunday on Monday."""
    if day.weekday() == _SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == _SUNDAY:
        return day + timedelta(days=1)
    return day


def _holidays_of(year: int) -> list[tuple[date, str]]:
    """The 11 holidays of `year` as (actual date, name); current rules (5 U.S.C. 6103)."""
    found = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 2, _MONDAY, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, _MONDAY, -1), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, _MONDAY, 1), "Labor Day"),
        (_nth_weekday(year, 10, _MONDAY, 2), "Columbus Day"),
        (date(year, 11, 11), "Veterans Day"),
        (_nth_weekday(year, 11, _THURSDAY, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 1986:
        found.append((_nth_weekday(year, 1, _MONDAY, 3), "Birthday of Martin Luther King, Jr."))
    if year >= 2021:
        found.append((date(year, 6, 19), "Juneteenth National Independence Day"))
    return found


@lru_cache(maxsize=256)
def _days_off(year: int) -> tuple[tuple[date, str], ...]:
    days: dict[date, str] = {}
    # New Year's Day of the next year, on a Saturday, is observed on 31 December of this one.
    for actual, name in _holidays_of(year) + _holidays_of(year + 1)[:1]:
        observed = _observed(actual)
        if observed.year == year:
            days[observed] = name if observed == actual else f"{name} (observed)"
    return tuple(sorted(days.items()))


def us_federal_holidays(year: int) -> dict[date, str]:
    """The days off for US federal holidays that fall in `year`, with their names.

    Observed dates: Saturday -> Friday, Sunday -> Monday. So New Year's Day 2022 (a Saturday)
    appears in 2021 as 31 December, and 2022 has ten entries. Martin Luther King, Jr. Day counts
    from 1986 and Juneteenth from 2021; earlier years otherwise use today's rules (not history).
    """
    return dict(_days_off(year))


def is_business_day(day: date) -> bool:
    """A weekday that is not an observed US federal holiday."""
    return day.weekday() < _SATURDAY and day not in _holiday_dates(day.year)


@lru_cache(maxsize=256)
def _holiday_dates(year: int) -> frozenset[date]:
    return frozenset(day for day, _ in _days_off(year))


def add_business_days(day: date, n: int) -> date:
    """The n-th business day after `day` (before it when n < 0).

    Counting starts from the next day, so Friday + 1 is Monday and Saturday + 1 is Monday too.
    With n = 0 the day itself when it is a business day, else the next business day: the result
    is always a business day.
    """
    step = 1 if n >= 0 else -1
    if n == 0:
        while not is_business_day(day):
            day += timedelta(days=1)
        return day
    remaining = abs(n)
    while remaining:
        day += timedelta(days=step)
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(a: date, b: date) -> int:
    """How many business days lie in (a, b]; negative, counted the same way, when b < a.

    So `business_days_between(a, add_business_days(a, n)) == n` for every n >= 1.
    """
    if b < a:
        return -business_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        count += is_business_day(day)
    return count


def require_aware(moment: datetime) -> None:
    """Refuse a naive time: every time Candor compares is aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; Candor's times are aware")


_Day = TypeVar("_Day", date, datetime)


def shift_years(day: _Day, years: int) -> _Day:
    """The same day (or moment) `years` later; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date at `tz` at that moment."""
    require_aware(moment)
    return moment.astimezone(tz).date()


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of a wall-clock time on a local date.

    A wall time skipped by a daylight-saving change (02:30 on a spring-forward night) is read
    with the offset before the change, so it lands just after the gap; an ambiguous one (01:30
    on a fall-back night) is its first occurrence.
    """
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def start_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of a local date, in UTC (where midnight is skipped, the first that
    exists)."""
    return local_moment(day, time(0), tz)


def add_business_time(moment: datetime, n: int, tz: ZoneInfo) -> datetime:
    """The moment n (>= 0) business days of elapsed business time after `moment`, in UTC.

    On a business day the clock runs from `moment`: Monday 15:00 + 1 is Tuesday 15:00 and
    Friday 15:00 + 1 is Monday 15:00 (the same wall time, whatever daylight saving did in
    between). On a weekend or holiday it starts at the next business day's first moment:
    Saturday 10:00 + 1 is Tuesday 00:00, the end of Monday.
    """
    if n < 0:
        raise ValueError("business time only runs forward")
    require_aware(moment)
    local = moment.astimezone(tz)
    day = local.date()
    if is_business_day(day):
        return local_moment(add_business_days(day, n), local.time(), tz)
    return start_of_local_day(add_business_days(day, n + 1), tz)
