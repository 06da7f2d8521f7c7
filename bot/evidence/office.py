"""Word, Excel and PowerPoint files (Office Open XML): which one a zip is, whether it is safe to
unpack, and removing the names of people from its parts.

A zip is checked from its central directory before anything is unpacked (entry count, total
unpacked size, ratio: a zip bomb is refused unopened). Scrubbing rewrites the zip in memory,
part by part in the original order; a part that names no one is copied byte for byte, so the
document still opens. XML is parsed by lxml with entities, DTDs and the network off.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from typing import TYPE_CHECKING

from bot.evidence.content import FileType, Limits, Refusal
from bot.wording import evidence as wording

if TYPE_CHECKING:
    from lxml.etree import _Element

_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        FileType.DOCX,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml":
        FileType.DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": FileType.XLSX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml":
        FileType.XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml":
        FileType.PPTX,
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":
        FileType.PPTX,
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml":
        FileType.PPTX,
}
_MACRO_TYPE = re.compile(r"(?i)^application/vnd\.ms-(word|excel|powerpoint)\..*macroenabled")
_CONTENT_TYPES = "[Content_Types].xml"
# Each namespace as Transitional OOXML (what Office writes) and as Strict (ISO 29500 Strict).
_CUSTOM_NS = ("http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
              "http://purl.oclc.org/ooxml/officeDocument/customProperties")

_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_EP = ("{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}",
       "{http://purl.oclc.org/ooxml/officeDocument/extendedProperties}")
_W = ("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}",
      "{http://purl.oclc.org/ooxml/wordprocessingml/main}")
_W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_SML = ("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
        "{http://purl.oclc.org/ooxml/spreadsheetml/main}")
_X15AC = "{http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac}"
_ATTACHED_TEMPLATE = "/attachedTemplate"  # the end of the relationship's type, either flavour
NEUTRAL_AUTHOR = "Author"
NEUTRAL_INITIALS = "A"


def _damaged() -> Refusal:
    return Refusal(wording.OFFICE_DAMAGED)


def _open(data: bytes, limits: Limits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open the zip and check its directory before unpacking anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise _damaged() from error
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    bomb_ratio = unpacked > limits.zip_ratio_floor and unpacked > limits.zip_ratio * max(packed, 1)
    if len(entries) > limits.zip_entries or unpacked > limits.zip_total_bytes or bomb_ratio:
        raise Refusal(wording.too_big_inside("office"))
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names):
        raise _damaged()  # two parts of one name: readers would disagree on which is the document
    for entry in entries:
        if entry.flag_bits & 0x1 or entry.compress_type not in (zipfile.ZIP_STORED,
                                                                  zipfile.ZIP_DEFLATED):
            raise _damaged()
    return archive, entries


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(entry) as stream:
            data = stream.read(entry.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError,
            RuntimeError) as error:
        raise _damaged() from error
    if len(data) != entry.file_size:
        raise _damaged()
    return data


def _parse(data: bytes) -> _Element:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise _damaged() from error
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None:  # set by any <!DOCTYPE ...>, with or without entities
        raise _damaged()  # Office never writes a DTD; one here is an entity trick
    return root


def _serialise(root: _Element) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def kind_of(data: bytes, limits: Limits) -> FileType:
    """Which Office type a zip is, from the main part its `[Content_Types].xml` declares; any
    other zip is refused."""
    archive, entries = _open(data, limits)
    by_name = {entry.filename: entry for entry in entries}
    if _CONTENT_TYPES not in by_name:
        raise Refusal(wording.not_allowed(wording.SEEMS_ARCHIVE))
    root = _parse(_read(archive, by_name[_CONTENT_TYPES]))
    found: set[FileType] = set()
    for override in root.iter(f"{_CT}Override"):
        content_type = override.get("ContentType", "")
        part = override.get("PartName", "").lstrip("/")
        if _MACRO_TYPE.match(content_type):
            raise Refusal(wording.not_allowed(wording.SEEMS_MACRO_OFFICE))
        if content_type in _MAIN_TYPES and part in by_name:
            found.add(_MAIN_TYPES[content_type])
    if len(found) != 1:
        raise Refusal(wording.not_allowed(wording.SEEMS_ARCHIVE))
    return found.pop()


class _Scrub:
    """One file's scrubbing: which parts change, and what was removed, in plain words. A part is
    recognised by its root element, never by its name, so a renamed part is still cleaned."""

    def __init__(self, kind: FileType, limits: Limits, dropped: set[str]) -> None:
        self.kind = kind
        self.limits = limits
        self.dropped = dropped  # custom properties: removed with their references
        self.removed: list[str] = []
        self.unchecked: list[str] = []
        self.pictures = 0

    def note(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)

    def part(self, name: str, data: bytes) -> bytes | None:
        """The part's new bytes (the same object if unchanged), or None to drop it."""
        if name in self.dropped:
            self.note(wording.custom_properties(self.kind))
            return None
        if not _is_xml(name, data):
            return self._picture(name, data)
        try:
            root = _parse(data)
        except Refusal:
            if name.lower().endswith((".xml", ".rels")):
                raise
            return data  # legacy VML and the like: not XML to a strict parser, and names no one
        if root.tag == f"{_CT}Types":
            changed = self._content_types(root)
        elif root.tag == f"{_REL}Relationships":
            changed = self._relationships(name, root)
        elif root.tag == f"{_CP}coreProperties":
            changed = self._core(root)
        elif root.tag in _tags(_EP, "Properties"):
            changed = self._app(root)
        else:
            changed = self._names(root)
        return _serialise(root) if changed else data

    def _content_types(self, root: _Element) -> bool:
        changed = False
        for override in list(root.iter(f"{_CT}Override")):
            if override.get("PartName", "").lstrip("/") in self.dropped:
                _remove(override)
                changed = True
        return changed

    def _relationships(self, name: str, root: _Element) -> bool:
        base = posixpath.dirname(posixpath.dirname(name))  # "word/_rels/x.rels" -> "word"
        changed = False
        for relationship in list(root.iter(f"{_REL}Relationship")):
            target = relationship.get("Target", "")
            if relationship.get("TargetMode") != "External":
                resolved = (target.lstrip("/") if target.startswith("/")
                            else posixpath.normpath(posixpath.join(base, target)))
                if resolved in self.dropped:
                    _remove(relationship)
                    changed = True
            elif (relationship.get("Type", "").endswith(_ATTACHED_TEMPLATE)
                  and re.search(r"[/\\]", target)):
                # The template's full path names the login (C:/Users/<login>/...): keep its name.
                relationship.set("Target", re.split(r"[/\\]", target)[-1] or "Normal.dotm")
                self.note(wording.template_location(self.kind))
                changed = True
        return changed

    def _core(self, root: _Element) -> bool:
        changed = False
        for tag, what in ((f"{_DC}creator", wording.author),
                          (f"{_CP}lastModifiedBy", wording.last_modified_by)):
            for element in list(root.iter(tag)):
                if (element.text or "").strip():
                    self.note(what(self.kind))
                _remove(element)
                changed = True
        return changed

    def _app(self, root: _Element) -> bool:
        changed = False
        for local, what in (("Company", wording.company), ("Manager", wording.manager)):
            for element in list(root.iter(*_tags(_EP, local))):
                if (element.text or "").strip():
                    self.note(what(self.kind))
                _remove(element)
                changed = True
        for element in root.iter(*_tags(_EP, "Template"), *_tags(_EP, "HyperlinkBase")):
            if re.search(r"[/\\]", element.text or ""):
                element.text = re.split(r"[/\\]", element.text or "")[-1]
                self.note(wording.template_location(self.kind))
                changed = True
        return changed

    def _names(self, root: _Element) -> bool:
        """Comment and tracked-change authors in any part: Word's w:author and w:initials
        (comments, insertions, deletions, formatting changes) and its people.xml, Excel's
        comment authors and threaded-comment persons, PowerPoint's comment authors; and the
        folder Excel saved the workbook in."""
        changed = False
        authors_list = root.tag.endswith(("}cmAuthorLst", "}authorLst"))  # PowerPoint
        for element in list(root.iter()):
            if not isinstance(element.tag, str):
                continue  # a comment or processing instruction
            comment = element.tag in (*_tags(_W, "comment"), f"{_W15}person")
            for attribute, neutral in ((f"{_W[0]}author", NEUTRAL_AUTHOR),
                                       (f"{_W[1]}author", NEUTRAL_AUTHOR),
                                       (f"{_W15}author", NEUTRAL_AUTHOR),
                                       (f"{_W[0]}initials", NEUTRAL_INITIALS),
                                       (f"{_W[1]}initials", NEUTRAL_INITIALS)):
                value = element.get(attribute)
                if value is not None and value != neutral:
                    element.set(attribute, neutral)
                    self.note(wording.comment_authors(self.kind) if comment
                              else wording.change_authors(self.kind))
                    changed = True
            if element.tag == f"{_W15}presenceInfo":
                _remove(element)  # the author's account (an e-mail address) in people.xml
                changed = True
            elif element.tag in _tags(_SML, "author") and element.text != NEUTRAL_AUTHOR:
                element.text = NEUTRAL_AUTHOR  # xl/comments*.xml: <authors><author>Name
                self.note(wording.comment_authors(self.kind))
                changed = True
            elif element.tag.endswith("}person") and element.get("displayName") is not None:
                changed |= self._neutral_person(element, "displayName")  # Excel threaded
            elif authors_list and element.get("name") is not None:
                changed |= self._neutral_person(element, "name")
            elif element.tag == f"{_X15AC}absPath":
                _remove(element)  # xl/workbook.xml: the folder it was saved in
                self.note(wording.file_location(self.kind))
                changed = True
        return changed

    def _neutral_person(self, element: _Element, name_attribute: str) -> bool:
        changed = False
        for attribute, neutral in ((name_attribute, NEUTRAL_AUTHOR),
                                   ("initials", NEUTRAL_INITIALS), ("userId", ""),
                                   ("providerId", "None")):
            value = element.get(attribute)
            if value is not None and value != neutral:
                element.set(attribute, neutral)
                changed = True
        if changed:
            self.note(wording.comment_authors(self.kind))
        return changed

    def _picture(self, name: str, data: bytes) -> bytes:
        """A photo pasted into a document keeps its EXIF (GPS, camera owner): clean it too."""
        from bot.evidence import images

        if "/embeddings/" in name.lower():
            if wording.OFFICE_EMBEDDED not in self.unchecked:
                self.unchecked.append(wording.OFFICE_EMBEDDED)
            return data
        picture = images.kind_of(data)
        if picture is None:
            return data
        try:
            cleaned, removed = images.clean(picture, data, limits=self.limits)
        except Refusal:
            return data  # a picture Pillow cannot read is left as the application left it
        if not removed:
            return data
        self.pictures += 1
        return cleaned


