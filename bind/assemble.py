"""Assemble the unsigned pages of one dossier version: front matter, documents, closing sheet.

Pages are built in chunks of a few dozen, each chunk saved to its own small PDF
as soon as it is full, and the chunks are joined by qpdf (pikepdf), which copies
their streams from disk while writing.  So memory holds one chunk's images, not
the dossier's.  Page images come encoded (image_codec);
born-digital pages are copied from their original PDF with their own text, never
rasterised.  The joined file carries what PDF/A-2b asks for (pdfa.py).

In the pipeline each page's image is encoded in the per-page phase, beside its
OCR (pipeline/process.py ``encode_for_binding``), into the cache given here, so
binding only reads those bytes; a page missing from the cache (e.g. bound on
another machine) is encoded here, in a pool started only for such pages.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from edossier import __version__
from edossier.bind.front_matter import (
    CatalogueRow,
    CoverInfo,
    catalogue_pages,
    draw_catalogue,
    draw_closing_sheet,
    draw_cover,
    stamp_page_number,
)
from edossier.bind.image_codec import CodecSettings, EncodedImage, codec_settings, encode_cached, read_cached
from edossier.bind.pdfa import make_pdfa
from edossier.bind.text_layer import add_text_layer
from edossier.bind.volumes import VOLUME_NAMES
from edossier.config import BindSettings
from edossier.errors import StageError
from edossier.types import Document, DocumentEntry, OcrPage, Page


@dataclass(frozen=True)
class DossierMetadata:
    case: str
    version: int
    bound_by: str
    court: str = ""
    volume: str = "main"
    keywords: Sequence[str] = field(default_factory=tuple)
    cause: str = ""
    parties: str = ""
    filed: str = ""
    """收案日期 on the cover (ISO date); blank when the court has not stated it."""

    @property
    def title(self) -> str:
        return f"电子卷宗 {self.case} {VOLUME_NAMES[self.volume]} 第{self.version}版"


@dataclass(frozen=True)
class CoverFacts:
    """What the court stated when it registered the case (网上立案): preferred on the cover to what the text yields."""

    court: str = ""
    cause: str = ""
    parties: str = ""
    filed: str = ""


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int
    """1-based page of the whole dossier."""


_DOCUMENT_MARK = re.compile(r"^[0-9]+\. ")


def document_bookmark(number: int, title: str, label: str, page: int) -> Bookmark:
    """A document's bookmark: catalogue number, title and type (one format, at binding and at a correction)."""
    return Bookmark(f"{number}. {title}（{label}）", page)


def is_document_bookmark(mark: Bookmark) -> bool:
    """Whether MARK names a document (not a cover, catalogue or closing sheet): what a correction renumbers."""
    return bool(_DOCUMENT_MARK.match(mark.title))


@dataclass(frozen=True)
class Addition:
    """What one version adds to the dossier: its catalogue rows, bookmarks and page count."""

    entries: tuple[DocumentEntry, ...]
    bookmarks: tuple[Bookmark, ...]
    pages: int


@dataclass(frozen=True)
class Continuation:
    """Where an addition starts: after PAGES pages and DOCUMENTS catalogued documents."""

    pages: int = 0
    documents: int = 0


