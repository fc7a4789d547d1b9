"""四性检测 on a dossier PDF: what an archive checks of a record at intake, item by item.

Chinese electronic-records archives accept a record after checking four
properties (真实性 authenticity, 完整性 integrity, 可用性 usability, 安全性
security).  This module decides the items that can be read from the bound PDF
itself: its signatures, its pages against its catalogue, PDF/A with every font
embedded, a readable text layer on every page, no encryption and nothing that
runs.  pipeline/archive.py adds the items that need the store (fixity) and the
intake code (active content) and writes the report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import pikepdf
import pymupdf

from edossier.bind.pdfa import check_pdfa
from edossier.bind.verify import verify_pdf
from edossier.types import DocumentEntry

Property = Literal["authenticity", "integrity", "usability", "security"]
DOCUMENT_MARK = re.compile(r"^\d+\. ")
"""A document's bookmark, as bind/assemble.py titles it: "<number>. <title>（<type>）"."""
PROPERTY_NAMES: dict[str, str] = {
    "authenticity": "真实性",
    "integrity": "完整性",
    "usability": "可用性",
    "security": "安全性",
}


@dataclass(frozen=True)
class CheckItem:
    """One line of the 四性检测 report."""

    property: Property
    item: str
    passed: bool
    detail: str
    volume: str = ""

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "property_zh": PROPERTY_NAMES[self.property]}


def check_dossier_pdf(
    pdf: Path,
    volume: str,
    trust_roots: Iterable[Path],
    entries: Sequence[DocumentEntry],
    expected_pages: int | None,
    document_pages: Sequence[int],
    at: dt.datetime | None = None,
) -> list[CheckItem]:
    """Every PDF-level item for one volume.

    ENTRIES are the volume's catalogue rows, DOCUMENT_PAGES the number of
    pages each of its documents has in the manifest (same order), and
    EXPECTED_PAGES the volume's page count recorded when it was bound.
    """
    def item(prop: Property, name: str, problems: Sequence[str], ok_detail: str) -> CheckItem:
        return CheckItem(prop, name, not problems, "; ".join(problems) if problems else ok_detail, volume)

    report = verify_pdf(pdf, trust_roots, at=at)
    signatures = report.as_dict()["problems"] if not report.valid else []
    levels = ", ".join(f"{s.field} {s.level}" for s in report.signatures if s.level)
    pdfa = check_pdfa(pdf)
    fonts = [p for p in pdfa if "font" in p]
    structure = [p for p in pdfa if p not in fonts and not _security_problem(p)]
    return [
        item("authenticity", "电子签名 signatures", signatures, f"all valid ({levels})"),
        item("integrity", "页数与目录 pages and catalogue", _accounting_problems(pdf, entries, expected_pages,
                                                                          document_pages),
             f"{len(entries)} documents, pages 1-{expected_pages} accounted for"),
        item("usability", "PDF/A 格式 format", structure, "PDF/A-2 structure"),
        item("usability", "字体嵌入 fonts embedded", fonts, "every font embedded"),
        item("usability", "文本层 text layer", _text_layer_problems(pdf), "every page has readable text"),
        item("security", "加密与可执行内容 encryption, scripts, attachments",
             [p for p in pdfa if _security_problem(p)], "not encrypted; no JavaScript or embedded files"),
    ]


def _security_problem(problem: str) -> bool:
    return problem == "encrypted" or "/JavaScript" in problem or "/EmbeddedFiles" in problem


def _accounting_problems(
    pdf: Path, entries: Sequence[DocumentEntry], expected_pages: int | None, document_pages: Sequence[int]
) -> list[str]:
    """Pages in the file = pages recorded; every document a catalogue row whose page span is its page count,
    and a bookmark at its first page."""
    problems = []
    try:
        with pikepdf.open(pdf) as opened:
            pages = len(opened.pages)
    except pikepdf.PdfError as exc:
        return [f"cannot be read: {exc}"]
    if expected_pages is not None and pages != expected_pages:
        problems.append(f"the file has {pages} pages, {expected_pages} were bound")
    if len(entries) != len(document_pages):
        problems.append(f"{len(document_pages)} documents but {len(entries)} catalogue entries")
    with pymupdf.open(pdf) as document:
        toc = document.get_toc()
    marks = [(title, page) for level, title, page in toc if level == 2 and DOCUMENT_MARK.match(title)]
    if len(marks) != len(entries):
        problems.append(f"{len(marks)} document bookmarks for {len(entries)} catalogue entries")
    for (title, page), entry in zip(marks, entries, strict=False):
        if page != entry.first_page:
            problems.append(f"bookmark {title} points at page {page}, the catalogue says {entry.first_page}")
    previous_last = 0
    for entry, count in zip(entries, document_pages, strict=False):
        span = entry.last_page - entry.first_page + 1
        if span != count:
            problems.append(f"{entry.title}: catalogue says {span} pages, the document has {count}")
        if entry.first_page <= previous_last or entry.last_page > pages:
            problems.append(f"{entry.title}: pages {entry.first_page}-{entry.last_page} out of order or missing")
        previous_last = entry.last_page
    return problems


def _text_layer_problems(pdf: Path) -> list[str]:
    """Every page gives text (born-digital or the OCR layer), and the text decodes (no replacement characters)."""
    empty, garbled = [], []
    with pymupdf.open(pdf) as document:
        for number, page in enumerate(document, start=1):
            text = page.get_text().strip()
            if not text:
                empty.append(number)
            elif text.count("\ufffd") > len(text) // 10:
                garbled.append(number)
    problems = []
    if empty:
        problems.append(f"no text on page(s) {_ranges(empty)}")
    if garbled:
        problems.append(f"text does not decode on page(s) {_ranges(garbled)}")
    return problems


def _ranges(numbers: Sequence[int]) -> str:
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