def _is_xml(name: str, data: bytes) -> bool:
    return name.lower().endswith((".xml", ".rels")) or data[:64].lstrip(
        b"\xef\xbb\xbf \r\n\t").startswith(b"<")


def _is_custom_properties(name: str, data: bytes) -> bool:
    if not _is_xml(name, data) or not any(ns.encode() in data[:4096] for ns in _CUSTOM_NS):
        return False
    try:
        return _parse(data).tag in _tags(tuple(f"{{{ns}}}" for ns in _CUSTOM_NS), "Properties")
    except Refusal:
        return False


def _tags(namespaces: tuple[str, ...], local: str) -> tuple[str, ...]:
    return tuple(f"{namespace}{local}" for namespace in namespaces)


def _remove(element: _Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def examine(kind: FileType, data: bytes, *, scrub: bool,
            limits: Limits) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    archive, entries = _open(data, limits)
    # Every part unpacks (within the limits checked above): a damaged part is refused here.
    parts = [(entry, _read(archive, entry)) for entry in entries]
    embedded = any("/embeddings/" in entry.filename.lower() for entry in entries)
    if not scrub:
        return data, (), ((wording.OFFICE_EMBEDDED,) if embedded else ())
    dropped = {entry.filename for entry, part in parts
               if _is_custom_properties(entry.filename, part)}
    scrubbing = _Scrub(kind, limits, dropped)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rewritten:
        for entry, part in parts:
            kept = scrubbing.part(entry.filename, part)
            if kept is None:
                continue
            info = zipfile.ZipInfo(entry.filename, date_time=max(entry.date_time,
                                                                 (1980, 1, 1, 0, 0, 0)))
            info.compress_type = entry.compress_type
            info.external_attr = entry.external_attr
            rewritten.writestr(info, kept)
    if scrubbing.pictures:
        scrubbing.note(wording.picture_details(kind, scrubbing.pictures))
    return out.getvalue(), tuple(scrubbing.removed), tuple(scrubbing.unchecked)
