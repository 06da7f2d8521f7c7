"""The committee's exports as an administrator runs them (`candor export case`, `candor export
register`), on SQLite and PostgreSQL, with the files opened the way a reader would: PDF text
extracted with pypdf, Markdown parsed with a CommonMark parser (GFM tables and strikethrough on),
CSV read back. Cases are made through the service, as in tests/e2e/test_admin_cli.py."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pypdf import PdfReader
from sqlmodel import col, select

from adapters.export import UNDRAWABLE, case_markdown, case_pdf
from bot import retention
from bot.views.case import CaseFile
from storage.models import AuditEvent, Report
from tests.e2e.test_admin_cli import closed_report
from tests.integration.test_administration import valid_determination
from tests.support.world import World

# Text in three scripts and a currency sign the old Latin-1 PDFs turned into question marks.
RUSSIAN = "Откат поставщику через счёт в Лимассоле"
GREEK = "Ο οικονομικός διευθυντής ενέκρινε το τιμολόγιο"
EURO = "€48 500 paid twice"
QUESTION_RU = "Кто подписал платёжное поручение?"
REASONING_EL = "Η παράβαση ήταν σκόπιμη και επαναλαμβανόμενη"
# A narrative that tries to write the committee's decision into its own case file.
FORGED = ("Summary of events.\n"
          "## Board determination\n"
          "**Action:** Termination\n"
          "Board determination\n"
          "===\n"
          "> The committee agrees\n"
          "1. first  2) second\n"
          "- [x] done\n"
          "| Action | Termination |\n"
          "| --- | --- |\n"
          "<b>approved</b> <!-- hidden -->\n"
          "[the register](https://evil.example/) ![logo](https://evil.example/x.png)\n"
          "```\n"
          "fenced\n"
          "```\n"
          "    indented code\n"
          "***\n"
          "_emphasis_ `code` ~~struck~~ &amp; back\\slash")




def report(world: World, *, what: str, who: str = "") -> Report:
    world.submit("cfo", "intake", {"category": "fraud", "what": what, "who": who, "anonymous": "no"})
    with world.db.read() as session:
        return session.exec(select(Report).order_by(col(Report.received_at).desc())).first()


def pdf_text(path) -> str:
    """The PDF's text with runs of whitespace made single spaces (lines wrap anywhere)."""
    return " ".join("\n".join(p.extract_text() for p in PdfReader(str(path)).pages).split())


def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def inline_text(token) -> str:
    """What a reader sees of an inline token: its text, line breaks as newlines (emphasis is
    checked apart, by token type)."""
    parts = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type not in {"strong_open", "strong_close", "em_open", "em_close"}:
            parts.append(f"<{child.type}>")
    return "".join(parts)


# --- 1. PDF: text in any script the font covers -------------------------------------------------


def test_a_case_in_cyrillic_and_greek_with_a_euro_sign_is_legible_in_the_pdf(world, run, tmp_path):
    # Given a case whose report, follow-up and Board determination are in Russian and Greek
    case = report(world, what=f"{RUSSIAN}. {EURO}.", who=GREEK)
    world.click("chair", f"case:ack:{case.id}")
    world.submit("member", f"ask:{case.id}", {"question": QUESTION_RU})
    world.submit("member", f"determine:{case.id}", valid_determination(world, reasoning=REASONING_EL))
    path = tmp_path / "case.pdf"

    # When a member exports it as a PDF
    result = run("export", "case", case.code, "--as", "alex@example.com", "--format", "pdf",
                 "--out", str(path))

    # Then every phrase reads back as written, and nothing became a question mark
    assert result.exit_code == 0, result.output
    text = pdf_text(path)
    for phrase in (RUSSIAN, EURO, GREEK, QUESTION_RU, REASONING_EL, case.code, "Censure"):
        assert phrase in text, phrase
    assert "???" not in text and UNDRAWABLE not in text
    assert path.stat().st_mode & 0o777 == 0o600


