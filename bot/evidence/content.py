"""What an uploaded evidence file is, whether Candor takes it, and what it keeps of it.

`examine(data, filename=..., scrub=...)` types the file by its content (never by its name),
refuses anything outside the allow-list, and, when asked to scrub, removes the details that name
people (Office authors, PDF document info and XMP, image EXIF and GPS) while keeping the document
openable. It returns `Examined` (the bytes to seal, what was removed, what could not be checked)
or `Refused` (a plain reason for the result page). Nothing escapes it as an exception: a
malformed file of any kind is a `Refused`.

`safe_name` turns a name from a browser into one that is safe to show and to offer as a
download. The heavy libraries (pikepdf, Pillow, lxml) are imported inside the functions that
need them, so `candor`'s start-up does not pay for them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.wording import evidence as wording


class FileType(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    CSV = "csv"
    TEXT = "text"
    PNG = "png"
    JPEG = "jpeg"
    EML = "eml"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def extensions(self) -> tuple[str, ...]:
        """The extensions a file of this type may carry, the usual one first (lower case, with
        the dot)."""
        return _EXTENSIONS[self]


_MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    FileType.CSV: "text/csv",
    FileType.TEXT: "text/plain",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
    FileType.EML: "message/rfc822",
}
_EXTENSIONS = {
    FileType.PDF: (".pdf",),
    FileType.DOCX: (".docx", ".dotx"),
    FileType.XLSX: (".xlsx", ".xltx"),
    FileType.PPTX: (".pptx", ".potx", ".ppsx"),
    FileType.CSV: (".csv", ".tsv", ".txt"),
    FileType.TEXT: (".txt", ".text", ".log", ".md"),
    FileType.PNG: (".png",),
    FileType.JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    FileType.EML: (".eml",),
}

ALLOWED: tuple[FileType, ...] = tuple(FileType)


@dataclass(frozen=True)
class Limits:
    """Bounds on what Candor unpacks to check a file. The upload's own size limit
    (`CANDOR_FILE_MAX_MB`) is the caller's; these guard against files small on the wire and
    huge inside."""

    zip_total_bytes: int = 100 * 1024 * 1024  # the sum of an Office file's parts, unpacked
    zip_entries: int = 10_000
    zip_ratio: int = 100  # unpacked / packed, over the whole file, once past zip_ratio_floor
    zip_ratio_floor: int = 10 * 1024 * 1024  # small files may compress well: below this, no ratio
    pdf_objects: int = 500_000
    image_pixels: int = 100_000_000  # 100 megapixels: a phone takes 12-50


@dataclass(frozen=True)
class Examined:
    kind: FileType
    data: bytes  # what will be stored: scrubbed when asked, else the input
    removed: tuple[str, ...]  # what was removed, in plain words ("the author (Word)")
    unchecked: tuple[str, ...]  # what could not be checked, in plain words


@dataclass(frozen=True)
class Refused:
    reason: str  # plain words for the result page


class Refusal(Exception):
    """Raised inside the checkers, turned into `Refused` by `examine` (never escapes it)."""

    def __init__(self, reason: str) -> None:
        super().__init__("file refused")  # the reason is for the page, not for a log
        self.reason = reason


def examine(data: bytes, *, filename: str, scrub: bool,
            limits: Limits = Limits()) -> Examined | Refused:
    """Type `data` by content, refuse what is not allowed or cannot be read, and (with `scrub`)
    remove what names people. `filename` is only a hint and never decides the type."""
    del filename  # the content decides; kept in the signature so callers pass what they have
    try:
        if not data:
            raise Refusal(wording.EMPTY)
        kind = _sniff(data, limits)
        return _examine_as(kind, data, scrub=scrub, limits=limits)
    except Refusal as refusal:
        return Refused(refusal.reason)
    except (MemoryError, RecursionError):
        return Refused(wording.UNREADABLE)
    except Exception:  # noqa: BLE001 - a parser's surprise on hostile bytes is a refusal, not a crash
        # Nothing is logged: the exception may quote the file. The checkers catch what their
        # libraries document; this is the last line (a fuzz of every kind never reaches it).
        return Refused(wording.UNREADABLE)


def _examine_as(kind: FileType, data: bytes, *, scrub: bool, limits: Limits) -> Examined:
    body = wording.body_may_name_people(kind)
    if kind in (FileType.DOCX, FileType.XLSX, FileType.PPTX):
        from bot.evidence import office

        stored, removed, unchecked = office.examine(kind, data, scrub=scrub, limits=limits)
    elif kind is FileType.PDF:
        from bot.evidence import pdf

        stored, removed, unchecked = pdf.examine(data, scrub=scrub, limits=limits)
    elif kind in (FileType.PNG, FileType.JPEG):
        from bot.evidence import images

        stored, removed, unchecked = images.examine(kind, data, scrub=scrub, limits=limits)
    elif kind is FileType.EML:
        stored, removed = data, ()
        unchecked = (wording.EML_HEADERS, *_eml_attachments(data))
    elif kind is FileType.CSV:
        stored, removed = data, ()
        unchecked = _csv_formulas(data)
    else:
        stored, removed, unchecked = data, (), ()
    kept = (wording.KEPT_AS_IS,) if not scrub and kind is not FileType.EML else ()
    return Examined(kind=kind, data=stored, removed=tuple(removed),
                    unchecked=(*unchecked, *kept, body))


# --- Typing by content ----------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .doc/.xls/.ppt, and encrypted OOXML
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe",
             b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa", b"\x00asm", b"dex\n")
_OTHER_IMAGES = (b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF", b"\x00\x00\x01\x00",
                 b"8BPS", b"\x00\x00\x00\x0cjP  ")
_ARCHIVES = (b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"MSCF")
_MARKUP = re.compile(rb"^\s*<(!doctype\s+html|html|head|body|script|svg|\?xml|!--)", re.I)


def _sniff(data: bytes, limits: Limits) -> FileType:
    head = data[:1024]
    if b"%PDF-" in head:
        return FileType.PDF
    if data.startswith(_PNG):
        return FileType.PNG
    if data.startswith(_JPEG):
        return FileType.JPEG
    if data.startswith(_ZIP):
        from bot.evidence import office

        return office.kind_of(data, limits)
    if data.startswith(_OLE):
        raise Refusal(wording.not_allowed(wording.SEEMS_OLD_OFFICE))
    if data.startswith(_PROGRAMS):
        raise Refusal(wording.not_allowed(wording.SEEMS_PROGRAM))
    if data.startswith(_OTHER_IMAGES) or data[4:12] in (b"ftypheic", b"ftypavif", b"ftypmif1"):
        raise Refusal(wording.not_allowed(wording.SEEMS_OTHER_IMAGE))
    if data.startswith(_ARCHIVES):
        raise Refusal(wording.not_allowed(wording.SEEMS_ARCHIVE))
    if _is_eml(data):
        return FileType.EML
    text = _utf8_text(data)
    if text is None:
        raise Refusal(wording.not_allowed(wording.SEEMS_BINARY))
    markup = _MARKUP.match(data.removeprefix(b"\xef\xbb\xbf")[:1024])
    if markup:
        tag = markup.group(1).lower()
        seems = (wording.SEEMS_SVG if tag == b"svg" or b"<svg" in data[:4096].lower()
                 else wording.SEEMS_XML if tag == b"?xml" else wording.SEEMS_WEB_PAGE)
        raise Refusal(wording.not_allowed(seems))
    return FileType.CSV if _is_csv(text) else FileType.TEXT


def _utf8_text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?")
_EML_NEEDS = frozenset({"from"})
_EML_ANY_OF = frozenset({"date", "subject", "to", "message-id", "received", "mime-version"})


def _is_eml(data: bytes) -> bool:
    """RFC 5322: the file opens with header fields (ASCII, "Name: value", folded lines allowed),
    a blank line, then the body; a From and one more usual field. The body may be in any
    charset, so this comes before the UTF-8 test."""
    if not _HEADER_LINE.match(data) or b"\x00" in data:
        return False
    end = re.search(rb"\r?\n\r?\n", data)
    block = data[: end.start()] if end else data
    try:
        block.decode("ascii")
    except UnicodeDecodeError:
        return False
    names: set[str] = set()
    for line in re.split(rb"\r?\n", block):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the field above
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].decode("ascii").lower())
    if not (_EML_NEEDS <= names and names & _EML_ANY_OF):
        return False
    import email.parser
    import email.policy

    message = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(data)
    return message.get("from") is not None


def _eml_attachments(data: bytes) -> tuple[str, ...]:
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(data)
    if not message.is_multipart():
        return ()
    for part in message.walk():
        if part.get_content_disposition() == "attachment" or (
            part.get_filename() and not part.is_multipart()
        ):
            return (wording.EML_ATTACHMENTS,)
    return ()


_CSV_DELIMITERS = (",", ";", "\t", "|")
_CSV_SAMPLE = 1_000_000  # characters


def _is_csv(text: str) -> bool:
    """CSV: two or more rows, each with the same number (two or more) of columns, judged on the
    first megabyte's whole lines (both kinds are allowed: this picks the label, not whether it is
    taken), read row by row: a large file is never held as rows, nor read through to type it."""
    if len(text) > _CSV_SAMPLE:
        text = text[:_CSV_SAMPLE].rpartition("\n")[0] or text[:_CSV_SAMPLE]
    for delimiter in _CSV_DELIMITERS:
        if delimiter not in text:
            continue
        width, rows = 0, 0
        try:
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if not row:
                    continue
                if rows and len(row) != width:
                    break
                width, rows = len(row), rows + 1
            else:
                if rows >= 2 and width >= 2:
                    return True
        except csv.Error:
            continue
    return False


_FORMULA_START = re.compile(r'(^|[,;\t|]|\n)"?[=+\-@]')


def _csv_formulas(data: bytes) -> tuple[str, ...]:
    text = data.decode("utf-8-sig", errors="replace")
    return (wording.CSV_FORMULAS,) if _FORMULA_START.search(text) else ()


# --- Names ----------------------------------------------------------------------------------------

MAX_NAME = 120  # characters, extension included
_WINDOWS_FORBIDDEN = str.maketrans(dict.fromkeys('<>:"/\\|?*', "_"))
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")


def _drop(char: str) -> bool:
    # Controls (Cc), format characters (Cf: bidi controls, zero-width joiners and marks),
    # surrogates, private use, unassigned, line and paragraph separators.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def safe_name(filename: str, *, kind: FileType | None = None) -> str:
    """A file name safe to list and to offer as a download: the last path part only, no control
    or direction characters, no characters Windows forbids, at most `MAX_NAME` characters with
    the extension kept, never empty. With `kind`, a name whose extension does not belong to that
    type gets the type's own added ("notes.html" holding plain text becomes "notes.html.txt"),
    so a download never opens as something it is not."""
    name = unicodedata.normalize("NFC", filename)
    name = "".join(" " if char.isspace() else char for char in name
                   if char.isspace() or not _drop(char))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)
    name = re.sub(r" +", " ", name.translate(_WINDOWS_FORBIDDEN)).strip(" .")
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    match = _EXTENSION.search(name)
    stem, extension = (name[: match.start()], match.group()) if match else (name, "")
    if kind is not None and extension.lower() not in kind.extensions:
        stem, extension = f"{stem}{extension}", kind.extensions[0]
    stem = stem.strip(" .")[: MAX_NAME - len(extension)].rstrip(" .") or "file"
    return f"{stem}{extension}"
