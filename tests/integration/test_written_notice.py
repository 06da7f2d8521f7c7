"""The written notice the Code names (issue 22), on SQLite and PostgreSQL: a determination whose
action is a written notice produces a letter (read back from its PDF with pypdf), members allowed
on the case see how to get it and record its delivery from the case's details, the case file
carries both, bad input and people outside their role change nothing, and retention shreds the
delivery with the case."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlmodel import col, func, select

from adapters.export import case_markdown, notice_pdf
from bot import records, retention
from bot.attestation import Policy
from bot.core import CandorError
from bot.messages import Form, FormErrors, Text
from bot.notice_letter import company_of, db_written_notices, includes_written_notice
from bot.written_notice import db_letters
from storage.crypto import ShreddedError
from storage.models import AuditEvent, Determination, NoticeDelivery, Person, Report
from storage.vocabulary import BoardAction, CaseStatus
from tests.integration.test_administration import (
    CANARY,
    acknowledged_report,
    file_report,
    valid_determination,
)
from tests.support.world import World, choice_values, text_of


def notice_determination(world: World, report: Report, **changes: str) -> Determination:
    """A member records a determination whose action is a written notice, against Sam Ortiz."""
    replies = world.submit("member", f"determine:{report.id}",
                           valid_determination(world, action="written_notice", **changes))
    assert "determination on case" in text_of(replies), text_of(replies)
    with world.db.read() as session:
        return session.exec(select(Determination).order_by(
            col(Determination.created_at).desc())).first()


def pdf_text(data: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def deliveries(world: World) -> list[NoticeDelivery]:
    with world.db.read() as session:
        return list(session.exec(select(NoticeDelivery)).all())


def audit_actions(world: World) -> list[tuple[str, str, str]]:
    with world.db.read() as session:
        return [(e.actor, e.action, e.detail) for e in session.exec(
            select(AuditEvent).order_by(col(AuditEvent.seq))).all()]


def audit_count(world: World) -> int:
    with world.db.read() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


# --- the letter ---------------------------------------------------------------------------------


def test_only_a_written_notice_produces_a_letter():
    assert includes_written_notice(BoardAction.WRITTEN_NOTICE)
    assert not any(includes_written_notice(a) for a in BoardAction if a is not BoardAction.WRITTEN_NOTICE)


def test_the_letter_names_the_company_the_officer_the_finding_and_the_action(world):
    # Given a determination of written notice against the controller
    report = acknowledged_report(world)
    notice_determination(world, report)

    # When a member allowed on the case takes its letter
    with world.db.write() as session:
        member = session.get(Person, world.people["member"].id)
        _found, (notice,) = db_letters(session, world.core, member, report.code)
    text = pdf_text(notice_pdf(notice.letter))

    # Then the PDF names the company the Code names, the officer and their role, the finding,
    # the action, who decided and when, and has a signature block for the chair
    for phrase in ("Allient Inc.", "Sam Ortiz, Controller", "Written notice",
                   f"{CANARY}-nature revenue recognised a quarter early", "Repeated occurrences",
                   "Intentional", "The Audit Committee, designated by the Board", "2 November 2026",
                   "Lee Park, Chair of the Audit Committee", "Received by the officer"):
        assert phrase in text, phrase
    # And never the reporter, the narrative or the case code
    assert "Dana Reyes" not in text and f"{CANARY}-what" not in text and report.code not in text
    assert "reasoning" not in text
    # And taking it was audited, for the letter's determination
    assert any(a == "notice_letter.exported" and "determination" in d for _, a, d in audit_actions(world))


def test_the_company_name_setting_heads_the_letter(world):
    world.core.company_name = "Northwind Traders plc"
    report = acknowledged_report(world)
    notice_determination(world, report)
    with world.db.read() as session:
        (notice,) = db_written_notices(session, world.core, session.get(Report, report.id))
    assert "Northwind Traders plc" in pdf_text(notice_pdf(notice.letter))


def test_a_case_without_a_written_notice_has_no_letter(world):
    report = acknowledged_report(world)
    world.submit("member", f"determine:{report.id}", valid_determination(world))  # a censure
    with world.db.write() as session, pytest.raises(CandorError) as refused:
        db_letters(session, world.core, session.get(Person, world.people["member"].id), report.code)
    assert "no determination whose action is a written notice" in refused.value.reply
    details = world.click("member", f"case:view:{report.id}")
    assert "Notice letter" not in text_of(details)
    assert not [v for v in choice_values(details) if v.startswith("case:notice:")]


# --- the case view: how to get it, and its delivery ----------------------------------------------


def test_the_details_say_how_to_get_the_letter_and_a_member_records_its_delivery(world):
    # Given a determination of written notice
    report = acknowledged_report(world)
    determination = notice_determination(world, report)

    # When another member allowed on the case opens it
    details = world.click("member2", f"case:view:{report.id}")

    # Then a Notice letter entry says how to get it, and that its delivery is not recorded
    text = text_of(details)
    assert "Notice letter to Sam Ortiz (determination of 2026-11-02)" in text
    assert f"candor export notice {report.code}" in text and "never posted in a channel" in text
    assert "not recorded yet" in text
    button = f"case:notice:{report.id}:{determination.id}"
    assert button in choice_values(details)

    # When they record the delivery the next day, with how it was delivered
    world.clock.advance(days=1)
    form = world.click("member2", button)[0]
    assert isinstance(form, Form) and form.form_id == f"notice:{report.id}:{determination.id}"
    assert {f.name for f in form.fields} == {"delivered_on", "how"}
    replies = world.submit("member2", form.form_id,
                           {"delivered_on": "2026-11-03", "how": f"By hand {CANARY}-how"})

    # Then it is recorded, sealed, and audited
    assert "delivered to Sam Ortiz on 2026-11-03" in text_of(replies)
    (row,) = deliveries(world)
    assert row.delivered_on == date(2026, 11, 3) and row.recorded_by == world.people["member2"].id
    assert CANARY.encode() not in row.body
    delivered = [(actor, d) for actor, a, d in audit_actions(world) if a == "notice_letter.delivered"]
    assert delivered == [(f"person:{world.people['member2'].id}", delivered[0][1])]
    assert determination.id in delivered[0][1] and CANARY not in delivered[0][1]

    # And the case's history and its entry show it; the button is gone
    details = world.click("member", f"case:view:{report.id}")
    text = text_of(details)
    assert "Notice letter delivered to Sam Ortiz on 2026-11-03" in text
    assert f"Delivered to the officer on 2026-11-03 (recorded by Jordan Blake): By hand {CANARY}-how" in text
    assert button not in choice_values(details)


def test_the_case_file_carries_the_letter_and_its_delivery(world):
    report = acknowledged_report(world)
    determination = notice_determination(world, report)
    world.clock.advance(days=2)
    world.submit("member", f"notice:{report.id}:{determination.id}", {"delivered_on": "2026-11-04"})

    with world.db.write() as session:
        member = session.get(Person, world.people["chair"].id)
        case = records.db_case_file(session, world.core, member, report.code)
    markdown = case_markdown(case)

    assert "## Notice letter to Sam Ortiz (determination of 2026-11-02)" in markdown
    assert "Delivered to the officer on 2026-11-04 (recorded by Alex Kim)." in markdown
    assert "Personal and confidential" in markdown and "Allient Inc." in markdown
    assert f"{CANARY}-nature revenue recognised a quarter early" in markdown
    assert "Notice letter delivered to Sam Ortiz on 2026-11-04" in markdown  # the history


# --- refusals change nothing -------------------------------------------------------------------


def test_a_delivery_in_the_future_or_before_the_determination_is_refused(world):
    report = acknowledged_report(world)
    determination = notice_determination(world, report, decided_on="2026-10-30")
    form_id = f"notice:{report.id}:{determination.id}"
    before = audit_count(world)

    future = world.submit("member", form_id, {"delivered_on": "2026-11-03"})
    early = world.submit("member", form_id, {"delivered_on": "2026-10-29"})
    garbage = world.submit("member", form_id, {"delivered_on": "next Tuesday"})
    too_long = world.submit("member", form_id, {"delivered_on": "2026-11-01", "how": "x" * 400})

    assert isinstance(future[0], FormErrors) and "future" in future[0].errors["delivered_on"]
    assert isinstance(early[0], FormErrors)
    assert "before the Board's determination (2026-10-30)" in early[0].errors["delivered_on"]
    assert isinstance(garbage[0], FormErrors) and "delivered_on" in garbage[0].errors
    assert isinstance(too_long[0], FormErrors) and "how" in too_long[0].errors
    assert deliveries(world) == [] and audit_count(world) == before


def test_a_case_without_a_written_notice_refuses_a_delivery_and_a_forged_id(world):
    report = acknowledged_report(world)
    world.submit("member", f"determine:{report.id}", valid_determination(world))  # a censure
    with world.db.read() as session:
        censure = session.exec(select(Determination)).one()

    for value in (f"case:notice:{report.id}:{censure.id}", f"case:notice:{report.id}:ffff"):
        assert "no determination whose action is a written notice" in text_of(world.click("member", value))
    replies = world.submit("member", f"notice:{report.id}:{censure.id}", {"delivered_on": "2026-11-02"})
    assert "no determination whose action is a written notice" in text_of(replies)
    assert "understand" in text_of(world.click("member", f"case:notice:{report.id}")).lower()
    assert deliveries(world) == []


def test_a_delivery_is_recorded_once(world):
    report = acknowledged_report(world)
    determination = notice_determination(world, report)
    form_id = f"notice:{report.id}:{determination.id}"
    world.submit("member", form_id, {"delivered_on": "2026-11-02"})

    again = world.submit("member2", form_id, {"delivered_on": "2026-11-01"})

    assert "already recorded (on 2026-11-02)" in text_of(again)
    assert [d.delivered_on for d in deliveries(world)] == [date(2026, 11, 2)]


def test_an_excluded_member_and_an_officer_are_refused_and_audited(world):
    # Given a case that keeps member2 away, with a written notice on it
    report = file_report(world, exclude=["member2"])
    world.click("chair", f"case:ack:{report.id}")
    determination = notice_determination(world, report)
    button, form_id = (f"case:notice:{report.id}:{determination.id}",
                       f"notice:{report.id}:{determination.id}")

    # When the member kept away and an officer try the button and the form
    kept = [world.click("member2", button), world.submit("member2", form_id, {"delivered_on": "2026-11-02"})]
    officer = [world.click("cfo", button), world.submit("cfo", form_id, {"delivered_on": "2026-11-02"})]

    # Then each is refused, nothing is recorded, and each refusal is audited
    assert all(isinstance(r[0], Text) for r in kept + officer)
    assert deliveries(world) == []
    refused = [(actor, d) for actor, a, d in audit_actions(world) if a == "case.refused"]
    assert sum(f"person:{world.people['member2'].id}" == actor and "notice_delivery" in d
               for actor, d in refused) == 2
    assert sum(f"person:{world.people['cfo'].id}" == actor for actor, _ in refused) == 2
    # And neither can take the letter
    with world.db.write() as session, pytest.raises(CandorError) as refused_letter:
        db_letters(session, world.core, session.get(Person, world.people["member2"].id), report.code)
    assert "can't open this case" in refused_letter.value.reply
    assert not any(a == "notice_letter.exported" for _, a, _ in audit_actions(world))


# --- retention ---------------------------------------------------------------------------------


def test_retention_shreds_the_delivery_with_the_case(world):
    report = acknowledged_report(world)
    determination = notice_determination(world, report)
    world.submit("member", f"notice:{report.id}:{determination.id}",
                 {"delivered_on": "2026-11-02", "how": f"Courier {CANARY}-how"})
    with world.db.write() as session:
        case = session.get(Report, report.id)
        case.status, case.closed_at = CaseStatus.CLOSED, world.clock()
        session.add(case)
    with world.db.write() as session:
        retention.db_shred(session, world.core, session.get(Report, report.id))

    (row,) = deliveries(world)
    with world.db.read() as session, pytest.raises(ShreddedError):
        world.core.vault.unseal(session, kind="notice_delivery", record_id=row.id, blob=row.body)


def test_the_company_is_the_one_the_code_names_unless_the_setting_names_another(world):
    assert company_of(world.core) == "Allient Inc."  # the shipped Code's first paragraph
    world.core.company_name = "Northwind Traders plc"
    assert company_of(world.core) == "Northwind Traders plc"
    world.core.company_name, world.core.policy = None, Policy("# A Code\nBe honest.", "x")
    assert company_of(world.core) == "The Company"


def test_one_letter_is_taken_by_its_determination_and_only_it_is_audited(world):
    # What a download link for one letter asks (issue 23 serves it with adapters.export.notice_pdf)
    report = acknowledged_report(world)
    first = notice_determination(world, report)
    notice_determination(world, report, subject=str(world.people["cfo"].id))

    with world.db.write() as session:
        member = session.get(Person, world.people["member"].id)
        _found, notices = db_letters(session, world.core, member, report.code,
                                     determination_id=first.id)

    assert [n.letter.officer for n in notices] == ["Sam Ortiz"]
    exported = [d for _, a, d in audit_actions(world) if a == "notice_letter.exported"]
    assert len(exported) == 1 and first.id in exported[0]
