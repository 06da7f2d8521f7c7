"""The Code's "Administration" section, on SQLite and PostgreSQL: the Board's determinations,
waivers and their disclosure, conflict routing by the chair, retention with legal hold, and the
committee's records (case files and the sanitized register)."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import SQLModel, col, func, select

from adapters.export import case_markdown, case_pdf, register_pdf, write_register
from bot import board, records, retention
from bot.admin import Admin
from bot.core import CandorError, keep_refusal
from bot.delivery.outbox import people_of, person_target
from bot.messages import Document, Form, FormErrors, Text
from bot.schedule.calendar import shift_years
from bot.schedule.deadlines import ScheduleSettings, waiver_disclosure_deadline
from bot.sweep import Sweeper
from storage.crypto import ShreddedError
from storage.models import (
    AuditEvent,
    CaseMessage,
    DataKey,
    Determination,
    Exclusion,
    OutboxMessage,
    Person,
    Report,
    StatusChange,
    Waiver,
)
from storage.vocabulary import CaseStatus
from tests.support.world import World, build_world, choice_values, text_of

CANARY = "CANARY-b0a4d"


def file_report(world: World, who: str = "cfo", *, exclude: list[str] | None = None) -> Report:
    world.submit(who, "intake", {
        "category": "fraud", "what": f"Revenue booked early at the plant {CANARY}-what",
        "who": f"{CANARY}-who the plant controller", "anonymous": "no",
        "exclude": [str(world.people[k].id) for k in exclude or []],
    })
    with world.db.read() as session:
        return session.exec(select(Report).order_by(col(Report.received_at).desc())).first()


def acknowledged_report(world: World) -> Report:
    report = file_report(world)
    world.click("chair", f"case:ack:{report.id}")
    return report


def valid_determination(world: World, **changes: str) -> dict[str, str]:
    values = {
        "subject": str(world.people["controller"].id), "violation": "yes", "action": "censure",
        "nature": f"{CANARY}-nature revenue recognised a quarter early", "occurrence": "repeated",
        "intent": "intentional", "advised": "yes", "prior": "None before this case",
        "decider": "The Audit Committee, designated by the Board", "decided_on": "2026-11-02",
        "reasoning": f"{CANARY}-reasoning the Board weighed the ledger",
    }
    values.update(changes)
    return values


def count(world: World, model) -> int:
    with world.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def audit_rows(world: World) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())


# --- Board determinations -----------------------------------------------------------------------


def test_a_member_records_a_determination_from_the_details_with_every_factor_sealed(world):
    report = acknowledged_report(world)

    details = world.click("member", f"case:view:{report.id}")
    assert f"case:determine:{report.id}" in choice_values(details)
    form = world.click("member", f"case:determine:{report.id}")[0]
    assert isinstance(form, Form) and form.form_id == f"determine:{report.id}"
    assert {f.name for f in form.fields} >= {"subject", "violation", "action", "nature", "occurrence",
                                             "intent", "advised", "prior", "decider", "decided_on",
                                             "reasoning"}
    replies = world.submit("member", form.form_id, valid_determination(world))

    assert "determination on case" in text_of(replies)
    with world.db.read() as session:
        row = session.exec(select(Determination)).one()
        sealed = board.db_unseal(session, world.core, row)
    assert row.action.value == "censure" and row.violation is True
    # the officer is sealed: in a dump, the action stands beside no one
    assert sealed["subject_id"] == world.people["controller"].id and row.decided_by == world.people["member"].id
    assert "subject_id" not in row.model_dump()
    assert row.decided_on == date(2026, 11, 2)
    assert CANARY.encode() not in row.body
    assert sealed["reasoning"].startswith(f"{CANARY}-reasoning") and sealed["advised"] is True
    assert sealed["occurrence"] == "repeated" and sealed["intent"] == "intentional"
    assert sealed["decider"] == "The Audit Committee, designated by the Board"
    # Another member allowed on the case reads it in the case's details; no audit row or notice
    # carries the reasoning.
    details = text_of(world.click("member2", f"case:view:{report.id}"))
    assert "Board determination recorded" in details and "Action: Censure" in details
    assert "Officer: Sam Ortiz" in details and f"{CANARY}-reasoning the Board weighed the ledger" in details
    assert "Advised beforehand of the proper course: yes" in details
    # who decided (the Board's designee here) is apart from who recorded it
    assert ("Decided by The Audit Committee, designated by the Board on 2026-11-02 (recorded by Alex Kim)"
            in details)
    assert any(e.action == "determination.recorded" for e in audit_rows(world))
    assert all(CANARY not in e.detail for e in audit_rows(world))


def test_the_form_shows_earlier_determinations_against_the_officer(world):
    report = acknowledged_report(world)
    world.submit("member", f"determine:{report.id}", valid_determination(world))

    form = world.click("member2", f"case:determine:{report.id}")[0]

    assert isinstance(form, Form)
    assert "Sam Ortiz: 2026-11-02, material violation, Censure" in (form.intro or "")
    assert CANARY not in (form.intro or "")
    world.submit("member2", form.form_id, valid_determination(world, action="written_notice"))
    with world.db.read() as session:
        second = session.exec(select(Determination).where(Determination.action == "written_notice")).one()
        first = session.exec(select(Determination).where(Determination.action == "censure")).one()
        assert board.db_unseal(session, world.core, second)["prior_determinations"] == [first.id]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"action": "public_flogging"}, "action", "not one the Code lists"),
    ({"action": "none"}, "action", "only when no material violation"),
    ({"violation": "no"}, "action", "the action is \"No action\""),
    ({"intent": ""}, "intent", "intentional or inadvertent"),
    ({"nature": "  "}, "nature", "nature and severity"),
    ({"advised": ""}, "advised", "advised beforehand"),
    ({"prior": ""}, "prior", "prior violations"),
    ({"occurrence": "sometimes"}, "occurrence", "single occurrence or repeated"),
    ({"reasoning": ""}, "reasoning", "needed"),
    ({"decider": " "}, "decider", "needed"),
    ({"decided_on": "2027-01-01"}, "decided_on", "in the future"),
])
def test_a_determination_missing_a_factor_or_outside_the_code_is_refused(world, changes, field, message):
    report = acknowledged_report(world)

    replies = world.submit("member", f"determine:{report.id}", valid_determination(world, **changes))

    assert isinstance(replies[0], FormErrors)
    assert message in replies[0].errors[field]
    assert count(world, Determination) == 0


def test_a_determination_about_someone_off_the_officer_roster_is_refused(world):
    report = acknowledged_report(world)
    replies = world.submit("member", f"determine:{report.id}",
                           valid_determination(world, subject=str(world.people["member2"].id)))
    assert isinstance(replies[0], FormErrors) and "officer" in replies[0].errors["subject"]
    assert count(world, Determination) == 0


def test_no_violation_and_no_action_is_recorded(world):
    report = acknowledged_report(world)
    world.submit("member", f"determine:{report.id}",
                 valid_determination(world, violation="no", action="none"))
    with world.db.read() as session:
        row = session.exec(select(Determination)).one()
    assert row.violation is False and row.action.value == "none"


def test_an_excluded_member_or_an_officer_cannot_record_a_determination(world):
    report = file_report(world, exclude=["member"])
    world.click("chair", f"case:ack:{report.id}")

    refused = world.submit("member", f"determine:{report.id}", valid_determination(world))
    officer = world.click("cfo", f"case:determine:{report.id}")

    assert "can't open this case" in text_of(refused)
    assert "members of the Audit Committee" in text_of(officer)
    assert count(world, Determination) == 0
    attempts = [e.detail for e in audit_rows(world) if e.action == "case.refused"]
    assert any('"determine"' in d for d in attempts)


# --- waivers ------------------------------------------------------------------------------------


def test_the_disclosure_deadline_skips_thanksgiving():
    # Granted Wednesday 2026-11-25: Thu 26 is Thanksgiving, then Fri 27, Mon 30, Tue 1, Wed 2.
    assert waiver_disclosure_deadline(date(2026, 11, 25)) == date(2026, 12, 2)
    assert waiver_disclosure_deadline(date(2026, 11, 2)) == date(2026, 11, 6)


def waiver_values(world: World, **changes: str) -> dict[str, str]:
    values = {"officer": str(world.people["cfo"].id), "granted_by": "Board of Directors",
              "granted_on": "2026-11-25", "provision": "Obligation 3 (conflicts of interest)",
              "reason": f"{CANARY}-waiver-reason a board seat at a supplier"}
    values.update(changes)
    return values


def test_the_committee_records_a_waiver_and_its_disclosure_from_chat(world):
    world.clock.moment = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    form = world.command("member", "ethics", "waiver")[0]
    assert isinstance(form, Form) and form.form_id == "waiver"

    recorded = world.submit("member", "waiver", waiver_values(world))

    assert "by 2026-12-02" in text_of(recorded)
    with world.db.read() as session:
        row = session.exec(select(Waiver)).one()
        reason = world.core.vault.unseal(session, kind="waiver", record_id=row.id, blob=row.body)["reason"]
    assert row.disclosure_due == date(2026, 12, 2) and row.disclosed_on is None
    assert row.recorded_by == world.people["member"].id and CANARY.encode() not in row.body
    assert reason.startswith(f"{CANARY}-waiver-reason")
    home = text_of(world.service.home(world.actor("chair")))
    assert "Dana Reyes: Obligation 3" in home and CANARY not in home
    register = world.command("chair", "ethics", "waivers")
    assert isinstance(register[0], Document) and "NOT YET DISCLOSED: due 2026-12-02" in text_of(register)
    assert f"waiver:disclose:{row.id}" in choice_values(register)

    disclose = world.click("chair", f"waiver:disclose:{row.id}")[0]
    assert isinstance(disclose, Form)
    done = world.submit("chair", disclose.form_id, {"ref": "0001234567-26-000042", "on": "2026-11-27"})

    assert "is recorded (2026-11-27)" in text_of(done)
    with world.db.read() as session:
        row = session.exec(select(Waiver)).one()
    assert row.disclosed_on == date(2026, 11, 27) and row.disclosure_ref == "0001234567-26-000042"
    assert "disclosed 2026-11-27" in text_of(world.command("chair", "ethics", "waivers"))
    assert choice_values(world.command("chair", "ethics", "waivers")) == []
    assert {"waiver.recorded", "waiver.disclosed"} <= {e.action for e in audit_rows(world)}
    assert all(CANARY not in e.detail for e in audit_rows(world))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"provision": ""}, "provision", "must name the provision of the Code"),
    ({"officer": "999"}, "officer", "from the roster"),
    ({"granted_on": "25/11/2026"}, "granted_on", "YYYY-MM-DD"),
    ({"reason": ""}, "reason", "reason"),
    ({"granted_on": "1900-01-01"}, "granted_on", "check the year"),
])
def test_a_waiver_without_a_provision_or_for_an_unknown_officer_is_refused(world, changes, field, message):
    world.clock.moment = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    replies = world.submit("member", "waiver", waiver_values(world, **changes))
    assert isinstance(replies[0], FormErrors) and message in replies[0].errors[field]
    assert count(world, Waiver) == 0


def test_the_waiver_register_shows_mentions_and_links_inert(world):
    world.clock.moment = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    world.submit("member", "waiver", waiver_values(world, provision="<!here> <@U0LEE> see http://evil.example"))
    register = text_of(world.command("member", "ethics", "waivers"))
    assert "<!here>" not in register and "<@U0LEE>" not in register and "http://evil" not in register


def test_officers_cannot_record_or_read_waivers(world):
    assert "members of the Audit Committee" in text_of(world.command("cfo", "ethics", "waiver"))
    assert "members of the Audit Committee" in text_of(world.command("cfo", "ethics", "waivers"))
    assert "members of the Audit Committee" in text_of(world.submit("cfo", "waiver", waiver_values(world)))
    assert count(world, Waiver) == 0


# --- conflict routing ---------------------------------------------------------------------------


def test_the_chair_keeps_a_member_away_in_every_path(world):
    report = file_report(world)
    member_id = world.people["member"].id
    assert f"case:exclude:{report.id}" not in choice_values(world.click("member", f"case:view:{report.id}"))
    assert "chair" in text_of(world.click("member", f"case:exclude:{report.id}"))

    form = world.click("chair", f"case:exclude:{report.id}")[0]
    assert isinstance(form, Form) and form.form_id == f"exclude:{report.id}"
    assert str(member_id) in [o.value for o in form.fields[0].options]
    done = world.submit("chair", form.form_id, {"member": str(member_id)})

    assert "kept away" in text_of(done)
    # details, listing and App Home
    assert "can't open this case" in text_of(world.click("member", f"case:view:{report.id}"))
    assert report.code not in text_of(world.command("member", "ethics", "cases"))
    assert report.code not in text_of(world.service.home(world.actor("member")))
    assert report.code in text_of(world.command("member2", "ethics", "cases"))
    chair_view = text_of(world.click("chair", f"case:view:{report.id}"))
    assert "visible to the chair only): Alex Kim" in chair_view
    assert "Alex Kim" not in text_of(world.click("member2", f"case:view:{report.id}"))
    # the audit log says an exclusion was added, never whom
    added = [e for e in audit_rows(world) if e.action == "case.exclusion_added"]
    assert len(added) == 1 and list(json.loads(added[0].detail)) == ["exclusion"]
    # escalations by direct message (unacknowledged for three business days)
    Sweeper(world.db, world.core).run(datetime(2026, 11, 6, 15, 0, tzinfo=UTC))
    with world.db.read() as session:
        opened = [world.core.vault.unseal(session, kind="outbox", record_id=r.id, blob=r.body)
                  for r in session.exec(select(OutboxMessage)).all()]
    # reach every member, the one kept away too (a message missing from a chat would show whom the
    # case keeps away), and what reaches them names no case
    to_member = [d for d in opened if member_id in (people_of(d["target"]) or ())
                 or d["target"] == person_target(member_id)]
    reached = {p for d in opened for p in people_of(d["target"]) or ()}
    assert world.people["member2"].id in reached and to_member
    assert all(report.code not in json.dumps(d) and report.id not in json.dumps(d["notice"])
               for d in to_member)
    # the case file export
    with pytest.raises(CandorError), world.db.write() as session:
        member = session.get(Person, member_id)
        records.db_case_file(session, world.core, member, report.code)


def test_an_exclusion_chosen_by_the_reporter_is_audited_without_the_member(world):
    report = file_report(world, exclude=["member"])
    added = [e for e in audit_rows(world) if e.action == "case.exclusion_added" and e.record_id == report.id]
    assert len(added) == 1 and added[0].actor == "reporter"
    with world.db.read() as session:
        [exclusion] = session.exec(select(Exclusion).where(Exclusion.report_id == report.id)).all()
    assert json.loads(added[0].detail) == {"exclusion": exclusion.id}  # the row, not the member


def test_an_export_refusal_is_audited(world):
    report = file_report(world, exclude=["member"])
    with pytest.raises(CandorError) as refused_by_core:
        with world.db.write() as session:
            records.db_case_file(session, world.core, session.get(Person, world.people["member"].id), report.code)
    assert "can't open" in refused_by_core.value.reply
    keep_refusal(world.db, refused_by_core.value)  # as every caller of a use case does (service, admin)
    refused = [e for e in audit_rows(world) if e.action == "case.refused"]
    assert refused and '"export"' in refused[-1].detail
    assert not [e for e in audit_rows(world) if e.action == "case.exported"]


# --- retention and legal hold -------------------------------------------------------------------


def closed_case_with_history(world: World) -> Report:
    report = acknowledged_report(world)
    world.submit("member", f"ask:{report.id}", {"question": f"{CANARY}-question which ledger?"})
    world.submit("member", f"determine:{report.id}", valid_determination(world))
    world.submit("chair", f"exclude:{report.id}", {"member": str(world.people["member2"].id)})
    world.submit("member", f"move:{report.id}:closed", {"reason": f"{CANARY}-closing reason"})
    with world.db.read() as session:
        report = session.get(Report, report.id)
    assert report.status is CaseStatus.CLOSED and report.closed_at is not None
    return report


def test_a_closed_case_is_shredded_after_seven_years_leaving_a_tombstone(world):
    report = closed_case_with_history(world)
    with world.db.read() as session:
        assert retention.db_due(session, datetime(2033, 11, 1, tzinfo=UTC)) == []
        assert [r.id for r in retention.db_due(session, datetime(2033, 11, 3, tzinfo=UTC))] == [report.id]
    world.clock.moment = datetime(2033, 11, 3, tzinfo=UTC)

    with world.db.write() as session:
        result = retention.db_shred(session, world.core, session.get(Report, report.id))

    assert result.keys >= 5
    with world.db.read() as session:
        tomb = session.get(Report, report.id)
        assert tomb.code == report.code and tomb.category == report.category
        assert tomb.received_at and tomb.closed_at and tomb.shredded_at
        assert tomb.body == retention.TOMBSTONE and tomb.reporter_tag is None
        vault = world.core.vault
        with pytest.raises(ShreddedError):
            vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
        sealed = [("case_message", CaseMessage), ("status_change", StatusChange),
                  ("determination", Determination)]
        for kind, model in sealed:
            rows = session.exec(select(model).where(model.report_id == report.id)).all()
            assert rows
            for row in rows:
                with pytest.raises(ShreddedError):
                    vault.unseal(session, kind=kind, record_id=row.id, blob=row.body)
        assert session.exec(select(func.count()).select_from(DataKey)
                            .where(DataKey.record_id == report.id)).one() == 0
        assert world.core.audit.verify(session).ok
    assert [e for e in audit_rows(world) if e.action == "case.shredded"]
    # The tombstone is gone from the committee's views but stays in the register.
    assert "couldn't open" in text_of(world.click("chair", f"case:view:{report.id}"))
    with world.db.write() as session:
        register = records.db_register(session, world.core, "2026Q4", actor="cli")
    assert [c.code for c in register.cases] == [report.code] and register.cases[0].shredded


@pytest.mark.parametrize("by", ["retention run", "sweep"])
def test_a_shredded_cases_keys_are_left_neither_in_the_sqlite_file_nor_its_wal(sqlite_database, vault, by):
    # Given a closed case on SQLite, its wrapped data keys written to the WAL as it went
    world = build_world(sqlite_database, vault)
    report = closed_case_with_history(world)
    with world.db.read() as session:
        wrapped = [k.wrapped for k in session.exec(select(DataKey).where(DataKey.record_id == report.id))]
    assert wrapped
    database = Path(str(world.db.engine.url.database))
    wal = database.with_name(database.name + "-wal")
    # When it is shredded, seven years on: by `candor retention run`'s use case, or by the sweep
    world.clock.moment = datetime(2033, 11, 3, tzinfo=UTC)
    if by == "sweep":
        assert Sweeper(world.db, world.core, world.core.schedule).run(world.clock()).cases_shredded == 1
    else:
        admin = Admin(world.db, world.core, retention_years=7)
        assert admin.shred(admin.due_for_shredding(at=world.clock())) == 1
    # Then none of its keys is anywhere in the files a copy of the disk would hold
    on_disk = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert not [key for key in wrapped if key in on_disk]


def test_a_legal_hold_stops_shredding_until_released(world):
    report = closed_case_with_history(world)
    later = datetime(2040, 1, 1, tzinfo=UTC)
    form = world.click("chair", f"case:hold:{report.id}")[0]
    assert isinstance(form, Form)
    assert "chair" in text_of(world.click("member", f"case:hold:{report.id}"))

    placed = world.submit("chair", form.form_id, {"reason": f"{CANARY}-hold litigation"})

    assert "under legal hold" in text_of(placed)
    with world.db.read() as session:
        assert retention.db_due(session, later) == []
        held = session.get(Report, report.id)
        assert held.legal_hold and CANARY.encode() not in held.body
        content = world.core.vault.unseal(session, kind="report", record_id=held.id, blob=held.body)
        assert content["holds"][0]["reason"] == f"{CANARY}-hold litigation"
        assert content["what"].endswith(f"{CANARY}-what")
    with pytest.raises(CandorError), world.db.write() as session:
        retention.db_shred(session, world.core, session.get(Report, report.id))
    assert "Release legal hold" in text_of(world.click("chair", f"case:view:{report.id}"))

    released = world.submit("chair", f"hold:{report.id}", {"reason": "Matter settled"})

    assert "released" in text_of(released)
    with world.db.read() as session:
        assert [r.id for r in retention.db_due(session, later)] == [report.id]
    actions = [e.action for e in audit_rows(world)]
    assert "case.hold" in actions and "case.hold_released" in actions
    assert all(CANARY not in e.detail for e in audit_rows(world))


def test_an_open_case_is_never_due():
    report = Report(code="X", category="fraud", anonymous=True, body=b"", status=CaseStatus.UNDER_REVIEW,
                    closed_at=datetime(2000, 1, 1, tzinfo=UTC))
    assert not retention.is_due(report, datetime(2030, 1, 1, tzinfo=UTC))
    assert shift_years(datetime(2024, 2, 29, tzinfo=UTC), 7) == datetime(2031, 2, 28, tzinfo=UTC)


# --- the committee's records --------------------------------------------------------------------


def test_the_case_file_holds_the_whole_case_as_markdown_and_pdf(world):
    report = closed_case_with_history(world)

    with world.db.write() as session:
        case = records.db_case_file(session, world.core, session.get(Person, world.people["member"].id),
                                    report.code)

    markdown = case_markdown(case)
    for expected in (report.code, f"{CANARY}-what", f"{CANARY}-question", f"{CANARY}-closing reason",
                     f"{CANARY}-reasoning", "Censure", "Dana Reyes", "Acknowledged", "Lee Park",
                     "Decided by The Audit Committee, designated by the Board on 2026-11-02 "
                     "(recorded by Alex Kim)"):
        assert expected in markdown, expected
    assert "Kept away" not in markdown  # the chair-only section is for the chair
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(case_pdf(case))).pages)
    for expected in (report.code, f"{CANARY}-what", f"{CANARY}-reasoning", "Censure", "History"):
        assert expected in pdf_text, expected
    assert [e for e in audit_rows(world) if e.action == "case.exported"]


def test_the_register_counts_a_quarter_without_content_or_reporters(world, tmp_path):
    first = acknowledged_report(world)
    world.clock.advance(hours=5)
    file_report(world, "controller")
    world.clock.advance(hours=1)
    world.click("member", f"case:ack:{first.id}")  # already acknowledged: changes nothing
    world.submit("member", f"determine:{first.id}", valid_determination(world))
    world.clock.moment = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    world.submit("member", "waiver", waiver_values(world))
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                   "no_unreported": "yes"})

    with world.db.write() as session:
        register = records.db_register(session, world.core, "2026q4", actor="cli")
    paths = write_register(register, tmp_path)

    assert [p.name for p in paths] == ["register-2026Q4.csv", "register-2026Q4-cases.csv", "register-2026Q4.pdf"]
    rows = {(r["section"], r["item"]): r["value"] for r in csv.DictReader(io.StringIO(paths[0].read_text()))}
    assert rows[("cases", "received")] == "2"
    assert rows[("by_category", "Fraud involving management or financial-reporting staff")] == "2"
    assert rows[("by_status", "Received")] == "1" and rows[("by_status", "Acknowledged")] == "1"
    assert rows[("time_to_acknowledge", "acknowledged")] == "1"
    assert rows[("time_to_acknowledge", "not acknowledged")] == "1"
    assert rows[("attestation", "officers")] == "2"
    assert rows[("determinations", "Censure")] == "1" and rows[("waivers", "granted")] == "1"
    cases = list(csv.DictReader(io.StringIO(paths[1].read_text())))
    assert first.code in {c["code"] for c in cases}
    assert len(cases) == 2 and all(c["received"].startswith("2026-11") for c in cases)
    reader = PdfReader(str(paths[2]))
    summary = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    assert "register, 2026Q4" in summary and "Reports by category" in summary
    everything = paths[0].read_text() + paths[1].read_text() + summary
    for secret in (CANARY, "Dana", "Sam Ortiz", "dana@example.com", "sam@example.com"):
        assert secret not in everything
    assert [e for e in audit_rows(world) if e.action == "register.exported"]


def test_a_quarter_with_nothing_still_makes_a_one_page_summary(world):
    with world.db.write() as session:
        register = records.db_register(session, world.core, "2025Q1", actor="cli")
    assert register.cases == () and register.median_hours_to_acknowledge is None
    assert "register, 2025Q1" in PdfReader(io.BytesIO(register_pdf(register))).pages[0].extract_text()
    with pytest.raises(ValueError):
        records.parse_period("2026Q5")


def test_replies_to_recording_never_echo_confidential_text(world):
    report = acknowledged_report(world)
    replies = world.submit("member", f"determine:{report.id}", valid_determination(world))
    assert all(isinstance(r, Text) for r in replies) and CANARY not in text_of(replies)


def test_reasoning_and_waiver_reasons_reach_no_plain_column_log_or_notice(world, caplog):
    # Given: a determination and a waiver carrying canary text, with every logger at DEBUG
    caplog.set_level(logging.DEBUG)
    report = acknowledged_report(world)
    world.submit("member", f"determine:{report.id}", valid_determination(world))
    world.clock.moment = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    world.submit("member", "waiver", waiver_values(world))
    Sweeper(world.db, world.core).run(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    world.submit("member", f"determine:{report.id}", valid_determination(world, action="bogus"))

    # Then: the canaries are only in sealed bodies
    plain = []
    with world.db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(table.select()).mappings():
                plain += [str(v) for k, v in row.items() if not isinstance(v, bytes | memoryview)]
        notices = [json.dumps(world.core.vault.unseal(session, kind="outbox", record_id=r.id, blob=r.body))
                   for r in session.exec(select(OutboxMessage)).all()]
    assert notices and any("waiver" in n.lower() for n in notices)
    for text in (*plain, *notices, caplog.text):
        assert f"{CANARY}-reasoning" not in text and f"{CANARY}-waiver-reason" not in text
        assert f"{CANARY}-nature" not in text


def test_the_register_counts_a_quarter_in_the_companys_time_zone(world):
    # Given a company in New York, and a report made there at 20:00 on 31 December 2026
    # (01:00 UTC on 1 January 2027)
    world.core.schedule = ScheduleSettings(timezone="America/New_York")
    world.clock.moment = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    late = file_report(world)

    with world.db.write() as session:
        q4 = records.db_register(session, world.core, "2026Q4", actor="cli")
        q1 = records.db_register(session, world.core, "2027Q1", actor="cli")

    # Then it is in the fourth quarter's register, received on 31 December
    assert [c.code for c in q4.cases] == [late.code] and q1.cases == ()
    assert q4.cases[0].received == date(2026, 12, 31)
