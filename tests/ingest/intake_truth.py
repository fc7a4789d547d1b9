"""Ground truth for the intake tests, read from each real file itself (not from what edossier makes of it).

OFD: the TextCode elements of each page's Content.xml and of the templates that page names.
.docx: its paragraphs and table cells (python-docx). .doc: the text of its WordDocument stream (the FIB's
fcMin and ccpText say where; the olefile test document is not a "complex" file, so the text is contiguous).
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
from collections import Counter
from pathlib import Path

import docx
import olefile
from lxml import etree

DATA = Path(__file__).resolve().parent.parent / "data" / "intake"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _part(names: dict[str, str], base: str, loc: str) -> str:
    loc = loc.strip()
    name = loc.lstrip("/") if loc.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(base), loc))
    return names[name.lower()]


def ofd_page_texts(path: Path) -> list[str]:
    """Each page's TextCodes, its templates' included, in file order."""
    with zipfile.ZipFile(path) as archive:
        names = {n.lower(): n for n in archive.namelist()}
        ofd = etree.fromstring(archive.read("OFD.xml"))
        doc_loc = next(e.text for e in ofd.iter() if _local(e) == "DocRoot")
        doc_part = _part(names, "OFD.xml", doc_loc)
        document = etree.fromstring(archive.read(doc_part))
        templates = {e.get("ID"): _part(names, doc_part, e.get("BaseLoc")) for e in document.iter()
                     if _local(e) == "TemplatePage"}
        pages = []
        for page in (e for e in document.iter() if _local(e) == "Page"):
            part = _part(names, doc_part, page.get("BaseLoc"))
            xml = etree.fromstring(archive.read(part))
            parts = [templates[t.get("TemplateID")] for t in xml if _local(t) == "Template"]
            texts = [
                "".join(code.itertext())
                for p in [*parts, part]
                for code in etree.fromstring(archive.read(p)).iter()
                if _local(code) == "TextCode"
            ]
            pages.append("".join(texts))
        return pages


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "".join(p.text for p in document.paragraphs) + "".join(cells)


def doc_text(path: Path) -> str:
    with olefile.OleFileIO(path) as ole:
        stream = ole.openstream("WordDocument").read()
    fc_min = struct.unpack("<I", stream[0x18:0x1C])[0]
    ccp_text = struct.unpack("<i", stream[0x4C:0x50])[0]
    return stream[fc_min : fc_min + ccp_text].decode("cp1252")


def char_recall(truth: str, got: str) -> float:
    """Share of the truth's non-space characters found in GOT (as a multiset: order-free, count-aware)."""
    want = Counter(ch for ch in truth if not ch.isspace())
    have = Counter(ch for ch in got if not ch.isspace())
    total = sum(want.values())
    return sum(min(n, have[ch]) for ch, n in want.items()) / total if total else 1.0
