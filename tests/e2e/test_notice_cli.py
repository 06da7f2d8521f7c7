"""`candor export notice` as an administrator runs it, on SQLite and PostgreSQL: the letter of
written notice a determination produced, written as a PDF (read back with pypdf) for an allowed
member, audited with the OS user beside them; refused, and the refusal audited, for a member kept
away or an officer; refused plainly for a case without a written notice; and `candor export case`
carries the letter and its delivery."""

from __future__ import annotations

from pypdf import PdfReader
from sqlmodel import col, select

from storage.models import AuditEvent
from tests.integration.test_administration import CANARY, file_report, valid_determination
from tests.integration.test_written_notice import notice_determination


def pdf_text(path) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(str(path)).pages).split())


def audit(world) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())


def test_a_member_writes_the_notice_letter_and_each_export_is_audited(world, run, tmp_path):
    # Given a case that keeps Jordan away, with a determination of written notice
    report = file_report(world, exclude=["member2"])
    world.click("chair", f"case:ack:{report.id}")
    determination = notice_determination(world, report)
    path = tmp_path / "letters" / "notice.pdf"

    # When an allowed member asks for the letter, and others try
    written = run("export", "notice", report.code, "--as", "alex@example.com", "--out", str(path))
    kept_away = run("export", "notice", report.code, "--as", "jordan@example.com",
                    "--out", str(tmp_path / "kept.pdf"))
    officer = run("export", "notice", report.code, "--as", "sam@example.com",
                  "--out", str(tmp_path / "officer.pdf"))
    unknown = run("export", "notice", "ZZZZ-ZZZZ", "--as", "alex@example.com")

    # Then the letter names the company, the officer and the action, and is private
    assert written.exit_code == 0, written.output
    assert "the written notice to Sam Ortiz" in written.output
    text = pdf_text(path)
    for phrase in ("Allient Inc.", "Sam Ortiz, Controller", "Action Written notice",
                   f"{CANARY}-nature", "Chair of the Audit Committee"):
        assert phrase in text, phrase
    assert path.stat().st_mode & 0o777 == 0o600
    # And the others are refused, write nothing, and the refusals are audited
    assert kept_away.exit_code == 1 and "can't open this case" in kept_away.output
    assert officer.exit_code == 1 and unknown.exit_code == 1 and "no case" in unknown.output
    assert not (tmp_path / "kept.pdf").exists() and not (tmp_path / "officer.pdf").exists()
    rows = audit(world)
    (exported,) = [e for e in rows if e.action == "notice_letter.exported"]
    assert exported.actor == f"person:{world.people['member'].id}" and exported.record_id == report.id
    assert determination.id in exported.detail and "operator" in exported.detail
    refused = [e for e in rows if e.action == "case.refused" and "notice_letter" in e.detail]
    assert {e.actor for e in refused} == {f"person:{world.people['member2'].id}",
                                          f"person:{world.people['controller'].id}"}
    assert all(CANARY not in e.detail for e in rows)


def test_a_case_without_a_written_notice_has_no_letter_to_write(world, run, tmp_path):
    report = file_report(world)
    world.click("chair", f"case:ack:{report.id}")
    world.submit("member", f"determine:{report.id}", valid_determination(world))  # a censure

    result = run("export", "notice", report.code, "--as", "alex@example.com",
                 "--out", str(tmp_path / "n.pdf"))

    assert result.exit_code == 1
    assert "no determination whose action is a written notice" in " ".join(result.output.split())
    assert not (tmp_path / "n.pdf").exists()


def test_the_case_file_export_carries_the_letter_and_its_delivery(world, run, tmp_path):
    report = file_report(world)
    world.click("chair", f"case:ack:{report.id}")
    determination = notice_determination(world, report)
    world.submit("member", f"notice:{report.id}:{determination.id}", {"delivered_on": "2026-11-02"})

    result = run("export", "case", report.code, "--as", "lee@example.com", "--format", "pdf",
                 "--out", str(tmp_path / "case.pdf"))

    assert result.exit_code == 0, result.output
    text = pdf_text(tmp_path / "case.pdf")
    assert "Notice letter to Sam Ortiz (determination of 2026-11-02)" in text
    assert "Delivered to the officer on 2026-11-02 (recorded by Alex Kim)." in text
    assert "Written notice under the Supplemental Code of Ethics for Senior Financial Officers" in text


def test_the_help_tells_of_the_notice_command(run):
    result = run("export", "--help")
    assert result.exit_code == 0 and "notice" in result.output


def test_two_written_notices_on_a_case_are_written_as_two_letters(world, run, tmp_path):
    # Given a case on which the Board gave both officers a written notice
    report = file_report(world)
    world.click("chair", f"case:ack:{report.id}")
    notice_determination(world, report)
    notice_determination(world, report, subject=str(world.people["cfo"].id))

    result = run("export", "notice", report.code, "--as", "alex@example.com",
                 "--out", str(tmp_path / "notice.pdf"))

    assert result.exit_code == 0, result.output
    assert "Sam Ortiz, Controller" in pdf_text(tmp_path / "notice.pdf")
    assert "Dana Reyes, Chief Financial Officer" in pdf_text(tmp_path / "notice-2.pdf")
    assert sum(e.action == "notice_letter.exported" for e in audit(world)) == 2
