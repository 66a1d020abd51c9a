"""XLIFF 2.0 files (OASIS, namespace ``urn:oasis:names:tc:xliff:document:2.0``), core only.

One ``<file>`` per story, poll, event (and ``ui`` for the interface strings), one ``<unit>`` per
text, named by its key, with the translator notes in ``<notes>`` and one ``<segment>``: the
source, the current translation as ``<target>``, and ``state="translated"``. A stale
translation is ``state="initial"`` with ``subState="storycast:stale"`` (XLIFF's core has no
"fuzzy"; a user-defined sub-state is how the standard carries one). On import a target counts
when its segment is translated, reviewed or final; an ``initial`` one is not ready yet.

Files are read with defusedxml: a document type declaration (and so any entity, the "billion
laughs" among them) or an external reference is refused before anything is expanded.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from ..errors import ContentError
from .document import Document, Entry, OutEntry

NS = "urn:oasis:names:tc:xliff:document:2.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
STALE = "storycast:stale"
READY_STATES = ("translated", "reviewed", "final")
MAX_XLIFF_BYTES = 20_000_000
_RTL = frozenset({"ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv"})


def _nmtoken(value: str) -> bool:
    return bool(value) and all(c.isalnum() or c in "._-:" for c in value)


def write(entries: list[OutEntry], lang: str, source_lang: str) -> bytes:
    """The XLIFF 2.0 document of ``entries`` in ``lang``."""
    root = ET.Element(
        "xliff",
        {
            "xmlns": NS,
            "version": "2.0",
            "srcLang": source_lang,
            "trgLang": lang,
            f"{{{XML_NS}}}space": "preserve",
        },
    )
    files: dict[str, ET.Element] = {}
    for n, e in enumerate(entries, 1):
        f = files.get(e.item)
        if f is None:
            attrs = {"id": e.item if _nmtoken(e.item) else f"f{len(files) + 1}", "original": e.file}
            if lang.split("-")[0] in _RTL:
                attrs["trgDir"] = "rtl"
            f = files[e.item] = ET.SubElement(root, "file", attrs)
        unit = ET.SubElement(f, "unit", {"id": e.key if _nmtoken(e.key) else f"u{n}", "name": e.key})
        if e.notes or e.line:
            notes = ET.SubElement(unit, "notes")
            for text in e.notes:
                ET.SubElement(notes, "note", {"category": "description"}).text = text
            ET.SubElement(notes, "note", {"category": "location"}).text = (
                f"{e.file}:{e.line}" if e.line else e.file
            )
        if e.target:
            attrs = {"state": "initial", "subState": STALE} if e.fuzzy else {"state": "translated"}
        else:
            attrs = {"state": "initial"}
        segment = ET.SubElement(unit, "segment", attrs)
        ET.SubElement(segment, "source").text = e.source
        if e.target:
            ET.SubElement(segment, "target").text = e.target
    ET.indent(root, space="  ")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + ET.tostring(root, encoding="utf-8", xml_declaration=False)
        + b"\n"
    )


def _text(element: ET.Element | None) -> str:
    """The text of a source or target, inline codes dropped (storycast writes none)."""
    if element is None:
        return ""
    return "".join(element.itertext())


def read(path: Path) -> Document:
    """Read an XLIFF 2.0 file; a malformed one, a DTD or entities are a ContentError."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        size = path.stat().st_size
        if size > MAX_XLIFF_BYTES:
            raise ContentError(
                f"the XLIFF file is {size:,} bytes, more than {MAX_XLIFF_BYTES:,}",
                hint="split the export by story (storycast i18n export STORY ...)",
                file=path,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(
            f"cannot read the XLIFF file: {exc.strerror}", hint="check the path", file=path
        ) from None
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ContentError(
            "the XLIFF file declares a document type or entities, which storycast does not read",
            hint="XLIFF needs neither: export the file again, or remove the <!DOCTYPE ...> part",
            file=path,
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise ContentError(
            f"this is not well-formed XML: {exc}",
            hint="open it in an XLIFF editor, or export it again with `storycast i18n export`",
            file=path,
            line=line,
            column=(column + 1) if column is not None else None,
        ) from None
    if root.tag != f"{{{NS}}}xliff" or not root.get("version", "").startswith("2."):
        raise ContentError(
            f'this is not an XLIFF 2 document (its root must be <xliff version="2.0"> in the {NS} namespace)',
            hint="export the file again with `storycast i18n export --format xliff`; XLIFF 1.2 is not read",
            file=path,
        )
    doc = Document(path, "xliff", root.get("trgLang", ""), root.get("srcLang"))
    lines = _unit_lines(data)
    for unit in root.iter(f"{{{NS}}}unit"):
        key = unit.get("name") or unit.get("id") or ""
        segments = unit.findall(f"{{{NS}}}segment")
        if not segments:
            continue
        source = "".join(_text(s.find(f"{{{NS}}}source")) for s in segments)
        target_elements = [s.find(f"{{{NS}}}target") for s in segments]
        target = "".join(_text(t) for t in target_elements)
        states = {s.get("state", "initial") for s in segments}
        ready = bool(states) and states <= set(READY_STATES) and all(t is not None for t in target_elements)
        doc.entries.append(Entry(key, source, target, ready, lines.get(key)))
    return doc


_UNIT_TAG = re.compile(r"<(?:[\w.-]+:)?unit\b[^>]*>")
_ATTR = re.compile(r"""\b(name|id)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _unit_lines(data: bytes) -> dict[str, int]:
    """The line each ``<unit>`` starts on, by the key it names: an error can point at it (the
    parser keeps no positions). Read from the text in one pass; a unit it misses has no line."""
    text = data.decode("utf-8", "replace")
    out: dict[str, int] = {}
    line, last = 1, 0
    for m in _UNIT_TAG.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        attrs = {
            a.group(1): html.unescape(a.group(2) if a.group(2) is not None else a.group(3) or "")
            for a in _ATTR.finditer(m.group(0))
        }
        key = attrs.get("name") or attrs.get("id")
        if key:
            out.setdefault(key, line)
    return out
