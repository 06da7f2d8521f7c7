"""PNG and JPEG pictures, read with Pillow: a picture that does not decode is refused; scrubbing
re-encodes the pixels alone (the orientation applied), so EXIF (GPS, camera owner, serial
numbers, the preview thumbnail), XMP, IPTC, comments and PNG text notes are left behind, and
says which of them were there.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from bot.evidence.content import FileType, Limits, Refusal
from bot.wording import evidence as wording

if TYPE_CHECKING:
    from PIL.Image import Image

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_ARTIST = 0x013B
_OWNER = 0xA430
_SERIALS = (0xA431, 0xA435)  # BodySerialNumber, LensSerialNumber
_CAMERA = (0x010F, 0x0110)  # Make, Model
_TAKEN = (0x0132, 0x9003, 0x9004)  # DateTime, DateTimeOriginal, DateTimeDigitized
_THUMBNAIL_IFD = -1  # PIL.ExifTags.IFD.IFD1
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/"
_KEEP_INFO = ("icc_profile", "transparency", "dpi", "gamma")  # colour and size, no one's name
JPEG_QUALITY = 95


def kind_of(data: bytes) -> FileType | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    return None


def examine(kind: FileType, data: bytes, *, scrub: bool,
            limits: Limits) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    if not scrub:
        _decoded(kind, data, limits).close()
        return data, (), ()
    cleaned, removed = clean(kind, data, limits=limits)
    return cleaned, removed, ()


def _decoded(kind: FileType, data: bytes, limits: Limits) -> Image:
    from PIL import Image, UnidentifiedImageError

    formats = ("PNG",) if kind is FileType.PNG else ("JPEG", "MPO")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on a damaged EXIF
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                width, height = probe.size
                if width * height > limits.image_pixels:
                    raise Refusal(wording.too_many_pixels(kind))
                probe.verify()
            picture = Image.open(io.BytesIO(data), formats=formats)
            picture.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refusal(wording.too_many_pixels(kind)) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            IndexError, KeyError, TypeError) as error:
        raise Refusal(wording.damaged(kind)) from error
    return picture


def clean(kind: FileType, data: bytes, *, limits: Limits) -> tuple[bytes, tuple[str, ...]]:
    """The picture re-encoded from its pixels, and what was removed in plain words."""
    from PIL import ImageOps

    picture = _decoded(kind, data, limits)
    try:
        with picture, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            removed = _what_is_there(kind, picture, data)
            frames = getattr(picture, "n_frames", 1)
            if frames > 1 and kind is FileType.JPEG:
                removed.append(wording.EXTRA_PICTURE)  # MPO: a second picture, with its own EXIF
            picture.seek(0)
            upright = ImageOps.exif_transpose(picture)
            upright.info = {key: picture.info[key] for key in _KEEP_INFO if key in picture.info}
            out = io.BytesIO()
            if kind is FileType.JPEG:
                if upright.mode not in ("L", "RGB", "CMYK"):
                    upright = upright.convert("RGB")
                upright.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0,
                             icc_profile=upright.info.get("icc_profile"))
            else:
                upright.save(out, "PNG")
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError,
            TypeError) as error:
        raise Refusal(wording.damaged(kind)) from error
    return out.getvalue(), tuple(removed)


def _what_is_there(kind: FileType, picture: Image, data: bytes) -> list[str]:
    removed: list[str] = []
    exif = picture.getexif()
    if len(exif):
        details = exif.get_ifd(_EXIF_IFD)
        if exif.get_ifd(_GPS_IFD) or _GPS_IFD in exif:
            removed.append(wording.GPS)
        if _ARTIST in exif or _OWNER in details:
            removed.append(wording.CAMERA_OWNER)
        if any(tag in details for tag in _SERIALS):
            removed.append(wording.SERIAL)
        if any(tag in exif for tag in _CAMERA):
            removed.append(wording.CAMERA)
        if any(tag in exif or tag in details for tag in _TAKEN):
            removed.append(wording.TAKEN_AT)
        removed.append(wording.OTHER_EXIF)
        if exif.get_ifd(_THUMBNAIL_IFD):
            removed.append(wording.THUMBNAIL)  # the preview, which may show the uncropped original
    info = picture.info
    text = dict(getattr(picture, "text", {}) or {})
    if "xmp" in info or "XML:com.adobe.xmp" in text or _XMP_APP1 in data[:1 << 20]:
        removed.append(wording.xmp(kind))
    text.pop("XML:com.adobe.xmp", None)
    if "comment" in info:
        removed.append(wording.IMAGE_COMMENT)
    if "photoshop" in info or "iptc" in info:
        removed.append(wording.IPTC)
    if text:
        removed.append(wording.PNG_TEXT)
    return removed