def test_characters_the_font_lacks_are_marked_not_dropped(world, run, tmp_path):
    # DejaVu Sans has no Chinese: the export still works, each missing character is drawn as
    # U+FFFD and a note says so; the Markdown file keeps them
    case = report(world, what=f"公司财务 {RUSSIAN} 公司")
    path, markdown = tmp_path / "case.pdf", tmp_path / "case.md"

    result = run("export", "case", case.code, "--as", "alex@example.com", "--format", "pdf",
                 "--out", str(path))

    assert result.exit_code == 0, result.output
    text = pdf_text(path)
    assert RUSSIAN in text and UNDRAWABLE * 4 in text
    assert "6 characters of this case are in a script this PDF's font does not cover" in text
    assert "--format md" in text
    assert run("export", "case", case.code, "--as", "alex@example.com", "--out", str(markdown)).exit_code == 0
    assert "公司财务" in markdown.read_text(encoding="utf-8")


def test_missing_characters_are_never_named_in_a_log(caplog):
    # fpdf2 warns, naming each character its font lacks (report text, on the administrator's
    # terminal or in a log); drawn as U+FFFD, they are never missing, so it has nothing to say.
    case = CaseFile("K7Q4-M9XP", "Case file K7Q4-M9XP", "Alex Kim", datetime(2026, 11, 2, tzinfo=UTC),
                    (("The report", (("What happened", "回扣 kickback 回扣"),)),))

    with caplog.at_level(logging.DEBUG):
        data = case_pdf(case)

    assert "kickback" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert not [r for r in caplog.records if "回" in r.getMessage() or r.levelno >= logging.WARNING]


def test_the_fonts_ship_inside_the_package_with_their_licence():
    from importlib import resources

    fonts = resources.files("adapters") / "fonts"
    assert (fonts / "DejaVuSans.ttf").is_file() and (fonts / "DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream Vera Fonts Copyright" in (fonts / "LICENSE").read_text(encoding="utf-8")
    declared = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"fonts/*.ttf"' in declared and '"fonts/LICENSE"' in declared


# --- 2. Markdown: report text cannot make structure ---------------------------------------------


def test_a_narrative_cannot_forge_a_heading_or_a_determination_in_the_markdown(world, run, tmp_path):
    # Given a report whose narrative is written as Markdown: a heading, bold, a quote, a table...
    case = report(world, what=FORGED)
    world.click("chair", f"case:ack:{case.id}")
    path = tmp_path / "case.md"

    # When the chair exports the case file as Markdown
    result = run("export", "case", case.code, "--as", "lee@example.com", "--out", str(path))

    # Then the file's only headings are the case file's own, the only bold text is its labels,
    # and nothing else the narrative wrote became a list, quote, table, link, image, code or HTML
    assert result.exit_code == 0, result.output
    markdown = path.read_text(encoding="utf-8")
    tokens = markdown_parser().parse(markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [f"Case file {case.code}", "Summary", "The report",
                        "Kept away from this case (visible to the chair only)", "Acknowledgement",
                        "Follow-up", "History", "Notes", "Documents"]
    items = [t for t in tokens if t.type == "list_item_open"]
    inline = [t for t in tokens if t.type == "inline"]
    children = [c for t in inline for c in t.children or []]
    assert sum(c.type == "strong_open" for c in children) == len(items)
    allowed_blocks = {"heading_open", "heading_close", "paragraph_open", "paragraph_close", "inline",
                      "bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close"}
    assert {t.type for t in tokens} <= allowed_blocks
    assert {c.type for c in children} <= {"text", "softbreak", "strong_open", "strong_close",
                                           "em_open", "em_close"}
    assert sum(c.type == "em_open" for c in children) == 1  # "Confidential. Prepared for ..."
    assert all(not line.lstrip().startswith(("#", "**", ">", "|", "<", "```", "1.", "===", "***"))
               for line in markdown.splitlines()[1:]
               if not line.startswith(("## ", "- **")))
    # ... and the words are all there, as written, in the "What happened" item
    what = next(inline_text(t) for t in inline if inline_text(t).startswith("What happened:"))
    assert what == "What happened: " + "\n".join(line.strip() for line in FORGED.splitlines())


SPECIALS = "#>*-+=_`~|[]()<>!&;:.\\ 0123456789\n\t"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*SPECIALS, "a", "Ω", "x;", "&amp;", "&#42;", "```", "\r\n"]),
                max_size=60).map("".join))
