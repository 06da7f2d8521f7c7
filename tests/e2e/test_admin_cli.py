"""`candor waivers`, `candor retention` and `candor export` as an administrator runs them, on
SQLite and PostgreSQL: the company and its cases are made through the service, the commands run
through typer's CliRunner with the usual environment, and the files they write are opened."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sqlmodel import col, select

from storage.models import AuditEvent, Report, Waiver
from tests.support.world import World

CANARY = "CANARY-c11e"




def closed_report(world: World) -> Report:
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Invoices split to avoid approval {CANARY}",
                                   "anonymous": "no", "exclude": [str(world.people["member2"].id)]})
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    world.click("chair", f"case:ack:{report.id}")
    world.submit("member", f"move:{report.id}:closed", {"reason": "Reviewed with the auditors"})
    return report


def audit_actions(world: World) -> list[str]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))).all())


def test_waivers_add_list_and_disclose(world, run):
    missing = run("waivers", "add", "--officer", "dana@example.com", "--on", "2025-11-25",
                  "--reason", "board seat")
    unknown = run("waivers", "add", "--officer", "nobody@example.com", "--provision", "Obligation 3",
                  "--on", "2025-11-25", "--reason", "board seat")
    assert missing.exit_code == 1 and "must name the provision" in missing.output
    assert unknown.exit_code == 1 and "not an active officer" in unknown.output
    with world.db.read() as session:
        assert session.exec(select(Waiver)).all() == []

    added = run("waivers", "add", "--officer", "Dana@example.com", "--provision", "Obligation 3",
                "--on", "2026-11-25", "--reason", f"{CANARY} board seat at a supplier")

    assert added.exit_code == 0, added.output
    assert "by 2026-12-02" in added.output
    listed = run("waivers", "list")
    assert "Dana Reyes" in listed.output and "2026-12-02" in listed.output and "NOT YET" in listed.output
    assert CANARY not in listed.output
    with world.db.read() as session:
        waiver = session.exec(select(Waiver)).one()
    disclosed = run("waivers", "disclose", waiver.id[:8], "--ref", "https://example.com/ir/waivers",
                    "--on", "2026-11-26")
    assert disclosed.exit_code == 0, disclosed.output
    again = run("waivers", "disclose", waiver.id[:8], "--ref", "x", "--on", "2026-11-26")
    assert again.exit_code == 1 and "already recorded" in again.output
    assert "https://example.com/ir/waivers" in run("waivers", "list").output
    assert audit_actions(world).count("waiver.recorded") == 1
    assert "waiver.disclosed" in audit_actions(world)


def closed_years_ago(world: World, report: Report, years: int) -> Report:
    """Move the case's closing back in time, as if it had been closed `years` ago."""
    with world.db.write() as session:
        row = session.get(Report, report.id)
        row.closed_at = datetime.now(UTC) - timedelta(days=365 * years + 3)
        session.add(row)
    return report


def test_the_sweep_keeps_closed_cases_for_the_configured_retention_years(world, run):
    # Given a case closed eight years ago, and a company that keeps cases ten years
    report = closed_years_ago(world, closed_report(world), 8)
    now = datetime.now(UTC).isoformat()

    kept = run("sweep", "--now", now, CANDOR_RETENTION_YEARS="10")
    assert kept.exit_code == 0 and "0 cases past retention shredded" in kept.output, kept.output
    assert "Nothing is due" in run("retention", "run", "--dry-run", CANDOR_RETENTION_YEARS="10").output

    # Under the default seven years, the sweep shreds it
    swept = run("sweep", "--now", now)
    assert "1 cases past retention shredded" in swept.output
    with world.db.read() as session:
        assert session.get(Report, report.id).shredded_at is not None


