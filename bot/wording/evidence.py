"""The words about an evidence file's content: what kind it is, why it was refused, what was
removed from it before it was sealed, and what Candor could not check.

`bot.evidence.content` gives these to the upload's result page. None of them quotes the file:
a name, a date or a GPS position removed is described, never shown. Keys are `FileType` values.
"""

from __future__ import annotations

# FileType value -> what a person calls it.
LABELS = {
    "pdf": "PDF",
    "docx": "Word document",
    "xlsx": "Excel workbook",
    "pptx": "PowerPoint presentation",
    "csv": "CSV table",
    "text": "plain text",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "eml": "e-mail (.eml)",
    "office": "Office file",  # a zip not yet known to be Word, Excel or PowerPoint
}

# FileType value -> the application, in brackets after what was removed: "the author (Word)".
_APPS = {"docx": "Word", "xlsx": "Excel", "pptx": "PowerPoint", "pdf": "PDF",
         "png": "PNG", "jpeg": "JPEG"}

ALLOWED_LIST = (
    "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), CSV, plain text, PNG, JPEG and "
    "e-mail (.eml) files"
)


def label(kind: str) -> str:
    return LABELS.get(kind, kind)


# --- Refusals: each says what was wrong and what to do -----------------------------------------

EMPTY = "The file is empty. Please choose the file again."

UNREADABLE = (
    "Candor could not read this file to check it, so it did not keep it. Please try saving it "
    "again (as PDF if you can), or describe it in your report instead."
)


def not_allowed(seems: str | None) -> str:
    what = f"This looks like {seems}, which" if seems else "This kind of file"
    return (f"{what} Candor does not take. It takes {ALLOWED_LIST}. You could save or export it "
            "as one of those, or describe it in your report instead.")


# What a refused file seems to be, for `not_allowed`.
SEEMS_PROGRAM = "a program or script"
SEEMS_ARCHIVE = "a compressed archive (such as .zip) that is not a Word, Excel or PowerPoint file"
SEEMS_OLD_OFFICE = (
    "an older-format Office file (.doc, .xls, .ppt) or one protected with a password"
)
SEEMS_MACRO_OFFICE = "an Office file with macros (.docm, .xlsm, .pptm)"
SEEMS_WEB_PAGE = "a web page (HTML)"
SEEMS_SVG = "an SVG drawing"
SEEMS_XML = "an XML file"
SEEMS_OTHER_IMAGE = "an image of a kind other than PNG or JPEG"
SEEMS_BINARY = "a binary file"


def damaged(kind: str) -> str:
    return (f"This {label(kind)} could not be read: it seems damaged or incomplete, so Candor "
            "could not check it and did not keep it. Please try saving it again, or export it "
            "as PDF.")


OFFICE_DAMAGED = (
    "This Office file could not be read: it seems damaged or incomplete, so Candor could not "
    "check it and did not keep it. Please try saving it again, or export it as PDF."
)
PDF_DAMAGED = (
    "This PDF could not be read: it seems damaged or incomplete, so Candor could not check it "
    "for names in its details and did not keep it (a PDF that cannot be read is refused, never "
    "kept unchecked). Please try printing it to a new PDF."
)
PDF_PASSWORD = (
    "This PDF is protected with a password, so Candor cannot check it and did not keep it. "
    "Please save a copy without the password and upload that."
)


def too_big_inside(kind: str) -> str:
    return (f"This {label(kind)} unpacks to far more than its size (or holds too many parts), "
            "as a 'zip bomb' does, so Candor did not open it or keep it. If it is a genuine "
            "document, please export it as PDF.")


def too_many_pixels(kind: str) -> str:
    return (f"This {label(kind)} is too large in pixels for Candor to check, so it was not kept. "
            "Please save a smaller copy.")


PDF_TOO_COMPLEX = (
    "This PDF holds far more parts than a document needs, so Candor did not check it or keep "
    "it. Please try printing it to a new PDF."
)


# --- What was removed (a short phrase each, joined by the result page) -------------------------

def _in(kind: str, what: str) -> str:
    app = _APPS.get(kind)
    return f"{what} ({app})" if app else what


def author(kind: str) -> str:
    return _in(kind, "the author")


def last_modified_by(kind: str) -> str:
    return _in(kind, "who last saved it")


def company(kind: str) -> str:
    return _in(kind, "the company")


def manager(kind: str) -> str:
    return _in(kind, "the manager")


def custom_properties(kind: str) -> str:
    return _in(kind, "custom properties")


def comment_authors(kind: str) -> str:
    return _in(kind, "the names of comment authors")


def change_authors(kind: str) -> str:
    return _in(kind, "the names of who made tracked changes")


def file_location(kind: str) -> str:
    return _in(kind, "the folder it was saved in")


def template_location(kind: str) -> str:
    return _in(kind, "the folder of its template")


def picture_details(kind: str, count: int) -> str:
    pictures = "a picture" if count == 1 else f"{count} pictures"
    return _in(kind, f"camera and location details from {pictures} inside")


def document_info(kind: str) -> str:
    return _in(kind, "the document details (author, creator, title, dates)")


def xmp(kind: str) -> str:
    return _in(kind, "XMP metadata")


GPS = "GPS position"
CAMERA_OWNER = "the camera owner's name"
SERIAL = "the camera's serial numbers"
CAMERA = "the camera make and model"
TAKEN_AT = "the date and time taken"
OTHER_EXIF = "other camera details (EXIF)"
THUMBNAIL = "a small preview picture"
IMAGE_COMMENT = "a comment"
IPTC = "IPTC details (which may name the photographer)"
PNG_TEXT = "text notes (PNG)"
EXTRA_PICTURE = "an extra picture stored inside (such as a depth map)"


# --- What could not be checked ------------------------------------------------------------------

def body_may_name_people(kind: str) -> str:
    what = {
        "xlsx": "the workbook's cells", "csv": "the table's cells", "pptx": "the slides",
        "png": "the picture itself", "jpeg": "the picture itself", "eml": "the e-mail's text",
    }.get(kind, "the document's text")
    return f"{what[0].upper()}{what[1:]} may name people; Candor does not change what it says."


EML_HEADERS = (
    "An e-mail's headers name its sender and recipients (and may show their addresses and "
    "computers); Candor keeps them as they are, since they are part of the evidence."
)
EML_ATTACHMENTS = "Files attached inside the e-mail were not checked or cleaned."
PDF_ATTACHMENTS = "Files attached inside the PDF were not checked or cleaned."
OFFICE_EMBEDDED = "Files embedded inside the document (such as another spreadsheet) were not " \
    "checked or cleaned."
CSV_FORMULAS = (
    "Some cells begin with =, +, - or @, which a spreadsheet may run as a formula: open it with "
    "care (for example import it as text)."
)
KEPT_AS_IS = "Its details (such as who wrote it) were kept as they are, as asked."
