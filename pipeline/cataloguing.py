"""One input file, several documents: where ``process`` cuts a file (``--split auto|none|cover-sheets``).

``none`` keeps the old rule, one file one document.  ``cover-sheets`` cuts at
edossier cover sheets found in the file (the sheets themselves are not bound).
``auto`` (the default) does the same where the file has cover sheets, which
always win, and otherwise catalogues the pages by content (classify's
``catalogue_documents``: boundary model, the volume's own 卷内目录).  A file with
a declared type, or of one page, stays one document.  It works on the OCR
lines ``process`` already has: nothing is read twice.  Cover sheets are looked
for only on pages with little text, so content pages cost no image decoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edossier.classify.cataloguing import (
    CataloguedDocument,
    Found,
    catalogue_documents,
    find_author,
    find_date,
)
from edossier.classify.page_reading import read_page
from edossier.ingest.coversheet import CoverSheet, read_cover_sheet
from PIL import Image

from edossier.types import Classification, OcrPage, Page, SourceFile

COVER_MAX_LINES = 15  # a cover sheet carries a QR code and a few printed lines

Classify = Callable[[str, str | None], Classification]
"""Types a document's text; the second argument is a type declared for it (a cover sheet's)."""


@dataclass(frozen=True)
class Part:
    """A run of one file's pages that is one document, and what cataloguing read about it (if it ran)."""

    pages: tuple[int, ...]
    found: CataloguedDocument | None = None


def _cover_sheets(pages: Sequence[Page], ocr: Sequence[OcrPage | None]) -> dict[int, CoverSheet]:
    covers = {}
    for index, (page, result) in enumerate(zip(pages, ocr, strict=True)):
        if page.kind != "raster" or page.image is None or (result is not None and len(result.lines) > COVER_MAX_LINES):
            continue
        with Image.open(page.image) as image:
            reading = read_cover_sheet(image)
        if reading.sheet is not None:
            covers[index] = reading.sheet
    return covers


def _cover_parts(pages: Sequence[Page], ocr: Sequence[OcrPage | None], covers: dict[int, CoverSheet],
                 classify: Classify) -> list[Part]:
    parts = []
    cuts = sorted(covers)
    if cuts[0] > 0:  # pages before the first cover sheet: a document of their own, typed by content
        cuts.insert(0, -1)
    for cut, after in zip(cuts, [*cuts[1:], len(pages)]):
        indices = tuple(range(cut + 1, after))
        if not indices:
            continue
        sheet = covers.get(cut)
        readings = [read_page(ocr[i], pages[i].text) for i in indices]
        classification = classify("\n".join(r.text for r in readings), sheet.type if sheet else None)
        title = sheet.title if sheet and sheet.title else classification.title
        found = CataloguedDocument(
            indices[0], indices[-1], Found(title, 1.0 if sheet and sheet.title else 0.6), classification, find_date(readings), find_author(readings),
            1.0 if sheet else 0.5, "cover_sheet")
        parts.append(Part(indices, found))
    return parts


def split_source(
    source: SourceFile, pages: Sequence[Page], ocr: Sequence[OcrPage | None], mode: str, classify: Classify
) -> list[Part]:
    """The documents of one input file, as runs of its pages (a single Part without ``found``: classify it whole)."""
    whole = [Part(tuple(range(len(pages))))]
    if mode == "none" or len(pages) < 2 or source.declared_type:
        return whole
    covers = _cover_sheets(pages, ocr)
    if covers:
        return _cover_parts(pages, ocr, covers, classify)
    if mode == "cover-sheets":
        return whole
    readings = [read_page(result, page.text) for page, result in zip(pages, ocr, strict=True)]
    double_fed = frozenset(i for i, page in enumerate(pages) if "double_feed" in page.flags)
    found = catalogue_documents(readings, lambda text: classify(text, None), continued=double_fed)
    return [Part(tuple(range(doc.first, doc.last + 1)), doc) for doc in found]
