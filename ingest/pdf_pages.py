"""Pages of a PDF original, and of the originals read through a PDF they convert to (OFD, Word/WPS/RTF/ODT).

Apart from image intake (``pages.py``) because of what it loads: PyMuPDF, pikepdf,
the OFD renderer and the office converter cost a process ~0.1 CPU-s to import, which
``edossier ocr`` on a PNG or JPEG need not pay; ``pages.read_pages`` imports this
module on the first original that needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from edossier.config import LimitsSettings, SealSettings
from edossier.errors import EncryptedInputError, InputFileError
from edossier.ingest.active_content import sanitize_pdf
from edossier.ingest.limits import check_page_count, check_pixels
from edossier.ingest.office import convert_to_pdf
from edossier.ingest.ofd_intake import ofd_facts, ofd_to_pdf
from edossier.ingest.page_record import raster_page, undecodable
from edossier.ingest.png import png_bytes
from edossier.ingest.sniff import OFD, WORD_PROCESSOR_TYPES
from edossier.ingest.text_layer import has_good_text_layer
from edossier.types import Correction, Page, SourceFile, sha256_bytes

pymupdf.TOOLS.mupdf_display_errors(False)


def ofd_metadata(path: Path, limits: LimitsSettings, seal_settings: SealSettings | None) -> dict[str, str]:
    """An OFD's seals and e-invoice fields, for its source's metadata."""
    with undecodable(path, "is not a readable OFD"):
        return ofd_facts(path, limits, seal_settings)


def document_pages(
    source: SourceFile, work_dir: Path, pages_dir: Path, limits: LimitsSettings, password: str | None
) -> Iterator[Page]:
    """Pages of a PDF, OFD or Word/WPS/RTF/ODT original (``pages.read_pages``)."""
    if source.media_type == OFD or source.media_type in WORD_PROCESSOR_TYPES:
        yield from _converted_pages(source, work_dir, pages_dir, limits)
    else:
        yield from _pdf_pages(source, pages_dir, limits, password)


def _converted_pdf(source: SourceFile, work_dir: Path) -> Path:
    """Where the PDF converted from an OFD or word-processor original is kept (named by the original's hash)."""
    return work_dir / "converted" / f"{source.sha256}.pdf"


def _converted_pages(source: SourceFile, work_dir: Path, pages_dir: Path, limits: LimitsSettings) -> Iterator[Page]:
    """Pages of an OFD or Word/WPS/RTF/ODT original, read from the PDF it converts to.

    The original stays as it was handed over; what is bound comes from the conversion.
    An OFD page's text is the OFD's own (its TextCodes), not what the PDF gives back.
    """
    target = _converted_pdf(source, work_dir)
    texts: list[str] | None = None
    if source.media_type == OFD:
        with undecodable(source.path, "is not a readable OFD"):
            texts = ofd_to_pdf(source.path, target, limits)
    elif not target.exists():
        convert_to_pdf(source.path, target, limits.convert_timeout_s)
    with undecodable(source.path, "converts to an unreadable PDF"):
        doc = pymupdf.open(target, filetype="pdf")
    with doc:
        check_page_count(source.path, doc.page_count, limits)
        if doc.page_count == 0:
            raise InputFileError(source.path, "has no pages")
        for index in range(doc.page_count):
            with undecodable(source.path, f"page {index + 1} cannot be read"):
                page = _pdf_page(source, target, doc.load_page(index), index, pages_dir, limits)
            if texts is not None and page.kind == "born_digital":
                page = page.model_copy(update={"text": texts[index]})
            yield page


def _has_eof_marker(path: Path) -> bool:
    """A PDF cut off in transfer loses its trailer; MuPDF would silently 'repair' it into blank pages."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 2048))
        return b"%%EOF" in handle.read()


def _pdf_pages(
    source: SourceFile, pages_dir: Path, limits: LimitsSettings, password: str | None
) -> Iterator[Page]:
    if not _has_eof_marker(source.path):
        raise InputFileError(source.path, "is a truncated or damaged PDF (no %%EOF marker at its end)")
    sanitized = pages_dir.parent / "sanitized" / f"{source.sha256}.pdf"
    with undecodable(source.path, "is not a readable PDF"):
        removed = sanitize_pdf(source.path, sanitized, password)
    readable = sanitized if sanitized.exists() else source.path
    flags = tuple(f"removed_{kind}" for kind in removed)
    with undecodable(source.path, "is not a readable PDF"):
        doc = pymupdf.open(readable, filetype="pdf")
    with doc:
        with undecodable(source.path, "is not a readable PDF"):
            count = _unlocked_page_count(source.path, doc, password)
        check_page_count(source.path, count, limits)
        for index in range(count):
            with undecodable(source.path, f"page {index + 1} cannot be read"):
                record = _pdf_page(source, readable, doc.load_page(index), index, pages_dir, limits)
            yield record.model_copy(update={"flags": record.flags + flags}) if flags else record


def _unlocked_page_count(path: Path, doc: pymupdf.Document, password: str | None) -> int:
    if doc.needs_pass:
        if password is None:
            raise EncryptedInputError(path, "is encrypted; supply its password with --password")
        if not doc.authenticate(password):
            raise EncryptedInputError(path, "is encrypted and the password given is wrong")
    if doc.page_count == 0:
        raise InputFileError(path, "has no pages")
    pages: int = doc.page_count
    return pages


def _pdf_page(
    source: SourceFile, readable: Path, page: pymupdf.Page, index: int, pages_dir: Path, limits: LimitsSettings
) -> Page:
    rect = page.rect
    if has_good_text_layer(page):
        text = page.get_text("text", sort=True)
        return Page(
            source_sha256=source.sha256,
            index=index,
            sha256=sha256_bytes(f"{source.sha256}:{index}".encode()),
            kind="born_digital",
            pdf=readable,
            width_pt=rect.width,
            height_pt=rect.height,
            text=text,
        )
    dpi = pdf_raster_dpi(page, limits)
    check_pixels(source.path, index + 1, rect.width * dpi / 72, rect.height * dpi / 72, limits)
    pix = scanned_image(page, dpi) or page.get_pixmap(dpi=int(dpi), alpha=False)
    pixels = _pixmap_pixels(pix)
    corrections = (Correction(kind="pdf_rotate", value=page.rotation),) if page.rotation else ()
    return raster_page(source, index, png_bytes(pixels, dpi), pages_dir, float(dpi), pix.width, pix.height,
                       corrections, pixels)


SCANNED_COLOURS = {"DeviceGray": 1, "DeviceRGB": 3, "ICCBased": None}
"""Colour spaces of images taken as they are, by components (an ICC profile's are checked on the pixels):
grey and RGB; CMYK, indexed, separation and masked images are drawn."""


IDENTITY_DECODE = (["0", "1"], ["0", "1"] * 3)
"""Decode arrays that change nothing (written out by some scanners, e.g. ``[0 1]`` for a bilevel page)."""
SCALE_SLACK = 0.002
"""How far an image's own resolution may be from the raster's and still be taken as it is: a page whose size was
rounded to whole points (a 300-dpi A4 scan on 595 x 841 pt) would otherwise be resampled by 0.1 %."""


def scanned_image(page: pymupdf.Page, dpi: float) -> pymupdf.Pixmap | None:
    """PAGE's one image as stored, where rasterising PAGE at DPI would only redraw it; else None.

    A scanner's PDF page is one image over the whole page at the scan's resolution.
    MuPDF rasterising it draws that image again into a new raster: 0.15-0.2 CPU-s for
    an A4 colour page at 300 dpi (notes/issue-18.md, session 13), for a copy one pixel
    wider than the scan (the page's size in points rounds up), resampled.  So the
    image itself is taken when the page shows nothing else and drawing it would not
    change it: drawn once, upright and unmirrored, covering the page to within a
    pixel, at DPI (``SCALE_SLACK``), 8-bit or bilevel grey or RGB, no mask, no decode
    array but the identity, no annotations, text or drawings.  Anything else is
    rasterised as before.  The checks read the page's resources and placement; only
    a page that passes them has its image decoded.
    """
    if page.rotation or page.first_annot is not None or page.first_widget is not None:
        return None
    listed = page.get_images(full=True)
    if len(listed) != 1:
        return None
    xref, _, width, height, bits, colours, *_ = listed[0]
    if bits not in (1, 8) or colours not in SCANNED_COLOURS:
        return None
    doc = page.parent
    if any(doc.xref_get_key(xref, key)[0] != "null" for key in ("Mask", "SMask", "ImageMask")):
        return None
    kind, decode = doc.xref_get_key(xref, "Decode")
    if kind != "null" and (kind != "array" or decode.strip("[] ").split() not in IDENTITY_DECODE):
        return None
    placed = page.get_image_info()
    if len(placed) != 1:
        return None
    a, b, c, d, _, _ = placed[0]["transform"]
    if b or c or a <= 0 or d <= 0:
        return None
    pixel = 72.0 / dpi
    left, top, right, bottom = placed[0]["bbox"]
    rect = page.rect
    if max(abs(left - rect.x0), abs(top - rect.y0), abs(right - rect.x1), abs(bottom - rect.y1)) > pixel:
        return None
    if any(abs(size - extent / pixel) > max(1.0, SCALE_SLACK * size) for size, extent in
           ((width, right - left), (height, bottom - top))):
        return None
    if page.get_text("text").strip() or page.get_drawings():
        return None
    pix = pymupdf.Pixmap(doc, xref)
    components = SCANNED_COLOURS[colours] or pix.n  # an ICC profile's own count
    if pix.alpha or pix.n != components or components not in (1, 3) or (pix.width, pix.height) != (width, height):
        return None
    return pix


def _pixmap_pixels(pix: pymupdf.Pixmap) -> np.ndarray:
    """PIX (RGB or grey, no alpha) as OpenCV holds the page: BGR or grey.

    Its PNG is written by the fast encoder rather than MuPDF's (``ingest/png.py``):
    the same pixels and resolution; the rasterised page costs a tenth of the CPU to write.
    """
    pixels = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pix.n == 3 else pixels[:, :, 0].copy()  # not MuPDF's memory


def pdf_raster_dpi(page: pymupdf.Page, limits: LimitsSettings) -> float:
    """The resolution a scanned PDF page is rasterised at: ``raster_dpi``, or less where its images have less.

    The pixel limit guards against pages that would decode into more pixels than
    anything real; a poster-size page holding an ordinary 2550x3300 scan is not
    that, so where ``raster_dpi`` would exceed the limit the page is rasterised at
    the resolution of its own largest image (never more than ``raster_dpi``), and
    only a page whose images themselves are over the limit is refused.
    """
    dpi = float(limits.raster_dpi)
    rect = page.rect
    if rect.width * rect.height * (dpi / 72) ** 2 <= limits.max_pixels_per_page:
        return dpi
    native = [
        info["width"] * 72.0 / (info["bbox"][2] - info["bbox"][0])
        for info in page.get_image_info()
        if info["bbox"][2] > info["bbox"][0]
    ]
    return float(int(min(dpi, max(native)))) if native else dpi