def assemble(
    documents: Sequence[Document],
    output: Path,
    meta: DossierMetadata,
    settings: BindSettings,
    after: Continuation = Continuation(),
    remarks: dict[str, str] | None = None,
    cache: Path | None = None,
) -> Addition:
    """Write this version's new pages to OUTPUT (unsigned, PDF/A-2b) and say what they are.

    The first version opens with a cover and the catalogue; a later one with a
    continuation catalogue for its own documents, numbered on from AFTER.
    REMARKS (by source hash) and each document's own remark (cataloguing's) go into the
    catalogue's 备注 column, beside its 责任者 and 日期.  Encoded
    page images are kept in CACHE (by page hash), when given, for reruns.
    """
    if not documents:
        raise StageError(f"case {meta.case}: nothing to bind (no documents)")
    if any(d.volume != meta.volume for d in documents):
        raise StageError(f"case {meta.case}: 正卷 and 副卷 documents are never bound together")
    remarks = remarks or {}
    first = after.pages == 0
    front = (1 if first else 0) + catalogue_pages(len(documents))
    rows, entries, bookmarks = [], [], []
    page = after.pages + front + 1
    if first:
        bookmarks.append(Bookmark("卷皮", after.pages + 1))
    bookmarks.append(Bookmark("卷内目录" if first else f"卷内目录（续，第{meta.version}版）", after.pages + 1 + int(first)))
    for number, document in enumerate(documents, start=after.documents + 1):
        last = page + len(document.pages) - 1
        label = document.classification.type
        remark = "；".join(filter(None, [remarks.get(document.source_sha256, ""), document.remark,
                                         "待复核" if document.classification.needs_review
                                         and "待复核" not in document.remark else ""]))
        rows.append(CatalogueRow(number, document.author or "", document.title, document.date or "", page, last,
                                 remark))
        entries.append(
            DocumentEntry(
                title=document.title,
                type=label,
                confidence=round(document.classification.confidence, 3),
                first_page=page,
                last_page=last,
                needs_review=document.classification.needs_review,
                volume=document.volume,
                remark=remark,
            )
        )
        bookmarks.append(document_bookmark(number, document.title, label, page))
        page = last + 1
    closing_page = page
    bookmarks.append(Bookmark(f"备考表（第{meta.version}版）", closing_page))
    total = closing_page
    today = dt.date.today().isoformat()
    codec = codec_settings(settings)

    def front_matter(pdf: pymupdf.Document) -> None:
        if first:
            cover = CoverInfo(court=meta.court, case=meta.case, volume=meta.volume, bound=today,
                              bound_by=meta.bound_by, cause=meta.cause, parties=meta.parties, filed=meta.filed)
            draw_cover(pdf, cover, total, len(documents))
        heading = "卷　内　目　录" if first else "卷内目录（续）"
        note = "" if first else f"第{meta.version}版增补，{today}，立卷人 {meta.bound_by}"
        draw_catalogue(pdf, rows, heading, note)

    def closing(pdf: pymupdf.Document) -> None:
        added = sum(len(d.pages) for d in documents)
        draw_closing_sheet(pdf, [
            f"案号：{meta.case}",
            f"本版（第{meta.version}版）装订文件 {len(documents)} 件，文件页 {added} 页，",
            f"卷内第 {after.pages + 1} 页至第 {total} 页（含目录与本表）。",
            f"立卷人：{meta.bound_by}　　日期：{today}",
            f"装订软件：edossier {__version__}",
        ])

    with tempfile.TemporaryDirectory(prefix="assemble-", dir=output.parent) as tmp, _LazyPool(settings) as pool:
        chunks = list(_write_chunks(documents, front_matter, closing, Path(tmp), after.pages + 1,
                                    settings.chunk_pages, codec, cache, pool))
        make_pdfa(chunks, output, meta.title, meta.bound_by, meta.case, list(meta.keywords))
    return Addition(tuple(entries), tuple(bookmarks), total - after.pages)


_Job = tuple[Path | None, str, CodecSettings, Path | None]
"""A page to encode: its image, its hash, the codec settings, the cache."""


class _LazyPool:
    """An encoding pool started on the first page that is not encoded yet: none when all pages come encoded."""

    def __init__(self, settings: BindSettings) -> None:
        self._jobs = settings.jobs or None
        self._pool: Executor | None = None

    def __enter__(self) -> _LazyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def encode(self, jobs: list[_Job]) -> Iterator[EncodedImage | None]:
        if self._jobs == 1:  # one CPU (a batch worker): encode in this thread, beside nothing else
            return map(_encode, jobs)
        if self._pool is None:
            # threads inside a daemonic process (a queue worker), which may not have children
            daemon = multiprocessing.current_process().daemon
            self._pool = (ThreadPoolExecutor if daemon else ProcessPoolExecutor)(max_workers=self._jobs)
        return self._pool.map(_encode, jobs)


