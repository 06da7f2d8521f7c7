"""The committee's exports as an administrator runs them (`candor export case`, `candor export
register`), on SQLite and PostgreSQL, with the files opened the way a reader would: PDF text
extracted with pypdf, CSV read back. Cases are made through the service, as in
tests/e2e/test_admin_cli.py."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlmodel import col, select
from typer.testing import CliRunner

from adapters.cli import app
from adapters.export import UNDRAWABLE, case_pdf
from bot.records import CaseFile
from storage.crypto import save_keyring
from storage.models import Report
from tests.integration.test_administration import valid_determination
from tests.support.world import World, build_world

# Text in three scripts and a currency sign the old Latin-1 PDFs turned into question marks.
RUSSIAN = "Откат поставщику через счёт в Лимассоле"
GREEK = "Ο οικονομικός διευθυντής ενέκρινε το τιμολόγιο"
EURO = "€48 500 paid twice"
QUESTION_RU = "Кто подписал платёжное поручение?"
REASONING_EL = "Η παράβαση ήταν σκόπιμη και επαναλαμβανόμενη"


@pytest.fixture
def world(database, vault) -> World:
    return build_world(database, vault)


@pytest.fixture
def run(world, database_url, keyring, tmp_path, monkeypatch):
    key_file = tmp_path / "candor.key"
    save_keyring(key_file, keyring, create=True)
    monkeypatch.chdir(tmp_path)
    env = {"CANDOR_DATABASE_URL": database_url, "CANDOR_KEY_FILE": str(key_file),
           "CANDOR_SCRYPT_LOG2_N": "4", "COLUMNS": "400", "CANDOR_MASTER_KEY": ""}

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args), env=env)

    return invoke


def report(world: World, *, what: str, who: str = "") -> Report:
    world.submit("cfo", "intake", {"category": "fraud", "what": what, "who": who, "anonymous": "no"})
    with world.db.read() as session:
        return session.exec(select(Report).order_by(col(Report.received_at).desc())).first()


def pdf_text(path) -> str:
    """The PDF's text with runs of whitespace made single spaces (lines wrap anywhere)."""
    return " ".join("\n".join(p.extract_text() for p in PdfReader(str(path)).pages).split())


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
    with open("pyproject.toml", encoding="utf-8") as project:
        declared = project.read()
    assert '"fonts/*.ttf"' in declared and '"fonts/LICENSE"' in declared
