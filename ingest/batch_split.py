"""Split a scanned batch into documents, and account for every page.

Pages are checked one at a time as they come off the feeder (cover sheet,
blank, same sheet as the page before), then the batch is cut at cover sheets.
Nothing is dropped: a blank back or a suspected double feed stays in its
document with a flag; a cover sheet and the blank back of a cover sheet are
left out of the binding and listed as such.  Declared page counts (on a cover
sheet, or for the whole batch) are compared with what arrived; a document with
more pages than declared probably lost its next cover sheet, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from edossier.config import ScanSettings
from edossier.ingest.coversheet import CoverSheet, read_cover_sheet

FINGERPRINT = (64, 64)


@dataclass(frozen=True)
class PageCheck:
    """What one page of a batch turned out to be."""

    number: int
    image: Path
    cover: CoverSheet | None = None
    damaged_cover: str | None = None
    blank: bool = False
    same_as_previous: bool = False
    fingerprint: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Flag:
    """Something a clerk must look at; PAGE is the batch page number, if one page."""

    kind: str
    message: str
    page: int | None = None


@dataclass(frozen=True)
class SplitDocument:
    cover: CoverSheet | None
    pages: tuple[PageCheck, ...]
    flags: tuple[Flag, ...] = ()

    def page_flags(self, check: PageCheck) -> tuple[str, ...]:
        return tuple(f.kind for f in self.flags if f.page == check.number)


@dataclass(frozen=True)
class BatchSplit:
    documents: tuple[SplitDocument, ...]
    left_out: tuple[PageCheck, ...]
    """cover sheets and their blank backs: scanned, listed, not bound."""
    flags: tuple[Flag, ...]

    @property
    def pages_received(self) -> int:
        return sum(len(d.pages) for d in self.documents) + len(self.left_out)


def inspect_page(number: int, image_path: Path, previous: PageCheck | None, settings: ScanSettings) -> PageCheck:
    """Check one page as it arrives; PREVIOUS is the page fed just before it."""
    with Image.open(image_path) as image:
        image.load()
        grey = image.convert("L")
    reading = read_cover_sheet(grey)
    small = np.asarray(grey.resize(FINGERPRINT, Image.Resampling.BOX), dtype=np.uint8)
    blank = _is_blank(grey, settings.blank_ink_ratio)
    same = (
        previous is not None
        and not blank
        and not previous.blank
        and reading.sheet is None
        and len(previous.fingerprint) == small.size
        and float(np.abs(small.astype(np.int16) - np.frombuffer(previous.fingerprint, np.uint8).reshape(small.shape)).mean())
        < settings.duplicate_difference
    )
    return PageCheck(
        number=number,
        image=image_path,
        cover=reading.sheet,
        damaged_cover=reading.damaged,
        blank=blank,
        same_as_previous=same,
        fingerprint=small.tobytes(),
    )


def _is_blank(grey: Image.Image, max_ink: float) -> bool:
    """Blank when almost no pixel is much darker than the paper (scanner noise and specks allowed)."""
    small = np.asarray(grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)), Image.Resampling.BOX))
    paper = float(np.percentile(small, 90))
    if paper < 128:  # a dark page (or a black test pattern) is not blank paper
        return False
    ink = small < paper - 60
    return float(ink.mean()) < max_ink


def split_batch(checks: Sequence[PageCheck], declared_pages: int | None = None) -> BatchSplit:
    """Cut CHECKS at cover sheets and raise every flag the clerk must see."""
    documents: list[tuple[CoverSheet | None, list[PageCheck]]] = []
    left_out: list[PageCheck] = []
    flags: list[Flag] = []
    after_cover = False
    for check in checks:
        if check.cover is not None:
            documents.append((check.cover, []))
            left_out.append(check)
            after_cover = True
            continue
        if after_cover and check.blank:
            left_out.append(check)  # the cover sheet's back, from a duplex scan
            flags.append(Flag("cover_back", f"page {check.number}: blank back of a cover sheet, not bound", check.number))
            continue
        after_cover = False
        if not documents:
            documents.append((None, []))
        documents[-1][1].append(check)

    result: list[SplitDocument] = []
    any_cover = any(c.cover is not None for c in checks)
    for index, (cover, pages) in enumerate(documents):
        doc_flags = [flag for check in pages for flag in _page_flags(check)]
        name = f"document {index + 1}" + (f" ({cover.type})" if cover else "")
        if not pages:
            doc_flags.append(Flag("empty_document", f"{name}: a cover sheet with no pages after it"))
        elif cover is None and any_cover:
            doc_flags.append(
                Flag(
                    "missing_cover",
                    f"pages {pages[0].number}-{pages[-1].number} come before any cover sheet: "
                    "a cover sheet is missing (document type unknown)",
                    pages[0].number,
                )
            )
        if cover is not None and cover.pages is not None:
            doc_flags.extend(_count_flags(name, pages, cover.pages))
        if pages:
            result.append(SplitDocument(cover, tuple(pages), tuple(doc_flags)))
        flags.extend(doc_flags)
    if declared_pages is not None:
        flags.extend(_count_flags("the batch", [p for d in result for p in d.pages], declared_pages))
    return BatchSplit(tuple(result), tuple(left_out), tuple(flags))


def _page_flags(check: PageCheck) -> list[Flag]:
    flags = []
    if check.damaged_cover:
        flags.append(
            Flag("damaged_cover", f"page {check.number}: {check.damaged_cover}; if it is a cover sheet, reprint it", check.number)
        )
    if check.blank:
        flags.append(Flag("blank_page", f"page {check.number}: blank (a duplex back?) kept for review", check.number))
    if check.same_as_previous:
        flags.append(
            Flag("double_feed", f"page {check.number}: same as page {check.number - 1} (double feed?)", check.number)
        )
    return flags


def _count_flags(name: str, pages: Sequence[PageCheck], declared: int) -> list[Flag]:
    received = len(pages)
    with_content = sum(1 for p in pages if not p.blank)
    if declared in (received, with_content):
        return []
    blanks = f" ({received - with_content} blank)" if received != with_content else ""
    hint = ": a cover sheet may be missing after page %d" % pages[declared - 1].number if received > declared else ": pages are missing"
    return [Flag("page_count", f"{name}: {received} pages received{blanks}, {declared} declared{hint}")]


def write_document(pages: Sequence[PageCheck], target: Path) -> Path:
    """The document's page images as one lossless multi-page TIFF, the form the pipeline reads."""
    images = [Image.open(p.image) for p in pages]
    try:
        dpi = images[0].info.get("dpi", (300, 300))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        images[0].save(
            tmp, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate", dpi=dpi
        )
        tmp.replace(target)
    finally:
        for image in images:
            image.close()
    return target