def test_retention_dry_run_hold_release_and_run(world, run):
    report = closed_report(world)
    later = "2034-01-01T00:00:00Z"

    dry = run("retention", "run", "--dry-run", "--now", later)
    assert dry.exit_code == 0 and report.code in dry.output and "dry run" in dry.output
    # Shredding cannot be undone: a future --now only ever rehearses it
    early = run("retention", "run", "--now", later)
    assert early.exit_code == 1 and "--dry-run" in early.output
    assert run("retention", "run").output.startswith("Nothing is due")

    closed_years_ago(world, report, 8)
    held = run("retention", "hold", report.code, "--reason", f"{CANARY} litigation hold")
    assert held.exit_code == 0, held.output
    assert "Nothing is due" in run("retention", "run").output
    assert run("retention", "release", report.code).exit_code == 0

    shredded = run("retention", "run")

    assert shredded.exit_code == 0 and "1 cases shredded" in shredded.output
    with world.db.read() as session:
        tomb = session.get(Report, report.id)
    assert tomb.shredded_at is not None and tomb.code == report.code
    assert "Nothing is due" in run("retention", "run").output
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "unbroken" in verified.output
    assert {"case.hold", "case.hold_released", "case.shredded"} <= set(audit_actions(world))
    with world.db.read() as session:
        assert all(CANARY not in d for d in session.exec(select(AuditEvent.detail)).all())
    # a shredded case cannot be exported, even by an allowed member
    assert run("export", "case", report.code, "--as", "alex@example.com").exit_code == 1


def test_retention_run_judges_by_the_real_clock_even_a_few_minutes_ahead(world, run):
    # Given a case kept four years (a span with a 29 February in it too) that end two minutes from now
    report = closed_report(world)
    end = datetime.now(UTC) + timedelta(minutes=2)
    with world.db.write() as session:
        row = session.get(Report, report.id)
        row.closed_at = end.replace(year=end.year - 4)
        session.add(row)
    ahead = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()

    # When the administrator runs retention at a time three minutes ahead (a clock's drift, not refused)
    result = run("retention", "run", "--years", "4", "--now", ahead)

    # Then nothing is shredded before the real clock reaches the end, as the sweep would not either
    assert result.exit_code == 0 and result.output.startswith("Nothing is due"), result.output
    with world.db.read() as session:
        assert session.get(Report, report.id).shredded_at is None
    assert report.code in run("retention", "run", "--dry-run", "--years", "4", "--now", ahead).output


def test_export_case_for_an_allowed_member_and_never_for_an_excluded_one(world, run, tmp_path):
    report = closed_report(world)
    pdf_path, md_path, refused_path = tmp_path / "case.pdf", tmp_path / "case.md", tmp_path / "refused.md"

    as_pdf = run("export", "case", report.code, "--as", "alex@example.com", "--format", "pdf",
                 "--out", str(pdf_path))
    as_md = run("export", "case", report.code.lower().replace("-", ""), "--as", "lee@example.com",
                "--out", str(md_path))
    refused = run("export", "case", report.code, "--as", "jordan@example.com", "--out", str(refused_path))
    officer = run("export", "case", report.code, "--as", "dana@example.com", "--out", str(refused_path))

    assert as_pdf.exit_code == 0, as_pdf.output
    text = "\n".join(p.extract_text() for p in PdfReader(str(pdf_path)).pages)
    assert report.code in text and CANARY in text and "Reviewed with the auditors" in text
    assert pdf_path.stat().st_mode & 0o777 == 0o600
    assert as_md.exit_code == 0, as_md.output
    markdown = md_path.read_text()
    assert CANARY in markdown and "Kept away from this case (visible to the chair only)" in markdown
    assert "Jordan Blake" in markdown  # the chair sees whom the report keeps away
    assert refused.exit_code == 1 and "can't open this case" in refused.output
    assert officer.exit_code == 1 and not refused_path.exists()
    with world.db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action.in_(  # type: ignore[attr-defined]
            ["case.exported", "case.refused"]))).all()
    exported = [e for e in events if e.action == "case.exported"]
    refusals = [json.loads(e.detail) for e in events if e.action == "case.refused"]
    assert len(exported) == 2 and [r["attempt"] for r in refusals] == ["export", "export"]
    assert all(r["operator"] for r in refusals)  # who ran the command (tests/e2e/test_export_operator.py)


