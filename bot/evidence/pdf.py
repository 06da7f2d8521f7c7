"""PDF files, read and rewritten with pikepdf (qpdf): a PDF that does not parse is refused, never
kept unchecked; scrubbing removes the document information dictionary, every XMP metadata
stream, and the names on comment annotations, then writes the file anew (which also drops the
earlier revisions an incremental save leaves behind).
"""

from __future__ import annotations

import io

from bot.evidence.content import Limits, Refusal
from bot.wording import evidence as wording

NEUTRAL_AUTHOR = "Author"


def examine(data: bytes, *, scrub: bool,
            limits: Limits) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    import pikepdf

    try:
        document = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as error:
        raise Refusal(wording.PDF_PASSWORD) from error
    except (pikepdf.PdfError, ValueError, OSError, RuntimeError) as error:
        raise Refusal(wording.PDF_DAMAGED) from error
    with document:
        try:
            if len(document.objects) > limits.pdf_objects:
                raise Refusal(wording.PDF_TOO_COMPLEX)
            unchecked = (wording.PDF_ATTACHMENTS,) if len(document.attachments) else ()
            removed = _scrub(document) if scrub else ()
            out = io.BytesIO()
            # Writing reads every object: a PDF qpdf cannot walk is refused here, scrubbed or
            # not. Encryption without a user password is dropped (Candor seals the file).
            document.save(out, fix_metadata_version=False)
        except (pikepdf.PdfError, ValueError, KeyError, TypeError, OSError,
                RuntimeError) as error:
            raise Refusal(wording.PDF_DAMAGED) from error
    return (out.getvalue() if scrub else data), removed, unchecked


def _scrub(document: object) -> tuple[str, ...]:
    import pikepdf

    assert isinstance(document, pikepdf.Pdf)
    removed: list[str] = []
    if "/Info" in document.trailer:
        info = document.trailer.Info
        if isinstance(info, pikepdf.Dictionary) and len(info.keys()):
            removed.append(wording.document_info("pdf"))
        del document.trailer.Info
    xmp = False
    if "/Metadata" in document.Root:
        del document.Root.Metadata
        xmp = True
    for item in document.objects:  # pages, images and fonts may carry XMP of their own
        if isinstance(item, pikepdf.Dictionary | pikepdf.Stream) and "/Metadata" in item:
            del item.Metadata
            xmp = True
    if xmp:
        removed.append(wording.xmp("pdf"))
    authors = False
    for page in document.pages:
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if not isinstance(annotation, pikepdf.Dictionary):
                continue
            # On a markup annotation (a sticky note, a highlight) /T is its author; on a form
            # field's widget it is the field's name, which the form needs.
            if annotation.get("/Subtype") != pikepdf.Name.Widget and "/T" in annotation:
                if str(annotation.T) != NEUTRAL_AUTHOR:
                    annotation.T = pikepdf.String(NEUTRAL_AUTHOR)
                    authors = True
    if authors:
        removed.append(wording.comment_authors("pdf"))
    return tuple(removed)
