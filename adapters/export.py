"""Writing the committee's records to files: a case file as Markdown or PDF, the register as CSV
and a one-page PDF summary with a bar chart drawn with fpdf2's own primitives.

The content comes ready from `bot.records`; this module only lays it out. Files are created with
mode 0600: a case file is as confidential as the case.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path

from fpdf import FPDF

from bot.records import CaseFile, Register

# fpdf2's core fonts speak Latin-1; typographic characters are mapped, the rest replaced.
_LATIN1 = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u2026": "...", "\u200b": "", "\u2039": "<", "\u203a": ">"})


def _latin1(text: str) -> str:
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _write_private(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


# --- the case file ----------------------------------------------------------------------------


def case_markdown(case: CaseFile) -> str:
    lines = [f"# {case.title}", "",
             f"_Confidential. Prepared for {case.generated_for} on {case.generated_at:%Y-%m-%d %H:%M} UTC._", ""]
    for heading, items in case.sections:
        lines += [f"## {heading}", ""]
        for label, text in items:
            body = text.strip().replace("\n", "\n  ")
            lines.append(f"- **{label}:** {body}")
        lines.append("")
    return "\n".join(lines)


def case_pdf(case: CaseFile) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(case.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _latin1(f"Confidential. Prepared for {case.generated_for} on "
                                 f"{case.generated_at:%Y-%m-%d %H:%M} UTC."), new_x="LMARGIN", new_y="NEXT")
    for heading, items in case.sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
        for label, text in items:
            pdf.set_font("Helvetica", "B", 10)
            pdf.multi_cell(0, 5, _latin1(label), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, _latin1(text or "-"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_case(case: CaseFile, path: Path, fmt: str) -> Path:
    data = case_pdf(case) if fmt == "pdf" else case_markdown(case).encode("utf-8")
    return _write_private(path, data)


# --- the register -----------------------------------------------------------------------------


def register_rows(register: Register) -> list[tuple[str, str, str]]:
    """The register's measures as (section, item, value) rows."""
    rows: list[tuple[str, str, str]] = [("period", "quarter", register.period),
                                        ("period", "from", register.start.isoformat()),
                                        ("period", "to (exclusive)", register.end.isoformat()),
                                        ("cases", "received", str(len(register.cases)))]
    rows += [("by_category", c.label, str(n)) for c, n in register.by_category.items()]
    rows += [("by_status", s.label, str(n)) for s, n in register.by_status.items()]
    rows.append(("time_to_acknowledge", "acknowledged", str(len(register.acknowledge_hours))))
    rows.append(("time_to_acknowledge", "not acknowledged",
                 str(len(register.cases) - len(register.acknowledge_hours))))
    rows.append(("time_to_acknowledge", "median hours", _num(register.median_hours_to_acknowledge)))
    rows.append(("time_to_acknowledge", "longest hours", _num(register.max_hours_to_acknowledge)))
    rows.append(("attestation", "attestation period", register.attestation_year))
    rows.append(("attestation", "officers", str(register.officers)))
    rows.append(("attestation", "attested", str(register.attested)))
    rows.append(("attestation", "completion percent", f"{register.attestation_percent:.1f}"))
    rows += [("determinations", action, str(n)) for action, n in sorted(register.determinations.items())]
    rows.append(("waivers", "granted", str(register.waivers_granted)))
    rows.append(("waivers", "disclosed on time", str(register.waivers_disclosed_on_time)))
    return rows


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def register_csv(register: Register) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "item", "value"])
    writer.writerows(register_rows(register))
    return buffer.getvalue()


def register_cases_csv(register: Register) -> str:
    """One line per case: code, category, status and dates (a shredded case is a tombstone)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["code", "category", "status", "received", "acknowledged", "hours_to_acknowledge",
                     "closed", "shredded"])
    for case in register.cases:
        writer.writerow([case.code, case.category.label, case.status.label, case.received.isoformat(),
                         case.acknowledged.isoformat() if case.acknowledged else "",
                         _num(case.hours_to_acknowledge),
                         case.closed.isoformat() if case.closed else "",
                         case.shredded.isoformat() if case.shredded else ""])
    return buffer.getvalue()


def register_pdf(register: Register) -> bytes:
    """One page: the period's figures and a bar chart of reports by category."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, f"Ethics reports register, {register.period}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    last = date.fromordinal(register.end.toordinal() - 1)
    pdf.cell(0, 5, f"Reports received {register.start.isoformat()} to {last.isoformat()}. "
                   "Counts only: no report content, no reporter.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    figures = [
        ("Reports received", str(len(register.cases))),
        ("Acknowledged", f"{len(register.acknowledge_hours)} (median {_num(register.median_hours_to_acknowledge) or '-'} h, "
                         f"longest {_num(register.max_hours_to_acknowledge) or '-'} h)"),
        ("Attestation completion", f"{register.attested} of {register.officers} officers "
                                   f"({register.attestation_percent:.1f}%), period {register.attestation_year}"),
        ("Waivers granted", f"{register.waivers_granted} ({register.waivers_disclosed_on_time} disclosed on time)"),
    ]
    figures += [(f"Status: {s.label}", str(n)) for s, n in register.by_status.items()]
    figures += [(f"Determination: {a}", str(n)) for a, n in sorted(register.determinations.items())]
    for label, value in figures:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(70, 6, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Reports by category", new_x="LMARGIN", new_y="NEXT")
    _bar_chart(pdf, [(c.label, n) for c, n in register.by_category.items()])
    return bytes(pdf.output())


def _bar_chart(pdf: FPDF, bars: list[tuple[str, int]]) -> None:
    """Horizontal bars: label, a filled rectangle proportional to the count, the count."""
    top, label_w, max_w, bar_h, gap = pdf.get_y() + 2, 80.0, 90.0, 7.0, 3.0
    left = pdf.l_margin
    biggest = max((n for _label, n in bars), default=0) or 1
    pdf.set_draw_color(60, 60, 60)
    pdf.line(left + label_w, top - 1, left + label_w, top + len(bars) * (bar_h + gap))
    for index, (label, count) in enumerate(bars):
        y = top + index * (bar_h + gap)
        pdf.set_xy(left, y)
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(label_w - 2, bar_h, _latin1(label[:55]), align="R")
        width = max_w * count / biggest
        if width:
            pdf.set_fill_color(46, 92, 138)
            pdf.rect(left + label_w, y, width, bar_h, style="F")
        pdf.set_xy(left + label_w + width + 2, y)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(12, bar_h, str(count))


def write_register(register: Register, directory: Path) -> list[Path]:
    """register-<period>.csv, register-<period>-cases.csv and register-<period>.pdf."""
    stem = f"register-{register.period}"
    return [
        _write_private(directory / f"{stem}.csv", register_csv(register).encode("utf-8")),
        _write_private(directory / f"{stem}-cases.csv", register_cases_csv(register).encode("utf-8")),
        _write_private(directory / f"{stem}.pdf", register_pdf(register)),
    ]