def test_export_register_writes_csv_and_a_one_page_pdf(world, run, tmp_path):
    report = closed_report(world)
    out_dir = tmp_path / "q4"

    result = run("export", "register", "--period", "2026Q4", "--out", str(out_dir))

    assert result.exit_code == 0, result.output
    counts = {(r["section"], r["item"]): r["value"]
              for r in csv.DictReader(io.StringIO((out_dir / "register-2026Q4.csv").read_text()))}
    assert counts[("cases", "received")] == "1" and counts[("by_status", "Closed")] == "1"
    cases = list(csv.DictReader(io.StringIO((out_dir / "register-2026Q4-cases.csv").read_text())))
    assert [c["code"] for c in cases] == [report.code] and cases[0]["closed"]
    summary = PdfReader(str(out_dir / "register-2026Q4.pdf"))
    assert len(summary.pages) == 1 and "Reports by category" in summary.pages[0].extract_text()
    for path in out_dir.iterdir():
        body = path.read_text() if path.suffix == ".csv" else PdfReader(str(path)).pages[0].extract_text()
        assert CANARY not in body and "Dana" not in body and "dana@" not in body
    bad = run("export", "register", "--period", "Q4-2026")
    assert bad.exit_code == 1 and "2026Q4" in bad.output


def test_a_disclosure_cannot_be_dated_after_today(world, run):
    # A disclosure recorded ahead of time would stop the reminders before the 8-K is filed.
    assert run("waivers", "add", "--officer", "dana@example.com", "--provision", "Obligation 3",
               "--on", "2026-11-25", "--reason", "board seat").exit_code == 0
    with world.db.read() as session:
        waiver = session.exec(select(Waiver)).one()
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()

    ahead = run("waivers", "disclose", waiver.id[:8], "--ref", "8-K 42", "--on", tomorrow)

    assert ahead.exit_code == 1 and "--on: That date is in the future" in ahead.output
    with world.db.read() as session:
        assert session.get(Waiver, waiver.id).disclosed_on is None
    blank = run("waivers", "disclose", waiver.id[:8], "--ref", " ", "--on", "2026-11-27")
    assert blank.exit_code == 1 and "--ref: Please give the Form 8-K reference" in blank.output
    empty = run("retention", "hold", "ZZZZ-ZZZZ", "--reason", "x")
    assert empty.exit_code == 1 and "there is no case ZZZZ-ZZZZ" in empty.output


def test_a_refused_waiver_names_each_option_to_fix(world, run):
    refused = run("waivers", "add", "--officer", "dana@example.com", "--on", "25/11/2026", "--reason", "")
    assert refused.exit_code == 1
    assert "--provision: A waiver must name the provision" in refused.output
    assert "--on: Please give the date as YYYY-MM-DD" in refused.output and "--reason:" in refused.output


def test_the_waiver_list_shows_ids_and_dates_whole_in_80_columns(world, run):
    # An administrator's terminal, or a pipe (rich then assumes 80 columns)
    run("waivers", "add", "--officer", "dana@example.com", "--provision", "Obligation 3 (conflicts of interest)",
        "--granted-by", "The Board of Directors", "--on", "2026-11-25", "--reason", "board seat")
    with world.db.read() as session:
        waiver = session.exec(select(Waiver)).one()
    run("waivers", "disclose", waiver.id[:8], "--ref", "https://investors.example.com/governance/waivers",
        "--on", "2026-11-26")

    listed = run("waivers", "list", COLUMNS="80")

    assert listed.exit_code == 0, listed.output
    assert max(len(line) for line in listed.output.splitlines()) <= 80
    assert "…" not in listed.output
    for whole in (waiver.id[:8], "2026-11-25", "due 2026-12-02", "2026-11-26"):
        assert whole in listed.output, whole
    assert "https://investors.example.com/governance/waivers" in "".join(
        line.strip("│ ").split("│")[-1].strip() for line in listed.output.splitlines())
