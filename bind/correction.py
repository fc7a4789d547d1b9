"""A catalogue correction (编目更正) as bound pages: a correction sheet and the outline it leaves.

A clerk splits, merges, retitles or retypes documents that are already bound
and signed.  Their pages stay where they were sealed; what changes is what the
dossier says about them.  So a correction appends two or more pages to the
volume (a 卷内目录（更正） listing the corrected entries with their new numbers and
pages, and a 备考表 saying who corrected what, on which the signature sits) and
rewrites the outline so each bookmark names a document as corrected.  Appended
pages and a rewritten outline root are exactly what a later version may add
(growth_policy.py), so every earlier signature stays valid.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pymupdf
from pyhanko.pdf_utils.reader import PdfFileReader

from edossier import __version__
from edossier.bind.assemble import (
    Addition,
    Bookmark,
    Continuation,
    DossierMetadata,
    document_bookmark,
    is_document_bookmark,
)
from edossier.bind.front_matter import CatalogueRow, draw_catalogue, draw_closing_sheet, stamp_page_number
from edossier.bind.outline import read_bookmarks
from edossier.bind.pdfa import make_pdfa
from edossier.types import DocumentEntry


def assemble_correction(
    rows: Sequence[CatalogueRow], what: Sequence[str], output: Path, meta: DossierMetadata, after: Continuation
) -> Addition:
    """Write the correction sheet (corrected ROWS, then a 备考表 stating WHAT was corrected) to OUTPUT, unsigned.

    Its pages are numbered on from AFTER.pages; the Addition lists no entries (no
    document is added) and the sheet's own two bookmarks.
    """
    today = dt.date.today().isoformat()
    with tempfile.TemporaryDirectory(prefix="correction-", dir=output.parent) as tmp:
        pdf = pymupdf.open()
        draw_catalogue(pdf, rows, "卷内目录（更正）", f"第{meta.version}版编目更正，{today}，更正人 {meta.bound_by}")
        sheet_pages = pdf.page_count
        total = after.pages + sheet_pages + 1
        draw_closing_sheet(pdf, [
            f"案号：{meta.case}",
            f"本版（第{meta.version}版）为编目更正，不增补文件页：",
            *what,
            f"卷内第 {after.pages + 1} 页至第 {total} 页为更正目录与本表。",
            f"更正人：{meta.bound_by}　　日期：{today}",
            f"装订软件：edossier {__version__}",
        ])
        for number, page in enumerate(pdf.pages(), start=after.pages + 1):
            stamp_page_number(page, number)
        chunk = Path(tmp) / "correction.pdf"
        pdf.subset_fonts()
        pdf.save(chunk, garbage=3, deflate=True)
        pdf.close()
        make_pdfa([chunk], output, meta.title, meta.bound_by, meta.case, list(meta.keywords))
    bookmarks = (Bookmark(f"卷内目录（更正，第{meta.version}版）", after.pages + 1),
                 Bookmark(f"备考表（第{meta.version}版）", total))
    return Addition((), bookmarks, total - after.pages)


def corrected_outline(pdf: Path, entries: Sequence[DocumentEntry]) -> list[Bookmark]:
    """The bookmarks of PDF (a signed volume) with its documents' bookmarks replaced by ENTRIES' (the volume's
    whole corrected catalogue, in order): covers, catalogues and closing sheets stay where they are."""
    with open(pdf, "rb") as handle:
        earlier = read_bookmarks(PdfFileReader(handle, strict=False))
    kept = [mark for mark in earlier if not is_document_bookmark(mark)]
    documents = [document_bookmark(n, e.title, e.type, e.first_page) for n, e in enumerate(entries, start=1)]
    # front matter comes before the documents it lists; a stable sort keeps it first on a shared page
    return sorted([*kept, *documents], key=lambda mark: mark.page)
