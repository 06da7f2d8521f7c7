"""The reminder rules walked through a year with a fixed clock, in New York time.

A small world (officers who attest early, late, never; reports acknowledged at various times or
never; waivers) is swept every hour of 2025, and each sweep's notices go through a set of keys
already written, as the outbox's unique key does. Every reminder and escalation must appear once,
on the right local day and hour, for the right audience, and no sweep may return a notice for an
officer who has attested or a report that has been acknowledged. Then the same world with
outages, and at random sweep times.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from random import Random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedule.calendar import local_moment
from bot.schedule.deadlines import ScheduleSettings, receipt_deadline, waiver_disclosure_deadline
from bot.schedule.dues import (
    Audience,
    CommitteeMember,
    DraftState,
    Due,
    DueKind,
    OfficerState,
    OpenCase,
    Plan,
    Recipient,
    WaiverState,
)
from bot.schedule.reminders import (
    all_dues,
    attestation_dues,
    deadline_dues,
    expired_drafts,
    unacknowledged_dues,
    waiver_dues,
)

NY = ZoneInfo("America/New_York")
SETTINGS = ScheduleSettings(timezone="America/New_York")
CHAIR, ANA, BEN, CHO = 10, 11, 12, 13
MEMBERS = (CommitteeMember(CHAIR, True), CommitteeMember(ANA, False),
           CommitteeMember(BEN, False), CommitteeMember(CHO, False))


def ny(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    """A New York wall-clock time, as the aware UTC moment the rules receive."""
    return local_moment(date(y, m, d), time(h, minute), NY)


# --- the world -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Officer:
    person_id: int
    name: str
    due: date | None
    attests_at: tuple[datetime, ...] = ()  # each attestation moves the due date a year on
    attested: bool = False

    def at(self, now: datetime) -> OfficerState:
        done = sum(1 for moment in self.attests_at if moment <= now)
        due = self.due.replace(year=self.due.year + done) if self.due else None
        return OfficerState(self.person_id, self.name, None if self.attested else due)


@dataclass(frozen=True)
class Case:
    report_id: str
    received_at: datetime
    acknowledged_at: datetime | None = None
    feedback_at: datetime | None = None
    excluded: frozenset[int] = frozenset()
    category: str = "fraud"

    def at(self, now: datetime) -> OpenCase | None:
        if self.received_at > now:
            return None
        return OpenCase(self.report_id, f"CASE-{self.report_id.upper()}", self.category,
                        self.received_at, _by(self.acknowledged_at, now),
                        _by(self.feedback_at, now), self.excluded)


@dataclass(frozen=True)
class Waiver:
    waiver_id: str
    person_name: str
    granted_on: date
    recorded_at: datetime
    disclosed_at: datetime | None = None

    def at(self, now: datetime) -> WaiverState | None:
        if self.recorded_at > now:
            return None
        disclosed = _by(self.disclosed_at, now)
        return WaiverState(self.waiver_id, self.person_name, self.granted_on,
                           disclosed.astimezone(NY).date() if disclosed else None)


def _by(moment: datetime | None, now: datetime) -> datetime | None:
    return moment if moment is not None and moment <= now else None


OFFICERS = (
    Officer(1, "Ada Lovelace", date(2025, 3, 31), attests_at=(ny(2025, 3, 20, 10),)),  # early
    Officer(2, "Grace Hopper", date(2025, 6, 30)),  # never attests
    Officer(3, "Linus Pauling", date(2025, 9, 15), attests_at=(ny(2025, 9, 26, 12),)),  # 11 days late
    Officer(4, "Barbara Liskov", date(2025, 11, 3), attests_at=(ny(2025, 11, 3, 8),)),  # on the day, early
    Officer(5, "Edsger Dijkstra", None),  # nothing scheduled
    Officer(6, "Ken Thompson", date(2025, 3, 10), attests_at=(ny(2025, 4, 1, 15),)),  # after escalation
    Officer(7, "Margaret Hamilton", date(2025, 5, 1), attested=True),  # already attested
    Officer(8, "Alan Turing", date(2025, 1, 15), attests_at=(ny(2025, 1, 10, 11),)),  # d-30 before the walk
)
CASES = (
    Case("r1", ny(2025, 3, 3, 15), ny(2025, 3, 3, 16), ny(2025, 5, 10, 10)),  # acknowledged within the hour
    Case("r2", ny(2025, 11, 21, 15), excluded=frozenset({BEN})),  # never acknowledged, Thanksgiving week
    Case("r3", ny(2025, 3, 8, 10), ny(2025, 3, 12, 11), excluded=frozenset({CHAIR})),  # a Saturday, DST next day
    Case("r4", ny(2025, 12, 24, 17), excluded=frozenset({CHAIR}), category="code_violation"),  # Christmas Eve
    Case("r5", ny(2025, 7, 1, 9, 30), ny(2025, 7, 3, 10, 30), ny(2025, 9, 20, 12)),  # around July 4
    Case("r6", ny(2025, 3, 7, 15), ny(2025, 3, 10, 15, 30), ny(2025, 5, 1, 9)),  # over the DST change
)
WAIVERS = (
    Waiver("wv1", "Linus Pauling", date(2025, 11, 26), ny(2025, 11, 26, 12), ny(2025, 12, 2, 14)),
    Waiver("wv2", "Grace Hopper", date(2025, 12, 19), ny(2025, 12, 19, 8)),  # never disclosed
)

START, END = ny(2025, 1, 1), ny(2026, 1, 1)


def plan_at(now: datetime) -> Plan:
    return all_dues(officers=[o.at(now) for o in OFFICERS],
                    cases=[c for c in (case.at(now) for case in CASES) if c is not None],
                    members=MEMBERS,
                    waivers=[w for w in (waiver.at(now) for waiver in WAIVERS) if w is not None],
                    drafts=[], now=now, settings=SETTINGS)


def assert_still_relevant(due: Due, now: datetime) -> None:
    """No sweep returns a notice for someone who has attested, acknowledged or disclosed."""
    kind = due.kind
    if kind in (DueKind.ATTEST_REMIND, DueKind.ATTEST_OVERDUE, DueKind.ATTEST_ESCALATE):
        state = next(o for o in OFFICERS if str(o.person_id) == due.subject_id).at(now)
        assert state.due is not None, due.key
        assert due.key.split(":")[2] == state.due.isoformat(), due.key
        return
    if kind is DueKind.WAIVER_DISCLOSE:
        waiver = next(w for w in WAIVERS if w.waiver_id == due.subject_id).at(now)
        assert waiver is not None and waiver.disclosed_on is None, due.key
        return
    case = next(c for c in CASES if c.report_id == due.subject_id).at(now)
    assert case is not None, due.key
    if kind is DueKind.FEEDBACK_DEADLINE:
        assert case.last_feedback_at is None, due.key
    else:
        assert case.acknowledged_at is None, due.key
    if due.audience.person_id is not None and kind is not DueKind.UNACKED:
        assert due.audience.person_id not in case.excluded_member_ids, due.key


ALLOWED_FACTS = {"Due", "Days left", "Days overdue", "Officer", "Case", "Category", "Received",
                 "Business days unacknowledged", "Acknowledge receipt by", "Give feedback by",
                 "Granted", "Disclose by", "Business days left", "Business days overdue"}


def walk(moments: Iterable[datetime]) -> dict[str, tuple[datetime, Due]]:
    """Sweep at each moment; the first sighting of each key, as the outbox would keep it."""
    written: dict[str, tuple[datetime, Due]] = {}
    for now in moments:
        dues = plan_at(now).dues
        keys = [due.key for due in dues]
        assert len(keys) == len(set(keys)), f"a sweep returned a key twice at {now}"
        for due in dues:
            assert_still_relevant(due, now)
            assert {label for label, _ in due.facts} <= ALLOWED_FACTS, due.facts
            written.setdefault(due.key, (now, due))
    return written


def hourly(start: datetime = START, end: datetime = END,
           skip: Iterable[tuple[datetime, datetime]] = ()) -> Iterator[datetime]:
    gaps = list(skip)
    now = start
    while now < end:
        if not any(a <= now < b for a, b in gaps):
            yield now
        now += timedelta(hours=1)


@cache
def hourly_year() -> dict[str, tuple[datetime, Due]]:
    return walk(hourly())


# --- what a year should hold -----------------------------------------------------------------


def officer(pid: int) -> Audience:
    return Audience.officer(pid)


CHANNEL = Audience.committee_channel()


def _expected() -> dict[str, tuple[datetime, Audience]]:
    """Each key, the New York wall time of its first hourly sighting, and its audience."""
    at9 = 9
    expected: dict[str, tuple[datetime, Audience]] = {
        # Alan: due 15 January; the 30-day step (16 December) had come when the walk began.
        "attest-remind:8:2025-01-15:d-30": (datetime(2025, 1, 1, 0), officer(8)),
        "attest-remind:8:2025-01-15:d-7": (datetime(2025, 1, 8, at9), officer(8)),
        # ... attests on 10 January, so his next due date is 15 January 2026.
        "attest-remind:8:2026-01-15:d-30": (datetime(2025, 12, 16, at9), officer(8)),
        # Ada attests on 20 March, between the 30- and the 7-day reminders.
        "attest-remind:1:2025-03-31:d-30": (datetime(2025, 3, 1, at9), officer(1)),
        # Ken: due Monday 10 March, the day after DST starts; escalated; attests on 1 April.
        "attest-remind:6:2025-03-10:d-30": (datetime(2025, 2, 8, at9), officer(6)),
        "attest-remind:6:2025-03-10:d-7": (datetime(2025, 3, 3, at9), officer(6)),
        "attest-remind:6:2025-03-10:d-1": (datetime(2025, 3, 9, at9), officer(6)),
        "attest-remind:6:2025-03-10:d-0": (datetime(2025, 3, 10, at9), officer(6)),
        "attest-overdue:6:2025-03-10:w1": (datetime(2025, 3, 17, at9), officer(6)),
        "attest-overdue:6:2025-03-10:w2": (datetime(2025, 3, 24, at9), officer(6)),
        "attest-escalate:6:2025-03-10": (datetime(2025, 3, 24, at9), CHANNEL),
        "attest-overdue:6:2025-03-10:w3": (datetime(2025, 3, 31, at9), officer(6)),
        # Grace never attests: every step, weekly to the end of the year, one escalation.
        "attest-remind:2:2025-06-30:d-30": (datetime(2025, 5, 31, at9), officer(2)),
        "attest-remind:2:2025-06-30:d-7": (datetime(2025, 6, 23, at9), officer(2)),
        "attest-remind:2:2025-06-30:d-1": (datetime(2025, 6, 29, at9), officer(2)),
        "attest-remind:2:2025-06-30:d-0": (datetime(2025, 6, 30, at9), officer(2)),
        "attest-escalate:2:2025-06-30": (datetime(2025, 7, 14, at9), CHANNEL),
        # Linus attests 11 days late: one weekly reminder, no escalation.
        "attest-remind:3:2025-09-15:d-30": (datetime(2025, 8, 16, at9), officer(3)),
        "attest-remind:3:2025-09-15:d-7": (datetime(2025, 9, 8, at9), officer(3)),
        "attest-remind:3:2025-09-15:d-1": (datetime(2025, 9, 14, at9), officer(3)),
        "attest-remind:3:2025-09-15:d-0": (datetime(2025, 9, 15, at9), officer(3)),
        "attest-overdue:3:2025-09-15:w1": (datetime(2025, 9, 22, at9), officer(3)),
        # Barbara: d-1 falls on the fall-back Sunday; she attests at 08:00 on the day.
        "attest-remind:4:2025-11-03:d-30": (datetime(2025, 10, 4, at9), officer(4)),
        "attest-remind:4:2025-11-03:d-7": (datetime(2025, 10, 27, at9), officer(4)),
        "attest-remind:4:2025-11-03:d-1": (datetime(2025, 11, 2, at9), officer(4)),
        # r2, Friday 21 November 15:00, never acknowledged, Ben excluded.
        "unacked:r2:channel": (datetime(2025, 11, 24, 15), CHANNEL),
        "unacked:r2:chair": (datetime(2025, 11, 25, 15), Audience.members([CHAIR])),
        # every member gets the escalation's content-free message, Ben too: one missing would show
        "unacked:r2:members": (datetime(2025, 11, 26, 15), Audience.members([CHAIR, ANA, BEN, CHO])),
        "receipt-deadline:r2:d-2": (datetime(2025, 11, 26, at9), CHANNEL),
        # r3, Saturday 8 March: business time starts Monday, acknowledged Wednesday 11:00;
        # the chair is excluded; no feedback ever.
        "unacked:r3:channel": (datetime(2025, 3, 11, 0), CHANNEL),
        "unacked:r3:chair": (datetime(2025, 3, 12, 0), Audience.members([CHAIR])),  # content-free
        "feedback-deadline:r3:d-14": (datetime(2025, 5, 25, at9), CHANNEL),
        "feedback-deadline:r3:d-3": (datetime(2025, 6, 5, at9), CHANNEL),
        # r4, Christmas Eve 17:00, chair excluded, never acknowledged.
        "unacked:r4:channel": (datetime(2025, 12, 26, 17), CHANNEL),
        "unacked:r4:chair": (datetime(2025, 12, 29, 17), Audience.members([CHAIR])),
        "unacked:r4:members": (datetime(2025, 12, 30, 17), Audience.members([CHAIR, ANA, BEN, CHO])),
        "receipt-deadline:r4:d-2": (datetime(2025, 12, 29, at9), CHANNEL),
        # r5, Tuesday 1 July 09:30, acknowledged Thursday 10:30 (the chair's DM came at 09:30);
        # feedback on 20 September, after the 14-day reminder and before the 3-day one.
        "unacked:r5:channel": (datetime(2025, 7, 2, 10), CHANNEL),
        "unacked:r5:chair": (datetime(2025, 7, 3, 10), Audience.members([CHAIR])),
        "feedback-deadline:r5:d-14": (datetime(2025, 9, 17, at9), CHANNEL),
        # r6, Friday 7 March 15:00 EST: one business day later is Monday 15:00 EDT.
        "unacked:r6:channel": (datetime(2025, 3, 10, 15), CHANNEL),
        # wv1, granted the Wednesday before Thanksgiving, disclosed Tuesday 2 December 14:00.
        "waiver-disclose:wv1:2025-11-26": (datetime(2025, 11, 26, 12), CHANNEL),
        "waiver-disclose:wv1:2025-11-28": (datetime(2025, 11, 28, at9), CHANNEL),
        "waiver-disclose:wv1:2025-12-01": (datetime(2025, 12, 1, at9), CHANNEL),
        "waiver-disclose:wv1:2025-12-02": (datetime(2025, 12, 2, at9), CHANNEL),
    }
    for week in range(1, 27):  # 30 June + 26 weeks = 29 December
        day = date(2025, 6, 30) + timedelta(weeks=week)
        expected[f"attest-overdue:2:2025-06-30:w{week}"] = (datetime.combine(day, time(at9)), officer(2))
    for dom in (19, 22, 23, 24, 26, 29, 30, 31):  # every business day, Christmas skipped
        expected[f"waiver-disclose:wv2:2025-12-{dom:02d}"] = (datetime(2025, 12, dom, at9), CHANNEL)
    return expected


EXPECTED = _expected()


def wall(moment: datetime) -> datetime:
    return moment.astimezone(NY).replace(tzinfo=None)


# --- the year, swept every hour --------------------------------------------------------------


def test_a_year_swept_hourly_sends_exactly_the_expected_notices() -> None:
    written = hourly_year()

    assert sorted(written) == sorted(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_notice_comes_on_its_local_day_and_hour_to_its_audience(key: str) -> None:
    first_seen, due = hourly_year()[key]
    when, audience = EXPECTED[key]

    assert wall(first_seen) == when
    assert due.audience == audience


def test_nobody_who_attested_or_acknowledged_is_reminded() -> None:
    keys = set(hourly_year())

    assert not [k for k in keys if k.startswith(("attest-remind:7:", "attest-overdue:7:"))]
    assert not [k for k in keys if k.split(":")[1] == "5"]  # nothing scheduled
    assert "attest-remind:4:2025-11-03:d-0" not in keys  # attested at 08:00 that day
    assert "attest-escalate:3:2025-09-15" not in keys  # attested on day 11
    assert not [k for k in keys if k.startswith(("unacked:r1:", "receipt-deadline:r1",
                                                 "feedback-deadline:r1"))]
    assert "unacked:r3:members" not in keys  # acknowledged by then
    assert "feedback-deadline:r5:d-3" not in keys
    assert "waiver-disclose:wv1:2025-12-03" not in keys


def test_the_escalation_names_the_officer_and_the_days_overdue() -> None:
    _, due = hourly_year()["attest-escalate:2:2025-06-30"]

    assert due.kind is DueKind.ATTEST_ESCALATE
    assert due.audience.channel
    assert dict(due.facts) == {"Officer": "Grace Hopper", "Due": "2025-06-30", "Days overdue": "14"}


def test_channel_notices_about_a_case_carry_only_its_code_category_and_dates() -> None:
    _, due = hourly_year()["unacked:r4:channel"]

    assert dict(due.facts) == {"Case": "CASE-R4", "Category": due.facts[1][1],
                               "Received": "2025-12-24", "Business days unacknowledged": "1"}
    assert due.facts[1][1] != "code_violation"  # the category's label, not its stored value
    assert due.subject_id == "r4"


def test_the_waiver_reminders_count_business_days_to_and_past_the_deadline() -> None:
    year = hourly_year()

    assert dict(year["waiver-disclose:wv2:2025-12-19"][1].facts)["Business days left"] == "4"
    assert dict(year["waiver-disclose:wv2:2025-12-26"][1].facts)["Business days left"] == "0"
    assert dict(year["waiver-disclose:wv2:2025-12-31"][1].facts)["Business days overdue"] == "3"


# --- outages ---------------------------------------------------------------------------------


@cache
def year_with_outages() -> dict[str, tuple[datetime, Due]]:
    return walk(hourly(skip=[
        (ny(2025, 6, 28), ny(2025, 7, 1)),  # Grace's d-1 and d-0
        (ny(2025, 8, 1), ny(2025, 9, 1)),  # Grace's w5 to w8
        (ny(2025, 11, 21), ny(2025, 11, 27)),  # all of r2's escalation
        (ny(2025, 12, 20), ny(2025, 12, 27)),  # wv2 over Christmas, r4's receipt
    ]))


def test_after_an_outage_only_the_latest_step_of_a_cadence_is_sent() -> None:
    written = year_with_outages()
    missed = {"attest-remind:2:2025-06-30:d-1", "attest-overdue:2:2025-06-30:w5",
              "attest-overdue:2:2025-06-30:w6", "attest-overdue:2:2025-06-30:w7",
              "waiver-disclose:wv2:2025-12-22", "waiver-disclose:wv2:2025-12-23",
              "waiver-disclose:wv2:2025-12-24"}

    assert sorted(written) == sorted(set(EXPECTED) - missed)
    assert wall(written["attest-remind:2:2025-06-30:d-0"][0]) == datetime(2025, 7, 1)
    assert wall(written["attest-overdue:2:2025-06-30:w8"][0]) == datetime(2025, 9, 1)
    assert wall(written["attest-overdue:2:2025-06-30:w9"][0]) == datetime(2025, 9, 1, 9)
    assert wall(written["waiver-disclose:wv2:2025-12-26"][0]) == datetime(2025, 12, 27)


def test_after_an_outage_each_audience_of_an_unacknowledged_report_hears_once() -> None:
    written = year_with_outages()
    r2 = {k: wall(v[0]) for k, v in written.items() if k.startswith(("unacked:r2:", "receipt-deadline:r2:"))}

    assert r2 == dict.fromkeys(["unacked:r2:channel", "unacked:r2:chair", "unacked:r2:members",
                                "receipt-deadline:r2:d-2"], datetime(2025, 11, 27))
    assert dict(written["unacked:r2:chair"][1].facts)["Business days unacknowledged"] == "3"


def test_a_deadline_reminder_missed_until_after_the_deadline_is_dropped() -> None:
    # Down from the day before r4's reminder until after its deadline (31 December).
    written = walk(hourly(start=ny(2025, 12, 24), end=ny(2026, 1, 3),
                          skip=[(ny(2025, 12, 28), ny(2026, 1, 1))]))

    assert "receipt-deadline:r4:d-2" not in written
    assert "unacked:r4:channel" in written


# --- random sweep times ----------------------------------------------------------------------


def random_sweeps(seed: int, max_gap_minutes: int) -> Iterator[datetime]:
    rng = Random(seed)
    now = START
    while now < END:
        yield now
        now += timedelta(minutes=rng.randint(1, max_gap_minutes))


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=3 * 60, max_value=22 * 60))
def test_sweeping_at_random_times_sends_the_same_attestation_notices(seed: int, max_gap: int) -> None:
    # Consecutive steps are at least 23 hours apart (a DST day), and so is every attestation
    # from the step before it: sweeps never more than 22 hours apart see each step once.
    def attestations(written: dict[str, tuple[datetime, Due]]) -> set[str]:
        return {k for k in written if k.startswith("attest-")}

    assert attestations(walk(random_sweeps(seed, max_gap))) == attestations(hourly_year())


@settings(max_examples=30, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)))
def test_a_sweep_at_any_moment_returns_only_expected_keys_and_is_repeatable(now: datetime) -> None:
    first, again = plan_at(now), plan_at(now)

    assert first == again
    assert {due.key for due in first.dues} <= set(EXPECTED) | {
        f"attest-overdue:2:2025-06-30:w{w}" for w in range(1, 60)} | {
        f"waiver-disclose:wv2:{d.isoformat()}" for d in (date(2025, 12, 19) + timedelta(days=i) for i in range(20))}


# --- single rules ----------------------------------------------------------------------------


def test_a_late_sweep_before_the_due_date_sends_only_the_latest_reminder() -> None:
    ada = OfficerState(1, "Ada Lovelace", date(2025, 3, 31))

    dues = attestation_dues([ada], ny(2025, 3, 26, 12), SETTINGS)  # d-30 and d-7 both unseen

    assert [d.key for d in dues] == ["attest-remind:1:2025-03-31:d-7"]
    assert dict(dues[0].facts) == {"Due": "2025-03-31", "Days left": "5"}


def test_a_long_overdue_officer_gets_the_latest_weekly_reminder_and_the_escalation() -> None:
    ken = OfficerState(6, "Ken Thompson", date(2024, 1, 2))

    dues = attestation_dues([ken], ny(2025, 1, 2, 10), SETTINGS)

    assert [d.key for d in dues] == ["attest-overdue:6:2024-01-02:w52", "attest-escalate:6:2024-01-02"]
    assert dict(dues[0].facts)["Days overdue"] == "366"
    assert dues[0].audience == Audience(Recipient.OFFICER, 6)


def test_an_officer_who_owes_no_attestation_is_not_reminded() -> None:
    done = OfficerState(7, "Margaret Hamilton", None)

    assert attestation_dues([done], ny(2025, 6, 1, 12), SETTINGS) == []


def test_reminder_days_count_in_local_dates() -> None:
    # 02:00 UTC on 24 June is still 23 June in New York and already 24 June in UTC.
    grace = OfficerState(2, "Grace Hopper", date(2025, 7, 1))
    moment = datetime(2025, 6, 24, 14, tzinfo=UTC)  # 10:00 in New York

    assert [d.key for d in attestation_dues([grace], moment, SETTINGS)] == ["attest-remind:2:2025-07-01:d-7"]
    assert attestation_dues([grace], ny(2025, 6, 23, 23), SETTINGS)[0].key.endswith(":d-30")
    in_tokyo = ScheduleSettings(timezone="Asia/Tokyo")  # 23:00 in Tokyo on the 24th
    assert attestation_dues([grace], moment, in_tokyo)[0].key.endswith(":d-7")


def test_an_excluded_chair_gets_the_same_content_free_messages_as_for_any_case() -> None:
    case = OpenCase("r9", "CASE-R9", "fraud", ny(2025, 2, 3, 9), None, None, frozenset({CHAIR}))

    dues = unacknowledged_dues([case], MEMBERS, ny(2025, 2, 6, 10), SETTINGS)

    # The same notices, to the same people, as for a case that keeps no one away
    assert [d.key for d in dues] == ["unacked:r9:channel", "unacked:r9:chair", "unacked:r9:members"]
    assert [d.audience.person_ids for d in dues] == [(), (CHAIR,), (CHAIR, ANA, BEN, CHO)]


def test_a_member_kept_away_is_told_like_everyone_so_no_chat_shows_whom_a_case_keeps_away() -> None:
    kept_away = OpenCase("r9", "CASE-R9", "fraud", ny(2025, 2, 3, 9), None, None, frozenset({BEN}))
    open_to_all = OpenCase("r8", "CASE-R8", "fraud", ny(2025, 2, 3, 9), None, None, frozenset())

    dues = unacknowledged_dues([kept_away, open_to_all], MEMBERS, ny(2025, 2, 6, 10), SETTINGS)

    keys = [d.key.replace("r9", "r*").replace("r8", "r*") for d in dues]
    assert keys[:3] == keys[3:]
    assert [d.audience for d in dues[:3]] == [d.audience for d in dues[3:]]


def test_without_a_chair_on_the_roster_there_is_no_chair_message() -> None:
    case = OpenCase("r9", "CASE-R9", "fraud", ny(2025, 2, 3, 9), None, None, frozenset())
    members = [CommitteeMember(ANA, False)]

    keys = [d.key for d in unacknowledged_dues([case], members, ny(2025, 2, 6, 10), SETTINGS)]

    assert keys == ["unacked:r9:channel", "unacked:r9:members"]


def test_feedback_is_due_three_calendar_months_after_receipt_at_the_month_end() -> None:
    case = OpenCase("r9", "CASE-R9", "other", ny(2025, 1, 31, 10), ny(2025, 2, 1, 10), None)

    dues = deadline_dues([case], ny(2025, 4, 27, 9), SETTINGS)

    assert [d.key for d in dues] == ["feedback-deadline:r9:d-3"]
    assert dict(dues[0].facts)["Give feedback by"] == "2025-04-30"


@pytest.mark.parametrize(("received", "deadline"), [
    (ny(2025, 3, 8, 23, 30), date(2025, 3, 15)),  # the week holds the spring-forward night
    (ny(2025, 11, 1, 0, 30), date(2025, 11, 8)),  # the week holds the fall-back night
    (ny(2025, 12, 28, 23, 30), date(2026, 1, 4)),  # and a year end
])
def test_receipt_is_due_seven_local_calendar_days_after_the_day_of_receipt(received: datetime,
                                                                          deadline: date) -> None:
    case = OpenCase("r9", "CASE-R9", "other", received, None, None)

    assert receipt_deadline(received, SETTINGS) == deadline
    warned = deadline - timedelta(days=2)
    dues = deadline_dues([case], ny(warned.year, warned.month, warned.day, 9), SETTINGS)
    assert [(d.key, dict(d.facts)["Acknowledge receipt by"]) for d in dues] == [
        ("receipt-deadline:r9:d-2", deadline.isoformat())]


def test_a_stored_naive_time_is_read_as_utc() -> None:
    case = OpenCase("r9", "CASE-R9", "other", datetime(2025, 1, 6, 14), None, None)  # 09:00 in NY

    assert [d.key for d in unacknowledged_dues([case], MEMBERS, ny(2025, 1, 7, 9), SETTINGS)] == [
        "unacked:r9:channel"]


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        attestation_dues([], datetime(2025, 1, 1), SETTINGS)


def test_the_waiver_deadline_is_four_business_days_after_the_grant() -> None:
    assert waiver_disclosure_deadline(date(2024, 11, 27)) == date(2024, 12, 4)  # Thanksgiving
    assert waiver_disclosure_deadline(date(2021, 12, 29)) == date(2022, 1, 5)  # 31 Dec observed
    assert waiver_disclosure_deadline(date(2022, 12, 22)) == date(2022, 12, 29)  # 26 Dec observed
    assert waiver_disclosure_deadline(date(2025, 3, 8)) == date(2025, 3, 13)  # a Saturday grant


def test_a_waiver_granted_on_a_weekend_is_first_reminded_on_monday() -> None:
    waiver = WaiverState("wv9", "Ada Lovelace", date(2025, 3, 8), None)

    assert waiver_dues([waiver], ny(2025, 3, 9, 12), SETTINGS) == []
    assert [d.key for d in waiver_dues([waiver], ny(2025, 3, 10, 9), SETTINGS)] == [
        "waiver-disclose:wv9:2025-03-10"]


def test_a_disclosed_waiver_is_not_reminded() -> None:
    waiver = WaiverState("wv9", "Ada Lovelace", date(2025, 3, 3), date(2025, 3, 4))

    assert waiver_dues([waiver], ny(2025, 3, 5, 12), SETTINGS) == []


def test_drafts_expire_24_hours_after_the_end_of_their_last_days() -> None:
    # A draft's plain time is the day of its last change (00:00 of it): it goes once 24 hours
    # have passed since that day ended, whatever the hour of the change was.
    now = datetime(2025, 5, 3, 0, tzinfo=UTC)
    drafts = [DraftState("old", datetime(2025, 5, 1, tzinfo=UTC)), DraftState("fresh", datetime(2025, 5, 2, tzinfo=UTC)),
              DraftState("naive-old", datetime(2025, 4, 30))]

    assert expired_drafts(drafts, now, SETTINGS) == ["old", "naive-old"]
    assert all_dues(officers=[], cases=[], members=[], waivers=[], drafts=drafts, now=now).expired_drafts == [
        "old", "naive-old"]


def test_audiences_are_well_formed() -> None:
    assert Audience.committee_channel().channel
    assert not Audience.chair(10).channel
    with pytest.raises(ValueError):
        Audience(Recipient.CHANNEL, 10)
    with pytest.raises(ValueError):
        Audience(Recipient.MEMBER)
    with pytest.raises(ValueError):
        Audience(Recipient.MEMBERS, 10)
    assert Audience.members([12, 10, 12]).person_ids == (10, 12)


def test_settings_refuse_an_unknown_time_zone_and_odd_values() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ScheduleSettings(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        ScheduleSettings(reminder_hour=24)
    with pytest.raises(ValueError):
        ScheduleSettings(attestation_overdue_every_days=0)
