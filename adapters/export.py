"""Writing the committee's records to files: a case file as Markdown or PDF, the register as CSV
and a one-page PDF summary with a bar chart drawn with fpdf2's own primitives.

The content comes ready from `bot.records` (a case file's wording is `bot/views/case.py`'s); this
module only lays it out. Files are created with
mode 0600: a case file is as confidential as the case. What a person typed is text, never layout:
in Markdown every character that could open a heading, a list, a quote, a table, emphasis, a link
or HTML is escaped; in a PDF it is drawn with DejaVu Sans (shipped in `adapters/fonts/`), and a
character that font lacks is drawn as U+FFFD and counted in a note, never dropped silently (and
never named in a log, as fpdf2's own warning would).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont

from bot.evidence.store import StoredFile
from bot.notice_letter import NoticeLetter
from bot.records import Register
from bot.sanitize import without_direction_controls
from bot.views.case import CaseFile


def _write_private(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the mode above applies only to a new file: an old one keeps its own
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


# --- the case file ----------------------------------------------------------------------------


# Markdown. Escaped everywhere: the characters that open inline markup (emphasis, code, links,
# images, HTML, autolinks, GFM tables and strikethrough) and the backslash itself. `>` and `#` are
# markup only at the start of a line, so they are escaped there, with the other line openers:
# list markers, setext underlines, ordered-list numbers, a table's `:---`. An `&` is escaped only
# where it would start an entity. Leading spaces are dropped, so no line becomes an indented
# code block.
_MD_INLINE = re.compile(r"([\\`*_\[\]<|~])|&(?=#?[0-9A-Za-z]+;)")
_MD_LINE_START = re.compile(r"^(?:([#>+=:-])|(\d+)([.)]))")


def _md_line(line: str) -> str:
    escaped = _MD_INLINE.sub(lambda m: "\\" + m.group(0), line.strip())
    return _MD_LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1)
                              else m.group(2) + "\\" + m.group(3),
                              escaped)


def _plain_lines(text: str) -> list[str]:
    """The text's lines, tabs made spaces, other control characters and direction overrides
    dropped (a case file reads as it was typed, never reordered)."""
    text = without_direction_controls(text.replace("\r\n", "\n").replace("\r", "\n")
                                      .replace("\t", " "))
    return ["".join(ch for ch in line if unicodedata.category(ch) != "Cc")
            for line in text.split("\n")]


def md_inline(text: str) -> str:
    """User text on one line (a label, a name, a heading): escaped, newlines become spaces."""
    return " ".join(_md_line(line) for line in _plain_lines(text) if line.strip())


def md_block(text: str, indent: str = "  ") -> str:
    """User text that may run over several lines and paragraphs, escaped line by line; lines
    after the first are indented so that they stay inside the list item they belong to."""
    lines: list[str] = []
    for line in _plain_lines(text):
        if line.strip():
            lines.append(_md_line(line))
        elif lines and lines[-1]:
            lines.append("")  # one blank line keeps a paragraph break; more would add nothing
    while lines and not lines[-1]:
        lines.pop()
    return f"\n{indent}".join(lines).replace(f"\n{indent}\n", "\n\n")


def case_markdown(case: CaseFile) -> str:
    lines = [f"# {md_inline(case.title)}", "",
             f"_Confidential. Prepared for {md_inline(case.generated_for)} on "
             f"{case.generated_at:%Y-%m-%d %H:%M} UTC._", ""]
    for heading, items in case.sections:
        lines += [f"## {md_inline(heading)}", ""]
        for label, text in items:  # an item without a label is a sentence of its own
            item = f"- **{md_inline(label)}:** {md_block(text)}" if label else f"- {md_block(text)}"
            lines.append(item.rstrip())
        lines.append("")
    return "\n".join(lines)


# PDF. fpdf2's core fonts speak Latin-1 only; DejaVu Sans covers Latin, Greek, Cyrillic, Armenian,
# Georgian and much else, but no Chinese, Japanese or Korean, and fpdf2 without uharfbuzz does no
# shaping (Arabic letters stay unjoined, right-to-left text runs left to right).
FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
UNDRAWABLE = "\ufffd"


class _UnicodePDF(FPDF):
    """An A4 document with DejaVu Sans embedded, that counts the characters it cannot draw."""

    def __init__(self, fonts: dict[str, Path]) -> None:
        super().__init__(format="A4")
        for style, path in fonts.items():
            self.add_font(FONT, style, path)
        self.undrawable = 0

    def drawable(self, text: str) -> str:
        """`text` with each character the current font lacks replaced by U+FFFD (and counted);
        fpdf2 would otherwise leave a gap and log the missing characters, report text included."""
        font = self.current_font
        assert isinstance(font, TTFFont), "set_font(FONT) first: only an embedded font has a cmap"
        cmap = font.cmap
        out: list[str] = []
        for line in _plain_lines(text):
            for ch in line:
                kind = unicodedata.category(ch)
                if ord(ch) in cmap:
                    out.append(ch)
                elif kind == "Zs":
                    out.append(" ")
                elif kind != "Cf":  # an invisible format character (a zero-width joiner) can go
                    out.append(UNDRAWABLE)
                    self.undrawable += 1
            out.append("\n")
        return "".join(out[:-1])

    def block(self, height: float, text: str, *, style: str = "", size: float = 10) -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, height, self.drawable(text), new_x="LMARGIN", new_y="NEXT")


@contextmanager
def _unicode_pdf() -> Iterator[_UnicodePDF]:
    """The document, with the fonts read from the installed package (a real file for as long as
    the document is being written, even if the package is zipped)."""
    folder = resources.files("adapters") / "fonts"
    with ExitStack() as stack:
        fonts = {style: stack.enter_context(resources.as_file(folder / name))
                 for style, name in _FONT_FILES.items()}
        yield _UnicodePDF(fonts)


def case_pdf(case: CaseFile) -> bytes:
    with _unicode_pdf() as pdf:
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.add_page()
        pdf.block(9, case.title, style="B", size=16)
        pdf.set_text_color(90, 90, 90)
        pdf.block(5, f"Confidential. Prepared for {case.generated_for} on "
                     f"{case.generated_at:%Y-%m-%d %H:%M} UTC.", size=9)
        pdf.set_text_color(0, 0, 0)
        for heading, items in case.sections:
            pdf.ln(3)
            pdf.block(7, heading, style="B", size=12)
            for label, text in items:
                if label:
                    pdf.block(5, label, style="B")
                pdf.block(5, text.strip() or "-")
        if pdf.undrawable:
            pdf.ln(4)
            pdf.set_text_color(150, 30, 30)
            pdf.block(5, f"{pdf.undrawable} characters of this case are in a script this PDF's "
                         f"font does not cover (Chinese, Japanese or Korean, for instance) and are "
                         f"shown as {UNDRAWABLE}. The Markdown case file (--format md) keeps the "
                         f"text as written.",
                      size=9)
        return bytes(pdf.output())


def write_case(case: CaseFile, path: Path, fmt: str) -> Path:
    data = case_pdf(case) if fmt == "pdf" else case_markdown(case).encode("utf-8")
    return _write_private(path, data)


# --- the register -----------------------------------------------------------------------------


def write_documents(documents: list[tuple[StoredFile, bytes]], case_path: Path) -> Path:
    """A case's evidence files in a folder beside its file (`case-CODE.md` ->
    `case-CODE-documents/`), each mode 0600 under its safe name, and `SHA256SUMS` listing them
    (`sha256sum -c SHA256SUMS` checks them)."""
    folder = case_path.with_name(f"{case_path.stem}-documents")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines, used = [], set()
    for stored, data in documents:
        name = stored.name
        if name in used:  # two files of one name: the second keeps its id beside it
            name = f"{stored.id[:8]}-{name}"
        used.add(name)
        _write_private(folder / name, data)
        lines.append(f"{stored.sha256}  {name}\n")
    _write_private(folder / "SHA256SUMS", "".join(lines).encode())
    return folder


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
    rows += [("determinations", action, str(n))
             for action, n in sorted(register.determinations.items())]
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
    writer.writerow(["code", "category", "status", "received", "acknowledged",
                     "hours_to_acknowledge", "closed", "shredded"])
    for case in register.cases:
        writer.writerow([case.code, case.category.label, case.status.label,
                         case.received.isoformat(),
                         case.acknowledged.isoformat() if case.acknowledged else "",
                         _num(case.hours_to_acknowledge),
                         case.closed.isoformat() if case.closed else "",
                         case.shredded.isoformat() if case.shredded else ""])
    return buffer.getvalue()


def register_pdf(register: Register) -> bytes:
    """One page: the period's figures and a bar chart of reports by category."""
    with _unicode_pdf() as pdf:
        pdf.set_auto_page_break(auto=False)
        pdf.add_page()
        pdf.set_font(FONT, "B", 16)
        pdf.cell(0, 10, f"Ethics reports register, {register.period}",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        last = date.fromordinal(register.end.toordinal() - 1)
        pdf.cell(0, 5, f"Reports received {register.start.isoformat()} to {last.isoformat()}. "
                       "Counts only: no report content, no reporter.",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        figures = [
            ("Reports received", str(len(register.cases))),
            ("Acknowledged", f"{len(register.acknowledge_hours)} "
                             f"(median {_num(register.median_hours_to_acknowledge) or '-'} h, "
                             f"longest {_num(register.max_hours_to_acknowledge) or '-'} h)"),
            ("Attestation completion", f"{register.attested} of {register.officers} officers "
                                       f"({register.attestation_percent:.1f}%), "
                                       f"period {register.attestation_year}"),
            ("Waivers granted", f"{register.waivers_granted} "
                                f"({register.waivers_disclosed_on_time} disclosed on time)"),
        ]
        figures += [(f"Status: {s.label}", str(n)) for s, n in register.by_status.items()]
        figures += [(f"Determination: {a}", str(n))
                    for a, n in sorted(register.determinations.items())]
        for label, value in figures:
            pdf.set_font(FONT, "B", 10)
            pdf.cell(70, 6, pdf.drawable(label))
            pdf.set_font(FONT, "", 10)
            pdf.cell(0, 6, pdf.drawable(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 8, "Reports by category", new_x="LMARGIN", new_y="NEXT")
        _bar_chart(pdf, [(c.label, n) for c, n in register.by_category.items()])
        return bytes(pdf.output())


def _bar_chart(pdf: _UnicodePDF, bars: list[tuple[str, int]]) -> None:
    """Horizontal bars: label, a filled rectangle proportional to the count, the count."""
    top, label_w, max_w, bar_h, gap = pdf.get_y() + 2, 80.0, 90.0, 7.0, 3.0
    left = pdf.l_margin
    biggest = max((n for _label, n in bars), default=0) or 1
    pdf.set_draw_color(60, 60, 60)
    pdf.line(left + label_w, top - 1, left + label_w, top + len(bars) * (bar_h + gap))
    for index, (label, count) in enumerate(bars):
        y = top + index * (bar_h + gap)
        pdf.set_xy(left, y)
        pdf.cell(label_w - 2, bar_h, _fit(pdf, pdf.drawable(label), label_w - 3), align="R")
        width = max_w * count / biggest
        if width:
            pdf.set_fill_color(46, 92, 138)
            pdf.rect(left + label_w, y, width, bar_h, style="F")
        pdf.set_xy(left + label_w + width + 2, y)
        pdf.set_font(FONT, "B", 9)
        pdf.cell(12, bar_h, str(count))


def _fit(pdf: FPDF, text: str, width: float, *, size: float = 8, smallest: float = 6) -> str:
    """Sets the largest font size (down to `smallest`) at which `text` fits `width`; shortens it
    with an ellipsis if even that is too wide."""
    while True:
        pdf.set_font(FONT, "", size)
        if pdf.get_string_width(text) <= width:
            return text
        if size <= smallest:
            break
        size -= 0.5
    while text and pdf.get_string_width(text + "\u2026") > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def write_register(register: Register, directory: Path) -> list[Path]:
    """register-<period>.csv, register-<period>-cases.csv and register-<period>.pdf."""
    stem = f"register-{register.period}"
    return [
        _write_private(directory / f"{stem}.csv", register_csv(register).encode("utf-8")),
        _write_private(directory / f"{stem}-cases.csv",
                       register_cases_csv(register).encode("utf-8")),
        _write_private(directory / f"{stem}.pdf", register_pdf(register)),
    ]


# --- the written notice (issue 22) -----------------------------------------------------------


def notice_pdf(letter: NoticeLetter) -> bytes:
    """A notice letter, on one A4 page as a rule, ready for the chair's signature: the company,
    the date, the officer, the subject, the Board's finding and action, a signature block for
    the chair and one for the officer's receipt. The one function that makes its bytes: the
    command line writes them to a file, a download page may serve them."""
    with _unicode_pdf() as pdf:
        pdf.set_auto_page_break(auto=True, margin=20)
        pdf.set_margins(25, 20, 25)
        pdf.add_page()
        pdf.block(9, letter.heading, style="B", size=16)
        pdf.set_text_color(90, 90, 90)
        pdf.block(5, letter.confidential, size=9)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(6)
        pdf.block(5, letter.dateline)
        pdf.ln(4)
        pdf.block(5, letter.addressee)
        pdf.ln(6)
        pdf.block(6, letter.subject, style="B", size=11)
        pdf.ln(4)
        pdf.block(5, letter.salutation)
        pdf.ln(2)
        pdf.block(5, letter.opening)
        for label, text in letter.facts():
            pdf.ln(2)
            pdf.block(5, label, style="B")
            pdf.block(5, text.strip() or "-")
        pdf.ln(4)
        pdf.block(5, letter.closing)
        for lines in (letter.signature(), letter.receipt()):
            pdf.ln(8)
            for line in lines:
                if line:
                    pdf.block(5, line)
                else:
                    pdf.ln(6)  # room for the signature
        if pdf.undrawable:
            pdf.ln(4)
            pdf.set_text_color(150, 30, 30)
            pdf.block(5, f"{pdf.undrawable} characters of this letter are in a script this PDF's "
                         f"font does not cover and are shown as {UNDRAWABLE}. The case file "
                         "(--format md) keeps the letter's text as written.", size=9)
        return bytes(pdf.output())


def write_notice(letter: NoticeLetter, path: Path) -> Path:
    return _write_private(path, notice_pdf(letter))
