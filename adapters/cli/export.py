"""`candor export`: a case's whole file or its notice letters for an allowed committee member,
and a quarter's sanitized register (`adapters.export` lays them out as Markdown, PDF and CSV).

Each command calls one of the administrator's use cases (`bot.admin`), which audits what it does,
a refusal included; its refusals are worded here (`_words`) and printed, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from adapters.cli.common import administration, fail, operator, out, unwritable
from bot.admin import CaseShredded, NotFound, Refused
from bot.records import parse_period

app = typer.Typer(help="The committee's records: case files, notice letters and the quarterly "
                       "register.",
                  no_args_is_help=True)


@app.command("case")
def export_case(
    code: str = typer.Argument(..., help="The case code."),
    as_email: str = typer.Option(..., "--as",
                                 help="The committee member the file is for (e-mail)."),
    fmt: str = typer.Option("md", "--format", help="md or pdf."),
    destination: Path | None = typer.Option(None, "--out", help="The file to write."),
) -> None:
    """Write a case's whole file for an allowed committee member (audited, with the OS user and
    host running the command beside the member; refused, and the refusal audited, for anyone
    else, a member the report keeps away included)."""
    from adapters.export import write_case, write_documents

    if fmt not in {"md", "pdf"}:
        raise fail("--format is md or pdf")
    with administration(_words, lead="no export: ") as admin:
        case, documents = admin.case_file(code, member=as_email, operator=operator())
    path = destination or Path(f"case-{case.code}.{fmt}")
    try:
        write_case(case, path, fmt)
        folder = write_documents(documents, path) if documents else None
    except OSError as exc:
        raise unwritable(path, exc) from None
    out.print(f"Wrote {path} (mode 0600). It is confidential: keep it with the committee's "
              "records.")
    if folder is not None:
        out.print(f"Wrote its {len(documents)} document(s) in {folder}, with their SHA-256 in "
                  f"{folder / 'SHA256SUMS'}.")


# What the administrator reads when there is no case file to write. The chat's sentence for a
# code that opens nothing ("check the code and the secret") is for reporters, and says the same
# for every failure on purpose; at the command line the committee is told what happened.
def _words(refused: Refused) -> str:
    match refused:
        case NotFound("person", email):
            return f"{escape(email)} is not on the roster"
        case NotFound("case", code):
            return (f"there is no case '{escape(code.strip())}' in this database. A case code "
                    "looks like K7Q4-M9XP; `candor export register --period 2026Q4` lists the "
                    "codes of a quarter's cases.")
        case CaseShredded(code, shredded_at, closed_at, quarter):
            closed = f", closed on {closed_at:%Y-%m-%d}" if closed_at else ""
            return (f"case {code} was shredded on {shredded_at:%Y-%m-%d} under the retention "
                    f"policy{closed}; its content can no longer be read by anyone. Only its "
                    "tombstone (code, category and dates) remains, in the register: "
                    f"`candor export register --period {quarter}`.")
    raise refused


@app.command("notice")
def export_notice(
    code: str = typer.Argument(..., help="The case code."),
    as_email: str = typer.Option(..., "--as",
                                 help="The committee member the letter is for (e-mail)."),
    destination: Path | None = typer.Option(
        None, "--out", help="The PDF to write (default notice-CODE.pdf). With several written "
                            "notices on the case, the second is written as NAME-2.pdf, and so on."),
) -> None:
    """Write the letter of written notice a case's determination produced, as a PDF ready for the
    chair's signature, for an allowed committee member (audited, with the OS user and host beside
    the member; refused, and the refusal audited, for anyone else). Never posted in a channel."""
    from adapters.export import write_notice

    with administration(_words, lead="no notice letter: ") as admin:
        case_code, notices = admin.notice_letters(code, member=as_email, operator=operator())
    first = destination or Path(f"notice-{case_code}.pdf")
    for number, notice in enumerate(notices, start=1):
        path = first if number == 1 else first.with_name(f"{first.stem}-{number}{first.suffix}")
        try:
            write_notice(notice.letter, path)
        except OSError as exc:
            raise unwritable(path, exc) from None
        out.print(f"Wrote {path} (mode 0600): the written notice to "
                  f"{escape(notice.letter.officer)}, determination of "
                  f"{notice.letter.decided_on.isoformat()}. Never post it in a channel.")


@app.command("register")
def export_register(
    period: str = typer.Option(..., "--period", help="The quarter, e.g. 2026Q4."),
    directory: Path = typer.Option(Path("."), "--out", help="The folder to write into."),
) -> None:
    """Write the sanitized register of a quarter: CSV of counts, CSV of cases (codes, categories,
    statuses, dates) and a one-page PDF summary with a chart. No report content, no reporter."""
    from adapters.export import write_register

    try:
        parse_period(period)
    except ValueError as exc:
        raise fail(str(exc)) from None
    with administration() as admin:
        register = admin.register(period)
    try:
        paths = write_register(register, directory)
    except OSError as exc:
        raise unwritable(directory, exc) from None
    for path in paths:
        out.print(f"Wrote {path}")
