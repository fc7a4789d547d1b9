"""Turn one original (PDF, OFD, Word/WPS/RTF/ODT, PNG, JPEG, HEIC, multi-page TIFF) into page records.

Raster pages are written as lossless PNG files named by their SHA-256 into a
work folder, so the same page read twice is the same file and the same work.
PDF pages that already carry a good text layer are kept as born-digital pages
(bound from the original, never rasterised); scanned PDF pages are rasterised.
OFD and word-processor files are first converted to a PDF
whose pages are then read the same way: their own text is the text layer and
OCR is skipped; pages without text (an OFD of scanned images) are rasterised.
Pages stream one at a time: a 10,000-page upload never sits in memory at once.
"""

from __future__ import annotations

from contextlib import contextmanager
import warnings
from io import BytesIO
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
import pymupdf
from PIL import Image, ImageOps

from edossier.errors import EdossierError, EncryptedInputError, InputFileError, LimitExceededError
from edossier.files import write_atomically
from edossier.types import Correction, Page, SourceFile, sha256_bytes, sha256_file
from edossier.config import LimitsSettings
from edossier.ingest.active_content import sanitize_pdf
from edossier.ingest.limits import check_file_size, check_page_count, check_pixels
from edossier.ingest.office import convert_to_pdf
from edossier.ingest.png import png_bytes
from edossier.ingest.ofd_intake import ofd_facts, ofd_to_pdf
from edossier.ingest.sniff import OFD, PDF, WORD_PROCESSOR_TYPES, sniff
from edossier.ingest.text_layer import has_good_text_layer

pymupdf.TOOLS.mupdf_display_errors(False)
pillow_heif.register_heif_opener()  # HEIC/HEIF photos (iPhones) open like any other image
DEFAULT_DPI = 300.0
SCREEN_DPI = 72.0
A4_LONG_SIDE_INCHES = 297 / 25.4


def open_source(
    path: Path, limits: LimitsSettings, declared_type: str | None = None, name: str | None = None
) -> SourceFile:
    """Identify an original: its type from its bytes, its hash, within the size limit.

    NAME is the name it was handed over under, when PATH's own name is not (uploads).
    An OFD's seals and e-invoice fields are read here, into the source's metadata.
    """
    media_type = sniff(path, name)
    size = path.stat().st_size
    check_file_size(path, size, limits)
    return SourceFile(
        path=path.resolve(),
        sha256=sha256_file(path),
        size=size,
        media_type=media_type,
        title=path.stem,
        declared_type=declared_type,
        metadata=_ofd_metadata(path, limits) if media_type == OFD else {},
    )


def _ofd_metadata(path: Path, limits: LimitsSettings) -> dict[str, str]:
    with _undecodable(path, "is not a readable OFD"):
        return ofd_facts(path, limits)


def read_pages(
    source: SourceFile,
    work_dir: Path,
    limits: LimitsSettings,
    password: str | None = None,
) -> Iterator[Page]:
    """Yield the pages of SOURCE in order, writing raster pages under WORK_DIR."""
    pages_dir = work_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    if source.media_type == PDF:
        yield from _pdf_pages(source, pages_dir, limits, password)
    elif source.media_type == OFD or source.media_type in WORD_PROCESSOR_TYPES:
        yield from _converted_pages(source, work_dir, pages_dir, limits)
    else:
        yield from _image_pages(source, pages_dir, limits)


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
        with _undecodable(source.path, "is not a readable OFD"):
            texts = ofd_to_pdf(source.path, target, limits)
    elif not target.exists():
        convert_to_pdf(source.path, target, limits.convert_timeout_s)
    with _undecodable(source.path, "converts to an unreadable PDF"):
        doc = pymupdf.open(target, filetype="pdf")
    with doc:
        check_page_count(source.path, doc.page_count, limits)
        if doc.page_count == 0:
            raise InputFileError(source.path, "has no pages")
        for index in range(doc.page_count):
            with _undecodable(source.path, f"page {index + 1} cannot be read"):
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
    with _undecodable(source.path, "is not a readable PDF"):
        removed = sanitize_pdf(source.path, sanitized, password)
    readable = sanitized if sanitized.exists() else source.path
    flags = tuple(f"removed_{kind}" for kind in removed)
    with _undecodable(source.path, "is not a readable PDF"):
        doc = pymupdf.open(readable, filetype="pdf")
    with doc:
        with _undecodable(source.path, "is not a readable PDF"):
            count = _unlocked_page_count(source.path, doc, password)
        check_page_count(source.path, count, limits)
        for index in range(count):
            with _undecodable(source.path, f"page {index + 1} cannot be read"):
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
    pix = page.get_pixmap(dpi=int(dpi), alpha=False)
    png = _pixmap_png(pix, dpi)
    corrections = (Correction(kind="pdf_rotate", value=page.rotation),) if page.rotation else ()
    return _raster_page(source, index, png, pages_dir, float(dpi), pix.width, pix.height, corrections)


