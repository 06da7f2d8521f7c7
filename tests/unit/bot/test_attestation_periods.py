"""Which attestation an officer owes: one a year, never for years ahead, never silenced by a due
date set back to a period already met."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from bot.attestation import owed, period_on


def test_a_new_officer_owes_the_period_of_their_due_date_at_once():
    now = owed(date(2027, 3, 31), set(), date(2026, 11, 25))
    assert (now.period, now.due, now.is_open(date(2026, 11, 25))) == ("2027", date(2027, 3, 31), True)


def test_after_attesting_the_next_period_opens_the_day_after_the_last_was_due():
    after = owed(date(2027, 3, 31), {"2027"}, date(2026, 11, 25))
    assert (after.period, after.due, after.opens_on) == ("2028", date(2028, 3, 31), date(2027, 4, 1))
    assert not after.is_open(date(2027, 3, 31)) and after.is_open(date(2027, 4, 1))


def test_a_due_date_set_back_to_a_met_period_moves_on_to_the_first_unmet_one():
    assert owed(date(2026, 3, 31), {"2026", "2027"}, date(2027, 5, 1)).due == date(2028, 3, 31)


def test_without_a_due_date_the_period_is_the_calendar_year():
    now = owed(None, set(), date(2026, 11, 25))
    assert (now.period, now.due, now.scheduled) == ("2026", date(2026, 12, 31), False)
    assert owed(None, {"2026"}, date(2026, 11, 25)).opens_on == date(2027, 1, 1)


def test_a_leap_day_due_date_falls_back_to_the_28th_and_opens_after_the_29th():
    after = owed(date(2028, 2, 29), {"2028"}, date(2028, 2, 29))
    assert after.due == date(2029, 2, 28) and after.opens_on == date(2028, 3, 1)
    assert not after.is_open(date(2028, 2, 29))
    assert owed(date(2028, 2, 29), {"2028", "2029", "2030", "2031"}, date(2028, 3, 1)).due == date(2032, 2, 29)


@example(date(2024, 2, 29), date(2024, 2, 29))
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_nobody_can_attest_twice_within_one_window(due, today):
    # Whatever the dates, attesting on or before the due date leaves the next period closed
    # until the day after it; the next period opens exactly then.
    first = owed(due, set(), today)
    second = owed(due, {first.period}, today)
    assert second.period == str(int(first.period) + 1)
    assert not second.is_open(first.due) and second.is_open(first.due + timedelta(days=1))


def test_a_quarter_is_judged_by_the_period_whose_window_holds_its_last_day():
    assert period_on(date(2027, 1, 15), date(2026, 12, 31)) == "2027"
    assert period_on(date(2028, 1, 15), date(2026, 12, 31)) == "2027"  # the moved-on date too
    assert period_on(date(2027, 12, 31), date(2026, 12, 31)) == "2026"
    assert period_on(None, date(2026, 9, 30)) == "2026"
