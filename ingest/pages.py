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

import warnings
from io import BytesIO
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from edossier.config import LimitsSettings, SealSettings
from edossier.ingest.limits import check_file_size, check_page_count, check_pixels
from edossier.ingest.page_record import raster_page, undecodable
from edossier.ingest.png import png_bytes
from edossier.ingest.sniff import HEIC, OFD, PDF, WORD_PROCESSOR_TYPES, sniff
from edossier.types import Correction, Page, SourceFile, sha256_unchanged_file

DEFAULT_DPI = 300.0
SCREEN_DPI = 72.0
A4_LONG_SIDE_INCHES = 297 / 25.4


def open_source(
    path: Path,
    limits: LimitsSettings,
    declared_type: str | None = None,
    name: str | None = None,
    seal_settings: SealSettings | None = None,
) -> SourceFile:
    """Identify an original: its type from its bytes, its hash, within the size limit.

    NAME is the name it was handed over under, when PATH's own name is not (uploads).
    An OFD's seals and e-invoice fields are read here, into the source's metadata; SEAL_SETTINGS
    (``[seals]``) are the CA certificates its seals' certificates must chain to and the CRLs they are looked up in.
    """
    media_type = sniff(path, name)
    size = path.stat().st_size
    check_file_size(path, size, limits)
    metadata: dict[str, str] = {}
    if media_type == OFD:
        from edossier.ingest.pdf_pages import ofd_metadata  # the OFD intake: loaded by the first OFD

        metadata = ofd_metadata(path, limits, seal_settings)
    return SourceFile(
        path=path.resolve(),
        sha256=sha256_unchanged_file(path),
        size=size,
        media_type=media_type,
        title=path.stem,
        declared_type=declared_type,
        metadata=metadata,
    )


def read_pages(
    source: SourceFile,
    work_dir: Path,
    limits: LimitsSettings,
    password: str | None = None,
) -> Iterator[Page]:
    """Yield the pages of SOURCE in order, writing raster pages under WORK_DIR."""
    pages_dir = work_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    if source.media_type == PDF or source.media_type == OFD or source.media_type in WORD_PROCESSOR_TYPES:
        from edossier.ingest.pdf_pages import document_pages  # PyMuPDF and the rest: loaded by the first such original

        yield from document_pages(source, work_dir, pages_dir, limits, password)
    else:
        yield from _image_pages(source, pages_dir, limits)


def _image_pages(source: SourceFile, pages_dir: Path, limits: LimitsSettings) -> Iterator[Page]:
    # Pillow warns (to stderr) about odd TIFF metadata it then ignores; problems that matter raise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield from _decode_image_pages(source, pages_dir, limits)


def _decode_image_pages(source: SourceFile, pages_dir: Path, limits: LimitsSettings) -> Iterator[Page]:
    if source.media_type == HEIC:  # HEIC/HEIF photos (iPhones) open like any other image once this is loaded
        import pillow_heif

        pillow_heif.register_heif_opener()
    with undecodable(source.path, "is not a readable image"):
        image = Image.open(source.path)
    with image:
        with undecodable(source.path, "is not a readable image"):
            frames = getattr(image, "n_frames", 1)
        check_page_count(source.path, frames, limits)
        for index in range(frames):
            with undecodable(source.path, f"page {index + 1} cannot be decoded"):
                image.seek(index)
                check_pixels(source.path, index + 1, *image.size, limits)
                page = _image_page(source, image, index, pages_dir)
            yield page


def _image_page(source: SourceFile, image: Image.Image, index: int, pages_dir: Path) -> Page:
    if (png := _page_png_as_is(source, image)) is not None:
        return raster_page(source, index, png, pages_dir, image_dpi(image), image.width, image.height, ())
    corrections: list[Correction] = []
    orientation = image.getexif().get(0x0112, 1)
    frame = ImageOps.exif_transpose(image) if orientation != 1 else image
    if orientation != 1:
        corrections.append(Correction(kind="exif_orientation", value=orientation))
    turned = image.info.get("original_orientation", 1)  # HEIC: pillow-heif has already turned it upright
    if orientation == 1 and turned not in (None, 1):
        corrections.append(Correction(kind="exif_orientation", value=turned))
    dpi = image_dpi(image)
    frame = on_white(frame)
    png, pixels = _page_png(frame)
    return raster_page(source, index, png, pages_dir, dpi, frame.width, frame.height, tuple(corrections), pixels)


def _page_png_as_is(source: SourceFile, image: Image.Image) -> bytes | None:
    """The original's own bytes when they already are what its page PNG would be; None otherwise.

    A scanner's spooled page (scanners/base.py) or a saved PNG page is one frame
    of 8-bit grey or RGB, opaque, with no orientation to apply: decoding it and
    encoding the same pixels again cost a clerk's single-page scan ~0.2-0.4 s of
    its wall time (notes/issue-18.md, session 12).  Anything else (palette,
    transparency, 16 bits, interlacing, an eXIf chunk anywhere, several frames)
    is decoded and written anew.
    """
    if image.format != "PNG" or image.mode not in ("L", "RGB") or getattr(image, "n_frames", 1) != 1:
        return None
    if "transparency" in image.info or "exif" in image.info:
        return None
    data = source.path.read_bytes()
    bit_depth, interlace = data[24], data[28]  # IHDR follows the 8-byte signature: length, type, then 13 bytes
    if bit_depth != 8 or interlace != 0 or b"eXIf" in data:  # eXIf may follow the image data, unseen at open
        return None
    return data


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


def _page_png(frame: Image.Image) -> tuple[bytes, np.ndarray | None]:
    """FRAME (RGB, L or bilevel) as the page's PNG, and its pixels as OpenCV decodes that PNG (not for bilevel).

    The fast encoder (ingest/png.py) writes an A4 colour scan in a tenth of the
    time Pillow's level-1 encoder took (0.15 CPU-s), on the path of every scanned
    page.  Bilevel pages stay with Pillow at one bit a pixel.
    """
    if frame.mode == "1":
        buffer = BytesIO()
        frame.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue(), None
    pixels = np.asarray(frame)
    pixels = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    return png_bytes(pixels), pixels