def _pixmap_png(pix: pymupdf.Pixmap, dpi: float) -> bytes:
    """PIX (RGB or grey, no alpha) as PNG, by OpenCV's fast encoder rather than MuPDF's (``ingest/png.py``).

    The same pixels and resolution; the rasterised page costs a quarter of the CPU to write.
    """
    pixels = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return png_bytes(cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pix.n == 3 else pixels[:, :, 0], dpi)


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


def _image_pages(source: SourceFile, pages_dir: Path, limits: LimitsSettings) -> Iterator[Page]:
    # Pillow warns (to stderr) about odd TIFF metadata it then ignores; problems that matter raise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield from _decode_image_pages(source, pages_dir, limits)


def _decode_image_pages(source: SourceFile, pages_dir: Path, limits: LimitsSettings) -> Iterator[Page]:
    with _undecodable(source.path, "is not a readable image"):
        image = Image.open(source.path)
    with image:
        with _undecodable(source.path, "is not a readable image"):
            frames = getattr(image, "n_frames", 1)
        check_page_count(source.path, frames, limits)
        for index in range(frames):
            with _undecodable(source.path, f"page {index + 1} cannot be decoded"):
                image.seek(index)
                check_pixels(source.path, index + 1, *image.size, limits)
                page = _image_page(source, image, index, pages_dir)
            yield page


@contextmanager
def _undecodable(path: Path, problem: str) -> Iterator[None]:
    """Any failure of the decoder on untrusted bytes is bad input, reported as such (found by fuzzing:
    Pillow raises TypeError, ValueError, struct.error… on damaged TIFFs, not only OSError)."""
    try:
        yield
    except EdossierError:
        raise
    except Image.DecompressionBombError as exc:
        raise LimitExceededError(path, f"declares an image too large to decode ({exc})") from None
    except OSError as exc:
        if exc.errno is not None:  # the disk (full, quota, permissions), not the input's bytes
            raise
        raise InputFileError(path, f"{problem} ({type(exc).__name__}: {exc})") from None
    except Exception as exc:
        raise InputFileError(path, f"{problem} ({type(exc).__name__}: {exc})") from None


def _image_page(source: SourceFile, image: Image.Image, index: int, pages_dir: Path) -> Page:
    corrections: list[Correction] = []
    orientation = image.getexif().get(0x0112, 1)
    frame = ImageOps.exif_transpose(image) if orientation != 1 else image.copy()
    if orientation != 1:
        corrections.append(Correction(kind="exif_orientation", value=orientation))
    turned = image.info.get("original_orientation", 1)  # HEIC: pillow-heif has already turned it upright
    if orientation == 1 and turned not in (None, 1):
        corrections.append(Correction(kind="exif_orientation", value=turned))
    dpi = image_dpi(image)
    frame = on_white(frame)
    png = _png_bytes(frame)
    return _raster_page(source, index, png, pages_dir, dpi, frame.width, frame.height, tuple(corrections))


def image_dpi(image: Image.Image) -> float:
    """The resolution IMAGE declares; for one that declares none, what its size makes likely.

    Photos, screenshots and cropped words carry no DPI.  Taking them as 300-dpi
    scans made a 362-px word crop 3 cm wide, its characters specks, and the page
    "blank".  Without a declared DPI the image is taken as at most an A4 page's
    long side (so a 4000-px phone photo is ~340 dpi, capped at ``DEFAULT_DPI``)
    and at least ``SCREEN_DPI``: a word crop is then screen-sized text, which is
    what it usually is.
    """
    dpi = image.info.get("dpi")
    if dpi and dpi[0] and float(dpi[0]) >= 50:
        return float(dpi[0])
    return max(SCREEN_DPI, min(DEFAULT_DPI, max(image.size) / A4_LONG_SIDE_INCHES))


def on_white(frame: Image.Image) -> Image.Image:
    """FRAME as RGB, L or bilevel, anything transparent laid onto white paper.

    Converting RGBA or a palette image with a transparent colour straight to RGB
    keeps whatever colour the transparent pixels happen to hold (often black):
    a transparent PNG was bound as a black box.
    """
    if frame.mode in ("RGB", "L", "1"):
        return frame
    if frame.mode == "P" and "transparency" in frame.info or frame.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return frame.convert("RGB")


def _png_bytes(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _raster_page(
    source: SourceFile,
    index: int,
    png: bytes,
    pages_dir: Path,
    dpi: float,
    width: int,
    height: int,
    corrections: tuple[Correction, ...],
) -> Page:
    digest = sha256_bytes(png)
    target = pages_dir / f"{digest}.png"
    if not target.exists():
        write_atomically(target, png)
    flags = ("low_resolution",) if dpi < 200 else ()
    return Page(
        source_sha256=source.sha256,
        index=index,
        sha256=digest,
        kind="raster",
        image=target,
        recognition_image=target,
        dpi=dpi,
        width_px=width,
        height_px=height,
        width_pt=width * 72.0 / dpi,
        height_pt=height * 72.0 / dpi,
        corrections=corrections,
        flags=flags,
    )
