"""Evidence files' content (issue 23): typed by content, refused with a reason, and scrubbed of
the names in their metadata while still opening in their own applications' libraries.

Every fixture is built here with the library that writes that format, carrying a canary name in
each place a name hides; after `examine(..., scrub=True)` the canary is nowhere in the stored
bytes, nor in any part of a zip once unpacked.
"""

from __future__ import annotations

import email.message
import functools
import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.evidence.content import (
    ALLOWED,
    Examined,
    FileType,
    Limits,
    Refused,
    examine,
    safe_name,
)
from bot.wording import evidence as wording

CANARY = "Zebulon Quartermaine"
CANARY2 = "Philippa Hargreave-Stokes"
COMPANY = "Canary Holdings Ltd"
EMAIL = "zebulon.q@example.com"
CANARIES = (CANARY, CANARY2, COMPANY, EMAIL, "Zebulon", "Hargreave")


def _everything(data: bytes) -> bytes:
    """The bytes, and every entry of a zip unpacked: a name must not hide in compression."""
    parts = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts += [archive.read(name) for name in archive.namelist()]
    return b"\n".join(parts)


def _assert_no_canary(data: bytes) -> None:
    everything = _everything(data)
    for canary in CANARIES:
        for encoded in (canary.encode(), canary.encode("utf-16-le"), canary.encode("utf-16-be")):
            assert encoded not in everything, canary


def _scrubbed(data: bytes, name: str) -> Examined:
    result = examine(data, filename=name, scrub=True)
    assert isinstance(result, Examined), result
    return result


