"""Business days and local dates: federal holidays as observed, business-day arithmetic across a
year end and the waiver deadline, and time zones across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.schedule.calendar import (
    add_business_days,
    add_business_time,
    business_days_between,
    is_business_day,
    local_date,
    local_moment,
    start_of_local_day,
    us_federal_holidays,
)

NEW_YORK = ZoneInfo("America/New_York")
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- the holidays ------------------------------------------------------------------------------


def test_2025_has_the_eleven_holidays_on_their_days() -> None:
    assert sorted(us_federal_holidays(2025)) == [
        date(2025, 1, 1), date(2025, 1, 20), date(2025, 2, 17), date(2025, 5, 26),
        date(2025, 6, 19), date(2025, 7, 4), date(2025, 9, 1), date(2025, 10, 13),
        date(2025, 11, 11), date(2025, 11, 27), date(2025, 12, 25),
    ]


def test_2021_observes_new_year_2022_on_friday_31_december() -> None:
    holidays = us_federal_holidays(2021)

    assert holidays[date(2021, 12, 31)] == "New Year's Day (observed)"
    assert holidays[date(2021, 12, 24)] == "Christmas Day (observed)"  # 25th was a Saturday
    assert holidays[date(2021, 6, 18)] == "Juneteenth National Independence Day (observed)"
    assert holidays[date(2021, 7, 5)] == "Independence Day (observed)"  # 4th was a Sunday
    assert date(2021, 1, 1) in holidays  # and its own New Year's Day, a Friday
    assert len(holidays) == 12


def test_2022_has_no_new_year_day_off_and_observes_christmas_on_monday_26() -> None:
    holidays = us_federal_holidays(2022)

    assert not any(day.month == 1 and day.day <= 3 for day in holidays)
    assert holidays[date(2022, 12, 26)] == "Christmas Day (observed)"
    assert holidays[date(2022, 6, 20)] == "Juneteenth National Independence Day (observed)"
    assert len(holidays) == 10


def test_2023_observes_new_year_on_monday_and_veterans_day_on_friday() -> None:
    holidays = us_federal_holidays(2023)

    assert holidays[date(2023, 1, 2)] == "New Year's Day (observed)"
    assert holidays[date(2023, 11, 10)] == "Veterans Day (observed)"


def test_juneteenth_counts_from_2021_and_king_day_from_1986() -> None:
    assert date(2020, 6, 19) not in us_federal_holidays(2020)
    assert not any("King" in name for name in us_federal_holidays(1985).values())
    assert date(1986, 1, 20) in us_federal_holidays(1986)


@given(st.integers(min_value=2021, max_value=2200))
def test_each_year_observes_each_of_the_eleven_holidays_once_on_a_weekday(year: int) -> None:
    # New Year's Day of `year` may be observed on 31 December of the year before.
    observed = us_federal_holidays(year)
    spill = {d: n for d, n in us_federal_holidays(year - 1).items() if d.month == 12 and d.day == 31}
    own = {d: n for d, n in observed.items() if not (d.month == 12 and d.day == 31)}
    names = [n.removesuffix(" (observed)") for n in list(own.values()) + list(spill.values())]

    assert len(names) == len(set(names)) == 11
    assert all(d.weekday() < 5 for d in observed)
    assert all(not is_business_day(d) for d in observed)


# --- business days -----------------------------------------------------------------------------


def test_business_days_over_the_2021_year_end() -> None:
    # Christmas observed Friday 24 December, New Year 2022 observed Friday 31 December.
    assert add_business_days(date(2021, 12, 23), 1) == date(2021, 12, 27)
    assert add_business_days(date(2021, 12, 30), 1) == date(2022, 1, 3)
    assert add_business_days(date(2022, 1, 3), -1) == date(2021, 12, 30)
    # (22 Dec, 4 Jan]: 23, 27, 28, 29, 30 December and 3, 4 January.
    assert business_days_between(date(2021, 12, 22), date(2022, 1, 4)) == 7


def test_business_days_over_the_2022_year_end() -> None:
    # Christmas observed Monday 26 December; 2 January 2023 observes New Year's Day.
    assert add_business_days(date(2022, 12, 23), 1) == date(2022, 12, 27)
    assert add_business_days(date(2022, 12, 30), 1) == date(2023, 1, 3)
    assert not is_business_day(date(2022, 12, 26))
    assert is_business_day(date(2022, 12, 30))


def test_four_business_days_from_the_wednesday_before_thanksgiving() -> None:
    # Thursday 28 November 2024 is Thanksgiving; the Friday after it is a business day.
    assert add_business_days(date(2024, 11, 27), 4) == date(2024, 12, 4)
    assert add_business_days(date(2025, 11, 26), 4) == date(2025, 12, 3)


def test_a_weekend_day_plus_one_is_monday_and_plus_zero_rolls_forward() -> None:
    saturday = date(2025, 3, 8)

    assert add_business_days(saturday, 1) == date(2025, 3, 10)
    assert add_business_days(saturday, 0) == date(2025, 3, 10)
    assert add_business_days(date(2025, 3, 7), 0) == date(2025, 3, 7)


@given(days, st.integers(min_value=-400, max_value=400))
def test_adding_business_days_always_lands_on_a_business_day(start: date, n: int) -> None:
    assert is_business_day(add_business_days(start, n))


@given(days, st.integers(min_value=1, max_value=400))
def test_business_days_between_counts_what_was_added(start: date, n: int) -> None:
    end = add_business_days(start, n)

    assert business_days_between(start, end) == n
    assert business_days_between(end, start) == -n
    assert (end - start).days >= n


@given(days, days)
def test_business_days_between_is_additive_over_a_middle_day(a: date, b: date) -> None:
    middle = a + (b - a) / 2
    assert business_days_between(a, b) == (business_days_between(a, middle)
                                           + business_days_between(middle, b))


# --- time zones --------------------------------------------------------------------------------


def test_the_spring_forward_day_in_new_york_is_23_hours_long() -> None:
    start, end = start_of_local_day(date(2025, 3, 9), NEW_YORK), start_of_local_day(date(2025, 3, 10), NEW_YORK)

    assert start == utc(2025, 3, 9, 5)
    assert end == utc(2025, 3, 10, 4)
    assert end - start == timedelta(hours=23)


def test_the_fall_back_day_in_new_york_is_25_hours_long() -> None:
    start, end = start_of_local_day(date(2025, 11, 2), NEW_YORK), start_of_local_day(date(2025, 11, 3), NEW_YORK)

    assert end - start == timedelta(hours=25)
    assert local_date(end - timedelta(microseconds=1), NEW_YORK) == date(2025, 11, 2)
    assert local_date(end, NEW_YORK) == date(2025, 11, 3)


def test_local_date_is_the_date_in_the_time_zone_not_in_utc() -> None:
    late_evening = utc(2025, 12, 31, 23, 30)  # 18:30 in New York, 08:30 on 1 January in Tokyo

    assert local_date(late_evening, NEW_YORK) == date(2025, 12, 31)
    assert local_date(late_evening, ZoneInfo("Asia/Tokyo")) == date(2026, 1, 1)
    assert local_date(late_evening, ZoneInfo("UTC")) == date(2025, 12, 31)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        local_date(datetime(2025, 1, 1, 12), NEW_YORK)


def test_a_wall_time_skipped_by_spring_forward_lands_after_the_gap() -> None:
    moment = local_moment(date(2025, 3, 9), time(2, 30), NEW_YORK)

    assert moment.astimezone(NEW_YORK).time() == time(3, 30)


def test_a_midnight_skipped_by_daylight_saving_starts_the_day_at_one() -> None:
    # Santiago springs forward at midnight: 7 September 2025 starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    start = start_of_local_day(date(2025, 9, 7), santiago)

    assert start.astimezone(santiago).replace(tzinfo=None) == datetime(2025, 9, 7, 1)


def test_business_time_keeps_the_wall_clock_across_spring_forward() -> None:
    # Friday 7 March 2025, 15:00 EST (20:00 UTC); DST begins on Sunday the 9th.
    friday = utc(2025, 3, 7, 20)

    monday = add_business_time(friday, 1, NEW_YORK)

    assert monday == utc(2025, 3, 10, 19)  # 15:00 EDT
    assert monday.astimezone(NEW_YORK).time() == time(15)


def test_business_time_keeps_the_wall_clock_across_fall_back() -> None:
    friday = local_moment(date(2025, 10, 31), time(15), NEW_YORK)

    assert add_business_time(friday, 1, NEW_YORK) == utc(2025, 11, 3, 20)  # 15:00 EST
    assert add_business_time(friday, 2, NEW_YORK) == utc(2025, 11, 4, 20)


def test_business_time_from_a_weekend_starts_at_the_next_business_day() -> None:
    saturday = local_moment(date(2025, 3, 8), time(10), NEW_YORK)

    assert add_business_time(saturday, 1, NEW_YORK) == start_of_local_day(date(2025, 3, 11), NEW_YORK)
    assert add_business_time(saturday, 0, NEW_YORK) == start_of_local_day(date(2025, 3, 10), NEW_YORK)


def test_business_time_skips_christmas_and_the_new_year() -> None:
    christmas_eve = local_moment(date(2025, 12, 24), time(17), NEW_YORK)

    assert add_business_time(christmas_eve, 1, NEW_YORK) == local_moment(date(2025, 12, 26), time(17), NEW_YORK)
    assert add_business_time(christmas_eve, 5, NEW_YORK) == local_moment(date(2026, 1, 2), time(17), NEW_YORK)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
       st.integers(min_value=0, max_value=30))
def test_business_time_moves_forward_and_lands_on_a_business_day(moment: datetime, n: int) -> None:
    later = add_business_time(moment, n, NEW_YORK)

    assert later >= moment
    assert is_business_day(local_date(later, NEW_YORK))
    assert add_business_time(moment, n + 1, NEW_YORK) > later
