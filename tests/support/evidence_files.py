"""Files a reporter would upload, made by the usual libraries: a Word document whose author is
the reporter and whose text carries a canary, a JPEG with a GPS position in its EXIF, and the
bad ones (a program, a zip bomb dressed as a Word file)."""

from __future__ import annotations

import io
import zipfile

AUTHOR = "Dana Reyes"
GPS_TAG = 0x8825


def word_file(text: str, *, author: str = AUTHOR) -> bytes:
    import docx  # python-docx

    document = docx.Document()
    document.add_paragraph(text)
    document.core_properties.author = author
    document.core_properties.last_modified_by = author
    document.core_properties.comments = f"written by {author}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def word_author(data: bytes) -> tuple[str, str]:
    import docx

    props = docx.Document(io.BytesIO(data)).core_properties
    return props.author or "", props.last_modified_by or ""


def word_text(data: bytes) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def jpeg_with_gps() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = AUTHOR  # Artist
    gps = exif.get_ifd(GPS_TAG)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def jpeg_gps(data: bytes) -> dict[int, object]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_TAG))


def program() -> bytes:
    return b"MZ\x90\x00" + b"\x00" * 200  # a Windows program's header


def zip_bomb(inner_mb: int = 300) -> bytes:
    """A "Word file" whose document part unpacks to `inner_mb` MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
                    'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                    'wordprocessingml.document.main+xml"/></Types>')
        with zf.open("word/document.xml", "w") as part:
            block = b"\x00" * (1024 * 1024)
            for _ in range(inner_mb):
                part.write(block)
    return out.getvalue()
