"""The sweep reads only the rows a rule can find due (bot.schedule.horizons): on a population with
rows on both sides of every horizon, what it finds due from its narrowed reads is exactly what
the rules find due from every row, at every moment of a walk through the year, in time zones on
both sides of UTC and with unusual clocks."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from bench.common import make_core
from bot.schedule.deadlines import ScheduleSettings
from bot.schedule.dues import CommitteeMember
from bot.schedule.horizons import Horizons, horizons
from bot.schedule.reminders import all_dues
from bot.sweep import Sweeper
from storage.models import Attestation, Person, Report
from storage.vocabulary import CaseStatus, Category, PersonKind, Role

START = datetime(2027, 1, 1, tzinfo=UTC)
MEMBERS = [CommitteeMember(900, True), CommitteeMember(901, False)]
EVERYTHING = Horizons(officer_due_by=date(9999, 12, 31),
                      unacked_received_before=datetime(9999, 1, 1, tzinfo=UTC),
                      feedback_received_from=datetime(1900, 1, 1, tzinfo=UTC),
                      feedback_received_before=datetime(9999, 1, 1, tzinfo=UTC))


def _populate(db) -> None:  # type: ignore[no-untyped-def]
    """Officers due on every day of a year and a half, a third of them having attested for the
    year of their date (so the period owed is the next); cases received every 37 hours over the
    same span, in each of the four ways of being acknowledged or not and fed back or not."""
    people = [{"email": f"o{i}@example.com", "name": f"Officer {i}", "kind": PersonKind.OFFICER.name,
               "role": Role.CONTROLLER.name, "chair": False, "active": True,
               "attestation_due": (START + timedelta(days=i)).date(), "created_at": START}
              for i in range(-120, 420, 7)]
    people += [{"email": f"m{i}@example.com", "name": f"Member {i}",
                "kind": PersonKind.COMMITTEE.name, "role": None, "chair": i == 0, "active": True,
                "attestation_due": None, "created_at": START} for i in range(2)]
    reports = []
    for i in range(0, 540 * 24, 37):
        received = START - timedelta(days=120) + timedelta(hours=i)
        step = i // 37  # a quarter not acknowledged (each sweep judges those from receipt)
        acked, fed = step % 8 > 1, step % 2 == 0
        reports.append({"id": secrets.token_hex(12), "code": f"H{i:08d}", "status":
                        (CaseStatus.UNDER_REVIEW if acked else CaseStatus.RECEIVED).name,
                        "category": Category.OTHER.name, "anonymous": True, "reporter_tag": None,
                        "secret_hash": None, "received_at": received,
                        "acknowledged_at": received + timedelta(days=2) if acked else None,
                        "acknowledged_by": None, "closed_at": None,
                        "last_feedback_at": received + timedelta(days=30) if fed else None,
                        "legal_hold": False, "shredded_at": None, "body": b"x"})
    with db.engine.begin() as connection:
        connection.execute(insert(Person.__table__), people)  # type: ignore[attr-defined]
        connection.execute(insert(Report.__table__), reports)  # type: ignore[attr-defined]
        officers = connection.execute(Person.__table__.select()  # type: ignore[attr-defined]
                                      .where(Person.__table__.c.kind == "OFFICER")).all()  # type: ignore[attr-defined]
        connection.execute(insert(Attestation.__table__), [  # type: ignore[attr-defined]
            {"id": secrets.token_hex(12), "person_id": row.id,
             "period": str(row.attestation_due.year), "attested_at": START,
             "policy_hash": "0" * 64, "body": b"x"} for row in officers[::3]])


SETTINGS = [
    ScheduleSettings(),
    ScheduleSettings(timezone="America/New_York", reminder_hour=0),
    ScheduleSettings(timezone="Pacific/Kiritimati", reminder_hour=23, feedback_months=1,
                     feedback_warning_days=(27, 0), receipt_warning_days=(7, 0)),
    ScheduleSettings(timezone="Pacific/Pago_Pago", attestation_reminder_days=(),
                     attestation_escalate_after_days=0, unacked_channel_after_business_days=0,
                     receipt_warning_days=(), feedback_warning_days=()),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["utc", "new-york", "kiritimati", "pago-pago"])
def test_the_narrowed_reads_find_every_due_that_reading_every_row_finds(database, settings):
    # Given officers and open cases on both sides of every horizon of the year walked
    _populate(database)
    sweeper = Sweeper(database, make_core(), settings)
    with database.read() as session:
        # When the sweep's reads, narrowed at each moment, and every row are judged by the rules
        moments = [START + timedelta(hours=h) for h in range(0, 365 * 24, 151)]
        compared = narrowed_rows = 0
        everything = sweeper._cases(session, EVERYTHING)
        for now in moments:
            bounds = horizons(now, settings)
            officers = sweeper._officers(session, now, bounds)
            cases = sweeper._cases(session, bounds)
            narrowed = all_dues(officers=officers, cases=cases, members=MEMBERS, waivers=[],
                                drafts=[], now=now, settings=settings).dues
            full = all_dues(officers=sweeper._officers(session, now, EVERYTHING), cases=everything,
                            members=MEMBERS, waivers=[], drafts=[], now=now, settings=settings).dues
            # Then they are the same notices
            assert sorted(d.key for d in narrowed) == sorted(d.key for d in full), now
            assert set(narrowed) == set(full)
            compared += len(full)
            narrowed_rows += len(officers) + len(cases)
    # and the walk did judge notices, from far fewer rows than the whole population
    assert compared > 100
    assert narrowed_rows < len(moments) * (len(everything) + 78) / 2