def _write_chunks(
    documents: Sequence[Document], front_matter: Callable[[pymupdf.Document], None],
    closing: Callable[[pymupdf.Document], None], folder: Path, first_number: int, chunk_pages: int,
    codec: CodecSettings, cache: Path | None, pool: _LazyPool,
) -> Iterator[Path]:
    """Yield chunk files in order; each holds at most CHUNK_PAGES pages."""
    number = first_number
    index = 0
    sources: dict[Path, pymupdf.Document] = {}
    pdf = pymupdf.open()
    front_matter(pdf)

    def flush() -> Path:
        nonlocal pdf, index, number
        for page in pdf.pages():
            stamp_page_number(page, number)
            number += 1
        path = folder / f"chunk-{index:05d}.pdf"
        pdf.subset_fonts()
        pdf.save(path, garbage=3, deflate=True)
        pdf.close()
        pdf = pymupdf.open()
        index += 1
        return path

    try:
        for batch in _batches(documents, chunk_pages):
            images = _images([p for p, _ in batch], codec, cache, pool)
            for (page, ocr), image in zip(batch, images, strict=True):
                _add_page(pdf, page, ocr, image, sources)
            if pdf.page_count >= chunk_pages:
                yield flush()
        closing(pdf)
        yield flush()
    finally:
        pdf.close()
        for src in sources.values():
            src.close()


def _batches(documents: Sequence[Document], size: int) -> Iterator[list[tuple[Page, OcrPage | None]]]:
    batch: list[tuple[Page, OcrPage | None]] = []
    for document in documents:
        ocr_pages = document.ocr or (None,) * len(document.pages)
        for item in zip(document.pages, ocr_pages, strict=True):
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _images(pages: list[Page], codec: CodecSettings, cache: Path | None, pool: _LazyPool) -> list[EncodedImage | None]:
    """Each raster page's encoded image: read from CACHE, the rest encoded in the pool (and cached)."""
    images = [read_cached(p.sha256, codec, cache) if cache and p.kind == "raster" else None for p in pages]
    missing = [i for i, (p, image) in enumerate(zip(pages, images, strict=True)) if p.kind == "raster" and image is None]
    if missing:
        jobs = [(pages[i].image, pages[i].sha256, codec, cache) for i in missing]
        for i, image in zip(missing, pool.encode(jobs), strict=True):
            images[i] = image
    return images


def _encode(job: _Job) -> EncodedImage | None:
    path, key, codec, cache = job
    return None if path is None else encode_cached(path, key, codec, cache)


def _add_page(
    pdf: pymupdf.Document,
    page: Page,
    ocr: OcrPage | None,
    image: EncodedImage | None,
    sources: dict[Path, pymupdf.Document],
) -> None:
    if page.kind == "born_digital":
        if page.pdf is None:
            raise StageError(f"born-digital page {page.index + 1} has no source PDF")
        if page.pdf not in sources:
            sources[page.pdf] = pymupdf.open(page.pdf)
        # form widgets stay with the original (kept byte for byte): copied alone they are orphans
        pdf.insert_pdf(sources[page.pdf], from_page=page.index, to_page=page.index, widgets=False)
        return
    if image is None:
        raise StageError(f"raster page {page.index + 1} has no image")
    new = pdf.new_page(width=page.width_pt, height=page.height_pt)
    new.insert_image(new.rect, xref=_image_object(pdf, image))
    if ocr is not None:
        add_text_layer(new, ocr)


def _image_object(pdf: pymupdf.Document, image: EncodedImage) -> int:
    """An image XObject holding the encoded bytes as they are (no re-encoding by MuPDF)."""
    if image.kind == "g4":
        black = "true" if image.black_is_1 else "false"
        space, bits, filter_ = "/DeviceGray", 1, "/CCITTFaxDecode"
        params = f"<</K -1/Columns {image.width}/Rows {image.height}/BlackIs1 {black}>>"
    else:
        space, bits, filter_, params = ("/DeviceGray" if image.grey else "/DeviceRGB"), 8, "/DCTDecode", None
    xref: int = pdf.get_new_xref()
    pdf.update_object(xref, f"<</Type/XObject/Subtype/Image/Width {image.width}/Height {image.height}"
                            f"/ColorSpace{space}/BitsPerComponent {bits}>>")
    pdf.update_stream(xref, image.data, new=True, compress=False)
    # set after the data: MuPDF then keeps the bytes as already encoded with this filter
    pdf.xref_set_key(xref, "Filter", filter_)
    if params:
        pdf.xref_set_key(xref, "DecodeParms", params)
    return xref