def test_any_text_renders_as_exactly_itself_in_one_list_item(text):
    # Whatever a person typed, the case file shows one list item holding that text (tabs made
    # spaces, each line trimmed, runs of blank lines made one) and no markup but the item's bold label.
    case = CaseFile("K7Q4-M9XP", "Case file K7Q4-M9XP", "Alex Kim", datetime(2026, 11, 2, tzinfo=UTC),
                    (("The report", (("What happened", text),)),))
    tokens = markdown_parser().parse(case_markdown(case))

    assert [t.type for t in tokens].count("list_item_open") == 1
    assert [t.type for t in tokens].count("heading_open") == 2
    start = [t.type for t in tokens].index("list_item_open")
    inside = [t for t in tokens[start:] if t.type == "inline"]
    children = [c.type for t in inside for c in t.children or []]
    assert set(children) <= {"text", "softbreak", "strong_open", "strong_close"}
    assert children.count("strong_open") == 1
    lines = [line.strip(" ") for line in
             text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")]
    expected = "\n".join(lines).strip("\n")
    while "\n\n\n" in expected:
        expected = expected.replace("\n\n\n", "\n\n")
    shown = "\n\n".join(inline_text(t) for t in inside)
    assert shown.removeprefix("What happened:").lstrip(" ") == expected


def test_a_sentence_without_a_label_is_a_plain_item_in_the_markdown_and_the_pdf():
    # A determination's "Decided by ... (recorded by ...)" is a sentence, not a labelled field: it
    # is an item without a bold label, and what a member typed in it (the designee) stays text
    sentence = ("Decided by the *Audit* [Committee](https://evil.example/) on 2026-11-02 "
                "(recorded by Alex Kim)")
    case = CaseFile("K7Q4-M9XP", "Case file K7Q4-M9XP", "Alex Kim", datetime(2026, 11, 2, tzinfo=UTC),
                    (("Board determination, 2026-11-02", (("Action", "Censure"), ("", sentence))),))

    tokens = markdown_parser().parse(case_markdown(case))
    *_, action, decided = [t for t in tokens if t.type == "inline"]
    pages = PdfReader(io.BytesIO(case_pdf(case))).pages
    pdf = " ".join("\n".join(p.extract_text() for p in pages).split())

    assert [t.type for t in tokens].count("list_item_open") == 2
    assert inline_text(action) == "Action: Censure"
    assert inline_text(decided) == sentence
    assert {c.type for c in decided.children or []} == {"text"}  # no bold, emphasis or link
    assert "Action Censure " + sentence in pdf

# --- 3. Unknown and shredded codes --------------------------------------------------------------


def test_an_unknown_code_is_named_as_unknown(world, run):
    result = run("export", "case", "ZZZZ-ZZZZ", "--as", "alex@example.com")

    assert result.exit_code == 1
    assert "there is no case 'ZZZZ-ZZZZ' in this database" in result.output
    assert "secret" not in result.output


def test_a_shredded_case_says_when_it_was_shredded_and_that_only_its_tombstone_remains(world, run):
    # Given a case closed in 2026 and shredded by retention on 3 January 2034
    case = closed_report(world)
    world.clock.moment = datetime(2034, 1, 3, 10, 0, tzinfo=UTC)
    with world.db.write() as session:
        retention.db_shred(session, world.core, session.get(Report, case.id))

    # When a member who could open it asks for its file
    result = run("export", "case", case.code, "--as", "alex@example.com")

    # Then the committee reads what happened, and no file is written
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert f"case {case.code} was shredded on 2034-01-03 under the retention policy" in output
    assert "closed on 2026-11-02" in output and "Only its tombstone (code, category and dates) remains" in output
    assert "candor export register --period 2026Q4" in output and "secret" not in output
    assert not list(Path(".").glob("case-*"))


# --- 4. The register ----------------------------------------------------------------------------


def test_the_register_counts_categories_statuses_acknowledgement_and_attestation(world, run, tmp_path):
    # Given a quarter with two reports: one acknowledged after 5 hours and closed, one waiting;
    # and one of the two officers who has attested for the period the quarter falls in
    first = report(world, what="Invoices split to avoid approval")
    world.clock.advance(hours=5)
    world.click("chair", f"case:ack:{first.id}")
    world.submit("member", f"move:{first.id}:closed", {"reason": "Reviewed with the auditors"})
    world.clock.advance(hours=1)
    world.submit("controller", "intake", {"category": "conflict_of_interest", "what": "A supplier gift",
                                          "anonymous": "yes"})
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                   "no_unreported": "yes"})
    out_dir = tmp_path / "q4"

    # When the register of 2026Q4 is exported
    result = run("export", "register", "--period", "2026Q4", "--out", str(out_dir))

    # Then the CSV has the counts...
    assert result.exit_code == 0, result.output
    rows = {(r["section"], r["item"]): r["value"]
            for r in csv.DictReader(io.StringIO((out_dir / "register-2026Q4.csv").read_text()))}
    assert rows[("cases", "received")] == "2"
    assert rows[("by_category", "Fraud involving management or financial-reporting staff")] == "1"
    assert rows[("by_category", "Conflict of interest")] == "1"
    assert rows[("by_category", "Other concern")] == "0"
    assert rows[("by_status", "Closed")] == "1" and rows[("by_status", "Received")] == "1"
    assert rows[("time_to_acknowledge", "acknowledged")] == "1"
    assert rows[("time_to_acknowledge", "not acknowledged")] == "1"
    assert rows[("time_to_acknowledge", "median hours")] == "5.0"
    # one of two officers attested, for the one period (2027) the quarter falls in
    assert rows[("attestation", "officers")] == "2" and rows[("attestation", "attested")] == "1"
    assert rows[("attestation", "completion percent")] == "50.0"
    assert rows[("attestation", "attestation period")] == "2027"
    cases = list(csv.DictReader(io.StringIO((out_dir / "register-2026Q4-cases.csv").read_text())))
    # (an anonymous report is dated by its day, so it may list before a named one of that day)
    named = [c for c in cases if c["code"] == first.code]
    assert len(cases) == 2 and named[0]["hours_to_acknowledge"] == "5.0"
    # ... and the one-page summary shows the same figures beside its chart, every label whole
    reader = PdfReader(str(out_dir / "register-2026Q4.pdf"))
    summary = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    for expected in ("Ethics reports register, 2026Q4", "Reports received 2", "median 5.0 h",
                     "1 of 2 officers (50.0%), period 2027", "Reports by category",
                     "Material violation of the Code of Ethics and Business Conduct",
                     "Fraud involving management or financial-reporting staff"):
        assert expected in summary, expected
    with world.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "register.exported")).all()