def _rezip(data: bytes, *, change: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """The same zip with some parts replaced or added (for what the libraries do not write)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w",
                                                                       zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, change.get(info.filename, source.read(info.filename)))
        for name, part in (add or {}).items():
            z.writestr(name, part)
    return out.getvalue()


def _inject(xml: bytes, before: bytes, extra: bytes) -> bytes:
    assert before in xml, before
    return xml.replace(before, extra + before, 1)


# --- Word -----------------------------------------------------------------------------------------

@functools.cache
def _word_document() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.author = CANARY
    document.core_properties.last_modified_by = CANARY2
    paragraph = document.add_paragraph("The journal entry of 31 March was booked twice.")
    document.add_comment(paragraph.runs, text="Check with treasury", author=CANARY,
                         initials="ZQ")
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml")
        app = archive.read("docProps/app.xml")
        types = archive.read("[Content_Types].xml")
        rels = archive.read("_rels/.rels")
    w = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    assert w in body
    tracked = (f'<w:p><w:ins w:id="901" w:author="{CANARY2}" w:date="2025-03-31T10:00:00Z">'
               f'<w:r><w:t>inserted later</w:t></w:r></w:ins>'
               f'<w:del w:id="902" w:author="{CANARY}" w:date="2025-03-31T10:00:00Z"><w:r>'
               f'<w:delText>removed</w:delText></w:r></w:del></w:p>').encode()
    body = _inject(body, b"<w:sectPr", tracked)
    app = _inject(app, b"</Properties>",
                  f"<Company>{COMPANY}</Company><Manager>{CANARY2}</Manager>".encode())
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner">'
        f"<vt:lpwstr>{EMAIL}</vt:lpwstr></property></Properties>"
    ).encode()
    types = _inject(types, b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType='
                    b'"application/vnd.openxmlformats-officedocument.custom-properties+xml"/>')
    rels = _inject(rels, b"</Relationships>", b'<Relationship Id="rIdCustom" Type="http://schemas'
                   b'.openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
                   b'Target="docProps/custom.xml"/>')
    return _rezip(data, change={"word/document.xml": body, "docProps/app.xml": app,
                                "[Content_Types].xml": types, "_rels/.rels": rels},
                  add={"docProps/custom.xml": custom})


def test_word_document_loses_every_name_and_still_opens_in_python_docx() -> None:
    import docx

    original = _word_document()
    assert CANARY.encode() in _everything(original) and EMAIL.encode() in _everything(original)

    result = _scrubbed(original, "notes.docx")

    assert result.kind is FileType.DOCX
    _assert_no_canary(result.data)
    opened = docx.Document(io.BytesIO(result.data))
    assert opened.core_properties.author == ""
    assert "The journal entry of 31 March was booked twice." in [p.text for p in opened.paragraphs]
    assert [c.author for c in opened.comments] == ["Author"]
    assert [c.text for c in opened.comments] == ["Check with treasury"]
    for what in ("the author (Word)", "who last saved it (Word)", "the company (Word)",
                 "the manager (Word)", "custom properties (Word)",
                 "the names of comment authors (Word)",
                 "the names of who made tracked changes (Word)"):
        assert what in result.removed, (what, result.removed)
    assert wording.body_may_name_people("docx") in result.unchecked


def test_tracked_changes_keep_their_text_under_a_neutral_author() -> None:
    result = _scrubbed(_word_document(), "notes.docx")
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        body = archive.read("word/document.xml").decode()
    assert "inserted later" in body and "removed" in body
    assert set(re.findall(r'w:author="([^"]*)"', body)) == {"Author"}


def test_a_strict_ooxml_document_loses_its_authors_too() -> None:
    # ISO 29500 Strict names Word's elements in another namespace; the names are as easy to find.
    original = _word_document()
    strict = {}
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        for name in ("word/document.xml", "word/comments.xml"):
            strict[name] = archive.read(name).replace(
                b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                b"http://purl.oclc.org/ooxml/wordprocessingml/main")
    result = _scrubbed(_rezip(original, change=strict), "strict.docx")
    _assert_no_canary(result.data)


def test_unscrubbed_word_document_is_stored_as_given_and_says_so() -> None:
    original = _word_document()
    result = examine(original, filename="notes.docx", scrub=False)
    assert isinstance(result, Examined)
    assert result.data == original and result.removed == ()
    assert wording.KEPT_AS_IS in result.unchecked


def test_a_docx_with_an_entity_declaration_is_refused() -> None:
    original = _word_document()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        core = archive.read("docProps/core.xml")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    core = laughs + core.split(b"?>", 1)[1]
    result = examine(_rezip(original, change={"docProps/core.xml": core}), filename="a.docx",
                     scrub=True)
    assert result == Refused(wording.OFFICE_DAMAGED)


# --- Excel and PowerPoint -------------------------------------------------------------------------

def _workbook() -> bytes:
    import openpyxl
    from openpyxl.comments import Comment

    workbook = openpyxl.Workbook()
    workbook.properties.creator = CANARY
    workbook.properties.lastModifiedBy = CANARY2
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "Invoice"
    sheet["B1"] = 125000
    sheet["A1"].comment = Comment("Raised twice", CANARY)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    # What Excel adds and openpyxl does not write: the folder it was saved in, and the people
    # of threaded comments with their accounts.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
        types = archive.read("[Content_Types].xml")
    book = _inject(book, b"<bookViews>", (
        b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/'
        b'2006"><mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com'
        b'/office/spreadsheetml/2010/11/ac" url="C:\\Users\\Zebulon\\Documents\\"/></mc:Choice>'
        b"</mc:AlternateContent>"))
    persons = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="http://'
        'schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"><person displayName="'
        f'{CANARY2}" id="{{00000000-0000-0000-0000-000000000001}}" userId="{EMAIL}" '
        'providerId="AD"/></personList>').encode()
    rels = _inject(rels, b"</Relationships>", b'<Relationship Type="http://schemas.microsoft.com/'
                   b'office/2017/10/relationships/person" Target="persons/person.xml" '
                   b'Id="rIdPersons"/>')
    types = _inject(types, b"</Types>", b'<Override PartName="/xl/persons/person.xml" '
                    b'ContentType="application/vnd.ms-excel.person+xml"/>')
    return _rezip(data, change={"xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": rels,
                                "[Content_Types].xml": types},
                  add={"xl/persons/person.xml": persons})


def test_workbook_loses_creator_and_comment_author_and_still_opens_in_openpyxl() -> None:
    import openpyxl

    original = _workbook()
    openpyxl.load_workbook(io.BytesIO(original))  # the fixture itself opens
    result = _scrubbed(original, "ledger.xlsx")

    assert result.kind is FileType.XLSX
    _assert_no_canary(result.data)
    opened = openpyxl.load_workbook(io.BytesIO(result.data))
    sheet = opened.active
    assert sheet is not None
    assert sheet["B1"].value == 125000
    assert sheet["A1"].comment is not None and sheet["A1"].comment.author == "Author"
    assert opened.properties.creator in (None, "", "openpyxl")
    assert {"the author (Excel)", "who last saved it (Excel)",
            "the names of comment authors (Excel)",
            "the folder it was saved in (Excel)"} <= set(result.removed)


def _presentation() -> bytes:
    import pptx

    deck = pptx.Presentation()
    deck.core_properties.author = CANARY
    deck.core_properties.last_modified_by = CANARY2
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    assert slide.shapes.title is not None
    slide.shapes.title.text = "Q1 revenue recognition"
    buffer = io.BytesIO()
    deck.save(buffer)
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
        rels = archive.read("ppt/_rels/presentation.xml.rels")
    authors = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<p:cmAuthorLst xmlns:p='
        '"http://schemas.openxmlformats.org/presentationml/2006/main"><p:cmAuthor id="1" '
        f'name="{CANARY}" initials="ZQ" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
    ).encode()
    types = _inject(types, b"</Types>", b'<Override PartName="/ppt/commentAuthors.xml" ContentType='
                    b'"application/vnd.openxmlformats-officedocument.presentationml.commentAuthors'
                    b'+xml"/>')
    rels = _inject(rels, b"</Relationships>", b'<Relationship Id="rIdAuthors" Type="http://schemas'
                   b'.openxmlformats.org/officeDocument/2006/relationships/commentAuthors" '
                   b'Target="commentAuthors.xml"/>')
    return _rezip(data, change={"[Content_Types].xml": types,
                                "ppt/_rels/presentation.xml.rels": rels},
                  add={"ppt/commentAuthors.xml": authors})


def test_presentation_loses_author_and_comment_authors_and_still_opens_in_python_pptx() -> None:
    import pptx

    result = _scrubbed(_presentation(), "deck.pptx")

    assert result.kind is FileType.PPTX
    _assert_no_canary(result.data)
    opened = pptx.Presentation(io.BytesIO(result.data))
    assert opened.slides[0].shapes.title.text == "Q1 revenue recognition"  # type: ignore[union-attr]
    assert {"the author (PowerPoint)", "who last saved it (PowerPoint)",
            "the names of comment authors (PowerPoint)"} <= set(result.removed)


# --- Pictures -------------------------------------------------------------------------------------

def _photo(kind: str = "JPEG") -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    picture = Image.new("RGB", (40, 20), (200, 30, 30))
    picture.paste((20, 20, 200), (0, 0, 10, 20))  # a blue band on the left, to see the rotation
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"
    exif[0x0110] = "Model 7"
    exif[0x013B] = CANARY  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    exif.get_ifd(0x8769)[0xA430] = CANARY2  # CameraOwnerName
    exif.get_ifd(0x8769)[0xA431] = "SN-998877"
    exif.get_ifd(0x8769)[0x9003] = "2025:03:31 10:00:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    buffer = io.BytesIO()
    if kind == "JPEG":
        picture.save(buffer, "JPEG", exif=exif, comment=COMPANY.encode(), quality=95)
    else:
        notes = PngInfo()
        notes.add_text("Author", CANARY)
        notes.add_itxt("Comment", COMPANY)
        picture.save(buffer, "PNG", exif=exif, pnginfo=notes)
    return buffer.getvalue()


def test_jpeg_loses_gps_owner_and_comment_and_is_turned_upright() -> None:
    from PIL import Image

    original = _photo()
    assert CANARY.encode() in original

    result = _scrubbed(original, "IMG_0001.JPG")

    assert result.kind is FileType.JPEG
    _assert_no_canary(result.data)
    assert b"CanaryCam" not in result.data and b"SN-998877" not in result.data
    with Image.open(io.BytesIO(result.data)) as opened:
        assert opened.format == "JPEG"
        assert opened.size == (20, 40)  # the orientation applied, then dropped
        assert not opened.getexif()
        red, green, blue = opened.convert("RGB").getpixel((10, 2))  # type: ignore[misc]
        assert blue > 150 and red < 100  # the blue band is now on top
    for what in (wording.GPS, wording.CAMERA_OWNER, wording.SERIAL, wording.CAMERA,
                 wording.TAKEN_AT, wording.IMAGE_COMMENT):
        assert what in result.removed, (what, result.removed)


def test_png_loses_exif_and_text_notes() -> None:
    from PIL import Image

    result = _scrubbed(_photo("PNG"), "screen.png")

    assert result.kind is FileType.PNG
    _assert_no_canary(result.data)
    with Image.open(io.BytesIO(result.data)) as opened:
        assert opened.format == "PNG" and not opened.text and not opened.getexif()  # type: ignore[attr-defined]
    assert wording.GPS in result.removed and wording.PNG_TEXT in result.removed


def _png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_a_picture_too_large_in_pixels_is_refused_before_decoding() -> None:
    for scrub in (True, False):
        assert examine(_png_claiming(60_000, 60_000), filename="a.png", scrub=scrub) == Refused(
            wording.too_many_pixels("png"))
    assert examine(_png_claiming(4_000, 3_000), filename="a.png", scrub=True,
                   limits=Limits(image_pixels=1_000_000)) == Refused(wording.too_many_pixels("png"))


def test_a_photo_pasted_into_a_word_document_loses_its_gps_too() -> None:
    import docx

    document = docx.Document()
    document.add_picture(io.BytesIO(_photo()))
    buffer = io.BytesIO()
    document.save(buffer)

    result = _scrubbed(buffer.getvalue(), "photo.docx")

    _assert_no_canary(result.data)
    # (python-docx's template brings a thumbnail of its own, also a picture with EXIF)
    assert any(re.fullmatch(r"camera and location details from (a picture|\d pictures) inside "
                            r"\(Word\)", what) for what in result.removed), result.removed
    assert len(docx.Document(io.BytesIO(result.data)).inline_shapes) == 1


# --- PDF ------------------------------------------------------------------------------------------

def _pdf() -> bytes:
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page()
    document.docinfo["/Author"] = CANARY
    document.docinfo["/Creator"] = COMPANY
    with document.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [CANARY2]
    page = document.pages[0]
    page.obj.Annots = document.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[10, 10, 30, 30],
        T=pikepdf.String(CANARY), Contents=pikepdf.String("Ask the controller"))]))
    buffer = io.BytesIO()
    document.save(buffer, compress_streams=False)
    return buffer.getvalue()


def test_pdf_loses_document_info_xmp_and_note_authors_and_still_opens() -> None:
    import pikepdf

    original = _pdf()
    assert CANARY.encode() in original and CANARY2.encode() in original

    result = _scrubbed(original, "statement.pdf")

    assert result.kind is FileType.PDF
    _assert_no_canary(result.data)
    with pikepdf.open(io.BytesIO(result.data)) as opened:
        assert len(opened.pages) == 1
        assert "/Info" not in opened.trailer and "/Metadata" not in opened.Root
        assert str(opened.pages[0].obj.Annots[0].Contents) == "Ask the controller"
    assert {"the document details (author, creator, title, dates) (PDF)", "XMP metadata (PDF)",
            "the names of comment authors (PDF)"} <= set(result.removed)


@pytest.mark.parametrize("broken", [
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n",
    b"%PDF-1.4\n" + bytes(range(256)) * 4,
    b"%PDF-",
])
def test_a_pdf_that_does_not_parse_is_refused_and_not_kept(broken: bytes) -> None:
    for scrub in (True, False):
        assert examine(broken, filename="x.pdf", scrub=scrub) == Refused(wording.PDF_DAMAGED)


def test_a_pdf_with_absurdly_many_objects_is_refused() -> None:
    result = examine(_pdf(), filename="x.pdf", scrub=True, limits=Limits(pdf_objects=3))
    assert result == Refused(wording.PDF_TOO_COMPLEX)


# --- Text, tables, e-mail -------------------------------------------------------------------------

def test_csv_text_and_email_are_typed_by_content_and_kept_as_they_are() -> None:
    table = b"date,account,amount\n2025-03-31,4000,125000\n2025-03-31,4000,125000\n"
    text = b"Notes from the close meeting.\nNobody signed off.\n"
    message = email.message.EmailMessage()
    message["From"] = f"{CANARY} <{EMAIL}>"
    message["To"] = "cfo@example.com"
    message["Subject"] = "Re: Q1 accrual"
    message["Date"] = "Mon, 31 Mar 2025 10:00:00 +0000"
    message.set_content("Book it before the auditors arrive.")

    for data, name, kind in ((table, "export.txt", FileType.CSV),
                             (b"\xef\xbb\xbf" + table, "export.csv", FileType.CSV),
                             (text, "notes.csv", FileType.TEXT),
                             (message.as_bytes(), "mail.txt", FileType.EML)):
        result = examine(data, filename=name, scrub=True)
        assert isinstance(result, Examined) and result.kind is kind, (name, result)
        assert result.data == data and result.removed == ()
        assert wording.body_may_name_people(kind) in result.unchecked
    email_result = examine(message.as_bytes(), filename="m.eml", scrub=True)
    assert isinstance(email_result, Examined) and wording.EML_HEADERS in email_result.unchecked


def test_a_csv_whose_cells_start_formulas_says_so() -> None:
    result = examine(b'name,amount\n=HYPERLINK("http://x"),1\n', filename="a.csv", scrub=True)
    assert isinstance(result, Examined) and wording.CSV_FORMULAS in result.unchecked


def test_latin1_email_body_is_still_an_email() -> None:
    data = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Caf\xe9\r\n\r\nCaf\xe9 receipts\r\n")
    # The header above is not ASCII: it is not a well-formed message, and not UTF-8 text either.
    assert isinstance(examine(data, filename="m.eml", scrub=True), Refused)
    data = b"From: a@example.com\r\nSubject: receipts\r\n\r\nCaf\xe9 r\xe9ceipts\r\n"
    result = examine(data, filename="m.eml", scrub=True)
    assert isinstance(result, Examined) and result.kind is FileType.EML


# --- Refusals -------------------------------------------------------------------------------------

def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("data", "seems"), [
    (b"MZ\x90\x00" + b"\x00" * 60, wording.SEEMS_PROGRAM),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, wording.SEEMS_PROGRAM),
    (b"#!/bin/sh\nrm -rf /\n", wording.SEEMS_PROGRAM),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, wording.SEEMS_OLD_OFFICE),
    (_zip({"readme.txt": b"hello"}), wording.SEEMS_ARCHIVE),
    (_zip({"[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.'
           b'openxmlformats.org/package/2006/content-types"><Override PartName="/word/document'
           b'.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
           b"</Types>", "word/document.xml": b"<x/>"}), wording.SEEMS_MACRO_OFFICE),
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
     wording.SEEMS_WEB_PAGE),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', wording.SEEMS_SVG),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', wording.SEEMS_SVG),
    (b"GIF89a\x01\x00\x01\x00", wording.SEEMS_OTHER_IMAGE),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 20, wording.SEEMS_ARCHIVE),
    (bytes(range(256)), wording.SEEMS_BINARY),
])
def test_what_candor_does_not_take_is_refused_with_the_list_of_what_it_does(
        data: bytes, seems: str) -> None:
    result = examine(data, filename="evidence.pdf", scrub=True)  # the name does not help
    assert result == Refused(wording.not_allowed(seems))
    assert "PDF, Word (.docx), Excel (.xlsx)" in result.reason


def test_an_empty_file_is_refused() -> None:
    assert examine(b"", filename="a.pdf", scrub=False) == Refused(wording.EMPTY)


def test_a_zip_bomb_is_refused_unopened() -> None:
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (101 << 20)})
    assert len(bomb) < 1 << 20
    assert examine(bomb, filename="a.docx", scrub=True) == Refused(
        wording.too_big_inside("office"))
    ratio = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (11 << 20)})
    assert examine(ratio, filename="a.docx", scrub=False) == Refused(
        wording.too_big_inside("office"))
    many = _zip({f"p/{n}.xml": b"" for n in range(10_001)})
    assert examine(many, filename="a.docx", scrub=True) == Refused(
        wording.too_big_inside("office"))


@pytest.mark.parametrize("builder", [_word_document, _workbook, _presentation, _photo, _pdf])
def test_a_truncated_file_of_each_kind_is_refused(builder: object) -> None:
    assert callable(builder)
    data = builder()
    assert isinstance(data, bytes)
    for scrub in (True, False):
        result = examine(data[: len(data) // 2], filename="x", scrub=scrub)
        assert isinstance(result, Refused), result


def test_a_name_disagreeing_with_the_content_is_fine_the_content_decides() -> None:
    result = examine(_pdf(), filename="holiday.jpg", scrub=False)
    assert isinstance(result, Examined) and result.kind is FileType.PDF


def test_every_allowed_type_has_a_label_a_media_type_and_an_extension() -> None:
    assert set(ALLOWED) == set(FileType)
    for kind in ALLOWED:
        assert wording.label(kind) != kind and "/" in kind.media_type
        assert kind.extensions[0].startswith(".")


# --- Names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "expected"), [
    ("Q1 ledger.xlsx", "Q1 ledger.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\zq\\Documents\\invoice 42.pdf", "invoice 42.pdf"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),
    ("tab\there\nnew.txt", "tab here new.txt"),
    ("...", "file"),
    ("", "file"),
    (".bashrc", "bashrc"),
    ("con.txt", "_con.txt"),
    ('what?<>:"|*.csv', "what_______.csv"),
    ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
])
def test_safe_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def test_safe_name_gives_a_mismatched_extension_the_types_own() -> None:
    assert safe_name("notes.html", kind=FileType.TEXT) == "notes.html.txt"
    assert safe_name("scan.JPG", kind=FileType.JPEG) == "scan.JPG"
    assert safe_name("report", kind=FileType.PDF) == "report.pdf"


_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


@given(st.text(max_size=400), st.sampled_from([None, *FileType]))
def test_safe_name_never_has_path_parts_controls_or_direction_marks(
        name: str, kind: FileType | None) -> None:
    safe = safe_name(name, kind=kind)
    assert safe and len(safe) <= 120
    assert not _FORBIDDEN.search(safe)
    assert safe not in (".", "..") and not safe.startswith(".")


_MAGIC = [b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"PK\x03\x04",
          b"From: a@b.c\nSubject: x\n\n", b"a,b\n"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(_MAGIC), st.binary(max_size=2048), st.booleans())
def test_examine_never_raises_on_arbitrary_bytes(magic: bytes, tail: bytes, scrub: bool) -> None:
    result = examine(magic + tail, filename="x", scrub=scrub)
    assert isinstance(result, Examined | Refused)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_examine_never_raises_on_a_damaged_office_file(data: st.DataObject) -> None:
    # (bytes changed at random in a real .docx: in its zip directory, its compressed parts)
    document = bytearray(_word_document())
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(document) - 1))
        document[position] = data.draw(st.integers(0, 255))
    result = examine(bytes(document), filename="x.docx", scrub=True)
    assert isinstance(result, Examined | Refused)
    if isinstance(result, Examined) and result.kind is FileType.DOCX:
        _assert_no_canary(result.data)  # a damaged part that still reads is still cleaned


def test_a_large_csv_is_typed_by_its_first_megabyte_of_whole_lines():
    # Rows past the first megabyte are not read to type the file (a 25 MB export would take seconds
    # and hold every row); a ragged row there does not make it text, and the formula check still
    # reads the whole file.
    rows = b"".join(b"2026-11-%02d,ACME Ltd,%d.00\n" % (i % 28 + 1, i) for i in range(120_000))
    data = rows + b"a ragged,row,with,more,cells\n=HYPERLINK(\"x\"),b,c\n"
    result = examine(data, filename="ledger.csv", scrub=False)
    assert isinstance(result, Examined) and result.kind is FileType.CSV
    assert any("formula" in line for line in result.unchecked)
