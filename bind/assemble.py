"""Assemble the unsigned dossier PDF: page images, text layer, bookmarks, metadata.

Pages stream in one at a time from their files; born-digital pages are copied
from their original PDF with their own text, never rasterised.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf
from PIL import Image

from edossier import __version__
from edossier.config import BindSettings
from edossier.errors import StageError
from edossier.types import Document, DocumentEntry, OcrPage, Page
from edossier.bind.text_layer import add_text_layer


@dataclass(frozen=True)
class DossierMetadata:
    case: str
    version: int
    bound_by: str
    court: str = ""
    keywords: Sequence[str] = field(default_factory=tuple)


def assemble(
    documents: Iterable[Document], output: Path, meta: DossierMetadata, settings: BindSettings
) -> list[DocumentEntry]:
    """Write the unsigned PDF to OUTPUT and return the catalogue entries, in bound order."""
    pdf = pymupdf.open()
    toc: list[list[object]] = []
    entries: list[DocumentEntry] = []
    sources: dict[Path, pymupdf.Document] = {}
    try:
        for document in documents:
            first = pdf.page_count + 1
            ocr_pages = document.ocr or (None,) * len(document.pages)
            for page, ocr in zip(document.pages, ocr_pages, strict=True):
                _add_page(pdf, page, ocr, settings, sources)
            last = pdf.page_count
            label = document.classification.type
            toc.append([1, f"{document.title}（{label}）", first])
            entries.append(
                DocumentEntry(
                    title=document.title,
                    type=label,
                    confidence=round(document.classification.confidence, 3),
                    first_page=first,
                    last_page=last,
                    needs_review=document.classification.needs_review,
                )
            )
        if pdf.page_count == 0:
            raise StageError(f"case {meta.case}: nothing to bind (no pages)")
        pdf.set_toc(toc)
        pdf.set_metadata(
            {
                "title": f"电子卷宗 {meta.case} 第{meta.version}版",
                "author": meta.bound_by,
                "subject": meta.case,
                "keywords": ", ".join(meta.keywords),
                "creator": f"edossier {__version__}",
                "producer": f"edossier {__version__} (PyMuPDF {pymupdf.VersionBind})",
            }
        )
        pdf.subset_fonts()
        output.parent.mkdir(parents=True, exist_ok=True)
        # Object streams keep every page dictionary in a few compressed blocks: a reader
        # fetching the PDF by byte ranges (pdf.js in the web reader) walks the page tree
        # with a handful of requests instead of one per page spread over the whole file.
        pdf.save(output, garbage=3, deflate=True, use_objstms=True)
    finally:
        pdf.close()
        for src in sources.values():
            src.close()
    return entries


def _add_page(
    pdf: pymupdf.Document,
    page: Page,
    ocr: OcrPage | None,
    settings: BindSettings,
    sources: dict[Path, pymupdf.Document],
) -> None:
    if page.kind == "born_digital":
        if page.pdf is None:
            raise StageError(f"born-digital page {page.index + 1} has no source PDF")
        if page.pdf not in sources:
            sources[page.pdf] = pymupdf.open(page.pdf)
        pdf.insert_pdf(sources[page.pdf], from_page=page.index, to_page=page.index)
        return
    if page.image is None:
        raise StageError(f"raster page {page.index + 1} has no image")
    new = pdf.new_page(width=page.width_pt, height=page.height_pt)
    new.insert_image(new.rect, stream=_encode_image(page.image, settings.jpeg_quality))
    if ocr is not None:
        add_text_layer(new, ocr)


def _encode_image(path: Path, quality: int) -> bytes:
    """JPEG keeps colour seals legible at a fraction of PNG's size; bilevel pages stay lossless."""
    with Image.open(path) as image:
        if image.mode == "1":
            return path.read_bytes()
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        return buffer.getvalue()