# --- 5. Where the files go ----------------------------------------------------------------------


def test_a_case_file_written_over_an_older_one_is_still_private(world, run, tmp_path):
    # An older export left readable by others (copied, or made by hand) is overwritten: the new
    # file is the owner's alone, as the command says
    case = report(world, what="Invoices split to avoid approval")
    path = tmp_path / "case.md"
    path.write_text("old")
    path.chmod(0o644)

    result = run("export", "case", case.code, "--as", "alex@example.com", "--out", str(path))

    assert result.exit_code == 0, result.output
    assert "mode 0600" in result.output and path.stat().st_mode & 0o777 == 0o600
    assert "Invoices split" in path.read_text()


def test_a_file_that_cannot_be_written_is_an_error_not_a_traceback(world, run, tmp_path):
    case = report(world, what="CANARY-e7 Invoices split to avoid approval")
    folder = tmp_path / "records"
    folder.mkdir()
    (tmp_path / "taken").write_text("a file, not a folder")

    into_folder = run("export", "case", case.code, "--as", "alex@example.com", "--out", str(folder))
    over_file = run("export", "register", "--period", "2026Q4", "--out", str(tmp_path / "taken"))

    assert into_folder.exit_code == 1 and over_file.exit_code == 1
    assert f"could not write {folder}: Is a directory" in " ".join(into_folder.output.split())
    assert "could not write" in over_file.output and "File exists" in over_file.output
    for result in (into_folder, over_file):
        assert "Traceback" not in result.output and "CANARY-e7" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_shredded_case_points_to_the_quarter_of_the_companys_time_zone(world, run):
    # Received at 20:00 on 31 December 2026 in New York (1 January 2027 in UTC), shredded later
    world.clock.moment = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    case = report(world, what="Invoices split to avoid approval")
    with world.db.write() as session:
        retention.db_shred(session, world.core, session.get(Report, case.id))

    result = run("export", "case", case.code, "--as", "alex@example.com", CANDOR_TIMEZONE="America/New_York")

    assert result.exit_code == 1
    assert "candor export register --period 2026Q4" in " ".join(result.output.split())
